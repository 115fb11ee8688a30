vim9script
# The variables window: one scratch buffer per kernel listing its user namespace
# (`jupyter/variables`) as a table, refreshed after each run while it is open. It is
# only ever written with setbufline()/deletebufline(): a refresh never moves the
# cursor nor changes the current window.

import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'

# kernelId -> {bufnr, name, seq, items, error, note, gone}
#   seq: the newest request sent (the answers to older ones are dropped)
#   items: the last list from the kernel (null before the first); error: the last
#   error instead; note: a last line; gone: the kernel was stopped or detached
var views: dict<dict<any>> = {}
var resizing = false

export def Bufnr(kernel_id: string): number
  return has_key(views, kernel_id) && bufexists(views[kernel_id].bufnr) ? views[kernel_id].bufnr : -1
enddef

# Shows the kernel's variables window (if it is not visible in this tab), without
# moving the cursor, and refreshes it. `g:jupyter_variables_position`: an Ex modifier.
# The window of a kernel that is gone (stopped, detached) is reused, not piled up.
export def Open(kernel_id: string, title: string)
  var bufnr = Buffer(kernel_id, title)
  if empty(win_findbuf(bufnr)->filter((_, w) => win_id2tabwin(w)[0] == tabpagenr()))
    var here = win_getid()
    var reused = GoneWindows()
    if !empty(reused)
      win_gotoid(reused[0])
      # the gone kernel's buffer leaves its last window: wiped ('bufhidden')
      execute $'keepalt keepjumps buffer {bufnr}'
    else
      var modifier = util.Get('variables_position', 'vertical botright')
      execute $'keepalt keepjumps {modifier} sbuffer {bufnr}'
      var size = util.Get('variables_size', 0)
      if size > 0
        execute (modifier =~# 'vert' ? 'vertical ' : '') .. 'resize ' .. size
      endif
    endif
    setlocal nowrap nonumber norelativenumber nolist nospell foldcolumn=0 signcolumn=no
    if !exists('b:jupyter_variables_mapped')
      b:jupyter_variables_mapped = 1
      nnoremap <buffer> <nowait> <silent> q <Cmd>bwipeout<CR>
      execute $'nnoremap <buffer> <nowait> <silent> R <Cmd>call jupyter#variables#Refresh("{kernel_id}")<CR>'
    endif
    win_gotoid(here)
  endif
  Refresh(kernel_id)
enddef

# A new kernel takes over the window of a gone kernel's variables, if this tab has
# one (after :JupyterStop and :JupyterStart, the window follows).
export def Adopt(kernel_id: string, title: string)
  if !empty(GoneWindows())
    # Called by name, so that Adopt() compiles without Open(): compiling Open() in
    # the startKernel callback left Vim 9.0.1378 in a terminal swallowing the next
    # typed key and not redrawing until then (seen in tmux, cause not pinned down).
    # Open() made that window earlier: it is compiled already when this runs.
    call('jupyter#variables#Open', [kernel_id, title])
  endif
enddef

def GoneWindows(): list<number>
  var found: list<number> = []
  for w in gettabinfo(tabpagenr())[0].windows
    var owner = getbufvar(winbufnr(w), 'jupyter_variables_of', '')
    if owner != '' && get(get(views, owner, {}), 'gone', true)
      found->add(w)
    endif
  endfor
  return found
enddef

# Asks the kernel again, if its variables window is open (after a run, a restart).
export def Changed(kernel_id: string)
  if Bufnr(kernel_id) > 0
    Refresh(kernel_id)
  endif
enddef

export def Refresh(kernel_id: string)
  if Bufnr(kernel_id) < 0
    return
  endif
  var view = views[kernel_id]
  view.seq += 1
  if !rpc.Running()
    view.error = 'the bridge is not running'
    Render(kernel_id)
    return
  endif
  var seq = view.seq
  rpc.Request('jupyter/variables', {kernelId: kernel_id}, (resp) => {
    if Bufnr(kernel_id) < 0 || views[kernel_id].seq != seq
      return
    endif
    var v = views[kernel_id]
    if has_key(resp, 'error')
      v.error = util.ErrorText(resp.error)
    else
      v.error = ''
      v.note = ''
      v.items = type(resp.result) == v:t_list ? resp.result : []
    endif
    Render(kernel_id)
  })
enddef

# The kernel is gone (stopped, detached, the bridge exited): says so in its window.
export def Gone(kernel_id: string, why: string)
  if Bufnr(kernel_id) > 0
    views[kernel_id].seq += 1
    views[kernel_id].note = why
    views[kernel_id].gone = true
    Render(kernel_id)
  endif
enddef

# Writes the buffer again from what the kernel last said (also when a window resizes).
export def Render(kernel_id: string)
  if Bufnr(kernel_id) < 0
    return
  endif
  var v = views[kernel_id]
  var lines = v.error != '' ? ['!! ' .. v.error]
    : type(v.items) != v:t_list ? ['(asking the kernel…)']
    : Table(v.items, Width(v.bufnr))
  Fill(v.bufnr, lines + (v.note != '' ? ['-- ' .. v.note .. ' --'] : []))
enddef

export def RenderAll()
  for id in keys(views)
    Render(id)
  endfor
enddef

# The table: a header, then one line per variable (name, type, size or shape,
# summary), columns aligned, each line cut to `width` cells.
export def Table(items: list<dict<any>>, width: number): list<string>
  if empty(items)
    return ['(no variables)']
  endif
  var rows = [['NAME', 'TYPE', 'SIZE', 'VALUE']]
  for item in items
    rows->add([Plain(get(item, 'name', '?')), Plain(get(item, 'type', '')), Size(item),
      Plain(get(item, 'summary', ''))])
  endfor
  var widths = [0, 0, 0]
  for row in rows
    for i in range(3)
      widths[i] = max([widths[i], strdisplaywidth(row[i])])
    endfor
  endfor
  var lines: list<string> = []
  for row in rows
    var line = ''
    for i in range(3)
      line ..= row[i] .. repeat(' ', widths[i] - strdisplaywidth(row[i]) + 2)
    endfor
    lines->add(util.Truncate(line .. row[3], width))
  endfor
  return lines
enddef

# "3×4" for a shape, the length for a sized value, else "".
def Size(item: dict<any>): string
  var shape = get(item, 'shape', null)
  if type(shape) == v:t_list
    return shape->mapnew((_, n) => string(n))->join('×')
  endif
  var size = get(item, 'size', null)
  return type(size) == v:t_number ? string(size) : ''
enddef

# One line of text: a string as it is (not quoted), newlines and runs of blanks as one space.
def Plain(value: any): string
  var text = type(value) == v:t_string ? value : type(value) == v:t_none ? '' : string(value)
  return substitute(trim(text), '[[:space:][:cntrl:]]\+', ' ', 'g')
enddef

def Width(bufnr: number): number
  var wins = win_findbuf(bufnr)
  return max([20, empty(wins) ? &columns : winwidth(wins[0])])
enddef

def Buffer(kernel_id: string, title: string): number
  if Bufnr(kernel_id) > 0
    return views[kernel_id].bufnr
  endif
  var bufnr = bufadd($'jupyter-variables://{title}/{kernel_id}')
  setbufvar(bufnr, '&buftype', 'nofile')
  setbufvar(bufnr, '&swapfile', 0)
  bufload(bufnr)
  for [option, value] in items({bufhidden: 'wipe', buflisted: 0, modifiable: 0,
      undolevels: -1, filetype: 'jupytervariables'})
    setbufvar(bufnr, '&' .. option, value)
  endfor
  setbufvar(bufnr, 'jupyter_variables_of', kernel_id)
  Fill(bufnr, ['(asking the kernel…)'])
  execute $'autocmd jupyter BufWipeout <buffer={bufnr}> ++once call jupyter#variables#Forget("{kernel_id}")'
  if !resizing
    # the table fits its window: laid out again when a window (or Vim) is resized
    resizing = true
    autocmd jupyter VimResized * call jupyter#variables#RenderAll()
    if exists('##WinResized')
      autocmd jupyter WinResized * call jupyter#variables#RenderAll()
    endif
  endif
  views[kernel_id] = {bufnr: bufnr, name: title, seq: 0, items: null, error: '', note: '', gone: false}
  return bufnr
enddef

export def Forget(kernel_id: string)
  if has_key(views, kernel_id)
    remove(views, kernel_id)
  endif
enddef

def Fill(bufnr: number, lines: list<string>)
  setbufvar(bufnr, '&modifiable', 1)
  if getbufinfo(bufnr)[0].linecount > len(lines)
    deletebufline(bufnr, len(lines) + 1, '$')
  endif
  setbufline(bufnr, 1, lines)
  setbufvar(bufnr, '&modifiable', 0)
enddef

defcompile
