vim9script
# Running code: the run commands, the `jupyter/execute` each sends, and where a run's
# outputs, output-limit notice and prompt echoes go. Each run is named by a runId of
# ours ("run-7"), which the bridge echoes in every notification of the run
# (docs/protocol.md, "Running code"): runs are found by it, never by JSON-RPC ids.

import autoload 'jupyter/code.vim'
import autoload 'jupyter/inline.vim'
import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/lifecycle.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'
import autoload 'jupyter/variables.vim'

# runId -> a run in flight: {kernel, bufnr, mark (inline.vim's), header and
# first_output (lines of the output window), result and printed (for the inline
# result), error_shown, clear_pending, limited}
var runs: dict<dict<any>> = {}
var last_run = 0

export def Range(first: number, last: number)
  Run(bufnr(), getline(first, last), first, last)
enddef

export def Line()
  Range(line('.'), line('.'))
enddef

export def Selection(mode: string)
  Run(bufnr(), code.Selection(mode), line("'<"), line("'>"))
enddef

export def Cell()
  var [first, last] = code.CellRange(bufnr(), line('.'))
  if first > last
    util.Error('the cell is empty')
    return
  endif
  Range(first, last)
enddef

export def File()
  Range(1, line('$'))
enddef

def Run(bufnr: number, lines: list<string>, first: number, last: number)
  var source = join(code.Dedent(lines), "\n")
  if source =~ '^\_s*$'
    util.Error('nothing to run')
    return
  endif
  lifecycle.WithKernel(bufnr, (id) => Execute(id, bufnr, source, first, last))
enddef

def Execute(id: string, bufnr: number, source: string, first: number, last: number)
  last_run += 1
  var run_id = $'run-{last_run}'
  var run: dict<any> = {kernel: id, bufnr: bufnr, result: '', printed: '',
    error_shown: false, clear_pending: false, limited: false,
    mark: inline.Start(bufnr, first, last, code.LastCodeLine(bufnr, first, last))}
  runs[run_id] = run
  run.header = output.BeginRun(id, run_id, source)
  run.first_output = output.NextLine(id)
  var params: dict<any> = {kernelId: id, code: source, runId: run_id}
  var uri = util.Uri(bufnr)
  if uri != ''
    # the run is the document's (for :JupyterExport, and its diagnostics)
    params.uri = uri
    params.firstLine = first - 1
  endif
  rpc.Request('jupyter/execute', params, (resp) => Finished(run_id, resp))
  output.Show(id)
enddef

def Finished(run_id: string, resp: dict<any>)
  if !has_key(runs, run_id)
    return
  endif
  var run = remove(runs, run_id)
  variables.Changed(run.kernel)
  if has_key(resp, 'error')
    var text = util.ErrorText(resp.error)
    output.Lines(run.kernel, ['!! ' .. text], run_id)
    inline.Finish(run.mark, 'error', text)
    return
  endif
  var result = resp.result
  output.EndRun(run.kernel, run.header, get(result, 'executionCount', null))
  if result.status ==# 'ok'
    var shown = run.result != '' ? run.result : run.printed != '' ? run.printed : 'ok'
    if run.limited && run.result == ''
      shown = 'output limit reached (see the output window)'
    endif
    inline.Finish(run.mark, 'result', shown)
  elseif result.status ==# 'error'
    if !run.error_shown
      output.Lines(run.kernel, output.Traceback({traceback: get(result, 'traceback', []),
        ename: get(result, 'ename', ''), evalue: get(result, 'evalue', '')}), run_id)
    endif
    inline.Finish(run.mark, 'error', $"{get(result, 'ename', 'Error')}: {get(result, 'evalue', '')}")
  else
    inline.Finish(run.mark, 'error', result.status)
  endif
enddef

# The runId a notification names, '' if it names none (another client's traffic, a
# late message of a run of ours, or a run of the bridge's own).
def RunIdOf(params: dict<any>): string
  var run_id = get(params, 'runId', null)
  return type(run_id) == v:t_string ? run_id : ''
enddef

# `jupyter/output`: into the run's block of the output window, and remembered for its
# inline result.
export def Output(params: dict<any>)
  var id = params.kernelId
  if empty(kernels.Get(id))
    return
  endif
  var run_id = RunIdOf(params)
  var run = get(runs, run_id, {})
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
      output.Clear(id, run_id, run.first_output)
    endif
    return
  endif
  if run.clear_pending
    run.clear_pending = false
    output.Clear(id, run_id, run.first_output)
  endif
  output.Output(id, run_id, msg_type, content)
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

# `jupyter/outputLimit`: said in the output window, and instead of a result inline.
export def OutputLimit(params: dict<any>)
  var run_id = RunIdOf(params)
  if has_key(runs, run_id)
    runs[run_id].limited = true
  endif
  var file = type(get(params, 'file', null)) == v:t_string ? ', whole output in ' .. params.file : ''
  output.Lines(params.kernelId, [$"-- output limit: {params.omittedBytes} bytes in {params.omittedMessages} messages left out{file} --"], run_id)
enddef

# A prompt and its answer, in the output of the run that asked (prompt.vim).
export def Echo(run_id: any, text: string)
  var run = type(run_id) == v:t_string ? get(runs, run_id, {}) : {}
  if !empty(run) && !empty(kernels.Get(run.kernel))
    output.Lines(run.kernel, [text], run_id)
  endif
enddef

defcompile
