// The page's side of its conversation with the kernel, through the sidecar's WebSocket.
//
// The widget library needs the msg_id of every comm message it sends, at once: it waits for
// the kernel's echo_update with that parent (the "echo" of its own change) and for the
// status: idle with that parent (its send throttle). The bridge stamps the real msg_id when
// it sends, so the page names each message with a ref of its own ("p1", "p2"…), the sidecar
// answers {type: "sent", ref, msgId} right after sending it, and the page translates the
// kernel's parent ids back into its refs. Until every ref is answered, the events that
// arrive are held (in order): the kernel's answer to a message can overtake the sidecar's
// "sent" only by racing it, and a held event waits for the translation instead.

const MAX_TRANSLATIONS = 10000;

export class Link {
  constructor(page) {
    this.page = page;
    this.nextRef = 1;
    this.unconfirmed = new Set();
    this.held = [];
    this.refOf = new Map(); // the kernel's msg_id -> the page's ref
    this.callbacks = new Map(); // ref -> the widget library's callbacks for that message
    this.requests = new Map(); // ref -> {resolve, reject} of a question to the sidecar (comm_info)
  }

  reset() {
    for (const { reject } of this.requests.values()) reject(new Error("the page was reset"));
    this.unconfirmed.clear();
    this.held = [];
    this.refOf.clear();
    this.callbacks.clear();
    this.requests.clear();
  }

  _ref() {
    return `p${this.nextRef++}`;
  }

  // A comm message to the kernel; returns its ref, which stands for its msg_id on this page.
  send(message, buffers, callbacks) {
    const ref = this._ref();
    const body = { ...message, ref };
    const sent = buffers && buffers.length ? this.page.send(this.page.encodeFrame(body, buffers)) : this.page.send(JSON.stringify(body));
    if (callbacks) this.callbacks.set(ref, callbacks);
    if (sent) this.unconfirmed.add(ref);
    else this._done(ref); // not connected: nothing will answer it
    return ref;
  }

  // A question the sidecar answers with an event of the same type and ref.
  request(message) {
    const ref = this._ref();
    return new Promise((resolve, reject) => {
      if (!this.page.send(JSON.stringify({ ...message, ref }))) {
        reject(new Error("the page is not connected"));
        return;
      }
      this.requests.set(ref, { resolve, reject });
    });
  }

  answered(event) {
    const request = this.requests.get(event.ref);
    if (!request) return;
    this.requests.delete(event.ref);
    if (event.error) request.reject(new Error(event.error));
    else request.resolve(event);
  }

  // The sidecar's {type: "sent"}: the ref's msg_id, or why it was not sent. Returns the held
  // events once nothing is unconfirmed any more.
  confirmed(event) {
    this.unconfirmed.delete(event.ref);
    if (event.msgId) {
      this.refOf.set(event.msgId, event.ref);
      if (this.refOf.size > MAX_TRANSLATIONS) this.refOf.delete(this.refOf.keys().next().value);
    } else {
      this._done(event.ref); // refused: no status will come for it
    }
    if (this.unconfirmed.size) return [];
    const held = this.held;
    this.held = [];
    return held;
  }

  holding() {
    return this.unconfirmed.size > 0;
  }

  hold(event) {
    this.held.push(event);
  }

  translate(msgId) {
    return (msgId && this.refOf.get(msgId)) || msgId || "";
  }

  // A status event: the widget library's status callback for the message it answers.
  status(event) {
    const ref = this.refOf.get(event.parentId);
    if (!ref) return;
    const callbacks = this.callbacks.get(ref);
    const status = callbacks && callbacks.iopub && callbacks.iopub.status;
    if (status) status(statusMessage(ref, event.executionState));
    if (event.executionState === "idle") {
      this.callbacks.delete(ref);
      this.refOf.delete(event.parentId);
    }
  }

  // Statuses may have been lost (the page fell behind): finish every message in flight, so
  // that no model's send throttle waits for an idle that will never come.
  flush() {
    for (const ref of [...this.callbacks.keys()]) this._done(ref);
  }

  _done(ref) {
    const callbacks = this.callbacks.get(ref);
    this.callbacks.delete(ref);
    const status = callbacks && callbacks.iopub && callbacks.iopub.status;
    if (status) setTimeout(() => status(statusMessage(ref, "idle")), 0);
  }
}

function statusMessage(ref, state) {
  return {
    header: { msg_type: "status" },
    parent_header: { msg_id: ref },
    metadata: {},
    content: { execution_state: state },
  };
}
