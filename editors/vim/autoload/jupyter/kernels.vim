vim9script
# The kernels this Vim knows and the buffers bound to them: the registry every other
# part asks "which kernel is this buffer's?". A buffer's kernel is its
# b:jupyter_kernel; a kernel is known from its start or connect until it is stopped,
# detached or its bridge exits (Forget()).

import autoload 'jupyter/buffer.vim'
import autoload 'jupyter/output.vim'
import autoload 'jupyter/util.vim'
import autoload 'jupyter/variables.vim'

# kernelId -> {id, name, language, implementation, state, owned, stopping?}
var kernels: dict<dict<any>> = {}
# kernelId -> last executionState seen (status may come before startKernel answers)
var states: dict<string> = {}
# Vim is exiting: the bridge is stopping every kernel
var leaving = false

# The buffer's kernel id, or '' (none, or one that is gone).
export def Of(bufnr: number): string
  var id = getbufvar(bufnr, 'jupyter_kernel', '')
  return has_key(kernels, id) ? id : ''
enddef

# The kernel's entry (shared, not a copy), or {} for a kernel not known here.
export def Get(id: string): dict<any>
  return get(kernels, id, {})
enddef

export def Ids(): list<string>
  return keys(kernels)
enddef

# The current buffer's kernel id; '' after saying there is none.
export def Current(): string
  var id = Of(bufnr())
  if id == ''
    util.Error('no kernel for this buffer: use :JupyterStart or :JupyterConnect')
  endif
  return id
enddef

# A kernel the bridge started (owned) or attached to, from its KernelRef.
export def Register(ref: dict<any>, owned: bool): string
  var id = ref.kernelId
  kernels[id] = {id: id, name: Label(ref), language: get(ref, 'language', ''),
    implementation: get(ref, 'implementation', ''), state: get(states, id, 'idle'), owned: owned}
  return id
enddef

# Records a `jupyter/status` executionState; returns the kernel's entry, {} if unknown.
export def SetState(id: string, state: string): dict<any>
  states[id] = state
  if has_key(kernels, id)
    kernels[id].state = state
  endif
  return get(kernels, id, {})
enddef

# What a kernel is called here: its kernelspec name; for a kernel attached from a
# connection file without `kernel_name` (the bridge says "unknown"), the language or
# implementation its kernel_info_reply gave ("python", "ipython").
def Label(ref: dict<any>): string
  var name = get(ref, 'kernelName', '')
  if type(name) == v:t_string && name != '' && name !=# 'unknown'
    return name
  endif
  for key in ['language', 'implementation']
    var value = get(ref, key, '')
    if type(value) == v:t_string && value != ''
      return value
    endif
  endfor
  return 'unknown'
enddef

# Unbinds every buffer from a kernel that is gone and drops it.
export def Forget(id: string, why: string)
  variables.Gone(id, why)
  output.Gone(id)
  for info in getbufinfo()
    if get(info.variables, 'jupyter_kernel', '') ==# id
      buffer.Unbind(info.bufnr)
    endif
  endfor
  if has_key(kernels, id)
    remove(kernels, id)
  endif
  redrawstatus!
enddef

# Vim is exiting (VimLeavePre): from now on every kernel's end is expected.
export def Leaving()
  leaving = true
enddef

# Whether the kernel's death is what the user asked for (:JupyterStop, quitting Vim).
export def EndExpected(kernel: dict<any>): bool
  return leaving || get(kernel, 'stopping', false)
enddef

defcompile
