vim9script
# Omni completion ('omnifunc', jupyter#Complete()) from the live kernel
# (`jupyter/complete`).

import autoload 'jupyter/code.vim'
import autoload 'jupyter/handlers.vim'
import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'

# The matches found by the findstart call, for the second call.
var completion: dict<any> = {}

# The kernel's answer is awaited (bounded by g:jupyter_complete_timeout ms, and cut
# short by a typed key); a busy kernel answers nothing at once, as its shell channel
# would only answer after the run.
export def Omni(findstart: number, base: string): any
  if !findstart
    return get(completion, 'items', [])
  endif
  completion = {}
  var id = kernels.Of(bufnr())
  if id == '' || !rpc.Running()
    return -3
  elseif kernels.Get(id).state ==# 'busy'
    util.Info('the kernel is busy: completion is back when it is idle')
    return -3
  endif
  var at = code.CodeAtCursor()
  var reply: dict<any> = {}
  # text is locked while we wait: notifications wait too (handlers.vim)
  handlers.Hold()
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
    timer_start(0, (_) => handlers.Release())
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

defcompile
