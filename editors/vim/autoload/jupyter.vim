vim9script
# kernel-bridge for Vim: kernels bound to buffers, runs, completion, inspection and
# kernel prompts, all over the bridge's JSON-RPC protocol (docs/protocol.md).
# Every request is asynchronous; the only waits are bounded ones the user asked for
# (omni completion, kernelspec completion, and letting the bridge stop kernels on exit).

import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/code.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/inline.vim'
import autoload 'jupyter/util.vim'
import autoload 'jupyter/variables.vim'

# kernelId -> {id, name, language, state, owned}
var kernels: dict<dict<any>> = {}
# kernelId -> last executionState seen (status may come before startKernel answers)
var states: dict<string> = {}
# string(bufnr) -> callbacks waiting for the kernel being started for that buffer
var starting: dict<list<func(string)>> = {}
# string(request id) -> a run in flight
var runs: dict<dict<any>> = {}
var kernelspecs: list<dict<any>> = []
var kernelspecs_loaded = false
# jupyter/input requests the bridge cancelled before we prompted
var cancelled: dict<bool> = {}
# While an omni completion waits, notifications wait too (text is locked then).
var holding = false
var held: list<list<any>> = []
var completion: dict<any> = {}
var leaving = false

# -- the bridge ------------------------------------------------------------------------

def BridgeCommand(): list<string>
  var cmd = util.Get('bridge_cmd', 'kernel-bridge')
  return type(cmd) == v:t_list ? cmd : split(cmd)
enddef

def InitializeParams(): dict<any>
  var options: dict<any> = {}
  for [name, key] in items({startup_timeout: 'startupTimeout', output_limit: 'outputLimitBytes', servers: 'servers'})
    if has_key(g:, 'jupyter_' .. name)
      options[key] = g:['jupyter_' .. name]
    endif
  endfor
  return {
    processId: getpid(),
    clientInfo: {name: 'vim', version: string(v:version)},
    rootUri: null,
    capabilities: {experimental: {jupyterInput: true}},
    initializationOptions: options,
  }
enddef

def EnsureBridge(): bool
  if rpc.Running()
    return true
  endif
  kernelspecs_loaded = false
  return rpc.Start(BridgeCommand(), InitializeParams(), {
    notification: OnNotification, request: OnRequest, ready: OnReady, exit: OnBridgeExit})
enddef

def OnReady()
  rpc.Request('jupyter/listKernelspecs', null, (resp) => {
    kernelspecs = get(resp, 'result', [])
    kernelspecs_loaded = true
  })
enddef

def OnBridgeExit(status: number, stderr: list<string>)
  var tail = filter(copy(stderr), (_, l) => l !~ '^\s*$')
  util.Error($'the bridge exited (status {status})' .. (empty(tail) ? '' : ': ' .. tail[-1]))
  for id in keys(kernels)
    output.Note(id, 'the bridge exited')
    Forget(id, 'the bridge exited')
  endfor
  starting = {}
enddef

# -- kernels and buffers -----------------------------------------------------------------

def KernelOf(bufnr: number): string
  var id = getbufvar(bufnr, 'jupyter_kernel', '')
  return has_key(kernels, id) ? id : ''
enddef

def Register(ref: dict<any>, owned: bool): string
  var id = ref.kernelId
  kernels[id] = {id: id, name: Label(ref), language: get(ref, 'language', ''),
    implementation: get(ref, 'implementation', ''), state: get(states, id, 'idle'), owned: owned}
  return id
enddef

# What a kernel is called here: its kernelspec name; for a kernel attached from a
# connection file without `kernel_name` (the bridge says "unknown"), the language or
# implementation its kernel_info_reply gave ("python", "ipython").
def Label(ref: dict<any>): string
  var name = get(ref, 'kernelName', '')
  if type(name) == v:t_string && name != '' && name !=# 'unknown'
    return name
  endif
  for key in ['language', 'implementation']
    var value = get(ref, key, '')
    if type(value) == v:t_string && value != ''
      return value
    endif
  endfor
  return 'unknown'
