vim9script
# The output window: one scratch buffer per kernel, showing each run's input and its
# outputs as they stream in, errors with their traceback (ANSI stripped), rich outputs
# by name, and what other clients of the kernel ran.
#
# Text is only ever appended, except clear_output of the last block; a stream line
# left open (no newline yet) is continued by the next text of the same writer.

import autoload 'jupyter/util.vim'

# kernelId -> {bufnr, name, writer, open, cr, gone}
#   writer: who wrote the last line ('' none, a run id, 'other')
#   open: the last line is an unfinished stream line of `writer`
#   cr: that line ended with a carriage return (the next text overwrites it)
#   gone: the kernel was stopped or detached (see Gone())
var views: dict<dict<any>> = {}
var scroll_timer = 0

export def Create(kernel_id: string, title: string, banner: list<string>)
  var view = View(kernel_id, title)
  Append(view, banner, '')
enddef

export def Bufnr(kernel_id: string): number
  var view = Find(kernel_id)
  return empty(view) ? -1 : view.bufnr
enddef

# Shows the kernel's output window (if it is not visible in this tab), without moving
# the cursor. `g:jupyter_output_position`: an Ex modifier ('botright', 'vertical
# botright', 'topleft', …) or 'none'.
export def Show(kernel_id: string, force: bool = false)
  var view = Find(kernel_id)
  if empty(view) || view.gone
    return
  endif
  var position = util.Get('output_position', 'botright')
  if position ==# 'none' && !force
    return
  endif
  if !empty(win_findbuf(view.bufnr)->filter((_, w) => win_id2tabwin(w)[0] == tabpagenr()))
    return
  endif
  var here = win_getid()
  # the window of a kernel that is gone (stopped, detached) is reused, not piled up
  var reused = GoneWindows()
  if !empty(reused)
    win_gotoid(reused[0])
    # the gone kernel's buffer leaves its last window: wiped ('bufhidden', Gone())
    execute $'keepalt keepjumps buffer {view.bufnr}'
  else
    var size = util.Get('output_size', 0)
    var modifier = position ==# 'none' ? 'botright' : position
    execute $'keepalt keepjumps {modifier} sbuffer {view.bufnr}'
    if size > 0
      execute (modifier =~# 'vert' ? 'vertical ' : '') .. 'resize ' .. size
    endif
  endif
  normal! G
  win_gotoid(here)
enddef

# The kernel is gone: its output stays readable where it is shown, until the next
# kernel's output takes over that window (and then it is wiped: one such buffer a
# window, not one a kernel ever started).
export def Gone(kernel_id: string)
  var view = Find(kernel_id)
  if empty(view)
    return
  endif
  view.gone = true
  setbufvar(view.bufnr, '&bufhidden', 'wipe')
  if empty(win_findbuf(view.bufnr))
    execute $'silent! bwipeout {view.bufnr}'
    remove(views, kernel_id)
  endif
enddef

# A new kernel takes over the window of a gone kernel's output, if this tab has one.
export def Adopt(kernel_id: string)
  if !empty(GoneWindows())
    Show(kernel_id)
  endif
enddef

# The windows of this tab showing the output of a kernel that is gone.
def GoneWindows(): list<number>
  var found: list<number> = []
  for w in gettabinfo(tabpagenr())[0].windows
    var owner = getbufvar(winbufnr(w), 'jupyter_output_of', '')
    if owner != '' && get(get(views, owner, {}), 'gone', true)
      found->add(w)
    endif
  endfor
  return found
enddef

export def Toggle(kernel_id: string)
  var view = Find(kernel_id)
  if empty(view)
    return
  endif
  var wins = win_findbuf(view.bufnr)
  if empty(wins)
    Show(kernel_id, true)
  else
    for w in wins
      win_execute(w, 'silent! close')
    endfor
  endif
enddef

# The echo of a run's code; returns the header line (updated by EndRun()).
export def BeginRun(kernel_id: string, run_id: string, code: string): number
  var view = Find(kernel_id)
  if empty(view)
    return 0
  endif
  var lines = split(code, "\n", true)
  var max_lines = util.Get('echo_max_lines', 30)
  var echo = ['In [*]: ' .. lines[0]] + lines[1 : max_lines - 1]->mapnew((_, l) => '   ...: ' .. l)
  if len(lines) > max_lines
    echo->add($'   ...: ({len(lines) - max_lines} more lines)')
  endif
  Append(view, echo, run_id)
  return LineCount(view) - len(echo) + 1
enddef

export def EndRun(kernel_id: string, header: number, count: any)
  var view = Find(kernel_id)
  if empty(view) || type(count) != v:t_number || header < 1
    return
  endif
  var line = get(getbufline(view.bufnr, header), 0, '')
  if line =~# '^In \[\*\]: '
    SetLine(view, header, $'In [{count}]: ' .. strpart(line, 8))
  endif
enddef

# One iopub output (a `jupyter/output` notification's msgType and content).
# `writer` is the run id, or 'other' for another client's traffic.
export def Output(kernel_id: string, writer: string, msg_type: string, content: dict<any>)
  var view = Find(kernel_id)
  if empty(view)
    return
  endif
  var prefix = writer ==# 'other' ? '[other] ' : ''
  if msg_type ==# 'stream'
    Stream(view, writer, prefix, get(content, 'text', ''))
  elseif msg_type ==# 'execute_input'
    var code = split(get(content, 'code', ''), "\n", true)
    var count = get(content, 'execution_count', '?')
    Append(view, [$'{prefix}In [{count}]: ' .. code[0]] + code[1 :]->mapnew((_, l) => prefix .. '   ...: ' .. l), writer)
  elseif msg_type ==# 'execute_result'
    var text = RichText(content)
    text[0] = $"Out[{get(content, 'execution_count', '?')}]: " .. text[0]
    Append(view, text->mapnew((_, l) => prefix .. l), writer)
  elseif msg_type ==# 'display_data' || msg_type ==# 'update_display_data'
    var text = RichText(content)
    if msg_type ==# 'update_display_data'
      text[0] = '(display updated) ' .. text[0]
    endif
    Append(view, text->mapnew((_, l) => prefix .. l), writer)
  elseif msg_type ==# 'error'
    Append(view, Traceback(content)->mapnew((_, l) => prefix .. l), writer)
  endif
enddef

# The lines an error shows: its traceback (ANSI stripped), or "ename: evalue".
export def Traceback(content: dict<any>): list<string>
  var lines: list<string> = []
  for entry in get(content, 'traceback', [])
    lines += util.Lines(util.StripAnsi(entry))
  endfor
  if empty(lines)
    lines = [$"{get(content, 'ename', 'Error')}: {get(content, 'evalue', '')}"]
  endif
  return lines
enddef

export def Note(kernel_id: string, text: string)
  Lines(kernel_id, ['-- ' .. text .. ' --'], '')
enddef

export def Lines(kernel_id: string, lines: list<string>, writer: string)
  var view = Find(kernel_id)
  if !empty(view)
    Append(view, lines, writer)
  endif
enddef

# clear_output for a run: its block is removed if it is the last one in the buffer
# (lines of other writers after it are never touched).
export def Clear(kernel_id: string, run_id: string, first: number)
  var view = Find(kernel_id)
  if empty(view) || view.writer !=# run_id || first < 1 || first > LineCount(view)
    return
  endif
  setbufvar(view.bufnr, '&modifiable', 1)
  deletebufline(view.bufnr, first, '$')
  setbufvar(view.bufnr, '&modifiable', 0)
  view.open = false
enddef

export def LineCount(view: dict<any>): number
  return getbufinfo(view.bufnr)[0].linecount
enddef

export def NextLine(kernel_id: string): number
  var view = Find(kernel_id)
  if empty(view)
    return 0
  endif
  return view.open ? LineCount(view) : LineCount(view) + 1
enddef

# Text for a display_data / execute_result bundle: text/plain if there is one, else each
# representation named, with image sizes when known: `<image/png 640x480>`.
export def RichText(content: dict<any>): list<string>
  var data = get(content, 'data', {})
  if has_key(data, 'text/plain')
    return util.Lines(util.StripAnsi(data['text/plain']))
  endif
  var names: list<string> = []
  for [mime, value] in items(data)
    names->add('<' .. mime .. Size(mime, value, get(get(content, 'metadata', {}), mime, {})) .. '>')
  endfor
  return empty(names) ? ['<empty output>'] : [join(names, ' ')]
enddef

def Size(mime: string, value: any, meta: any): string
  if type(meta) == v:t_dict && has_key(meta, 'width') && has_key(meta, 'height')
    return $' {meta.width}x{meta.height}'
  endif
  if type(value) != v:t_string
    return ''
  endif
  if mime ==# 'image/png'
    var header = util.Base64Bytes(value, 24)
    if len(header) == 24 && header[1 : 3] == [0x50, 0x4e, 0x47]
      return $' {BigEndian(header[16 : 19])}x{BigEndian(header[20 : 23])}'
    endif
  elseif mime ==# 'image/gif'
    var header = util.Base64Bytes(value, 10)
    if len(header) == 10
      return $' {header[6] + header[7] * 256}x{header[8] + header[9] * 256}'
    endif
  endif
  return mime =~# '^image/' ? '' : $' {strlen(value)} bytes'
enddef

def BigEndian(bytes: list<number>): number
  var n = 0
  for b in bytes
    n = n * 256 + b
  endfor
  return n
enddef

def Stream(view: dict<any>, writer: string, prefix: string, text: string)
  if text == ''
    return
  endif
  var segments = split(text, "\n", true)
  var lines: list<string> = []
  var continuing = view.open && view.writer ==# writer
  var current = continuing ? getbufline(view.bufnr, '$')[0] : ''
  var cr = continuing ? view.cr : false
  if !continuing
    current = prefix
  endif
  for i in range(len(segments))
    if i > 0
      lines->add(current)
      current = prefix
      cr = false
    endif
    var pieces = split(segments[i], "\r", true)
    for j in range(len(pieces))
      if j > 0
        cr = true
      endif
      if pieces[j] != ''
        current = (cr ? prefix : current) .. pieces[j]
        cr = false
      endif
    endfor
  endfor
  var open = segments[-1] != ''
  if open
    lines->add(current)
  endif
  if continuing && !empty(lines)
    SetLine(view, LineCount(view), lines[0])
    remove(lines, 0)
  endif
  if !empty(lines)
    Append(view, lines, writer)
  endif
  view.open = open
  view.cr = cr
  view.writer = writer
enddef

# The view of a kernel Create() was called for, its buffer made again if the user
# wiped it; {} for any other kernel, and for a gone kernel once its buffer is wiped.
def Find(kernel_id: string): dict<any>
  if !has_key(views, kernel_id)
    return {}
  elseif views[kernel_id].gone && !bufexists(views[kernel_id].bufnr)
    remove(views, kernel_id)
    return {}
  endif
  return View(kernel_id, '')
enddef

def View(kernel_id: string, title: string): dict<any>
  if !has_key(views, kernel_id)
    views[kernel_id] = {bufnr: -1, name: title, writer: '', open: false, cr: false, gone: false}
  endif
  var view = views[kernel_id]
  if !bufexists(view.bufnr)
    view.bufnr = bufadd($'jupyter://{view.name}/{kernel_id}')
    # a scratch buffer before it is loaded, so that nothing is read for its name
    setbufvar(view.bufnr, '&buftype', 'nofile')
    setbufvar(view.bufnr, '&swapfile', 0)
    bufload(view.bufnr)
    for [option, value] in items({bufhidden: 'hide', buflisted: 0, modifiable: 0,
        undolevels: -1, filetype: 'jupyteroutput'})
      setbufvar(view.bufnr, '&' .. option, value)
    endfor
    setbufvar(view.bufnr, 'jupyter_output_of', kernel_id)
    view.writer = ''
    view.open = false
  endif
  return view
enddef

def Append(view: dict<any>, lines: list<string>, writer: string)
  if empty(lines)
    return
  endif
  setbufvar(view.bufnr, '&modifiable', 1)
  if LineCount(view) == 1 && getbufline(view.bufnr, 1) == [''] && view.writer == ''
    setbufline(view.bufnr, 1, lines)
  else
    appendbufline(view.bufnr, '$', lines)
  endif
  setbufvar(view.bufnr, '&modifiable', 0)
  view.writer = writer
  view.open = false
  ScrollSoon()
enddef

def SetLine(view: dict<any>, lnum: number, text: string)
  setbufvar(view.bufnr, '&modifiable', 1)
  setbufline(view.bufnr, lnum, text)
  setbufvar(view.bufnr, '&modifiable', 0)
  ScrollSoon()
enddef

# Output windows follow their end, at most once per timer tick whatever the output
# rate; not the window the cursor is in (the user may be reading it).
def ScrollSoon()
  if scroll_timer == 0
    scroll_timer = timer_start(30, (_) => Scroll())
  endif
enddef

def Scroll()
  scroll_timer = 0
  for view in values(views)
    for w in win_findbuf(view.bufnr)
      if w != win_getid()
        win_execute(w, 'normal! G')
      endif
    endfor
  endfor
enddef

defcompile
