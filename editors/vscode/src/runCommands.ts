// Running code: the run commands (selection or line, cell, file), each run's request
// (`jupyter/execute` or the bridge's `jupyter.runCell`, named by its runId), and what comes
// back for runs (`jupyter/output`, `jupyter/outputLimit`, `jupyter/input`) into the run store,
// the inline results and the output view.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { codeForCell, codeForSelection, type CodeToRun } from './cells';
import type { BridgeClient } from './client';
import { setting } from './config';
import type { InlineResults } from './inline';
import type { KernelInfo, KernelManager } from './kernels';
import type { OutputView } from './outputView';
import {
  Commands,
  ErrorCodes,
  Requests,
  type ExecuteParams,
  type ExecuteResult,
  type InputAnswer,
  type InputParams,
  type OutputLimitParams,
  type OutputParams,
  type RunCellParams,
} from './protocol';
import type { Run, RunStore } from './runs';
import type { VariablesView } from './variablesView';

/** What running code needs from the rest of the extension. */
export interface RunContext {
  readonly log: vscode.OutputChannel;
  readonly kernels: KernelManager;
  readonly store: RunStore;
  readonly inline: InlineResults;
  readonly view: OutputView;
  readonly variables: VariablesView;
  /** Restarts in progress: runs wait for them (the bridge fails requests sent meanwhile). */
  readonly restarts: Map<string, Promise<unknown>>;
  ensureBridge(): Promise<BridgeClient>;
  startKernel(doc: vscode.TextDocument | undefined, ask: boolean): Promise<KernelInfo | undefined>;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export class Runner {
  /** Settles when the last run asked for has been sent (see run()). */
  private sendTurn: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: RunContext) {}

  onOutput(params: OutputParams): void {
    const { changed, evicted } = this.ctx.store.applyOutput(params);
    if (evicted.length) this.ctx.view.remove(evicted);
    for (const run of changed) this.refreshRun(run);
  }

  onOutputLimit(params: OutputLimitParams): void {
    const run = this.ctx.store.forRun(params.runId);
    if (!run) return;
    run.outputLimit(params);
    this.refreshRun(run);
  }

  async onInput(params: InputParams, token: vscode.CancellationToken): Promise<InputAnswer> {
    const kernel = this.ctx.kernels.get(params.kernelId);
    const run = this.ctx.store.inputRequested(params.runId);
    if (run) this.refreshRun(run);
    const value = await vscode.window.showInputBox(
      {
        title: `${kernel?.displayName ?? 'The kernel'} asks for input`,
        prompt: params.prompt || 'Input for the running code',
        password: params.password,
        ignoreFocusOut: true,
        placeHolder: params.password ? 'hidden input; Escape cancels' : 'Enter to send; Escape cancels',
      },
      token,
    );
    if (value === undefined) {
      // The bridge then gives the kernel an empty reply or interrupts it (docs/protocol.md, "Input").
      if (run) {
        run.apply('stream', { name: 'stdout', text: `${params.prompt}⟨input cancelled⟩\n` });
        this.refreshRun(run);
      }
      throw new ResponseError(ErrorCodes.requestCancelled, token.isCancellationRequested ? 'input no longer wanted' : 'input cancelled by the user');
    }
    if (run) {
      run.apply('stream', { name: 'stdout', text: `${params.prompt}${params.password ? '••••' : value}\n` });
      this.refreshRun(run);
    }
    return { value };
  }

  // -- running code ----------------------------------------------------------------------------

  /** The kernel a document runs on; starts one (asking only if needed) when there is none. */
  private async kernelForRun(doc: vscode.TextDocument): Promise<KernelInfo | undefined> {
    const uri = doc.uri.toString();
    const kernel = this.ctx.kernels.kernelFor(uri, doc.languageId);
    if (kernel && kernel.state !== 'dead') {
      this.ctx.kernels.use(uri, kernel.kernelId);
      return kernel;
    }
    return this.ctx.startKernel(doc, false);
  }