enddef

def Bind(bufnr: number, id: string)
  setbufvar(bufnr, 'jupyter_kernel', id)
  SetupIn(bufnr)
enddef

def Unbind(bufnr: number)
  var vars = getbufvar(bufnr, '')
  if type(vars) == v:t_dict && has_key(vars, 'jupyter_kernel')
    remove(vars, 'jupyter_kernel')
    SetupIn(bufnr)
  endif
enddef

# Runs SetupBuffer() in that buffer: now if it is current or in a window, else when it
# is entered next.
def SetupIn(bufnr: number)
  if bufnr == bufnr()
    SetupBuffer()
  elseif bufwinid(bufnr) > 0
    win_execute(bufwinid(bufnr), 'call jupyter#SetupBuffer()')
  else
    setbufvar(bufnr, 'jupyter_needs_setup', 1)
  endif
enddef

# Unbinds every buffer from a kernel that is gone and drops it.
def Forget(id: string, why: string)
  variables.Gone(id, why)
  output.Gone(id)
  for info in getbufinfo()
    if get(info.variables, 'jupyter_kernel', '') ==# id
      Unbind(info.bufnr)
    endif
  endfor
  if has_key(kernels, id)
    remove(kernels, id)
  endif
  redrawstatus!
enddef

const MAPPINGS = [
  ['n', '<LocalLeader>r', '<Plug>(JupyterRunLine)'],
  ['x', '<LocalLeader>r', '<Plug>(JupyterRunSelection)'],
  ['n', '<LocalLeader>c', '<Plug>(JupyterRunCell)'],
  ['n', '<LocalLeader>f', '<Plug>(JupyterRunFile)'],
  ['n', '<LocalLeader>i', '<Plug>(JupyterInterrupt)'],
  ['n', '<LocalLeader>o', '<Plug>(JupyterOutput)'],
]

# Brings the current buffer's local settings in line with its binding: a bound buffer
# gets 'omnifunc' and `K`, an unbound one gets back what it had; both get the default
# mappings (g:jupyter_no_mappings). Also run for the filetypes in g:jupyter_filetypes.
export def SetupBuffer()
  if exists('b:jupyter_needs_setup')
    unlet b:jupyter_needs_setup
  endif
  var bound = get(b:, 'jupyter_kernel', '') != ''
  if bound && util.Get('set_omnifunc', 1) && !exists('b:jupyter_saved_omnifunc')
    b:jupyter_saved_omnifunc = &l:omnifunc
    setlocal omnifunc=jupyter#Complete
  elseif !bound && exists('b:jupyter_saved_omnifunc')
    &l:omnifunc = b:jupyter_saved_omnifunc
    unlet b:jupyter_saved_omnifunc
  endif
  if !bound && exists('b:jupyter_mapped_K')
    silent! nunmap <buffer> K
    unlet b:jupyter_mapped_K
  endif
  if util.Get('no_mappings', 0)
    return
  endif
  for [mode, lhs, plug] in MAPPINGS
    if empty(maparg(lhs, mode)) && !hasmapto(plug, mode)
      execute $'{mode}map <buffer> {lhs} {plug}'
    endif
  endfor
  if bound && empty(maparg('K', 'n'))
    nmap <buffer> K <Plug>(JupyterInspect)
    b:jupyter_mapped_K = 1
  endif
enddef

def KernelCwd(bufnr: number): string
  var name = bufname(bufnr)
  if util.Get('kernel_cwd', 'file') ==# 'file' && name != '' && getbufvar(bufnr, '&buftype') == ''
    var dir = fnamemodify(name, ':p:h')
    if isdirectory(dir)
      return dir
    endif
  endif
  return getcwd()
enddef

