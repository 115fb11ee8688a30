vim9script
# kernel-bridge for Vim: the functions `:help jupyter-statusline` documents, for
# statuslines, scripts and 'omnifunc'. The plugin's parts live in autoload/jupyter/,
# one job a file; plugin/jupyter.vim says which command lands where.

import autoload 'jupyter/bridge.vim'
import autoload 'jupyter/complete.vim'
import autoload 'jupyter/inline.vim'
import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/lifecycle.vim'
import autoload 'jupyter/output.vim'

# "python3: idle" for the current (or given) buffer's kernel; "" without one.
export def Status(buf: any = '%'): string
  var bufnr = bufnr(buf)
  if lifecycle.Starting(bufnr)
    return 'kernel: starting'
  endif
  var id = kernels.Of(bufnr)
  return id == '' ? '' : $'{kernels.Get(id).name}: {kernels.Get(id).state}'
enddef

# The current (or given) buffer's kernel: {id, name, language, state, owned}, or {}.
export def Kernel(buf: any = '%'): dict<any>
  var id = kernels.Of(bufnr(buf))
  return id == '' ? {} : copy(kernels.Get(id))
enddef

# The virtual text marks in a buffer: [{lnum, type, text}].
export def Results(buf: any = '%'): list<dict<any>>
  return inline.List(bufnr(buf))
enddef

export def OutputBufnr(buf: any = '%'): number
  var id = kernels.Of(bufnr(buf))
  return id == '' ? -1 : output.Bufnr(id)
enddef

# 'omnifunc' of bound buffers: matches from the live kernel (complete.vim).
export def Complete(findstart: number, base: string): any
  return complete.Omni(findstart, base)
enddef

# The bridge's process id, 0 when it does not run.
export def BridgePid(): number
  return bridge.Pid()
enddef
