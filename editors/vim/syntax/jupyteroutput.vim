" The output window of kernel-bridge for Vim (see :help jupyter-output).
if exists('b:current_syntax')
  finish
endif
syntax match jupyterOutputIn /^\%(\[other\] \)\=In \[[0-9* ?]*\]:/
syntax match jupyterOutputCont /^\%(\[other\] \)\=   \.\.\.:/
syntax match jupyterOutputOut /^\%(\[other\] \)\=Out\[[0-9?]*\]:/
syntax match jupyterOutputOther /^\[other\]/
syntax match jupyterOutputNote /^-- .* --$/
syntax match jupyterOutputError /^!! .*/
syntax match jupyterOutputError /^\%(\[other\] \)\=\h\w*\%(Error\|Exception\|Interrupt\|Exit\)\>:\=.*/
highlight default link jupyterOutputIn Identifier
highlight default link jupyterOutputCont Identifier
highlight default link jupyterOutputOut Statement
highlight default link jupyterOutputOther Special
highlight default link jupyterOutputNote Comment
highlight default link jupyterOutputError ErrorMsg
let b:current_syntax = 'jupyteroutput'
