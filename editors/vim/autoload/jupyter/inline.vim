vim9script
# Results as virtual text (text properties) after the last line of each run:
# `[*]` while it runs, then `=> result`, or `!! Error: message`.

import autoload 'jupyter/util.vim'

const TYPES = {jupyter_running: 'JupyterRunning', jupyter_result: 'JupyterResult', jupyter_error: 'JupyterError'}

# Virtual text we placed, for jupyter#Results(): bufnr -> {string(prop id): text}
var texts: dict<dict<string>> = {}

def Setup()
  for [name, group] in items(TYPES)
    if empty(prop_type_get(name))
      prop_type_add(name, {highlight: group})
    endif
  endfor
enddef

def Enabled(): bool
  return util.Get('virtual_text', 1) != 0
enddef

# Clears earlier results in first..last and marks `lnum` as running.
# Returns a handle for Finish(): {bufnr, lnum, id}.
export def Start(bufnr: number, first: number, last: number, lnum: number): dict<any>
  var handle = {bufnr: bufnr, lnum: lnum, id: 0}
  if !Enabled() || !bufloaded(bufnr)
    return handle
  endif
  Setup()
  for name in keys(TYPES)
    prop_remove({type: name, bufnr: bufnr, all: true}, first, last)
  endfor
  handle.id = Add(bufnr, lnum, 'jupyter_running', '[*]')
  Prune(bufnr)
  return handle
enddef

# Replaces the running mark by the outcome; kind: 'result' or 'error'.
export def Finish(handle: dict<any>, kind: string, text: string)
  if !Enabled() || !bufloaded(handle.bufnr)
    return
  endif
  Setup()
  var lnum = handle.lnum
  if handle.id != 0
    var found = prop_list(1, {bufnr: handle.bufnr, end_lnum: -1, ids: [handle.id], types: ['jupyter_running']})
    if empty(found)
      return   # the line was deleted since
    endif
    lnum = found[0].lnum
    prop_remove({type: 'jupyter_running', bufnr: handle.bufnr, id: handle.id, both: true, all: true}, lnum)
    Forget(handle.bufnr, handle.id)
  endif
  if lnum > getbufinfo(handle.bufnr)[0].linecount
    return
  endif
  var prefix = kind ==# 'error' ? '!! ' : '=> '
  var width = util.Get('virtual_text_width', 80)
  Add(handle.bufnr, lnum, 'jupyter_' .. kind, prefix .. util.Truncate(text, width))
enddef

# [{lnum, type, text}] of the marks in a buffer, in line order (for users and tests:
# Vim 9.0's prop_list() does not return virtual text).
export def List(bufnr: number): list<dict<any>>
  Setup()
  var known = get(texts, string(bufnr), {})
  var out: list<dict<any>> = []
  for prop in prop_list(1, {bufnr: bufnr, end_lnum: -1, types: keys(TYPES)})
    out->add({lnum: prop.lnum, type: prop.type, text: get(known, string(prop.id), '')})
  endfor
  return out
enddef

def Add(bufnr: number, lnum: number, type: string, text: string): number
  var id = prop_add(lnum, 0, {bufnr: bufnr, type: type, text: '  ' .. text, text_align: 'after'})
  var key = string(bufnr)
  if !has_key(texts, key)
    texts[key] = {}
  endif
  texts[key][string(id)] = text
  return id
enddef

# Drops the texts of marks that are gone.
def Prune(bufnr: number)
  var key = string(bufnr)
  var alive: dict<string> = {}
  for prop in prop_list(1, {bufnr: bufnr, end_lnum: -1, types: keys(TYPES)})
    if has_key(texts[key], string(prop.id))
      alive[string(prop.id)] = texts[key][string(prop.id)]
    endif
  endfor
  texts[key] = alive
enddef

def Forget(bufnr: number, id: number)
  var key = string(bufnr)
  if has_key(texts, key) && has_key(texts[key], string(id))
    remove(texts[key], string(id))
  endif
enddef

defcompile