  async cmdRunSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const doc = editor.document;
    const sel = editor.selection;
    const code = codeForSelection(lines(doc), {
      startLine: sel.start.line,
      startCharacter: sel.start.character,
      endLine: sel.end.line,
      endCharacter: sel.end.character,
    });
    if (sel.isEmpty && sel.active.line + 1 < doc.lineCount) {
      // Like a REPL: run the line and move on to the next one.
      const next = new vscode.Position(sel.active.line + 1, doc.lineAt(sel.active.line + 1).firstNonWhitespaceCharacterIndex);
      editor.selection = new vscode.Selection(next, next);
      editor.revealRange(new vscode.Range(next, next));
    }
    if (!code.code.trim()) return;
    await this.run(doc, code, 'selection', (kernel, base) => ({ execute: { ...base, kernelId: kernel.kernelId, code: code.code } }));
  }

  async cmdRunCell(uriArg?: string | vscode.Uri, lineArg?: number): Promise<ExecuteResult | undefined> {
    let doc: vscode.TextDocument | undefined;
    let line: number;
    if (uriArg !== undefined && typeof lineArg === 'number') {
      const uri = typeof uriArg === 'string' ? uriArg : uriArg.toString();
      doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (!doc) doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      line = lineArg;
    } else {
      const editor = vscode.window.activeTextEditor;
      if (!editor) return undefined;
      doc = editor.document;
      line = editor.selection.active.line;
    }
    const cell = codeForCell(lines(doc), line);
    const uri = doc.uri.toString();
    return this.run(doc, cell, 'cell', (kernel, base) =>
      this.ctx.kernels.isBoundInBridge(uri, kernel.kernelId)
        ? // The bridge finds the cell itself and publishes diagnostics for it.
          { runCell: { command: Commands.runCell, arguments: [uri, line, base.runId] } }
        : { execute: { ...base, kernelId: kernel.kernelId, code: cell.code } },
    );
  }

  async cmdRunFile(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const doc = editor.document;
    const all = lines(doc);
    let last = all.length - 1;
    while (last > 0 && all[last].trim() === '') last--;
    const code: CodeToRun = { code: doc.getText(), firstLine: 0, lastLine: last };
    await this.run(doc, code, 'file', (kernel, base) => ({ execute: { ...base, kernelId: kernel.kernelId, code: code.code } }));
  }

  /**
   * One run: its inline result at `code.lastLine`, its outputs in the output view, its
   * request built by `request` (execute, or the bridge's jupyter.runCell).
   */
  private async run(
    doc: vscode.TextDocument,
    code: CodeToRun,
    what: string,
    request: (kernel: KernelInfo, base: { uri: string; firstLine: number; runId: string }) => { execute: ExecuteParams } | { runCell: RunCellParams },
  ): Promise<ExecuteResult | undefined> {
    // Runs go out in the order they were asked for: a run waits until the one before it is
    // sent. Without this, a second Shift+Enter while the first run starts the kernel started
    // a second kernel, and ran before the first.
    const previous = this.sendTurn;
    let sent!: () => void;
    this.sendTurn = new Promise<void>((resolve) => (sent = resolve));
    let kernel: KernelInfo | undefined;
    let run: Run;
    let reply: Promise<ExecuteResult>;
    try {
      await previous;
      kernel = await this.kernelForRun(doc);
      if (!kernel) return undefined;
      await this.ctx.restarts.get(kernel.kernelId)?.catch(() => undefined);
      const bridge = await this.ctx.ensureBridge();
      const uri = doc.uri.toString();
      const title = `${path.basename(doc.uri.path)}:${code.firstLine + 1}${code.lastLine > code.firstLine ? `–${code.lastLine + 1}` : ''} (${what})`;
      const added = this.ctx.store.add(kernel.kernelId, code.code, { uri, line: code.lastLine }, title);
      run = added.run;
      if (added.evicted.length) this.ctx.view.remove(added.evicted);
      this.ctx.inline.show(uri, code.lastLine, run);
      if (setting('output.revealOnRun')) this.ctx.view.reveal(true);
      this.refreshRun(run);
      // `uri` + `firstLine` let the bridge put diagnostics on the document (docs/protocol.md);
      // `runId` names the run in its outputs, input prompts and output-limit notice.
      const req = request(kernel, { uri, firstLine: code.firstLine, runId: run.runId });
      this.ctx.store.markSent(run);
      this.ctx.log.appendLine(`[run] ${title} on ${kernel.kernelId} via ${'execute' in req ? Requests.execute.method : `${Requests.runCell.method} ${Commands.runCell}`}`);
      reply = 'execute' in req ? bridge.request(Requests.execute, req.execute) : bridge.request(Requests.runCell, req.runCell);
    } finally {
      sent();
    }
    try {
      const result = await reply;
      for (const changed of this.ctx.store.finish(run, result)) this.refreshRun(changed);
      return result;
    } catch (err) {
      const message = errorText(err);
      for (const changed of this.ctx.store.fail(run, message)) this.refreshRun(changed);
      if (err instanceof ResponseError && err.code === ErrorCodes.kernelDied) {
        this.ctx.kernels.setState(kernel.kernelId, 'dead', message);
      }
      return undefined;
    } finally {
      // The run may have defined, changed or deleted variables.
      this.ctx.variables.refresh();
    }
  }

  refreshRun(run: Run): void {
    this.ctx.inline.refresh(run);
    this.ctx.view.update([run]);
  }
}

function lines(doc: vscode.TextDocument): string[] {
  const out: string[] = [];
  for (let i = 0; i < doc.lineCount; i++) out.push(doc.lineAt(i).text);
  return out;
}
