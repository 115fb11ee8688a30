vim9script
# kernel-bridge for Vim: run code in Jupyter kernels, see results inline, complete and
# inspect from the live kernel. Needs Vim 9.0 (+channel +job +textprop +popupwin
# +timers) and the `kernel-bridge` command. See :help jupyter.
#
# Each command calls the autoload file its name says: jupyter#run#Line() is
# autoload/jupyter/run.vim's Line(). What the bridge sends unasked goes through
# autoload/jupyter/handlers.vim; the functions for users are in autoload/jupyter.vim.

if exists('g:loaded_jupyter') || v:version < 900 || !has('channel') || !has('job')
    || !has('textprop') || !has('popupwin') || !has('timers')
  finish
endif
g:loaded_jupyter = 1

command -nargs=? -complete=customlist,jupyter#kernelspecs#Complete JupyterStart jupyter#lifecycle#Start(<q-args>)
command -nargs=? -complete=file JupyterConnect jupyter#connect#Connect(<q-args>)
command -bar JupyterStop jupyter#lifecycle#Stop()
command -bar JupyterRestart jupyter#lifecycle#Restart()
command -bar JupyterInterrupt jupyter#lifecycle#Interrupt()
command -bar -range JupyterRun jupyter#run#Range(<line1>, <line2>)
command -bar JupyterRunCell jupyter#run#Cell()
command -bar JupyterRunFile jupyter#run#File()
command -bar JupyterInspect jupyter#inspect#Inspect()
command -bar JupyterOutput jupyter#views#ToggleOutput()
command -bar JupyterSidecar jupyter#views#Sidecar()
command -bar JupyterVariables jupyter#views#Variables()
command -bang -nargs=? -complete=file JupyterExport jupyter#notebook#Export(<q-args>, <bang>0)

nnoremap <silent> <Plug>(JupyterRunLine) <Cmd>call jupyter#run#Line()<CR>
xnoremap <silent> <Plug>(JupyterRunSelection) <Esc><Cmd>call jupyter#run#Selection(visualmode())<CR>
nnoremap <silent> <Plug>(JupyterRunCell) <Cmd>call jupyter#run#Cell()<CR>
nnoremap <silent> <Plug>(JupyterRunFile) <Cmd>call jupyter#run#File()<CR>
nnoremap <silent> <Plug>(JupyterInterrupt) <Cmd>call jupyter#lifecycle#Interrupt()<CR>
nnoremap <silent> <Plug>(JupyterOutput) <Cmd>call jupyter#views#ToggleOutput()<CR>
nnoremap <silent> <Plug>(JupyterInspect) <Cmd>call jupyter#inspect#Inspect()<CR>

highlight default link JupyterRunning Comment
highlight default link JupyterResult Special
highlight default link JupyterError ErrorMsg
highlight default link JupyterPopup Pmenu

augroup jupyter
  autocmd!
  autocmd VimLeavePre * if exists('*jupyter#bridge#Leave') | call jupyter#bridge#Leave() | endif
  autocmd BufEnter * if exists('b:jupyter_needs_setup') | call jupyter#buffer#Setup() | endif
  execute 'autocmd FileType ' .. join(get(g:, 'jupyter_filetypes', ['python']), ',')
    .. ' call jupyter#buffer#Setup()'
augroup END
