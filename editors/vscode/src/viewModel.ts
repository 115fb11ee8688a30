// What the output view's script receives: plain data, no classes (postMessage clones it).

import type { CommParams } from './protocol';
import type { OutputItem, Run, RunState } from './runs';

export interface RunView {
  id: number;
  /** The bridge's id of the run's kernel (its widgets live there). */
  kernelId: string;
  title: string;
  kernel: string;
  code: string;
  state: RunState;
  executionCount: number | null;
  failure?: string;
  outputs: OutputItem[];
}

export type ToView =
  | { type: 'update'; runs: RunView[] }
  | { type: 'remove'; ids: number[] }
  | { type: 'reset'; runs: RunView[] }
  | { type: 'widgets'; kernelId: string; events: WidgetEvent[] };

export type FromView =
  | { type: 'ready' }
  | { type: 'openFile'; file: string }
  | { type: 'clear' }
  | { type: 'widget'; kernelId: string; message: WidgetMessage };

/**
 * The widget manager's link to a kernel (the sidecar's widget events, docs/sidecar.md: the
 * output view runs the same bundle): the kernel's comm messages, the kernel idle on one of
 * the view's messages, the msgId each of the view's messages got (`ref` is the view's name
 * for it), the answer to `comm_info`, and `kernel` when the kernel restarted or died.
 */
export type WidgetEvent =
  // a jupyter/comm's params; buffers base64 (postMessage carries them to the view, which makes DataViews of them)
  | ({ type: 'comm' } & Omit<CommParams, 'kernelId'>)
  | { type: 'status'; parentId: string; executionState: 'idle' }
  | { type: 'sent'; ref: string; msgId?: string; error?: string }
  | { type: 'comm_info'; ref: string; comms?: Record<string, unknown>; error?: string }
  | { type: 'kernel' };

/** What the view's widget manager sends a kernel: a comm message on a widget comm, or which widgets exist. */
export type WidgetMessage =
  | { type: 'comm_msg'; ref: string; commId: string; data: Record<string, unknown>; metadata: Record<string, unknown>; buffers: string[] }
  | { type: 'comm_info'; ref: string };

const CODE_PREVIEW_LINES = 12;

export function runView(run: Run, kernel: string): RunView {
  const lines = run.code.split('\n');
  const code =
    lines.length > CODE_PREVIEW_LINES
      ? [...lines.slice(0, CODE_PREVIEW_LINES), `… (${lines.length - CODE_PREVIEW_LINES} more lines)`].join('\n')
      : run.code;
  return {
    id: run.id,
    kernelId: run.kernelId,
    title: run.title,
    kernel,
    code,
    state: run.state,
    executionCount: run.executionCount,
    failure: run.failure,
    outputs: run.outputs,
  };
}

/** The mime type a rich output is shown as, best first (what Jupyter front ends prefer). */
export const MIME_ORDER = [
  'text/html',
  'text/markdown',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/latex',
  'application/json',
  'text/plain',
];

export function pickMime(data: Record<string, unknown>): string | undefined {
  return MIME_ORDER.find((m) => m in data) ?? Object.keys(data).find((m) => m.startsWith('text/'));
}

/**
 * The output view's Content-Security-Policy: nothing remote, scripts only by nonce (no eval),
 * images inline or from blob: URLs the widgets make (the Image widget), fonts from the
 * extension or data: (the widgets' icons), and inline styles (widgets size and place their
 * parts with style attributes, as in JupyterLab).
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}
