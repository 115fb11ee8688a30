vim9script
# Helpers for the Vim test drivers (tests/editors/vim/harness.py writes each driver:
# it imports this file, runs the test body in Run(), and reads what Done() wrote).

# What the test body records for the Python side (written as JSON by Run()).
export var out: dict<any> = {}

export def Setup()
  execute 'set runtimepath^=' .. fnameescape($KB_VIM_PLUGIN)
  runtime plugin/jupyter.vim
  g:jupyter_bridge_cmd = [$KB_BRIDGE]
  set shortmess-=F
enddef

# Waits (letting channel callbacks run) until Cond() is true; the timeout only stops a
# hang: it is not a speed assertion.
export def Wait(Cond: func(): bool, what: string, timeout_s: number = 60)
  var waited = 0
  while !Cond()
    if waited >= timeout_s * 1000
      throw 'timed out waiting for ' .. what
    endif
    sleep 20m
    waited += 20
  endwhile
enddef

# The marks of a buffer once none is running any more.
export def WaitResults(what: string, count: number = 1): list<dict<any>>
  Wait(() => len(jupyter#Results()) >= count
    && empty(filter(jupyter#Results(), (_, r) => r.type ==# 'jupyter_running')), what)
  return jupyter#Results()
enddef

export def WaitStarted()
  Wait(() => jupyter#Status() =~# ': idle$', 'the kernel to start')
enddef

export def OutputLines(): list<string>
  return getbufline(jupyter#OutputBufnr(), 1, '$')
enddef

# Runs the test body; whatever happens, writes `out` (with any exception and the
# messages) to $KB_VIM_OUT and quits (the plugin's VimLeavePre then stops the bridge).
export def Run(Body: func())
  try
    Body()
  catch
    out.exception = v:exception .. ' at ' .. v:throwpoint
  endtry
  out.messages = split(execute('messages'), "\n")
  out.bridge_pid = jupyter#BridgePid()
  writefile([json_encode(out)], $KB_VIM_OUT)
  qa!
enddef

# Edits `file` and starts its kernel (:JupyterStart), waiting until it is ready.
export def Start(file: string)
  execute 'edit ' .. fnameescape(file)
  JupyterStart
  WaitStarted()
enddef

# The last message matching `pattern`, once there is one.
export def WaitMessage(pattern: string): string
  var Matching = () => filter(split(execute('messages'), "\n"), (_, m) => m =~ pattern)
  Wait(() => !empty(Matching()), 'a message matching ' .. pattern)
  return Matching()[-1]
enddef
