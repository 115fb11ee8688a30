vim9script
# :JupyterExport[!] [file]: what ran from this buffer (g:jupyter_export_runs 'all':
# everything that ran on its kernel) as a notebook (`jupyter/exportNotebook`), by
# default next to the file with the extension .ipynb. An existing file is only
# replaced with !.

import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'

export def Export(file: string, overwrite: bool)
  var id = kernels.Current()
  if id == ''
    return
  endif
  var uri = util.Uri(bufnr())
  var path = ''
  if trim(file) != ''
    path = fnamemodify(expand(trim(file)), ':p')
  elseif uri != ''
    path = expand('%:p:r') .. '.ipynb'
  else
    util.Error('this buffer has no file name: give :JupyterExport a file name')
    return
  endif
  if !overwrite && (filereadable(path) || isdirectory(path))
    util.Error($'{path} exists: :JupyterExport! replaces it')
    return
  endif
  var params: dict<any> = {kernelId: id, path: path, runs: 'all'}
  if uri != '' && util.Get('export_runs', 'document') !=# 'all'
    params.uri = uri
    params.runs = 'document'
  endif
  rpc.Request('jupyter/exportNotebook', params, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot export: ' .. util.ErrorText(resp.error))
      return
    endif
    var cells = resp.result.cells
    util.Info($'exported {cells} run{cells == 1 ? "" : "s"} to {resp.result.path}')
  })
enddef

defcompile