def StartFor(bufnr: number, spec: string, waiting: list<func(string)>)
  var key = string(bufnr)
  if has_key(starting, key)
    starting[key] += waiting
    return
  endif
  if !EnsureBridge()
    return
  endif
  starting[key] = waiting
  var params: dict<any> = {cwd: KernelCwd(bufnr)}
  var name = spec != '' ? spec : getbufvar(bufnr, 'jupyter_default_kernel', get(g:, 'jupyter_default_kernel', ''))
  if name != ''
    params.kernelName = name
  endif
  # a remote server (docs/remote.md): a name from g:jupyter_servers, or {url, token...}
  var server = getbufvar(bufnr, 'jupyter_server', get(g:, 'jupyter_server', ''))
  if !empty(server)
    params.server = server
    remove(params, 'cwd')
  endif
  util.Info('starting kernel ' .. (name == '' ? '(default)' : name) .. '…')
  rpc.Request('jupyter/startKernel', params, (resp) => Started(bufnr, resp))
enddef

def Started(bufnr: number, resp: dict<any>)
  var callbacks = has_key(starting, string(bufnr)) ? remove(starting, string(bufnr)) : []
  if has_key(resp, 'error')
    redrawstatus!   # "kernel: starting" is over
    util.Error('cannot start the kernel: ' .. util.ErrorText(resp.error))
    return
  endif
  var ref = resp.result
  var id = Register(ref, true)
  var name = kernels[id].name
  output.Create(id, name, [$'-- kernel {name} ({get(ref, "implementation", "")}) started, id {id} --'])
  if bufexists(bufnr)
    Bind(bufnr, id)
  endif
  output.Adopt(id)
  variables.Adopt(id, name)
  util.Info($'kernel {name} started')
  redrawstatus!
  for Callback in callbacks
    Callback(id)
  endfor
enddef

# Calls Callback(kernelId) once the buffer has a kernel: now, after the start in
# progress, or after starting the default kernel (g:jupyter_autostart).
def WithKernel(bufnr: number, Callback: func(string))
  var id = KernelOf(bufnr)
  if id != ''
    Callback(id)
  elseif has_key(starting, string(bufnr)) || util.Get('autostart', 1)
    StartFor(bufnr, '', [Callback])
  else
    util.Error('no kernel for this buffer: use :JupyterStart')
  endif
enddef

def CurrentKernel(): string
  var id = KernelOf(bufnr())
  if id == ''
    util.Error('no kernel for this buffer: use :JupyterStart or :JupyterConnect')
  endif
  return id
enddef

# -- commands ------------------------------------------------------------------------------

export def Start(spec: string = '')
  var bufnr = bufnr()
  var id = KernelOf(bufnr)
  if id != ''
    util.Error($"this buffer already has kernel {kernels[id].name} ({id}): :JupyterStop it first, or :JupyterRestart")
    return
  endif
  StartFor(bufnr, trim(spec), [])
enddef

# A connection file given (a path, or a name or fragment the bridge looks up in the
# Jupyter runtime directory), or none: pick one of the kernels running on this machine.
export def Connect(file: string = '')
  var bufnr = bufnr()
  if KernelOf(bufnr) != ''
    util.Error('this buffer already has a kernel: :JupyterStop it first')
    return
  endif
  if !EnsureBridge()
    return
  endif
  var name = trim(file)
  if name == ''
    rpc.Request('jupyter/listRunningKernels', null, (resp) => {
      if has_key(resp, 'error')
        util.Error('cannot list the running kernels: ' .. util.ErrorText(resp.error))
      elseif type(resp.result) != v:t_list || empty(resp.result)
        util.Error('no running kernel found (no connection files in the Jupyter runtime directory): '
          .. 'give :JupyterConnect a connection file')
      else
        timer_start(0, (_) => Pick(bufnr, resp.result))
      endif
    })
    return
  endif
  var path = filereadable(expand(name)) ? fnamemodify(expand(name), ':p') : name
  ConnectTo(bufnr, path)
enddef

