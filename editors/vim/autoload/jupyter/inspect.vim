vim9script
# Object inspection of the name under the cursor (`jupyter/inspect`), in a popup:
# :JupyterInspect, and `K` in bound buffers.

import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'

var popup = 0

# A busy kernel would only answer after its run, when the cursor is elsewhere: so
# while it is busy this says so at once and asks nothing, and an answer that comes
# after the cursor moved (the kernel became busy meanwhile) is dropped; an error is
# still said.
export def Inspect()
  var id = kernels.Current()
  if id == ''
    return
  elseif kernels.Get(id).state ==# 'busy'
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
      Show(output.RichText(resp.result))
    endif
  })
enddef

# Where `K` was pressed: the window, the cursor and the buffer's text.
def InspectedAt(): list<any>
  return [win_getid(), getcurpos(), b:changedtick, mode()]
enddef

def Show(lines: list<string>)
  popup_close(popup)
  popup = popup_atcursor(lines, {
    border: [], padding: [0, 1, 0, 1], moved: 'any', close: 'click',
    maxheight: util.Get('popup_maxheight', 20), maxwidth: util.Get('popup_maxwidth', 80),
    scrollbar: 1, filter: ScrollFilter, highlight: 'JupyterPopup'})
enddef

# <C-d>/<C-u> scroll the popup; every other key goes on as usual.
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

defcompile
