vim9script
# The kernelspecs the bridge knows (`jupyter/listKernelspecs`), asked for once it is
# ready, for completing :JupyterStart's argument.

import autoload 'jupyter/bridge.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'

var specs: list<dict<any>> = []
var loaded = false

export def Load()
  rpc.Request('jupyter/listKernelspecs', null, (resp) => {
    specs = get(resp, 'result', [])
    loaded = true
  })
enddef

# A new bridge is starting: what the last one said may be out of date.
export def Forget()
  loaded = false
enddef

# -complete=customlist of :JupyterStart; starts the bridge and waits for its list
# (bounded by g:jupyter_complete_timeout ms) the first time.
export def Complete(lead: string, cmdline: string, pos: number): list<string>
  if !loaded && bridge.Ensure()
    var waited = 0
    while !loaded && waited < util.Get('complete_timeout', 3000)
      sleep 10m
      waited += 10
    endwhile
  endif
  return specs->mapnew((_, s) => s.name)->filter((_, n) => stridx(n, lead) == 0)->sort()
enddef

defcompile
