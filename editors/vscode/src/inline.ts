// Inline results: an after-text decoration at the end of the last line that ran, updated
// while output streams in; errors in the editor's error colour.

import * as vscode from 'vscode';
import { shiftLines } from './lineShift';
import type { Run } from './runs';

interface Entry {
  run: Run;
}

export class InlineResults implements vscode.Disposable {
  private readonly normal = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('editorCodeLens.foreground'),
      margin: '0 0 0 2em',
      fontStyle: 'italic',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedOpen,
  });
  private readonly error = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('errorForeground'),
      margin: '0 0 0 2em',
      fontStyle: 'italic',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedOpen,
  });
  /** Document URI → line → the run whose result is shown there. */
  private entries = new Map<string, Map<number, Entry>>();
  private readonly disposables: vscode.Disposable[] = [];
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly maxLength: () => number) {
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors(() => this.renderAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        // Results belong to the editing session; a reopened document starts clean.
        if (this.entries.delete(doc.uri.toString())) this.render(doc.uri.toString());
      }),
    );
  }

  /** Show `run`'s result at the end of `line` of the document `uri`. */
  show(uri: string, line: number, run: Run): void {
    let lines = this.entries.get(uri);
    if (!lines) this.entries.set(uri, (lines = new Map()));
    lines.set(line, { run });
    this.schedule(uri);
  }

  /** Re-render wherever `run` is shown (its outputs changed). */
  refresh(run: Run): void {
    if (run.source) this.schedule(run.source.uri);
  }

  clear(uri?: string): void {
    if (uri) {
      this.entries.delete(uri);
      this.render(uri);
    } else {
      const uris = [...this.entries.keys()];
      this.entries.clear();
      for (const u of uris) this.render(u);
    }
  }

  private schedule(uri: string): void {
    this.pending.add(uri);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const uris = [...this.pending];
        this.pending.clear();
        for (const u of uris) this.render(u);
      }, 30);
    }
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const uri = e.document.uri.toString();
    let lines = this.entries.get(uri);
    if (!lines || e.contentChanges.length === 0) return;
    // Changes are reported in document order of the original text; apply from the bottom up.
    const changes = [...e.contentChanges].sort((a, b) => b.range.start.line - a.range.start.line);
    for (const c of changes) {
      lines = shiftLines(lines, {
        startLine: c.range.start.line,
        endLine: c.range.end.line,
        insertedLineBreaks: (c.text.match(/\n/g) ?? []).length,
      });
    }
    this.entries.set(uri, lines);
    this.schedule(uri);
  }

  private renderAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.renderEditor(editor);
  }

  private render(uri: string): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri) this.renderEditor(editor);
    }
  }

  private renderEditor(editor: vscode.TextEditor): void {
    const lines = this.entries.get(editor.document.uri.toString());
    const normal: vscode.DecorationOptions[] = [];
    const error: vscode.DecorationOptions[] = [];
    for (const [line, { run }] of lines ?? []) {
      if (line >= editor.document.lineCount) continue;
      const end = editor.document.lineAt(line).range.end;
      const { text, isError } = run.summary(this.maxLength());
      const option: vscode.DecorationOptions = {
        range: new vscode.Range(end, end),
        renderOptions: { after: { contentText: `→ ${text}` } },
      };
      (isError ? error : normal).push(option);
    }
    editor.setDecorations(this.normal, normal);
    editor.setDecorations(this.error, error);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.normal.dispose();
    this.error.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
