vim9script
# :JupyterConnect: attaching the current buffer to a kernel that already runs, from
# its connection file, or picked from the kernels running on this machine.

import autoload 'jupyter/bridge.vim'
import autoload 'jupyter/buffer.vim'
import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'
import autoload 'jupyter/variables.vim'

# A connection file given (a path, or a name or fragment the bridge looks up in the
# Jupyter runtime directory), or none: pick one of the kernels running on this machine.
export def Connect(file: string = '')
  var bufnr = bufnr()
  if kernels.Of(bufnr) != ''
    util.Error('this buffer already has a kernel: :JupyterStop it first')
    return
  endif
  if !bridge.Ensure()
    return
  endif
  var name = trim(file)
  if name == ''
    rpc.Request('jupyter/listRunningKernels', null, (resp) => {
      if has_key(resp, 'error')
        util.Error('cannot list the running kernels: ' .. util.ErrorText(resp.error))
      elseif type(resp.result) != v:t_list || empty(resp.result)
        util.Error('no running kernel found (no connection files in the Jupyter runtime directory): '
          .. 'give :JupyterConnect a connection file')
      else
        timer_start(0, (_) => Pick(bufnr, resp.result))
      endif
    })
    return
  endif
  var path = filereadable(expand(name)) ? fnamemodify(expand(name), ':p') : name
  ConnectTo(bufnr, path)
enddef

# The picker: inputlist() of the running kernels.
def Pick(bufnr: number, found: list<dict<any>>)
  var choice = 0
  try
    choice = inputlist(['Connect to a running kernel:']
      + util.RunningKernelLines(found))
  catch /^Vim:Interrupt$/
  endtry
  redraw
  if choice >= 1 && choice <= len(found)
    ConnectTo(bufnr, found[choice - 1].connectionFile)
  endif
enddef

def ConnectTo(bufnr: number, path: string)
  if kernels.Of(bufnr) != ''
    util.Error('this buffer already has a kernel: :JupyterStop it first')
    return
  endif
  util.Info($'connecting to {path}…')
  rpc.Request('jupyter/connectKernel', {connectionFile: path}, (resp) => {
    if has_key(resp, 'error')
      util.Error('cannot connect: ' .. util.ErrorText(resp.error))
      return
    endif
    var id = kernels.Register(resp.result, false)
    var name = kernels.Get(id).name
    output.Create(id, name, [$'-- connected to kernel {name} ({path}), id {id} --'])
    if bufexists(bufnr) && kernels.Of(bufnr) == ''
      buffer.Bind(bufnr, id)
    endif
    output.Show(id)
    variables.Adopt(id, name)
    util.Info('connected to ' .. path)
    redrawstatus!
  })
enddef

defcompile
