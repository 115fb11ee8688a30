// "Export Runs as Notebook…": which runs, where to, and the `jupyter/exportNotebook` request
// (docs/protocol.md). The bridge keeps the runs and writes the notebook; the extension only
// asks the user. The dialogs come in as functions, so what the command sends is unit-tested
// without VS Code.

import * as path from 'node:path';
import type { ExportNotebookParams, ExportNotebookResult } from './protocol';

export type ExportScope = ExportNotebookParams['runs'];

export interface ExportTarget {
  kernelId: string;
  /** The kernel as the user knows it (its display name). */
  kernelName: string;
  /** The active document, when it runs on this kernel: its runs can be exported alone. */
  document?: {
    uri: string;
    /** Its file on disk, if it is one: the notebook is suggested beside it. */
    file?: string;
  };
  /** Where to suggest the notebook when there is no document file (the workspace folder). */
  folder?: string;
}

export interface ScopeChoice {
  label: string;
  description?: string;
  runs: ExportScope;
}

export interface ExportDialogs {
  /** Which runs (first choice: the default); undefined when the user cancels. */
  chooseRuns(choices: ScopeChoice[]): Promise<ExportScope | undefined>;
  /** The notebook's path on this machine, `suggested` preselected; undefined when cancelled. */
  choosePath(suggested: string | undefined): Promise<string | undefined>;
}

/** The notebook path offered first: the document's name with `.ipynb`, else one named for the kernel. */
export function suggestedPath(target: ExportTarget): string | undefined {
  const file = target.document?.file;
  if (file) {
    const parsed = path.parse(file);
    return path.join(parsed.dir, `${parsed.name}.ipynb`);
  }
  if (!target.folder) return undefined;
  const name = target.kernelName.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'kernel';
  return path.join(target.folder, `${name}-runs.ipynb`);
}

/**
 * Ask which runs (only when there is a document to narrow them to) and where, then send the
 * request. Undefined when the user cancelled a dialog: nothing was sent.
 */
export async function exportRuns(
  target: ExportTarget,
  dialogs: ExportDialogs,
  send: (params: ExportNotebookParams) => Promise<ExportNotebookResult>,
): Promise<ExportNotebookResult | undefined> {
  let runs: ExportScope = 'all';
  if (target.document) {
    const name = target.document.file ? path.basename(target.document.file) : target.document.uri;
    const chosen = await dialogs.chooseRuns([
      { label: `Runs of ${name}`, description: `on ${target.kernelName}`, runs: 'document' },
      { label: `All runs on ${target.kernelName}`, description: 'from every file', runs: 'all' },
    ]);
    if (!chosen) return undefined;
    runs = chosen;
  }
  const file = await dialogs.choosePath(suggestedPath(target));
  if (!file) return undefined;
  const params: ExportNotebookParams = { kernelId: target.kernelId, path: file, runs };
  if (runs === 'document' && target.document) params.uri = target.document.uri;
  return send(params);
}
