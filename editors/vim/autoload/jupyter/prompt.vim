vim9script
# The kernel's prompts (input(), getpass()): a `jupyter/input` request from the bridge
# is asked at Vim's command line, answered, and echoed in the run's output. Escaping
# it answers with an error, which interrupts the kernel (docs/protocol.md, "Input").

import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/run.vim'

const CANCELLED = "\x01jupyter-cancelled\x01"

# jupyter/input requests the bridge withdrew ($/cancelRequest), by string(request id)
var cancelled: dict<bool> = {}

# `$/cancelRequest` from the bridge: the kernel no longer waits for that prompt.
export def Cancelled(id: any)
  cancelled[string(id)] = true
enddef

# Asks the user (from a timer: never inside a channel callback) unless the bridge
# withdrew the prompt before or while it was asked.
export def Ask(id: any, params: dict<any>)
  if Withdrawn(id)
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
  if Withdrawn(id)
    return
  endif
  var echo = ''
  if value ==# CANCELLED
    rpc.RespondError(id, -32800, 'the user cancelled the prompt')
    echo = prompt .. '(cancelled)'
  else
    rpc.Respond(id, {value: value})
    echo = prompt .. (password ? repeat('*', strchars(value)) : value)
  endif
  run.Echo(get(params, 'runId', null), echo)
enddef

def Withdrawn(id: any): bool
  if has_key(cancelled, string(id))
    remove(cancelled, string(id))
    return true
  endif
  return false
enddef

defcompile
