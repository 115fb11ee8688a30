// Jupyter widgets in the kernel-bridge sidecar page (docs/sidecar.md, "Widgets").
//
// The page (bridge/sidecar/static/sidecar.js) stays in charge of its WebSocket and of every
// output; it hands this module the events about widgets and the widget-view outputs:
//
//   const widgets = window.kernelBridgeWidgets.attach({send, encodeFrame, deliver, notice});
//   widgets.receive(event)        every event from the sidecar, in order (it passes the
//                                 others on to deliver(), holding them while needed)
//   widgets.decode(arrayBuffer)   a binary frame -> the event it carries
//   widgets.view(spec, fallback)  an element showing the widget of a widget-view output
//
// Models are mirrored from the kernel's comms (target "jupyter.widget", ipywidgets 8's widget
// protocol 2.1); a page that opens late asks the kernel for the comms that exist and their
// state (comm_info_request, then request_state on each, as JupyterLab does). The page never
// opens or closes a comm in the kernel: it only sends comm_msg on the widget comms it knows.

import { put_buffers } from "@jupyter-widgets/base";
import { HTMLManager } from "@jupyter-widgets/html-manager/lib/htmlmanager";
import { OutputModel as HTMLOutputModel, OutputView } from "@jupyter-widgets/html-manager/lib/output";
import "@jupyter-widgets/controls/css/widgets-base.css";
import "@jupyter-widgets/controls/css/labvariables.css";
import "@fortawesome/fontawesome-free/css/fontawesome.min.css";
import "./sidecar-widgets.css";
import { decodeFrame, encodeFrame } from "./frames.js";
import { Link } from "./link.js";

export const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";
const WIDGET_TARGET = "jupyter.widget";
const OUTPUT_TYPES = new Set(["stream", "display_data", "execute_result", "error", "clear_output"]);
// how long one comm message may keep the next events waiting (a model whose creation hangs
// must not freeze the page)
const STEP_TIMEOUT_MS = 10000;
const IPYWIDGETS_7 =
  "this widget comes from ipywidgets 7 (widget protocol %s): the sidecar renders ipywidgets 8 widgets " +
  "(protocol 2.1); upgrade the kernel's ipywidgets (pip install -U 'ipywidgets>=8')";

// the widget modules whose JavaScript the bundle has (ipywidgets' own widgets)
const MODULES = new Set(["@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"]);

function versionTuple(text) {
  return String(text || "").split(".").map((n) => parseInt(n, 10) || 0);
}

// Why a widget is not rendered, from its comm_open's protocol version or its model's and
// view's modules, or null. ipywidgets 7 speaks protocol 2.0 (no echo_update) and its models
// are @jupyter-widgets/base 1.x, controls 1.x; other libraries (bqplot, ipyleaflet, plotly's
// FigureWidget through anywidget) bring JavaScript of their own, which the page cannot load.
function refusal(protocolVersion, state) {
  if (protocolVersion !== undefined && protocolVersion !== null) {
    const [major, minor] = versionTuple(protocolVersion);
    if (major !== 2) return `this widget speaks widget protocol ${protocolVersion}; the sidecar speaks 2.1 (ipywidgets 8)`;
    if (minor < 1) return IPYWIDGETS_7.replace("%s", protocolVersion);
  }
  const module = state && state._model_module;
  if ((module === "@jupyter-widgets/base" || module === "@jupyter-widgets/controls") && versionTuple(state._model_module_version)[0] < 2) {
    return IPYWIDGETS_7.replace("%s", `${module} ${state._model_module_version}`);
  }
  for (const [name, version] of [
    [module, state && state._model_module_version],
    [state && state._view_module, state && state._view_module_version],
  ]) {
    if (name && !MODULES.has(name)) {
      return `this widget needs the JavaScript of ${name} ${version || ""}, which the sidecar does not have: it renders ipywidgets' own widgets (@jupyter-widgets/base, controls, output)`;
    }
  }
  return null;
}

