" The variables window of kernel-bridge for Vim (see :help jupyter-variables).
if exists('b:current_syntax')
  finish
endif
syntax match jupyterVariablesHeader /\%1l^NAME  .*/
syntax match jupyterVariablesName /^\%>1l\S\+/
syntax match jupyterVariablesNote /^(.*)$\|^-- .* --$/
syntax match jupyterVariablesError /^!! .*/
highlight default link jupyterVariablesHeader Title
highlight default link jupyterVariablesName Identifier
highlight default link jupyterVariablesNote Comment
highlight default link jupyterVariablesError ErrorMsg
let b:current_syntax = 'jupytervariables'
