// What the output view's script receives: plain data, no classes (postMessage clones it).

import type { OutputItem, Run, RunState } from './runs';

export interface RunView {
  id: number;
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
  | { type: 'reset'; runs: RunView[] };

export type FromView = { type: 'ready' } | { type: 'openFile'; file: string } | { type: 'clear' };

const CODE_PREVIEW_LINES = 12;

export function runView(run: Run, kernel: string): RunView {
  const lines = run.code.split('\n');
  const code =
    lines.length > CODE_PREVIEW_LINES
      ? [...lines.slice(0, CODE_PREVIEW_LINES), `… (${lines.length - CODE_PREVIEW_LINES} more lines)`].join('\n')
      : run.code;
  return {
    id: run.id,
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

/** The output view's Content-Security-Policy: nothing remote, scripts only by nonce, images inline. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}