// A comm of the kernel, as the widget library sees it. Closing it only forgets it here: a
// page never closes a widget in the kernel (other pages and clients may show it).
class Comm {
  constructor(widgets, commId, targetName) {
    this.widgets = widgets;
    this.comm_id = commId;
    this.target_name = targetName;
    this._onMsg = null;
    this._onClose = null;
    this._held = null; // messages waiting for the model being made (see hold)
  }
  open() {
    throw new Error("the sidecar page does not open comms in the kernel");
  }
  send(data, callbacks, metadata, buffers) {
    return this.widgets.link.send({ type: "comm_msg", commId: this.comm_id, data, metadata: metadata || {} }, buffers || [], callbacks);
  }
  close() {
    this.widgets.comms.delete(this.comm_id);
    return "";
  }
  on_msg(callback) {
    this._onMsg = callback;
    if (this._held) {
      // in order, synchronously: the model chains each update on the one before
      const held = this._held;
      this._held = null;
      for (const msg of held) callback(msg);
    }
  }
  // Keep the messages that arrive until the next on_msg (the model this comm's state is
  // being made into registers then): a late page's model would otherwise miss the updates
  // that come while it is being made.
  hold() {
    this._held = [];
  }
  on_close(callback) {
    this._onClose = callback;
  }
  handle_msg(msg) {
    if (this._held) this._held.push(msg);
    else if (this._onMsg) return this._onMsg(msg);
  }
  handle_close(msg) {
    if (this._onClose) this._onClose(msg);
  }
}

// ipywidgets' Output widget: the kernel sets its msg_id while a `with out:` block runs, and
// the front end shows the outputs of that request in the widget instead of the page's cell.
class SidecarOutputModel extends HTMLOutputModel {
  initialize(attributes, options) {
    super.initialize(attributes, options);
    this._capturing = "";
    this.on("change:msg_id", this._capture, this);
    this.once("comm:close", () => this._release(), this);
    this._capture();
  }
  _release() {
    const captures = this.widget_manager.widgets.captures;
    if (this._capturing && captures.get(this._capturing) === this) captures.delete(this._capturing);
    this._capturing = "";
  }
  _capture() {
    this._release();
    const id = this.get("msg_id");
    if (id) {
      this._capturing = id;
      this.widget_manager.widgets.captures.set(id, this);
    }
  }
  addOutput(event) {
    const content = event.content || {};
    if (event.msgType === "clear_output") this.clear_output(Boolean(content.wait));
    else this.outputs.add({ ...content, output_type: event.msgType });
  }
}

const OUTPUT_CLASSES = { OutputModel: SidecarOutputModel, OutputView };

class SidecarManager extends HTMLManager {
  constructor(widgets) {
    super({
      loader: (name, version) =>
        Promise.reject(new Error(`the sidecar has no JavaScript for the widget module ${name}@${version} (it ships @jupyter-widgets/base, controls and output)`)),
    });
    this.widgets = widgets;
  }
  async _create_comm(targetName, modelId) {
    return this.widgets.comm(modelId, targetName);
  }
  async _get_comm_info() {
    const answer = await this.widgets.link.request({ type: "comm_info" });
    return answer.comms || {};
  }
  loadClass(className, moduleName, moduleVersion) {
    if (moduleName === "@jupyter-widgets/output") {
      const cls = OUTPUT_CLASSES[className];
      return cls ? Promise.resolve(cls) : Promise.reject(new Error(`no class ${className} in ${moduleName}`));
    }
    const why = refusal(undefined, { _model_module: moduleName, _model_module_version: moduleVersion });
    if (why) return Promise.reject(new Error(why));
    return super.loadClass(className, moduleName, moduleVersion);
  }
  register_model(modelId, modelPromise) {
    super.register_model(modelId, modelPromise);
    modelPromise.then(() => this.widgets.modelReady(modelId), () => undefined);
  }
}

class Widgets {
  constructor(page) {
    this.page = page;
    this.link = new Link(page);
    this.manager = new SidecarManager(this);
    this.enabled = false; // the sidecar can reach the kernel (a bridge's sidecar)
    this.comms = new Map(); // comm_id -> Comm
    this.captures = new Map(); // msg_id -> the Output model showing that request's outputs
    this.waiting = new Map(); // model_id -> elements waiting for the model
    this.refused = new Map(); // model_id -> why it is not rendered
    this.loaded = false; // the kernel's widgets that existed when the page opened are here
    this.queue = []; // events waiting for the one being handled
    this.busy = false;
  }

  comm(commId, targetName) {
    let comm = this.comms.get(commId);
    if (!comm) {
      comm = new Comm(this, commId, targetName);
      this.comms.set(commId, comm);
    }
    return comm;
  }

  decode(data) {
    return decodeFrame(data);
  }

  // -- events from the sidecar ---------------------------------------------------------
  receive(event) {
    if (event.type === "sent") {
      for (const held of this.link.confirmed(event)) this.receive(held);
      return;
    }
    if (event.type === "comm_info") {
      this.link.answered(event);
      return;
    }
    if (this.link.holding()) {
      this.link.hold(event);
      return;
    }
    this.queue.push(event);
    if (!this.busy) this.drain();
  }

