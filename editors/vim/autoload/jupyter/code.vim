vim9script
# What code to send: ranges, `# %%` cells, visual selections, dedent, and cursor
# offsets in Unicode code points (what Jupyter's cursor_pos counts).

import autoload 'jupyter/util.vim'

export def CellPattern(): string
  return util.Get('cell_pattern', '^\s*#\s*%%')
enddef

# [first, last] lines of the `# %%` cell around `lnum` (its marker line excluded).
# Without a marker above, the cell starts at line 1; it ends before the next marker.
export def CellRange(bufnr: number, lnum: number): list<number>
  var pattern = CellPattern()
  var lines = getbufline(bufnr, 1, '$')
  var first = 1
  var i = lnum
  while i >= 1
    if lines[i - 1] =~ pattern
      first = i + 1
      break
    endif
    i -= 1
  endwhile
  var last = len(lines)
  i = max([lnum + 1, first])
  while i <= len(lines)
    if lines[i - 1] =~ pattern
      last = i - 1
      break
    endif
    i += 1
  endwhile
  return [first, last]
enddef

# The last line in first..last that is not blank (where a result is shown), else last.
export def LastCodeLine(bufnr: number, first: number, last: number): number
  var lines = getbufline(bufnr, first, last)
  var i = len(lines) - 1
  while i >= 0
    if lines[i] !~ '^\s*$'
      return first + i
    endif
    i -= 1
  endwhile
  return last
enddef

# Removes the indentation every non-blank line shares, so a block copied from inside a
# function runs at top level. Trailing blank lines are dropped.
export def Dedent(lines: list<string>): list<string>
  var common: any = null
  for line in lines
    if line =~ '^\s*$'
      continue
    endif
    var indent = matchstr(line, '^\s*')
    if type(common) == v:t_none
      common = indent
    else
      var n = 0
      while n < len(common) && n < len(indent) && common[n] == indent[n]
        n += 1
      endwhile
      common = strpart(common, 0, n)
    endif
  endfor
  var out = copy(lines)
  if type(common) != v:t_none && common != ''
    var width = len(common)
    out = out->mapnew((_, l) => l =~ '^\s*$' ? '' : strpart(l, width))
  endif
  while !empty(out) && out[-1] =~ '^\s*$'
    remove(out, -1)
  endwhile
  return out
enddef

# The text of the last visual selection ('v', 'V' or CTRL-V), through a yank into a
# register (exact for every mode, `$` blocks and multibyte text), restoring registers.
# A characterwise selection that starts after the line's indentation gets that
# indentation back, so Dedent() sees the block as it is in the file.
export def Selection(mode: string): list<string>
  var saved_z = getreginfo('z')
  var saved_unnamed = getreginfo('"')
  try
    silent normal! gv"zy
    var lines = getreg('z', 1, true)
    var start = getpos("'<")
    if mode ==# 'v' && !empty(lines)
      var before = strpart(getline(start[1]), 0, start[2] - 1)
      if before =~ '^\s\+$'
        lines[0] = before .. lines[0]
      endif
    endif
    return lines
  finally
    setreg('z', saved_z)
    setreg('"', saved_unnamed)
  endtry
  return []
enddef

# The `code` and `cursorPos` (code points) for a request about the cursor position:
# the cell around the cursor, up to the end of the cell.
export def CodeAtCursor(): dict<any>
  var lnum = line('.')
  var [first, last] = CellRange(bufnr(), lnum)
  if lnum < first
    first = lnum
  endif
  var lines = getline(first, max([last, lnum]))
  var before = lnum > first ? strchars(join(lines[: lnum - first - 1], "\n")) + 1 : 0
  var col = charidx(getline(lnum), col('.') - 1)
  if col < 0
    col = strchars(getline(lnum))
  endif
  return {code: join(lines, "\n"), cursorPos: before + col, lineStart: before, lnum: lnum}
enddef

defcompile
