// The output view's script (runs inside the webview). Renders runs posted by the extension:
// streams and tracebacks with ANSI colours as styled spans, rich mime bundles (HTML,
// Markdown, SVG, PNG/JPEG/GIF, JSON, plain text). Nothing is fetched: images are data: URLs
// and the page's CSP forbids remote resources and any script but this one and the widget
// manager before it (the sidecar's, widgets.js): Jupyter widgets are live here, linked to
// their kernel through the extension (src/widgets.ts).

import { marked } from 'marked';
import { parseAnsi, type Style } from '../ansi';
import type { OutputItem } from '../runs';
import { pickMime, type FromView, type RunView, type ToView, type WidgetEvent, type WidgetMessage } from '../viewModel';

declare function acquireVsCodeApi(): { postMessage(msg: FromView): void };

/** The sidecar's widget manager (sidecar-widgets/src/index.js), loaded before this script. */
interface WidgetManager {
  receive(event: unknown): void;
  decode(frame: ArrayBuffer): { buffers?: DataView[] } & Record<string, unknown>;
  view(spec: unknown, fallback: string): HTMLElement;
}
interface WidgetsApi {
  mimeType: string;
  attach(page: { send(data: string | ArrayBuffer): boolean; deliver(event: unknown): void; notice(text: string): void }): WidgetManager;
}

const vscode = acquireVsCodeApi();
const container = document.getElementById('runs')!;
const summary = document.getElementById('summary')!;
const runs = new Map<number, HTMLElement>();
const WIDGETS = (window as unknown as { kernelBridgeWidgets?: WidgetsApi }).kernelBridgeWidgets;
/** One widget manager per kernel, made when the view first meets one of its widgets. */
const managers = new Map<string, WidgetManager>();
/** A widget output's element, kept across re-renders of its run (`run:index:model`). */
let widgetHolders = new Map<string, HTMLElement>();

function base64(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string): DataView {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return new DataView(bytes.buffer);
}

function widgetsFor(kernelId: string): WidgetManager | undefined {
  if (!WIDGETS) return undefined;
  let manager = managers.get(kernelId);
  if (manager) return manager;
  const send = (data: string | ArrayBuffer): boolean => {
    const message = typeof data === 'string' ? JSON.parse(data) : manager!.decode(data);
    const buffers = Array.isArray(message.buffers) ? (message.buffers as DataView[]).map(base64) : [];
    vscode.postMessage({ type: 'widget', kernelId, message: { ...message, buffers } as WidgetMessage });
    return true;
  };
  manager = WIDGETS.attach({ send, deliver: () => undefined, notice: (text) => console.warn(`kernel-bridge widgets: ${text}`) });
  managers.set(kernelId, manager);
  // as the sidecar's hello: the manager asks the kernel for the widgets that exist
  manager.receive({ type: 'hello', widgets: true });
  return manager;
}

function widgetEvents(kernelId: string, events: WidgetEvent[]): void {
  for (const event of events) {
    if (event.type === 'kernel' && !managers.has(kernelId)) continue;
    const manager = widgetsFor(kernelId);
    if (!manager) return;
    try {
      manager.receive(event.type === 'comm' ? { ...event, buffers: event.buffers.map(fromBase64) } : event);
    } catch (err) {
      console.warn(`kernel-bridge widgets: a widget message could not be handled: ${err}`);
    }
  }
}

document.getElementById('clear')!.addEventListener('click', () => vscode.postMessage({ type: 'clear' }));

window.addEventListener('message', (event: MessageEvent<ToView>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'widgets':
      widgetEvents(msg.kernelId, msg.events);
      return;
    case 'reset':
      container.replaceChildren();
      runs.clear();
      widgetHolders = new Map();
      for (const run of msg.runs) renderRun(run);
      break;
    case 'update':
      for (const run of msg.runs) renderRun(run);
      break;
    case 'remove':
      for (const id of msg.ids) {
        runs.get(id)?.remove();
        runs.delete(id);
        for (const key of [...widgetHolders.keys()]) if (key.startsWith(`${id}:`)) widgetHolders.delete(key);
      }
      break;
  }
  summary.textContent = runs.size === 0 ? 'No runs yet.' : `${runs.size} run${runs.size === 1 ? '' : 's'}`;
});

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderRun(run: RunView): void {
  let section = runs.get(run.id);
  const isNew = !section;
  if (!section) {
    section = el('section', 'run');
    section.id = `run-${run.id}`;
    runs.set(run.id, section);
    container.appendChild(section);
  }
  section.dataset.state = run.state;
  const header = el('header');
  const count = run.executionCount !== null ? `[${run.executionCount}]` : run.state === 'running' ? '[*]' : '[ ]';
  header.append(el('span', 'count', count), el('span', 'title', `${run.title} · ${run.kernel}`), el('span', `state state-${run.state}`, run.state));
  const code = el('pre', 'code', run.code);
  const outputs = el('div', 'outputs');
  const holders = new Map<string, HTMLElement>();
  run.outputs.forEach((item, index) => {
    const widget = item.kind === 'data' ? renderWidget(run, index, item.data, holders) : undefined;
    outputs.appendChild(widget ?? renderItem(item));
  });
  for (const [key, holder] of widgetHolders) if (key.startsWith(`${run.id}:`) && !holders.has(key)) holder.remove();
  for (const key of [...widgetHolders.keys()]) if (key.startsWith(`${run.id}:`)) widgetHolders.delete(key);
  for (const [key, holder] of holders) widgetHolders.set(key, holder);
  if (run.failure) outputs.appendChild(el('pre', 'failure', run.failure));
  section.replaceChildren(header, code, outputs);
  if (isNew || section === container.lastElementChild) section.scrollIntoView({ block: 'end' });
}

