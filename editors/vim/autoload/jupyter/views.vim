vim9script
# The current buffer's kernel seen elsewhere: its output window (:JupyterOutput),
# its variables window (:JupyterVariables), its outputs in a browser (:JupyterSidecar).

import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'
import autoload 'jupyter/variables.vim'

export def ToggleOutput()
  var id = kernels.Current()
  if id != ''
    output.Toggle(id)
  endif
enddef

# The variables window of the current buffer's kernel (or of the kernel whose output
# or variables buffer this is).
export def Variables()
  var id = kernels.Of(bufnr())
  for owner in ['jupyter_variables_of', 'jupyter_output_of']
    if id == '' && !empty(kernels.Get(get(b:, owner, '')))
      id = b:[owner]
    endif
  endfor
  if id == ''
    id = kernels.Current()   # says there is none
  endif
  if id != ''
    variables.Open(id, kernels.Get(id).name)
  endif
enddef

# The kernel's outputs live in a browser (plots Vim cannot show): the bridge serves a
# page on 127.0.0.1; open it with g:jupyter_browser, else tell the user where it is.
export def Sidecar()
  var id = kernels.Current()
  if id == ''
    return
  endif
  rpc.Request('jupyter/openSidecar', {kernelId: id}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot open the sidecar: ' .. util.ErrorText(resp.error))
      return
    endif
    var url: string = resp.result.url
    g:jupyter_sidecar_url = url
    output.Note(id, 'sidecar: ' .. url)
    var browser: string = util.Get('browser', '')
    if browser != ''
      job_start([browser, url], {in_io: 'null', out_io: 'null', err_io: 'null'})
      util.Info('sidecar opened in ' .. browser)
    else
      util.Info('sidecar: ' .. url)
    endif
  })
enddef

defcompile