  // One event at a time, in order, as JupyterLab handles a kernel's messages: creating a
  // model is asynchronous, and the messages that follow its comm_open (its first updates,
  // the outputs an Output widget captures) must find it made.
  async drain() {
    this.busy = true;
    try {
      while (this.queue.length) {
        const event = this.queue.shift();
        let step;
        try {
          step = this.handle(event);
        } catch (error) {
          this.page.notice(`(a widget message could not be handled: ${error.message || error})`);
        }
        if (step && typeof step.then === "function") {
          let timer;
          const late = new Promise((resolve) => (timer = setTimeout(resolve, STEP_TIMEOUT_MS)));
          await Promise.race([step.catch(() => undefined), late]);
          clearTimeout(timer);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  handle(event) {
    switch (event.type) {
      case "hello":
        this.page.deliver(event);
        return this.reset(Boolean(event.widgets));
      case "comm":
        return this.onComm(event);
      case "status":
        this.link.status(event);
        break;
      case "output":
        if (OUTPUT_TYPES.has(event.msgType) && this.captures.has(event.parentId)) {
          this.captures.get(event.parentId).addOutput(event);
          return;
        }
        break;
      case "kernel":
        this.page.deliver(event);
        return this.forget(); // a restarted (or dead) kernel has none of the old widgets
      case "dropped":
        this.page.deliver(event);
        this.link.flush();
        this.resync();
        return;
    }
    this.page.deliver(event);
  }

  onComm(event) {
    const commId = event.commId;
    const msg = {
      header: { msg_id: event.msgId || "", msg_type: event.msgType },
      parent_header: { msg_id: this.link.translate(event.parentId) },
      metadata: event.metadata || {},
      content: { comm_id: commId, target_name: event.targetName, data: event.data || {} },
      buffers: event.buffers || [],
    };
    if (event.msgType === "comm_open") {
      if (event.targetName !== WIDGET_TARGET) return;
      const why = refusal((event.metadata || {}).version, (event.data || {}).state);
      if (why) {
        this.refuse(commId, why);
        return;
      }
      return this.manager.handle_comm_open(this.comm(commId, WIDGET_TARGET), msg).catch((error) => this.refuse(commId, `the widget could not be created: ${error}`));
    } else if (event.msgType === "comm_msg") {
      const comm = this.comms.get(commId);
      if (comm) return comm.handle_msg(msg);
    } else if (event.msgType === "comm_close") {
      const comm = this.comms.get(commId);
      this.comms.delete(commId);
      if (comm) comm.handle_close(msg);
    }
  }

  // -- state ------------------------------------------------------------------------------
  // Returns once the old models are gone: the next event (a comm_open) must not register a
  // model that the manager's clear_state, which finishes later, would then forget.
  // (A view asked for meanwhile waits for the state that load() brings.)
  async reset(enabled) {
    this.enabled = enabled;
    this.loaded = false;
    await this.forget();
    this.link.reset();
    if (enabled) this.load();
  }

  forget() {
    const comms = [...this.comms.values()];
    this.comms.clear();
    this.captures.clear();
    this.refused.clear();
    for (const comm of comms) comm.handle_close({ content: { comm_id: comm.comm_id, data: {} } });
    return this.manager.clear_state().catch(() => undefined);
  }

  // The kernel's widgets that this page has no model for: comm_info_request, then
  // request_state on each comm, then the models all at once (so that a container finds its
  // children) — base-manager's _loadFromKernelModels, as JupyterLab does it, except that a
  // comm that does not answer (closed in between) is skipped when the kernel goes idle on
  // its request instead of holding up every other widget.
  async load() {
    try {
      const comms = await this.manager._get_comm_info();
      const answers = await Promise.all(Object.keys(comms).map((commId) => this.requestState(commId)));
      await Promise.all(
        answers.filter(Boolean).map(({ comm, data, buffers }) => {
          put_buffers(data.state, data.buffer_paths || [], buffers);
          const why = refusal(undefined, data.state);
          if (why) {
            this.comms.delete(comm.comm_id); // its messages are not kept for a model that will not be
            this.refuse(comm.comm_id, why);
            return undefined;
          }
          const options = {
            model_name: data.state._model_name,
            model_module: data.state._model_module,
            model_module_version: data.state._model_module_version,
            comm,
          };
          return this.manager.new_model(options, data.state).catch((error) => {
            this.comms.delete(comm.comm_id);
            this.refuse(comm.comm_id, `the widget could not be created: ${error}`);
          });
        }),
      );
    } catch (error) {
      this.page.notice(`(widgets: could not get their state from the kernel: ${error.message || error})`);
      return;
    }
    this.loaded = true;
    for (const modelId of [...this.waiting.keys()]) {
      if (!this.manager.has_model(modelId)) this.refuse(modelId, "(this widget no longer exists in the kernel)");
    }
  }

  requestState(commId) {
    if (this.manager.has_model(commId) || this.refused.has(commId)) return null;
    const comm = this.comm(commId, WIDGET_TARGET);
    return new Promise((resolve) => {
      let msgId = "";
      let settled = false;
      const done = (answer) => {
        if (settled) return; // the answer came: the idle that follows it changes nothing
        settled = true;
        if (!answer && this.comms.get(commId) === comm) this.comms.delete(commId);
        resolve(answer);
      };
      comm.on_msg((msg) => {
        const data = msg.content.data;
        if (msg.parent_header.msg_id === msgId && data.method === "update") {
          done({ comm, data, buffers: msg.buffers || [] });
          comm.hold();
        }
      });
      comm.on_close(() => done(null));
      // the kernel answers before it goes idle on the request: idle first means no answer
      const idle = (msg) => msg.content.execution_state === "idle" && done(null);
      msgId = comm.send({ method: "request_state" }, { iopub: { status: idle } }, {}, []);
    });
  }

  // After events were dropped: the state of every model again, and the models missed.
  resync() {
    if (!this.enabled) return;
    for (const comm of this.comms.values()) comm.send({ method: "request_state" }, {}, {}, []);
    this.load();
  }

  refuse(modelId, why) {
    this.refused.set(modelId, why);
    if (!this.manager.has_model(modelId)) {
      // a stand-in model, so that a box holding this widget shows the note in its place
      const options = { model_name: "HTMLModel", model_module: "@jupyter-widgets/controls", model_module_version: "2.0.0", model_id: modelId };
      const note = document.createElement("i");
      note.textContent = why;
      this.manager.new_model(options, { value: note.outerHTML, _dom_classes: ["kb-widget-refused"] }).catch(() => undefined);
    }
    for (const holder of this.waiting.get(modelId) || []) showNote(holder, holder.dataset.fallback, why);
    this.waiting.delete(modelId);
  }

  modelReady(modelId) {
    const holders = this.waiting.get(modelId);
    this.waiting.delete(modelId);
    for (const holder of holders || []) this.display(modelId, holder);
  }

  // -- views --------------------------------------------------------------------------------
  view(spec, fallback) {
    const holder = document.createElement("div");
    holder.className = "kb-widget";
    holder.dataset.fallback = fallback || "";
    const modelId = spec && typeof spec === "object" ? spec.model_id : undefined;
    if (!modelId) {
      showNote(holder, fallback, "(a widget output without a model id)");
    } else if (!this.enabled) {
      showNote(holder, fallback, "(widgets are live only in a sidecar opened by the bridge: jupyter/openSidecar, Vim's :JupyterSidecar)");
    } else if (this.refused.has(modelId)) {
      showNote(holder, fallback, this.refused.get(modelId));
    } else if (this.manager.has_model(modelId)) {
      this.display(modelId, holder);
    } else if (this.loaded) {
      showNote(holder, fallback, "(this widget no longer exists in the kernel)");
    } else {
      showNote(holder, fallback, "(waiting for the widget's state from the kernel)");
      if (!this.waiting.has(modelId)) this.waiting.set(modelId, new Set());
      this.waiting.get(modelId).add(holder);
    }
    return holder;
  }

  async display(modelId, holder) {
    try {
      const model = await this.manager.get_model(modelId);
      const view = await this.manager.create_view(model);
      // Lumino attaches only to an element in the document: the page appends the holder
      // right after view() returns, so this waits a frame at most
      for (let i = 0; !holder.isConnected && i < 100; i++) await new Promise((r) => requestAnimationFrame(r));
      if (!holder.isConnected) {
        view.remove();
        return;
      }
      holder.replaceChildren();
      holder.classList.add("kb-widget-live");
      await this.manager.display_view(view, holder);
    } catch (error) {
      showNote(holder, holder.dataset.fallback, `(the widget could not be shown: ${error.message || error})`);
    }
  }
}

function showNote(holder, fallback, note) {
  holder.replaceChildren();
  if (fallback) {
    const pre = document.createElement("pre");
    pre.textContent = fallback;
    holder.appendChild(pre);
  }
  const line = document.createElement("div");
  line.className = "kb-widget-note";
  line.textContent = note;
  holder.appendChild(line);
}

window.kernelBridgeWidgets = {
  mimeType: WIDGET_VIEW,
  attach(page) {
    return new Widgets({ ...page, encodeFrame });
  },
};
