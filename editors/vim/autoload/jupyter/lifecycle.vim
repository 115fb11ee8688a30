vim9script
# Starting, stopping, restarting and interrupting the current buffer's kernel
# (:JupyterStart, :JupyterStop, :JupyterRestart, :JupyterInterrupt), and the start a
# run waits for when its buffer has no kernel yet (g:jupyter_autostart).

import autoload 'jupyter/bridge.vim'
import autoload 'jupyter/buffer.vim'
import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'
import autoload 'jupyter/variables.vim'

# string(bufnr) -> callbacks waiting for the kernel being started for that buffer
var starting: dict<list<func(string)>> = {}

export def Start(spec: string = '')
  var bufnr = bufnr()
  var id = kernels.Of(bufnr)
  if id != ''
    util.Error($"this buffer already has kernel {kernels.Get(id).name} ({id}): :JupyterStop it first, or :JupyterRestart")
    return
  endif
  StartFor(bufnr, trim(spec), [])
enddef

# Calls Callback(kernelId) once the buffer has a kernel: now, after the start in
# progress, or after starting the default kernel (g:jupyter_autostart).
export def WithKernel(bufnr: number, Callback: func(string))
  var id = kernels.Of(bufnr)
  if id != ''
    Callback(id)
  elseif has_key(starting, string(bufnr)) || util.Get('autostart', 1)
    StartFor(bufnr, '', [Callback])
  else
    util.Error('no kernel for this buffer: use :JupyterStart')
  endif
enddef

# Whether a kernel is being started for the buffer (the statusline says so).
export def Starting(bufnr: number): bool
  return has_key(starting, string(bufnr))
enddef

# The bridge exited: no start is under way any more.
export def Abandon()
  starting = {}
enddef

def StartFor(bufnr: number, spec: string, waiting: list<func(string)>)
  var key = string(bufnr)
  if has_key(starting, key)
    starting[key] += waiting
    return
  endif
  if !bridge.Ensure()
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

def Started(bufnr: number, resp: dict<any>)
  var callbacks = has_key(starting, string(bufnr)) ? remove(starting, string(bufnr)) : []
  if has_key(resp, 'error')
    redrawstatus!   # "kernel: starting" is over
    util.Error('cannot start the kernel: ' .. util.ErrorText(resp.error))
    return
  endif
  var ref = resp.result
  var id = kernels.Register(ref, true)
  var name = kernels.Get(id).name
  output.Create(id, name, [$'-- kernel {name} ({get(ref, "implementation", "")}) started, id {id} --'])
  if bufexists(bufnr)
    buffer.Bind(bufnr, id)
  endif
  output.Adopt(id)
  variables.Adopt(id, name)
  util.Info($'kernel {name} started')
  redrawstatus!
  for Callback in callbacks
    Callback(id)
  endfor
enddef

export def Stop()
  var id = kernels.Current()
  if id == ''
    return
  endif
  var kernel = kernels.Get(id)
  kernel.stopping = true
  rpc.Request('jupyter/shutdownKernel', {kernelId: id}, (resp) => {
    if has_key(resp, 'error') && get(resp.error, 'code', 0) != -32001
      util.Error('cannot stop the kernel: ' .. util.ErrorText(resp.error))
      return
    endif
    var owned = get(kernels.Get(id), 'owned', true)
    var note = owned ? 'kernel shut down' : 'detached from the kernel (it keeps running)'
    output.Note(id, note)
    kernels.Forget(id, note)
  })
enddef

export def Restart()
  var id = kernels.Current()
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
  var id = kernels.Current()
  if id == ''
    return
  endif
  rpc.Request('jupyter/interruptKernel', {kernelId: id}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot interrupt the kernel: ' .. util.ErrorText(resp.error))
    endif
  })
enddef

defcompile
