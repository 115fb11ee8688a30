vim9script
# What the bridge sends unasked, each to the part of the plugin it is for:
# `jupyter/output` and `jupyter/outputLimit` to run.vim, `jupyter/status` here,
# `jupyter/input` and its `$/cancelRequest` to prompt.vim (docs/protocol.md).
#
# While an omni completion waits for its answer, text is locked: notifications are
# held then (Hold()) and handled in order once it is over (Release()).

import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/prompt.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/run.vim'
import autoload 'jupyter/util.vim'

var holding = false
var held: list<list<any>> = []

export def Notification(method: string, params: any)
  if holding
    held->add([method, params])
    return
  endif
  if type(params) != v:t_dict
    return
  endif
  if method ==# 'jupyter/output'
    run.Output(params)
  elseif method ==# 'jupyter/status'
    Status(params)
  elseif method ==# 'jupyter/outputLimit'
    run.OutputLimit(params)
  elseif method ==# '$/cancelRequest'
    prompt.Cancelled(params.id)
  endif
enddef

export def Request(id: any, method: string, params: any)
  if method ==# 'jupyter/input' && type(params) == v:t_dict
    timer_start(0, (_) => prompt.Ask(id, params))
  else
    rpc.RespondError(id, -32601, 'method not found: ' .. method)
  endif
enddef

export def Hold()
  holding = true
enddef

export def Release()
  holding = false
  var queued = held
  held = []
  for [method, params] in queued
    Notification(method, params)
  endfor
enddef

# `jupyter/status`: the kernel's state for statuslines (and User JupyterStatus); a
# death nobody asked for is said, with the bridge's reason.
def Status(params: dict<any>)
  var id = params.kernelId
  var state = params.executionState
  var kernel = kernels.SetState(id, state)
  if empty(kernel)
    return
  endif
  var reason = has_key(params, 'reason') ? ': ' .. params.reason : ''
  if state ==# 'dead' && !kernels.EndExpected(kernel)
    output.Note(id, 'kernel died' .. reason)
    util.Error($'kernel {kernel.name} died' .. reason .. ' (:JupyterRestart)')
  elseif state ==# 'restarting'
    output.Note(id, 'kernel restarting')
  endif
  redrawstatus!
  if exists('#User#JupyterStatus')
    doautocmd <nomodeline> User JupyterStatus
  endif
enddef

defcompile
