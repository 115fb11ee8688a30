"use strict";
// The kernel-bridge output sidecar: a view of one kernel's outputs; the one thing it sends
// back is the answer to an open input() prompt.
// Everything the kernel sends is put into the page with textContent or as data: URIs;
// text/html goes into a sandboxed iframe (no scripts). Nothing is loaded from anywhere.
(() => {
  const MAX_CELLS = 300;
  const MAX_STREAM_CHARS = 200000;
  const MIME_ORDER = [
    "text/html", "image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp",
    "text/markdown", "text/latex", "application/json", "text/plain",
  ];
  const IMAGE_BASE64 = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
  // Jupyter widgets: sidecar-widgets.js (inlined before this script) renders them, live
  const WIDGETS = window.kernelBridgeWidgets || null;
  if (WIDGETS) MIME_ORDER.unshift(WIDGETS.mimeType);
  let widgets = null; // the widget manager of the current connection

  const cellsEl = document.getElementById("cells");
  const labelEl = document.getElementById("label");
  const stateEl = document.getElementById("state");
  const linkEl = document.getElementById("link");

  let cells = new Map();     // parent msg_id -> cell
  let displays = new Map();  // display_id -> Set of output views
  const dirtyStreams = new Set();
  let frameRequested = false;

  // -- small DOM helpers -------------------------------------------------------------
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function joinText(value) {
    if (Array.isArray(value)) return value.join("");
    return typeof value === "string" ? value : "";
  }
  function atBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
  }
  function follow(stick) {
    if (stick) window.scrollTo(0, document.body.scrollHeight);
  }

  // -- ANSI escapes (SGR colours and styles; other sequences are dropped) --------------
  const PALETTE = [
    "#000000", "#cd3131", "#0dbc79", "#c4a000", "#2472c8", "#bc3fbc", "#11a8cd", "#a0a0a0",
    "#666666", "#f14c4c", "#23d18b", "#d6b400", "#3b8eea", "#d670d6", "#29b8db", "#e5e5e5",
  ];
  function color256(n) {
    if (n < 16) return PALETTE[n];
    if (n >= 232) { const v = 8 + (n - 232) * 10; return `rgb(${v},${v},${v})`; }
    n -= 16;
    const c = [Math.floor(n / 36), Math.floor(n / 6) % 6, n % 6].map((x) => (x ? x * 40 + 55 : 0));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }
  function applySgr(state, params) {
    const codes = params === "" ? [0] : params.split(";").map((p) => parseInt(p || "0", 10));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c === 0) { state.fg = state.bg = null; state.bold = state.italic = state.underline = false; }
      else if (c === 1) state.bold = true;
      else if (c === 3) state.italic = true;
      else if (c === 4) state.underline = true;
      else if (c === 22) state.bold = false;
      else if (c === 23) state.italic = false;
      else if (c === 24) state.underline = false;
      else if (c >= 30 && c <= 37) state.fg = PALETTE[c - 30];
      else if (c >= 90 && c <= 97) state.fg = PALETTE[c - 90 + 8];
      else if (c >= 40 && c <= 47) state.bg = PALETTE[c - 40];
      else if (c >= 100 && c <= 107) state.bg = PALETTE[c - 100 + 8];
      else if (c === 39) state.fg = null;
      else if (c === 49) state.bg = null;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5 && i + 2 < codes.length) {
        state[c === 38 ? "fg" : "bg"] = color256(codes[i + 2]); i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2 && i + 4 < codes.length) {
        state[c === 38 ? "fg" : "bg"] = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`; i += 4;
      }
    }
  }
  function ansiInto(parent, text) {
    text = text.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, ""); // OSC (titles, links)
    const state = { fg: null, bg: null, bold: false, italic: false, underline: false };
    const re = /\x1b\[([0-9;?]*)([A-Za-z])/g;
    let last = 0, m;
    const emit = (chunk) => {
      if (!chunk) return;
      if (!state.fg && !state.bg && !state.bold && !state.italic && !state.underline) {
        parent.appendChild(document.createTextNode(chunk));
        return;
      }
      const span = el("span", null, chunk);
      if (state.fg) span.style.color = state.fg;
      if (state.bg) span.style.backgroundColor = state.bg;
      if (state.bold) span.classList.add("ansi-bold");
      if (state.italic) span.classList.add("ansi-italic");
      if (state.underline) span.classList.add("ansi-underline");
      parent.appendChild(span);
    };
    while ((m = re.exec(text)) !== null) {
      emit(text.slice(last, m.index));
      if (m[2] === "m") applySgr(state, m[1]);
      last = re.lastIndex;
    }
    emit(text.slice(last).replace(/\x1b/g, ""));
  }
  // What a terminal shows for text with carriage returns: each line keeps what follows its last \r.
  function overwrite(text) {
    return text.replace(/\r\n/g, "\n").split("\n").map((line) => {
      const trimmed = line.replace(/\r+$/, "");
      const at = trimmed.lastIndexOf("\r");
      return at < 0 ? trimmed : trimmed.slice(at + 1);
    }).join("\n");
  }

  // -- minimal Markdown (CommonMark's common subset), built as DOM nodes -----------------
  function safeHref(url) {
    return /^(https?:|mailto:|#)/i.test(url) ? url : null;
  }
  function inline(parent, text) {
    const re = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*([^\s*][\s\S]*?)\*|\b_([^\s_][\s\S]*?)_\b|!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)|\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1]) parent.appendChild(el("code", null, m[2].trim()));
      else if (m[3] !== undefined || m[4] !== undefined) inline(parent.appendChild(el("strong")), m[3] ?? m[4]);
      else if (m[5] !== undefined || m[6] !== undefined) inline(parent.appendChild(el("em")), m[5] ?? m[6]);
      else if (m[8] !== undefined) {
        if (/^data:image\//i.test(m[8])) { const img = el("img"); img.alt = m[7]; img.src = m[8]; parent.appendChild(img); }
        else parent.appendChild(document.createTextNode(m[7]));
      } else if (m[10] !== undefined) {
        const href = safeHref(m[10]);
        if (href) {
          const a = el("a"); a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
          inline(a, m[9]); parent.appendChild(a);
        } else inline(parent, m[9]);
      }
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function markdown(source) {
    const root = el("div", "markdown");
    const lines = source.replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    const isBlockStart = (line) => /^(#{1,6}\s|```|~~~|>|\s*([-*+]|\d+[.)])\s|\s*(-{3,}|\*{3,}|_{3,})\s*$|\|)/.test(line);
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (!line.trim()) { i++; continue; }
      if ((m = /^(```|~~~)\s*([\w+-]*)/.exec(line))) {
        const fence = m[1], body = [];
        for (i++; i < lines.length && !lines[i].startsWith(fence); i++) body.push(lines[i]);
        i++;
        const pre = el("pre"); pre.appendChild(el("code", null, body.join("\n"))); root.appendChild(pre);
      } else if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
        inline(root.appendChild(el("h" + m[1].length)), m[2]); i++;
      } else if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
        root.appendChild(el("hr")); i++;
      } else if (line.startsWith(">")) {
        const body = [];
        for (; i < lines.length && lines[i].startsWith(">"); i++) body.push(lines[i].replace(/^>\s?/, ""));
        const quote = el("blockquote"); quote.appendChild(markdown(body.join("\n"))); root.appendChild(quote);
      } else if ((m = /^\s*([-*+]|\d+[.)])\s+/.exec(line))) {
        const ordered = /\d/.test(m[1]);
        const list = el(ordered ? "ol" : "ul");
        for (; i < lines.length; i++) {
          const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
          if (item) inline(list.appendChild(el("li")), item[2]);
          else if (lines[i].trim() && /^\s+/.test(lines[i]) && list.lastChild) inline(list.lastChild, " " + lines[i].trim());
          else break;
        }
        root.appendChild(list);
      } else if (line.startsWith("|") && i + 1 < lines.length && /^\|?[\s:|-]+\|?$/.test(lines[i + 1]) && lines[i + 1].includes("-")) {
        const cellsOf = (row) => row.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
        const table = el("table"), head = table.appendChild(el("thead")).appendChild(el("tr"));
        cellsOf(line).forEach((c) => inline(head.appendChild(el("th")), c));
        const body = table.appendChild(el("tbody"));
        for (i += 2; i < lines.length && lines[i].trim().startsWith("|"); i++) {
          const row = body.appendChild(el("tr"));
          cellsOf(lines[i]).forEach((c) => inline(row.appendChild(el("td")), c));
        }
        root.appendChild(table);
      } else {
        const body = [line];
        for (i++; i < lines.length && lines[i].trim() && !isBlockStart(lines[i]); i++) body.push(lines[i]);
        inline(root.appendChild(el("p")), body.join("\n"));
      }
    }
    return root;
  }

  // -- one MIME bundle ------------------------------------------------------------------
  function renderMime(mime, value, metadata, data) {
    const meta = (metadata && typeof metadata[mime] === "object" && metadata[mime]) || {};
    if (WIDGETS && mime === WIDGETS.mimeType) return widgets.view(value, joinText(data["text/plain"]));
    if (mime === "text/html") {
      const frame = el("iframe");
      // No allow-scripts: nothing in it runs. allow-same-origin only lets this page
      // measure its height; the page's CSP (no remote loads) applies inside too.
      frame.setAttribute("sandbox", "allow-same-origin");
      frame.setAttribute("referrerpolicy", "no-referrer");
      frame.setAttribute("title", "HTML output");
      frame.srcdoc = '<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
        "<style>body{margin:4px;font:13px/1.4 system-ui,sans-serif;color:#1f2328;background:#fff}" +
        "table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:2px 6px;text-align:right}" +
        "th{background:#f6f8fa}</style>" + joinText(value);
      frame.addEventListener("load", () => {
        try {
          const body = frame.contentDocument && frame.contentDocument.body;
          if (body) frame.style.height = Math.min(Math.max(body.scrollHeight, body.offsetHeight) + 16, 2000) + "px";
        } catch (e) { /* not measurable: keep the default height */ }
      });
      return frame;
    }
    if (IMAGE_BASE64.has(mime)) {
      const img = el("img");
      img.alt = mime;
      img.src = `data:${mime};base64,${joinText(value).replace(/\s/g, "")}`;
      if (meta.width) img.width = meta.width;
      if (meta.height) img.height = meta.height;
      return img;
    }
    if (mime === "image/svg+xml") {
      const img = el("img");
      img.alt = mime;
      img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(joinText(value));
      return img;
    }
    if (mime === "text/markdown") return markdown(joinText(value));
    if (mime === "text/latex") {
      const pre = el("pre", "latex", joinText(value));
      pre.title = "LaTeX, shown as source (the sidecar does not typeset it)";
      return pre;
    }
    if (mime === "application/json") return el("pre", null, JSON.stringify(value, null, 2));
    const pre = el("pre");
    ansiInto(pre, joinText(value));
    return pre;
  }

  function bundleView(data, metadata) {
    const view = el("div", "output");
    view.render = (data, metadata) => {
      view.replaceChildren();
      const mimes = MIME_ORDER.filter((m) => data && data[m] !== undefined);
      if (!mimes.length) {
        const others = Object.keys(data || {});
        view.appendChild(el("div", "notice", others.length ? `(no view for ${others.join(", ")})` : "(empty output)"));
        return;
      }
      const body = el("div");
      const show = (mime) => {
        body.replaceChildren(renderMime(mime, data[mime], metadata, data));
        for (const b of view.querySelectorAll(".tabs button")) b.setAttribute("aria-pressed", String(b.dataset.mime === mime));
      };
      if (mimes.length > 1) {
        const tabs = view.appendChild(el("div", "tabs"));
        for (const mime of mimes) {
          const b = tabs.appendChild(el("button", null, mime));
          b.type = "button";
          b.dataset.mime = mime;
          b.addEventListener("click", () => show(mime));
        }
      }
      view.appendChild(body);
      show(mimes[0]);
    };
    view.render(data, metadata);
    return view;
  }

  // -- cells: the outputs of one request, grouped by the request's msg_id -----------------
  function cellFor(event) {
    const key = event.parentId || "(no parent)";
    let cell = cells.get(key);
    if (cell) return cell;
    const node = el("section", "cell");
    if (event.origin) node.dataset.origin = event.origin;
    const head = node.appendChild(el("div", "cell-head"));
    const prompt = head.appendChild(el("span", "count", ""));
    const who = event.origin === "editor" ? "editor" : event.origin === "other" ? "other client" : event.session ? `client ${event.session}` : "";
    if (who) head.appendChild(el("span", "origin", who));
    const code = node.appendChild(el("pre", "code"));
    const outputs = node.appendChild(el("div", "outputs"));
    cell = { key, node, prompt, code, outputs, clearPending: false, lastStream: null, views: [] };
    cells.set(key, cell);
    cellsEl.appendChild(node);
    while (cells.size > MAX_CELLS) {
      const [oldKey, old] = cells.entries().next().value;
      clearCell(old);
      old.node.remove();
      cells.delete(oldKey);
    }
    return cell;
  }

  function clearCell(cell) {
    for (const view of cell.views) {
      if (view.displayId && displays.has(view.displayId)) displays.get(view.displayId).delete(view);
    }
    cell.views = [];
    cell.lastStream = null;
    cell.outputs.replaceChildren();
    cell.clearPending = false;
  }

  function renderStream(view) {
    view.pre.replaceChildren();
    ansiInto(view.pre, overwrite(view.raw));
  }
  function scheduleStream(view) {
    dirtyStreams.add(view);
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(() => {
      frameRequested = false;
      const stick = atBottom();
      for (const v of dirtyStreams) renderStream(v);
      dirtyStreams.clear();
      follow(stick);
    });
  }

  function output(event) {
    const content = event.content || {};
    const type = event.msgType;
    if (type === "update_display_data") {
      const id = content.transient && content.transient.display_id;
      for (const view of displays.get(id) || []) view.render(content.data, content.metadata);
      return;
    }
    const cell = cellFor(event);
    if (type === "execute_input") {
      cell.prompt.textContent = content.execution_count != null ? `In [${content.execution_count}]` : "";
      cell.code.textContent = joinText(content.code).replace(/^\s*\n|\s+$/g, "");
      return;
    }
    if (type === "clear_output") {
      if (content.wait) cell.clearPending = true;
      else clearCell(cell);
      return;
    }
    if (cell.clearPending) clearCell(cell);
    const stick = atBottom();
    if (type === "stream") {
      const name = content.name || "stdout";
      let view = cell.lastStream;
      if (!view || view.name !== name || cell.outputs.lastChild !== view) {
        view = el("div", "output");
        view.name = name;
        view.raw = "";
        view.pre = view.appendChild(el("pre", "stream"));
        view.pre.dataset.name = name;
        cell.outputs.appendChild(view);
        cell.views.push(view);
        cell.lastStream = view;
      }
      view.raw += joinText(content.text);
      if (view.raw.length > MAX_STREAM_CHARS) view.raw = "…" + view.raw.slice(-MAX_STREAM_CHARS);
      scheduleStream(view);
      return;
    }
    let view;
    if (type === "display_data" || type === "execute_result") {
      view = bundleView(content.data, content.metadata);
      if (type === "execute_result" && content.execution_count != null) {
        view.prepend(el("div", "prompt", `Out[${content.execution_count}]:`));
      }
      const id = content.transient && content.transient.display_id;
      if (id) {
        view.displayId = id;
        if (!displays.has(id)) displays.set(id, new Set());
        displays.get(id).add(view);
      }
    } else if (type === "error") {
      view = el("div", "output");
      const pre = view.appendChild(el("pre", "error"));
      const tb = Array.isArray(content.traceback) && content.traceback.length
        ? content.traceback.join("\n")
        : `${content.ename || "Error"}: ${content.evalue || ""}`;
      ansiInto(pre, tb);
    } else if (type === "omitted") {
      view = el("div", "notice", `(an output of ${Math.round(content.chars / 1e6)} MB was too large for the sidecar: ${(content.mimeTypes || []).join(", ")})`);
    } else {
      return;
    }
    cell.outputs.appendChild(view);
    cell.views.push(view);
    cell.lastStream = null;
    follow(stick);
  }

  // -- input() prompts: the one thing the page sends back (bridge/sidecar/prompts.py) -----
  let socket = null;
  const promptViews = new Map(); // prompt id -> form
  function askInput(event) {
    if (promptViews.has(event.id)) return;
    const stick = atBottom();
    const form = el("form", "input-prompt");
    form.dataset.promptId = event.id;
    const label = form.appendChild(el("label"));
    label.appendChild(el("span", "input-text", event.prompt || "input:"));
    const field = label.appendChild(el("input"));
    field.type = event.password ? "password" : "text";
    field.autocomplete = "off";
    field.spellcheck = false;
    const send = form.appendChild(el("button", null, "Send"));
    send.type = "submit";
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({ type: "input", id: event.id, value: field.value }));
      form.dataset.sent = event.password ? "••••" : field.value;
      field.disabled = send.disabled = true;
    });
    const cell = cellFor({ parentId: event.parentId, origin: "editor" });
    cell.outputs.appendChild(form);
    cell.lastStream = null;
    promptViews.set(event.id, form);
    follow(stick);
    field.focus();
  }
  function closeInput(event) {
    const form = promptViews.get(event.id);
    if (!form) return;
    promptViews.delete(event.id);
    const prompt = form.querySelector(".input-text").textContent;
    const done = event.answered
      ? `${prompt}${form.dataset.sent !== undefined ? form.dataset.sent : "(answered)"}`
      : `${prompt}(no answer: interrupted)`;
    form.replaceWith(el("pre", "stream input-done", done));
  }

  // -- page events ----------------------------------------------------------------------
  function notice(text, className) {
    const stick = atBottom();
    cellsEl.appendChild(el("div", className || "notice", text));
    follow(stick);
  }
  function setState(state) {
    stateEl.dataset.state = state || "unknown";
    stateEl.textContent = state || "unknown";
  }
  function setLink(text, state) {
    linkEl.textContent = text;
    linkEl.dataset.link = state;
  }
  function reset() {
    cells = new Map();
    displays = new Map();
    dirtyStreams.clear();
    cellsEl.replaceChildren();
    promptViews.clear();
  }

  function handle(event) {
    switch (event.type) {
      case "hello":
        reset();
        labelEl.textContent = event.label || "kernel";
        document.title = `${event.label || "kernel"} · sidecar`;
        setState(event.executionState);
        if (event.evicted) notice(`(${event.evicted} older outputs are no longer kept)`);
        break;
      case "status":
        setState(event.executionState);
        break;
      case "kernel":
        if (event.event === "restarted") notice("kernel restarted", "divider");
        else if (event.event === "dead") { notice(`kernel stopped${event.reason ? ": " + event.reason : ""}`, "divider"); setState("dead"); }
        break;
      case "dropped":
        notice(`(${event.count} outputs skipped: this page fell behind the kernel)`);
        break;
      case "output":
        output(event);
        break;
      case "input":
        askInput(event);
        break;
      case "inputDone":
        closeInput(event);
        break;
    }
  }

  function connect() {
    const token = new URLSearchParams(location.search).get("token") || "";
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`);
    socket = ws;
    ws.binaryType = "arraybuffer";
    const deliver = (event) => {
      try { handle(event); } catch (e) { notice(`(an output could not be shown: ${e})`); }
    };
    if (WIDGETS) {
      const send = (frame) => ws.readyState === WebSocket.OPEN && (ws.send(frame), true);
      widgets = WIDGETS.attach({ send, deliver, notice });
    }
    ws.addEventListener("open", () => setLink("live", "up"));
    ws.addEventListener("message", (msg) => {
      let events;
      try {
        events = msg.data instanceof ArrayBuffer ? [widgets.decode(msg.data)] : JSON.parse(msg.data);
      } catch (e) { return; }
      for (const event of Array.isArray(events) ? events : [events]) {
        if (widgets) {
          try { widgets.receive(event); } catch (e) { notice(`(a widget message could not be handled: ${e})`); }
        } else deliver(event);
      }
    });
    ws.addEventListener("close", () => {
      setLink("disconnected: the sidecar stopped (kernel shut down, or its bridge exited)", "down");
    });
  }
  connect();
})();