# The picker of :JupyterConnect: inputlist() of the running kernels.
def Pick(bufnr: number, found: list<dict<any>>)
  var choice = 0
  try
    choice = inputlist(['Connect to a running kernel:']
      + util.RunningKernelLines(found))
  catch /^Vim:Interrupt$/
  endtry
  redraw
  if choice >= 1 && choice <= len(found)
    ConnectTo(bufnr, found[choice - 1].connectionFile)
  endif
enddef

def ConnectTo(bufnr: number, path: string)
  if KernelOf(bufnr) != ''
    util.Error('this buffer already has a kernel: :JupyterStop it first')
    return
  endif
  util.Info($'connecting to {path}…')
  rpc.Request('jupyter/connectKernel', {connectionFile: path}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot connect: ' .. util.ErrorText(resp.error))
      return
    endif
    var id = Register(resp.result, false)
    output.Create(id, kernels[id].name, [$'-- connected to kernel {kernels[id].name} ({path}), id {id} --'])
    if bufexists(bufnr) && KernelOf(bufnr) == ''
      Bind(bufnr, id)
    endif
    output.Show(id)
    variables.Adopt(id, kernels[id].name)
    util.Info('connected to ' .. path)
    redrawstatus!
  })
enddef

# :JupyterVariables: the variables window of the current buffer's kernel (or of the
# kernel whose output or variables buffer this is).
export def Variables()
  var id = KernelOf(bufnr())
  for owner in ['jupyter_variables_of', 'jupyter_output_of']
    if id == '' && has_key(kernels, get(b:, owner, ''))
      id = b:[owner]
    endif
  endfor
  if id == ''
    id = CurrentKernel()   # says there is none
  endif
  if id != ''
    variables.Open(id, kernels[id].name)
  endif
enddef

export def Stop()
  var id = CurrentKernel()
  if id == ''
    return
  endif
  kernels[id].stopping = true
  rpc.Request('jupyter/shutdownKernel', {kernelId: id}, (resp) => {
    if has_key(resp, 'error') && get(resp.error, 'code', 0) != -32001
      util.Error('cannot stop the kernel: ' .. util.ErrorText(resp.error))
      return
    endif
    var owned = get(get(kernels, id, {}), 'owned', true)
    var note = owned ? 'kernel shut down' : 'detached from the kernel (it keeps running)'
    output.Note(id, note)
    Forget(id, note)
  })
enddef

export def Restart()
  var id = CurrentKernel()
  if id == ''
    return
  endif
  rpc.Request('jupyter/restartKernel', {kernelId: id}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot restart the kernel: ' .. util.ErrorText(resp.error))
      return
    endif
    output.Note(id, 'kernel restarted')
    util.Info('kernel restarted')
    variables.Changed(id)
  })
enddef

export def Interrupt()
  var id = CurrentKernel()
  if id == ''
    return
  endif
  rpc.Request('jupyter/interruptKernel', {kernelId: id}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot interrupt the kernel: ' .. util.ErrorText(resp.error))
    endif
  })
enddef

# The kernel's outputs live in a browser (plots Vim cannot show): the bridge serves a
# page on 127.0.0.1; open it with g:jupyter_browser, else tell the user where it is.
export def Sidecar()
  var id = CurrentKernel()
  if id == ''
    return
  endif
  rpc.Request('jupyter/openSidecar', {kernelId: id}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot open the sidecar: ' .. util.ErrorText(resp.error))
      return
    endif
    var url: string = resp.result.url
    g:jupyter_sidecar_url = url
    output.Note(id, 'sidecar: ' .. url)
    var browser: string = util.Get('browser', '')
    if browser != ''
      job_start([browser, url], {in_io: 'null', out_io: 'null', err_io: 'null'})
      util.Info('sidecar opened in ' .. browser)
    else
      util.Info('sidecar: ' .. url)
    endif
  })
enddef

