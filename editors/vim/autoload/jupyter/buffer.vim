vim9script
# A buffer's binding to a kernel (b:jupyter_kernel) and the buffer-local settings that
# follow it: 'omnifunc', `K` and the default mappings.

import autoload 'jupyter/util.vim'

const MAPPINGS = [
  ['n', '<LocalLeader>r', '<Plug>(JupyterRunLine)'],
  ['x', '<LocalLeader>r', '<Plug>(JupyterRunSelection)'],
  ['n', '<LocalLeader>c', '<Plug>(JupyterRunCell)'],
  ['n', '<LocalLeader>f', '<Plug>(JupyterRunFile)'],
  ['n', '<LocalLeader>i', '<Plug>(JupyterInterrupt)'],
  ['n', '<LocalLeader>o', '<Plug>(JupyterOutput)'],
]

export def Bind(bufnr: number, id: string)
  setbufvar(bufnr, 'jupyter_kernel', id)
  SetupIn(bufnr)
enddef

export def Unbind(bufnr: number)
  var vars = getbufvar(bufnr, '')
  if type(vars) == v:t_dict && has_key(vars, 'jupyter_kernel')
    remove(vars, 'jupyter_kernel')
    SetupIn(bufnr)
  endif
enddef

# Runs Setup() in that buffer: now if it is current or in a window, else when it is
# entered next (plugin/jupyter.vim's BufEnter autocommand).
def SetupIn(bufnr: number)
  if bufnr == bufnr()
    Setup()
  elseif bufwinid(bufnr) > 0
    win_execute(bufwinid(bufnr), 'call jupyter#buffer#Setup()')
  else
    setbufvar(bufnr, 'jupyter_needs_setup', 1)
  endif
enddef

# Brings the current buffer's local settings in line with its binding: a bound buffer
# gets 'omnifunc' and `K`, an unbound one gets back what it had; both get the default
# mappings (g:jupyter_no_mappings). Also run for the filetypes in g:jupyter_filetypes.
export def Setup()
  if exists('b:jupyter_needs_setup')
    unlet b:jupyter_needs_setup
  endif
  var bound = get(b:, 'jupyter_kernel', '') != ''
  if bound && util.Get('set_omnifunc', 1) && !exists('b:jupyter_saved_omnifunc')
    b:jupyter_saved_omnifunc = &l:omnifunc
    setlocal omnifunc=jupyter#Complete
  elseif !bound && exists('b:jupyter_saved_omnifunc')
    &l:omnifunc = b:jupyter_saved_omnifunc
    unlet b:jupyter_saved_omnifunc
  endif
  if !bound && exists('b:jupyter_mapped_K')
    silent! nunmap <buffer> K
    unlet b:jupyter_mapped_K
  endif
  if util.Get('no_mappings', 0)
    return
  endif
  for [mode, lhs, plug] in MAPPINGS
    if empty(maparg(lhs, mode)) && !hasmapto(plug, mode)
      execute $'{mode}map <buffer> {lhs} {plug}'
    endif
  endfor
  if bound && empty(maparg('K', 'n'))
    nmap <buffer> K <Plug>(JupyterInspect)
    b:jupyter_mapped_K = 1
  endif
enddef

defcompile