/** A widget output, live (the same element as the last render of this run, if any). */
function renderWidget(run: RunView, index: number, data: Record<string, unknown>, holders: Map<string, HTMLElement>): HTMLElement | undefined {
  if (!WIDGETS || !(WIDGETS.mimeType in data)) return undefined;
  const spec = data[WIDGETS.mimeType] as { model_id?: unknown } | undefined;
  const key = `${run.id}:${index}:${String(spec?.model_id)}`;
  let holder = widgetHolders.get(key);
  if (!holder) {
    const manager = widgetsFor(run.kernelId);
    if (!manager) return undefined;
    holder = manager.view(spec, text(data['text/plain'] ?? ''));
  }
  holders.set(key, holder);
  const wrap = el('div', 'output display widget');
  wrap.dataset.mime = WIDGETS.mimeType;
  wrap.appendChild(holder);
  return wrap;
}

function renderItem(item: OutputItem): HTMLElement {
  switch (item.kind) {
    case 'stream': {
      const pre = el('pre', `output stream ${item.name}`);
      if (item.dropped > 0) pre.appendChild(el('span', 'dropped', `… ${item.dropped} earlier characters not kept\n`));
      appendAnsi(pre, item.text.replace(/\r$/, ''));
      return pre;
    }
    case 'error': {
      const pre = el('pre', 'output error');
      const text = item.traceback.length ? item.traceback.join('\n') : `${item.ename}: ${item.evalue}`;
      appendAnsi(pre, text);
      return pre;
    }
    case 'notice': {
      const div = el('div', 'output notice', item.text);
      if (item.file) {
        const file = item.file;
        const link = el('a', 'open-file', ' Open the full output');
        link.href = '#';
        link.addEventListener('click', (e) => {
          e.preventDefault();
          vscode.postMessage({ type: 'openFile', file });
        });
        div.appendChild(link);
      }
      return div;
    }
    case 'data':
      return renderData(item.data, item.metadata, item.executionCount);
  }
}

function text(value: unknown): string {
  return Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : JSON.stringify(value);
}

function renderData(data: Record<string, unknown>, metadata: Record<string, unknown>, executionCount?: number): HTMLElement {
  const mime = pickMime(data);
  const wrap = el('div', executionCount !== undefined ? 'output result' : 'output display');
  if (mime) wrap.dataset.mime = mime;
  if (executionCount !== undefined) wrap.appendChild(el('span', 'out-prompt', `Out[${executionCount}]:`));
  if (!mime) {
    wrap.appendChild(el('pre', 'plain', `[${Object.keys(data).join(', ') || 'empty output'}]`));
    return wrap;
  }
  const value = data[mime];
  if (mime.startsWith('image/')) {
    const img = el('img', 'image');
    const meta = (metadata[mime] ?? {}) as Record<string, unknown>;
    if (mime === 'image/svg+xml') {
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text(value))}`;
    } else {
      img.src = `data:${mime};base64,${text(value).replace(/\s+/g, '')}`;
    }
    if (typeof meta.width === 'number') img.width = meta.width;
    if (typeof meta.height === 'number') img.height = meta.height;
    const alt = data['text/plain'];
    img.alt = alt ? text(alt) : mime;
    wrap.appendChild(img);
  } else if (mime === 'text/html') {
    const div = el('div', 'html');
    div.innerHTML = text(value); // scripts in it never run: innerHTML does not run them and the CSP forbids them
    for (const s of div.querySelectorAll('script')) s.remove();
    wrap.appendChild(div);
  } else if (mime === 'text/markdown') {
    const div = el('div', 'markdown');
    div.innerHTML = marked.parse(text(value), { async: false }) as string;
    wrap.appendChild(div);
  } else if (mime === 'application/json') {
    wrap.appendChild(el('pre', 'json', JSON.stringify(value, null, 2)));
  } else {
    const pre = el('pre', 'plain');
    appendAnsi(pre, text(value));
    wrap.appendChild(pre);
  }
  return wrap;
}

function appendAnsi(parent: HTMLElement, value: string): void {
  for (const seg of parseAnsi(value)) {
    const keys = Object.keys(seg.style);
    if (keys.length === 0) {
      parent.appendChild(document.createTextNode(seg.text));
      continue;
    }
    const span = el('span', undefined, seg.text);
    styleSpan(span, seg.style);
    parent.appendChild(span);
  }
}

function colour(c: string): string {
  if (c.startsWith('ansi:')) return `var(--kb-ansi-${c.slice(5)})`;
  return c;
}

function styleSpan(span: HTMLElement, style: Style): void {
  const classes: string[] = [];
  let fg = style.fg;
  let bg = style.bg;
  if (style.inverse) [fg, bg] = [bg ?? 'var(--vscode-editor-background)', fg ?? 'var(--vscode-editor-foreground)'];
  if (fg) {
    span.style.color = colour(fg);
    if (fg.startsWith('ansi:')) classes.push(`ansi-fg-${fg.slice(5)}`);
  }
  if (bg) span.style.backgroundColor = colour(bg);
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  span.className = classes.join(' ');
}

vscode.postMessage({ type: 'ready' });