# :JupyterExport[!] [file]: what ran from this buffer (g:jupyter_export_runs 'all':
# everything that ran on its kernel) as a notebook, by default next to the file with
# the extension .ipynb. An existing file is only replaced with !.
export def Export(file: string, overwrite: bool)
  var id = CurrentKernel()
  if id == ''
    return
  endif
  var uri = util.Uri(bufnr())
  var path = ''
  if trim(file) != ''
    path = fnamemodify(expand(trim(file)), ':p')
  elseif uri != ''
    path = expand('%:p:r') .. '.ipynb'
  else
    util.Error('this buffer has no file name: give :JupyterExport a file name')
    return
  endif
  if !overwrite && (filereadable(path) || isdirectory(path))
    util.Error($'{path} exists: :JupyterExport! replaces it')
    return
  endif
  var params: dict<any> = {kernelId: id, path: path, runs: 'all'}
  if uri != '' && util.Get('export_runs', 'document') !=# 'all'
    params.uri = uri
    params.runs = 'document'
  endif
  rpc.Request('jupyter/exportNotebook', params, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot export: ' .. util.ErrorText(resp.error))
      return
    endif
    var cells = resp.result.cells
    util.Info($'exported {cells} run{cells == 1 ? "" : "s"} to {resp.result.path}')
  })
enddef

export def ToggleOutput()
  var id = CurrentKernel()
  if id != ''
    output.Toggle(id)
  endif
enddef

export def CompleteKernelspec(lead: string, cmdline: string, pos: number): list<string>
  if !kernelspecs_loaded && EnsureBridge()
    var waited = 0
    while !kernelspecs_loaded && waited < util.Get('complete_timeout', 3000)
      sleep 10m
      waited += 10
    endwhile
  endif
  return kernelspecs->mapnew((_, s) => s.name)->filter((_, n) => stridx(n, lead) == 0)->sort()
enddef

# -- running code ---------------------------------------------------------------------------

export def RunRange(first: number, last: number)
  Run(bufnr(), getline(first, last), first, last)
enddef

export def RunLine()
  RunRange(line('.'), line('.'))
enddef

export def RunSelection(mode: string)
  Run(bufnr(), code.Selection(mode), line("'<"), line("'>"))
enddef

export def RunCell()
  var [first, last] = code.CellRange(bufnr(), line('.'))
  if first > last
    util.Error('the cell is empty')
    return
  endif
  RunRange(first, last)
enddef

export def RunFile()
  RunRange(1, line('$'))
enddef

def Run(bufnr: number, lines: list<string>, first: number, last: number)
  var source = join(code.Dedent(lines), "\n")
  if source =~ '^\_s*$'
    util.Error('nothing to run')
    return
  endif
  WithKernel(bufnr, (id) => Execute(id, bufnr, source, first, last))
enddef

def Execute(id: string, bufnr: number, source: string, first: number, last: number)
  var mark = inline.Start(bufnr, first, last, code.LastCodeLine(bufnr, first, last))
  var run: dict<any> = {kernel: id, bufnr: bufnr, mark: mark, result: '', printed: '',
    error_shown: false, clear_pending: false}
  var params: dict<any> = {kernelId: id, code: source}
  var uri = util.Uri(bufnr)
  if uri != ''
    # the run is the document's (for :JupyterExport, and its diagnostics)
    params.uri = uri
    params.firstLine = first - 1
  endif
  var rid = rpc.Request('jupyter/execute', params, Finished)
  var key = string(rid)
  runs[key] = run
  run.header = output.BeginRun(id, key, source)
  run.first_output = output.NextLine(id)
  output.Show(id)
enddef

