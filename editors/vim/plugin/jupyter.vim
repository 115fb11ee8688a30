vim9script
# kernel-bridge for Vim: run code in Jupyter kernels, see results inline, complete and
# inspect from the live kernel. Needs Vim 9.0 (+channel +job +textprop +popupwin
# +timers) and the `kernel-bridge` command. See :help jupyter.

if exists('g:loaded_jupyter') || v:version < 900 || !has('channel') || !has('job')
    || !has('textprop') || !has('popupwin') || !has('timers')
  finish
endif
g:loaded_jupyter = 1

command -nargs=? -complete=customlist,jupyter#CompleteKernelspec JupyterStart jupyter#Start(<q-args>)
command -nargs=? -complete=file JupyterConnect jupyter#Connect(<q-args>)
command -bar JupyterStop jupyter#Stop()
command -bar JupyterRestart jupyter#Restart()
command -bar JupyterInterrupt jupyter#Interrupt()
command -bar -range JupyterRun jupyter#RunRange(<line1>, <line2>)
command -bar JupyterRunCell jupyter#RunCell()
command -bar JupyterRunFile jupyter#RunFile()
command -bar JupyterInspect jupyter#Inspect()
command -bar JupyterOutput jupyter#ToggleOutput()
command -bar JupyterSidecar jupyter#Sidecar()
command -bar JupyterVariables jupyter#Variables()
command -bang -nargs=? -complete=file JupyterExport jupyter#Export(<q-args>, <bang>0)

nnoremap <silent> <Plug>(JupyterRunLine) <Cmd>call jupyter#RunLine()<CR>
xnoremap <silent> <Plug>(JupyterRunSelection) <Esc><Cmd>call jupyter#RunSelection(visualmode())<CR>
nnoremap <silent> <Plug>(JupyterRunCell) <Cmd>call jupyter#RunCell()<CR>
nnoremap <silent> <Plug>(JupyterRunFile) <Cmd>call jupyter#RunFile()<CR>
nnoremap <silent> <Plug>(JupyterInterrupt) <Cmd>call jupyter#Interrupt()<CR>
nnoremap <silent> <Plug>(JupyterOutput) <Cmd>call jupyter#ToggleOutput()<CR>
nnoremap <silent> <Plug>(JupyterInspect) <Cmd>call jupyter#Inspect()<CR>

highlight default link JupyterRunning Comment
highlight default link JupyterResult Special
highlight default link JupyterError ErrorMsg
highlight default link JupyterPopup Pmenu

augroup jupyter
  autocmd!
  autocmd VimLeavePre * if exists('*jupyter#Leave') | call jupyter#Leave() | endif
  autocmd BufEnter * if exists('b:jupyter_needs_setup') | call jupyter#SetupBuffer() | endif
  execute 'autocmd FileType ' .. join(get(g:, 'jupyter_filetypes', ['python']), ',')
    .. ' call jupyter#SetupBuffer()'
augroup END
