vim9script
# Messages to the user, and small text helpers with no state.

export def Error(msg: string)
  echohl ErrorMsg
  echomsg 'jupyter: ' .. msg
  echohl None
enddef

export def Info(msg: string)
  echomsg 'jupyter: ' .. msg
enddef

# A JSON-RPC error object as one line: "unknown kernelspec 'x' … (-32013)".
export def ErrorText(error: any): string
  if type(error) != v:t_dict
    return string(error)
  endif
  return $"{get(error, 'message', 'error')} ({get(error, 'code', '?')})"
enddef

# Removes ANSI escape sequences (colours in tracebacks and docstrings).
export def StripAnsi(text: string): string
  return substitute(text, '\e\[[0-9;?]*[ -/]*[@-~]\|\e[@-Z\\-_]', '', 'g')
enddef

# Text split into lines; a final newline does not make an empty last line.
export def Lines(text: string): list<string>
  var lines = split(text, "\n", true)
  if len(lines) > 1 && lines[-1] == ''
    remove(lines, -1)
  endif
  return lines
enddef

# `text` cut to `width` display cells, with an ellipsis when cut.
export def Truncate(text: string, width: number): string
  if strdisplaywidth(text) <= width
    return text
  endif
  var out = ''
  for ch in split(text, '\zs')
    if strdisplaywidth(out .. ch) > width - 1
      break
    endif
    out ..= ch
  endfor
  return out .. '…'
enddef

# The lines of the :JupyterConnect picker for `jupyter/listRunningKernels` entries:
# "1. kernel-5979.json  python3  2024-05-01 10:23:45 UTC  alive", columns aligned.
export def RunningKernelLines(found: list<dict<any>>): list<string>
  var rows = found->mapnew((i, k) => [$'{i + 1}.', fnamemodify(get(k, 'connectionFile', '?'), ':t'),
    type(get(k, 'kernelName', null)) == v:t_string ? k.kernelName : '?',
    substitute(get(k, 'startTime', ''), '^\([0-9-]\+\)T\(\d\d:\d\d:\d\d\).*', '\1 \2 UTC', ''),
    get(k, 'alive', false) ? 'alive' : 'not responding'])
  var widths = [0, 0, 0, 0]
  for row in rows
    for i in range(4)
      widths[i] = max([widths[i], strdisplaywidth(row[i])])
    endfor
  endfor
  return rows->mapnew((_, row) => range(4)->mapnew((_, i) => row[i] .. repeat(' ', widths[i] - strdisplaywidth(row[i])))
    ->join('  ') .. '  ' .. row[4])
enddef

# The buffer's file as an LSP document URI ("file:///tmp/a%20b.py"), the `uri` of its
# runs; "" for a buffer that is not a file.
export def Uri(bufnr: number): string
  var name = bufname(bufnr)
  if name == '' || getbufvar(bufnr, '&buftype') != ''
    return ''
  endif
  return 'file://' .. substitute(fnamemodify(name, ':p'), '[^A-Za-z0-9/._~-]',
    (m) => range(strlen(m[0]))->mapnew((_, i) => printf('%%%02X', char2nr(strpart(m[0], i, 1))))->join(''), 'g')
enddef

export def Get(name: string, default: any): any
  return get(b:, 'jupyter_' .. name, get(g:, 'jupyter_' .. name, default))
enddef

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

# The first `count` bytes that base64 `text` encodes (enough to read an image header).
export def Base64Bytes(text: string, count: number): list<number>
  var bytes: list<number> = []
  var bits = 0
  var nbits = 0
  var head = strpart(text, 0, (count + 2) / 3 * 8 + 16)
  for ch in split(substitute(head, '[^A-Za-z0-9+/]', '', 'g'), '\zs')
    bits = and(bits * 64 + stridx(B64, ch), 0xffffff)
    nbits += 6
    if nbits >= 8
      nbits -= 8
      bytes->add(and(bits / float2nr(pow(2, nbits)), 255))
      if len(bytes) >= count
        break
      endif
    endif
  endfor
  return bytes
enddef

defcompile
