vim9script
# This Vim's kernel-bridge: started on the first command that needs it, with the
# `initialize` options from g:jupyter_*; what it sends goes to handlers.vim; when it
# exits its kernels are forgotten; on VimLeavePre it stops the kernels it started.

import autoload 'jupyter/handlers.vim'
import autoload 'jupyter/kernels.vim'
import autoload 'jupyter/kernelspecs.vim'
import autoload 'jupyter/lifecycle.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/rpc.vim'
import autoload 'jupyter/util.vim'

# Starts the bridge unless it runs; false (after saying why) if it cannot be started.
export def Ensure(): bool
  if rpc.Running()
    return true
  endif
  Preload()
  kernelspecs.Forget()
  return rpc.Start(Command(), InitializeParams(), {
    notification: (method, params) => handlers.Notification(method, params),
    request: (id, method, params) => handlers.Request(id, method, params),
    ready: () => kernelspecs.Load(),
    exit: Exited})
enddef

export def Pid(): number
  return rpc.Pid()
enddef

# VimLeavePre: the bridge stops the kernels it started, then exits. Their deaths are
# expected: no "kernel died" then.
export def Leave()
  kernels.Leaving()
  rpc.Stop(util.Get('exit_timeout', 5000))
enddef

# The parts of the plugin that the bridge's answers and notifications call back into,
# loaded now, from a command, rather than in a channel callback: sourcing and compiling
# a script there (each compiles its functions as it is sourced: `defcompile` at its
# end) left Vim 9.0 in a terminal not redrawing and swallowing the next typed key.
const CALLED_BACK = {handlers: 'Notification', run: 'Output', prompt: 'Ask', kernels: 'Of',
  kernelspecs: 'Load', lifecycle: 'Starting', connect: 'Connect', buffer: 'Setup', output: 'Create',
  inline: 'Finish', variables: 'Adopt'}

def Preload()
  for [name, item] in items(CALLED_BACK)
    # one of its functions is there once it is loaded: it is not sourced again (that
    # would reset its state)
    if !exists($'*jupyter#{name}#{item}')
      execute $'runtime autoload/jupyter/{name}.vim'
    endif
  endfor
enddef

def Command(): list<string>
  var cmd = util.Get('bridge_cmd', 'kernel-bridge')
  return type(cmd) == v:t_list ? cmd : split(cmd)
enddef

def InitializeParams(): dict<any>
  var options: dict<any> = {}
  for [name, key] in items({startup_timeout: 'startupTimeout', output_limit: 'outputLimitBytes', servers: 'servers'})
    if has_key(g:, 'jupyter_' .. name)
      options[key] = g:['jupyter_' .. name]
    endif
  endfor
  return {
    processId: getpid(),
    clientInfo: {name: 'vim', version: string(v:version)},
    rootUri: null,
    capabilities: {experimental: {jupyterInput: true}},
    initializationOptions: options,
  }
enddef

def Exited(status: number, stderr: list<string>)
  var tail = filter(copy(stderr), (_, l) => l !~ '^\s*$')
  util.Error($'the bridge exited (status {status})' .. (empty(tail) ? '' : ': ' .. tail[-1]))
  for id in kernels.Ids()
    output.Note(id, 'the bridge exited')
    kernels.Forget(id, 'the bridge exited')
  endfor
  lifecycle.Abandon()
enddef

defcompile
