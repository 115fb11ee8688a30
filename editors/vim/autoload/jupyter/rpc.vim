vim9script
# The kernel-bridge process and its JSON-RPC channel, in Vim's LSP channel mode.
#
# One bridge serves every kernel of this Vim. Requests carry our own numeric ids and
# every incoming message arrives on the channel callback: Vim only routes a response to a
# per-request callback by a numeric id, and a server->client request whose numeric id
# equals one of ours would be delivered there instead (the bridge uses string ids, which
# Vim cannot send from ch_sendexpr(), so answers are framed here and sent raw).

import autoload 'jupyter/util.vim'

var job: any = null
var chan: any = null
var initialized = false
var stopping = false
var next_id = 0
var pending: dict<func> = {}        # string(id) -> callback(response)
var backlog: list<dict<any>> = []   # messages queued until `initialize` is answered
var stderr_tail: list<string> = []
const STDERR_KEEP = 200

# Given to Start(): {notification(method, params), request(id, method, params), ready(),
# exit(status, stderr_tail)}
var handlers: dict<any> = {}

export def Running(): bool
  return type(job) == v:t_job && job_status(job) == 'run'
enddef

export def Pid(): number
  return Running() ? job_info(job).process : 0
enddef

export def StderrTail(): list<string>
  return copy(stderr_tail)
enddef

# Starts the bridge and sends `initialize`; messages sent before its answer are queued.
# Returns false (after reporting why) if the command cannot be started.
export def Start(cmd: list<string>, init: dict<any>, callbacks: dict<any>): bool
  if Running()
    return true
  endif
  handlers = callbacks
  initialized = false
  stopping = false
  pending = {}
  backlog = []
  stderr_tail = []
  if empty(cmd) || !executable(cmd[0])
    util.Error($'cannot run the bridge {string(cmd)}: set g:jupyter_bridge_cmd')
    return false
  endif
  job = job_start(cmd, {
    in_mode: 'lsp', out_mode: 'lsp', err_mode: 'nl', noblock: 1,
    callback: Incoming, err_cb: Stderr, exit_cb: Exited, stoponexit: 'term'})
  if job_status(job) != 'run'
    util.Error($'cannot start the bridge {string(cmd)}')
    job = null
    return false
  endif
  chan = job_getchannel(job)
  SendRequest('initialize', init, (resp) => {
    if has_key(resp, 'error')
      util.Error('bridge initialize failed: ' .. util.ErrorText(resp.error))
      return
    endif
    initialized = true
    Send({method: 'initialized', params: {}})
    var queued = backlog
    backlog = []
    for msg in queued
      Send(msg)
    endfor
    handlers.ready()
  })
  return true
enddef

# Sends a request; Callback gets the whole response ({result: …} or {error: …}).
# Returns the request id (the bridge's `requestId` in notifications it causes).
export def Request(method: string, params: any, Callback: func(dict<any>)): number
  return SendRequest(method, params, Callback)
enddef

export def Notify(method: string, params: any)
  var msg = {method: method, params: params}
  if initialized
    Send(msg)
  else
    backlog->add(msg)
  endif
enddef

export def Cancel(id: number)
  Notify('$/cancelRequest', {id: id})
enddef

# Answers a request from the bridge (its ids are strings, see the top of this file).
export def Respond(id: any, result: any)
  SendRaw({jsonrpc: '2.0', id: id, result: result})
enddef

export def RespondError(id: any, code: number, message: string)
  SendRaw({jsonrpc: '2.0', id: id, error: {code: code, message: message}})
enddef

# LSP shutdown (the bridge stops the kernels it started) then exit; waits at most
# `timeout_ms` for the bridge to end. Vim sends SIGTERM to it on exit anyway
# ('stoponexit'), which the bridge also handles by stopping its kernels.
export def Stop(timeout_ms: number)
  if !Running()
    return
  endif
  stopping = true
  if initialized
    SendRequest('shutdown', null, (_) => Send({method: 'exit'}))
  else
    job_stop(job, 'term')
  endif
  var waited = 0
  while Running() && waited < timeout_ms
    sleep 10m
    waited += 10
  endwhile
  if Running()
    job_stop(job, 'term')
  endif
enddef

def SendRequest(method: string, params: any, Callback: func(dict<any>)): number
  next_id += 1
  var msg: dict<any> = {id: next_id, method: method}
  if type(params) != v:t_none
    msg.params = params
  endif
  pending[string(next_id)] = Callback
  if initialized || method == 'initialize'
    Send(msg)
  else
    backlog->add(msg)
  endif
  return next_id
enddef

def Send(msg: dict<any>)
  if !Running()
    Fail(msg, 'the bridge is not running')
    return
  endif
  try
    ch_sendexpr(chan, msg)
  catch
    Fail(msg, v:exception)
  endtry
enddef

def SendRaw(msg: dict<any>)
  if !Running()
    return
  endif
  var body = json_encode(msg)
  if &encoding != 'utf-8'
    body = iconv(body, &encoding, 'utf-8')
  endif
  ch_sendraw(chan, $"Content-Length: {strlen(body)}\r\n\r\n{body}")
enddef

# A request that could not be sent still gets its callback, with an error, later (as
# if it had come from the bridge: callers can rely on answers never being synchronous).
def Fail(msg: dict<any>, why: string)
  if has_key(msg, 'id')
    var key = string(msg.id)
    if has_key(pending, key)
      var Callback = remove(pending, key)
      var id = msg.id
      timer_start(0, (_) => Callback({id: id, error: {code: -32099, message: why}}))
    endif
  endif
enddef

def Incoming(_: channel, msg: any)
  if type(msg) != v:t_dict
    return
  endif
  if has_key(msg, 'method')
    if has_key(msg, 'id')
      handlers.request(msg.id, msg.method, get(msg, 'params', null))
    else
      handlers.notification(msg.method, get(msg, 'params', null))
    endif
  elseif has_key(msg, 'id') && type(msg.id) == v:t_number
    var key = string(msg.id)
    if has_key(pending, key)
      var Callback = remove(pending, key)
      Callback(msg)
    endif
  endif
enddef

def Stderr(_: channel, line: string)
  stderr_tail->add(line)
  if len(stderr_tail) > STDERR_KEEP
    remove(stderr_tail, 0, len(stderr_tail) - STDERR_KEEP - 1)
  endif
enddef

def Exited(_: job, status: number)
  var was_stopping = stopping
  job = null
  chan = null
  initialized = false
  var waiting = pending
  pending = {}
  backlog = []
  for [key, Callback] in items(waiting)
    Callback({id: str2nr(key), error: {code: -32099, message: 'the bridge exited'}})
  endfor
  if !was_stopping
    handlers.exit(status, StderrTail())
  endif
enddef

defcompile
