// What the Jupyter Variables view shows: `jupyter/variables` results → rows, and the view's
// state (no kernel, not supported, error…) → rows or a welcome message. No VS Code API:
// unit-tested directly; src/variablesView.ts puts it on screen.

import type { Variable } from './protocol';

/** Characters of a summary shown in a row's description (the tooltip has all of it). */
export const DESCRIPTION_SUMMARY_CHARS = 80;

export type VariablesState =
  | { kind: 'noKernel' }
  /** The kernel is starting or restarting: its namespace is (about to be) empty. */
  | { kind: 'waiting'; kernel: string; why: string }
  | { kind: 'dead'; kernel: string; reason?: string }
  | { kind: 'ok'; kernel: string; variables: Variable[] }
  /** -32016: the kernel cannot list its variables. */
  | { kind: 'unsupported'; kernel: string; message: string }
  | { kind: 'error'; kernel: string; message: string };

export interface VariableRow {
  kind: 'variable';
  label: string;
  description: string;
  /** Markdown. */
  tooltip: string;
  /** For screen readers (and the e2e tests): "name, type, dims, summary". */
  accessibilityLabel: string;
  variable: Variable;
}

export interface MessageRow {
  kind: 'message';
  label: string;
  tooltip: string;
  icon: 'info' | 'warning' | 'error' | 'loading~spin';
}

export type Row = VariableRow | MessageRow;

export interface ViewContent {
  rows: Row[];
  /** The `kernelBridge.variablesState` context key: picks the viewsWelcome text when `rows` is empty. */
  context: 'noKernel' | 'empty' | 'rows';
  /** Shown beside the view's title: the kernel. */
  description: string;
}

/** Size or shape: `len 3`, `3×4`, `()`. */
export function dimensions(v: Variable): string | undefined {
  if (Array.isArray(v.shape)) return v.shape.length ? v.shape.join('×') : '()';
  if (typeof v.size === 'number') return `len ${v.size}`;
  return undefined;
}

/** Whitespace (newlines of a DataFrame's repr) collapsed, cut at `max` characters with an ellipsis. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A fence longer than any run of backticks in `text`, so the text cannot close it. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+\-.!|~]/g, '\\$&');
}

export function variableRow(v: Variable): VariableRow {
  const dims = dimensions(v);
  const type = v.type || '?';
  const summary = typeof v.summary === 'string' ? v.summary : String(v.summary ?? '');
  const head = dims ? `${type} (${dims})` : type;
  const fence = fenceFor(summary);
  return {
    kind: 'variable',
    label: v.name,
    description: summary ? `${head} = ${oneLine(summary, DESCRIPTION_SUMMARY_CHARS)}` : head,
    tooltip: `**${escapeMarkdown(v.name)}**: \`${type.replace(/`/g, '')}\`${dims ? ` ${escapeMarkdown(dims)}` : ''}\n\n${fence}\n${summary}\n${fence}`,
    accessibilityLabel: [v.name, type, dims, summary].filter(Boolean).join(', '),
    variable: v,
  };
}

/** Rows sorted by name (case-insensitive, then as is), as variable explorers do. */
export function variableRows(variables: Variable[]): VariableRow[] {
  return variables
    .filter((v) => v && typeof v.name === 'string')
    .map(variableRow)
    .sort((a, b) => {
      const ai = a.label.toLowerCase();
      const bi = b.label.toLowerCase();
      return ai < bi ? -1 : ai > bi ? 1 : a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
    });
}

export function viewContent(state: VariablesState): ViewContent {
  switch (state.kind) {
    case 'noKernel':
      return { rows: [], context: 'noKernel', description: '' };
    case 'waiting':
      return {
        rows: [{ kind: 'message', label: `Kernel ${state.why}…`, tooltip: `${state.kernel} is ${state.why}: its variables show once it is ready.`, icon: 'loading~spin' }],
        context: 'rows',
        description: state.kernel,
      };
    case 'dead':
      return {
        rows: [{ kind: 'message', label: 'The kernel is dead', tooltip: `${state.kernel} died${state.reason ? `: ${state.reason}` : ''}. Restart it to run code again.`, icon: 'error' }],
        context: 'rows',
        description: state.kernel,
      };
    case 'unsupported':
      return {
        rows: [{ kind: 'message', label: 'Not supported by this kernel', tooltip: state.message, icon: 'info' }],
        context: 'rows',
        description: state.kernel,
      };
    case 'error':
      return {
        rows: [{ kind: 'message', label: `Could not list the variables: ${oneLine(state.message, 120)}`, tooltip: state.message, icon: 'warning' }],
        context: 'rows',
        description: state.kernel,
      };
    case 'ok': {
      const rows = variableRows(state.variables);
      return { rows, context: rows.length ? 'rows' : 'empty', description: state.kernel };
    }
  }
}