def Finished(resp: dict<any>)
  var key = string(resp.id)
  if !has_key(runs, key)
    return
  endif
  var run = remove(runs, key)
  variables.Changed(run.kernel)
  if has_key(resp, 'error')
    var text = util.ErrorText(resp.error)
    output.Lines(run.kernel, ['!! ' .. text], key)
    inline.Finish(run.mark, 'error', text)
    return
  endif
  var result = resp.result
  output.EndRun(run.kernel, run.header, get(result, 'executionCount', null))
  if result.status ==# 'ok'
    var shown = run.result != '' ? run.result : run.printed != '' ? run.printed : 'ok'
    if get(run, 'limited', false) && run.result == ''
      shown = 'output limit reached (see the output window)'
    endif
    inline.Finish(run.mark, 'result', shown)
  elseif result.status ==# 'error'
    if !run.error_shown
      output.Lines(run.kernel, output.Traceback({traceback: get(result, 'traceback', []),
        ename: get(result, 'ename', ''), evalue: get(result, 'evalue', '')}), key)
    endif
    inline.Finish(run.mark, 'error', $"{get(result, 'ename', 'Error')}: {get(result, 'evalue', '')}")
  else
    inline.Finish(run.mark, 'error', result.status)
  endif
enddef

def OnOutput(params: dict<any>)
  var id = params.kernelId
  if !has_key(kernels, id)
    return
  endif
  var key = type(params.requestId) == v:t_none ? '' : string(params.requestId)
  var run = get(runs, key, {})
  var msg_type = params.msgType
  var content = params.content
  if empty(run)
    # another client's traffic, or a late message of one of our runs
    output.Output(id, get(params, 'origin', '') ==# 'other' ? 'other' : 'late', msg_type, content)
    return
  endif
  if msg_type ==# 'execute_input'
    return   # our own code, already shown by BeginRun()
  endif
  if msg_type ==# 'clear_output'
    if get(content, 'wait', false)
      run.clear_pending = true
    else
      output.Clear(id, key, run.first_output)
    endif
    return
  endif
  if run.clear_pending
    run.clear_pending = false
    output.Clear(id, key, run.first_output)
  endif
  output.Output(id, key, msg_type, content)
  if msg_type ==# 'execute_result'
    run.result = get(output.RichText(content), 0, '')
  elseif msg_type ==# 'stream'
    var lines = filter(util.Lines(util.StripAnsi(get(content, 'text', ''))), (_, l) => l !~ '^\s*$')
    if !empty(lines)
      run.printed = split(lines[-1], "\r")[-1]
    endif
  elseif msg_type ==# 'display_data'
    run.printed = get(output.RichText(content), 0, '')
  elseif msg_type ==# 'error'
    run.error_shown = true
  endif
enddef

def OnStatus(params: dict<any>)
  var id = params.kernelId
  var state = params.executionState
  states[id] = state
  if !has_key(kernels, id)
    return
  endif
  var kernel = kernels[id]
  kernel.state = state
  if state ==# 'dead' && !get(kernel, 'stopping', false) && !leaving
    output.Note(id, 'kernel died' .. (has_key(params, 'reason') ? ': ' .. params.reason : ''))
    util.Error($'kernel {kernel.name} died' .. (has_key(params, 'reason') ? ': ' .. params.reason : '') .. ' (:JupyterRestart)')
  elseif state ==# 'restarting'
    output.Note(id, 'kernel restarting')
  endif
  redrawstatus!
  if exists('#User#JupyterStatus')
    doautocmd <nomodeline> User JupyterStatus
  endif
enddef

def OnOutputLimit(params: dict<any>)
  var key = string(params.requestId)
  if has_key(runs, key)
    runs[key].limited = true
  endif
  var file = type(get(params, 'file', null)) == v:t_string ? ', whole output in ' .. params.file : ''
  output.Lines(params.kernelId, [$"-- output limit: {params.omittedBytes} bytes in {params.omittedMessages} messages left out{file} --"], key)
enddef

def OnNotification(method: string, params: any)
  if holding
    held->add([method, params])
    return
  endif
  if type(params) != v:t_dict
    return
  endif
  if method ==# 'jupyter/output'
    OnOutput(params)
  elseif method ==# 'jupyter/status'
    OnStatus(params)
  elseif method ==# 'jupyter/outputLimit'
    OnOutputLimit(params)
  elseif method ==# '$/cancelRequest'
    cancelled[string(params.id)] = true
  endif
enddef

def Release()
  holding = false
  var queued = held
  held = []
  for [method, params] in queued
    OnNotification(method, params)
  endfor
enddef

# -- kernel prompts (input() / getpass()) ----------------------------------------------

def OnRequest(id: any, method: string, params: any)
  if method ==# 'jupyter/input' && type(params) == v:t_dict
    timer_start(0, (_) => Prompt(id, params))
  else
    rpc.RespondError(id, -32601, 'method not found: ' .. method)
  endif
enddef

const CANCELLED = "\x01jupyter-cancelled\x01"

def Prompt(id: any, params: dict<any>)
  if has_key(cancelled, string(id))
    remove(cancelled, string(id))
    return
  endif
  var prompt = get(params, 'prompt', '')
  var password = get(params, 'password', false)
  var value = ''
  try
    # <Esc> at the prompt makes inputdialog() return CANCELLED
    value = password ? inputsecret(prompt) : inputdialog(prompt, '', CANCELLED)
  catch /^Vim:Interrupt$/
    value = CANCELLED
  endtry
  redraw
  if has_key(cancelled, string(id))
    remove(cancelled, string(id))
    return
  endif
  var key = string(get(params, 'requestId', ''))
  var echo = ''
  if value ==# CANCELLED
    # declining to answer interrupts the kernel (docs/protocol.md, "Input")
    rpc.RespondError(id, -32800, 'the user cancelled the prompt')
    echo = prompt .. '(cancelled)'
  else
    rpc.Respond(id, {value: value})
    echo = prompt .. (password ? repeat('*', strchars(value)) : value)
  endif
  if has_key(runs, key) && has_key(kernels, runs[key].kernel)
    output.Lines(runs[key].kernel, [echo], key)
  endif
enddef

# -- completion and inspection ---------------------------------------------------------

# 'omnifunc': matches from the live kernel. The kernel's answer is awaited (bounded by
# g:jupyter_complete_timeout ms, and cut short by a typed key); a busy kernel answers
# nothing at once, as its shell channel would only answer after the run.
export def Complete(findstart: number, base: string): any
  if !findstart
    return get(completion, 'items', [])
  endif
  completion = {}
  var id = KernelOf(bufnr())
  if id == '' || !rpc.Running()
    return -3
  elseif kernels[id].state ==# 'busy'
    util.Info('the kernel is busy: completion is back when it is idle')
    return -3
  endif
  var at = code.CodeAtCursor()
  var reply: dict<any> = {}
  holding = true
  var rid: number
  var interrupted = false
  try
    rid = rpc.Request('jupyter/complete', {kernelId: id, code: at.code, cursorPos: at.cursorPos},
      (resp) => {
        reply = resp
      })
    var waited = 0
    while empty(reply) && waited < util.Get('complete_timeout', 3000)
      if complete_check()
        interrupted = true
        break
      endif
      sleep 10m
      waited += 10
    endwhile
  finally
    timer_start(0, (_) => Release())
  endtry
  if empty(reply)
    rpc.Cancel(rid)
    if interrupted
      # A key was typed: complete_check() set Vim's "completion interrupted" flag, and
      # only a completion that gets as far as its matches clears it. Cancelling (-3)
      # would leave it set, and every later omni completion would end at once,
      # silently. So: no matches, at the cursor; the typed key goes on as typed.
      return col('.') - 1
    endif
    return -3
  endif
  if !has_key(reply, 'result') || type(reply.result) != v:t_dict
    return -3
  endif
  var result = reply.result
  var line = getline('.')
  var start = get(result, 'cursor_start', at.cursorPos) - at.lineStart
  if start < 0 || start > strchars(line)
    return -3
  endif
  var types: dict<dict<any>> = {}
  for t in get(get(result, 'metadata', {}), '_jupyter_types_experimental', [])
    types[t.text] = t
  endfor
  completion.items = get(result, 'matches', [])->mapnew((_, m) => ({
    word: m, menu: get(get(types, m, {}), 'type', ''),
    info: get(get(types, m, {}), 'signature', ''), dup: 1}))
  return byteidx(line, start) < 0 ? strlen(line) : byteidx(line, start)
enddef

var inspect_popup = 0

# Object inspection of the name under the cursor, in a popup (`K` in bound buffers).
# A busy kernel would only answer after its run, when the cursor is elsewhere: so
# while it is busy `K` says so at once and asks nothing, and an answer that comes
# after the cursor moved (the kernel became busy meanwhile) is dropped; an error is
# still said.
export def Inspect()
  var id = CurrentKernel()
  if id == ''
    return
  elseif kernels[id].state ==# 'busy'
    util.Info('the kernel is busy: K works again when it is idle')
    return
  endif
  var line = getline('.')
  var stop = matchend(line, '\k*', col('.') - 1)
  var word = matchstr(line, '\k*\%' .. (stop + 1) .. 'c')
  var pos = stop >= strlen(line) ? strchars(line) : charidx(line, stop)
  var here = InspectedAt()
  rpc.Request('jupyter/inspect', {kernelId: id, code: line, cursorPos: pos, detailLevel: 0}, (resp) => {
    if has_key(resp, 'error')
      util.Error('inspect failed: ' .. util.ErrorText(resp.error))
    elseif InspectedAt() != here
      return
    elseif type(resp.result) != v:t_dict || !get(resp.result, 'found', false)
      util.Info($'no information on {word == "" ? "this" : word}')
    else
      ShowInspection(output.RichText(resp.result))
    endif
  })
enddef

# Where `K` was pressed: the window, the cursor and the buffer's text.
def InspectedAt(): list<any>
  return [win_getid(), getcurpos(), b:changedtick, mode()]
enddef

def ShowInspection(lines: list<string>)
  popup_close(inspect_popup)
  inspect_popup = popup_atcursor(lines, {
    border: [], padding: [0, 1, 0, 1], moved: 'any', close: 'click',
    maxheight: util.Get('popup_maxheight', 20), maxwidth: util.Get('popup_maxwidth', 80),
    scrollbar: 1, filter: ScrollFilter, highlight: 'JupyterPopup'})
enddef

# <C-d>/<C-u> scroll the inspection popup; every other key goes on as usual.
def ScrollFilter(winid: number, key: string): bool
  var step = key ==# "\<C-d>" ? 1 : key ==# "\<C-u>" ? -1 : 0
  if step == 0
    return false
  endif
  var first = popup_getoptions(winid).firstline
  var height = popup_getpos(winid).core_height
  var total = line('$', winid)
  first = max([1, min([max([first, 1]) + step * (height / 2), total - height + 1])])
  popup_setoptions(winid, {firstline: first})
  return true
enddef

# -- status, for statuslines and users ------------------------------------------------

# "python3: idle" for the current (or given) buffer's kernel; "" without one.
export def Status(buf: any = '%'): string
  var bufnr = bufnr(buf)
  if has_key(starting, string(bufnr))
    return 'kernel: starting'
  endif
  var id = KernelOf(bufnr)
  return id == '' ? '' : $'{kernels[id].name}: {kernels[id].state}'
enddef

# The current (or given) buffer's kernel: {id, name, language, state, owned}, or {}.
export def Kernel(buf: any = '%'): dict<any>
  var id = KernelOf(bufnr(buf))
  return id == '' ? {} : copy(kernels[id])
enddef

# The virtual text marks in a buffer: [{lnum, type, text}].
export def Results(buf: any = '%'): list<dict<any>>
  return inline.List(bufnr(buf))
enddef

export def OutputBufnr(buf: any = '%'): number
  var id = KernelOf(bufnr(buf))
  return id == '' ? -1 : output.Bufnr(id)
enddef

export def BridgePid(): number
  return rpc.Pid()
enddef

# VimLeavePre: the bridge stops the kernels it started, then exits.
export def Leave()
  leaving = true
  rpc.Stop(util.Get('exit_timeout', 5000))
enddef
