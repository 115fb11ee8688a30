// Kernel Bridge for VS Code: glue between the editor and `kernel-bridge` (docs/protocol.md).
// All Jupyter logic is in the bridge; this file wires commands, the status bar, inline
// results and the output view to its requests and notifications.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient, type Middleware } from 'vscode-languageclient/node';
import { resolveBridgeCommand } from './bridgeCommand';
import { codeForCell, codeForSelection, type CodeToRun } from './cells';
import { BridgeClient } from './client';
import { InlineResults } from './inline';
import { KernelManager, type KernelInfo } from './kernels';
import { OutputView } from './outputView';
import {
  ErrorCodes,
  Methods,
  type ExecuteResult,
  type InputParams,
  type KernelRef,
  type KernelSpec,
  type OutputLimitParams,
  type OutputParams,
  type RunningKernel,
  type StatusParams,
} from './protocol';
import { RunStore, type Run } from './runs';
import { KernelStatusBar } from './statusBar';

const SECTION = 'kernelBridge';

class UserError extends Error {}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function errorText(err: unknown): string {
  if (err instanceof ResponseError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

class Controller implements vscode.Disposable {
  private readonly log = vscode.window.createOutputChannel('Kernel Bridge');
  private readonly kernels = new KernelManager();
  private readonly store = new RunStore(config().get<number>('output.maxRuns', 50), {
    maxTextLength: config().get<number>('output.maxTextLength', 200_000),
  });
  private readonly inline = new InlineResults(() => config().get<number>('inline.maxLength', 120));
  private readonly status = new KernelStatusBar();
  private readonly view: OutputView;
  private readonly disposables: vscode.Disposable[] = [];
  private bridge: BridgeClient | undefined;
  private starting: Promise<BridgeClient> | undefined;
  private specs: KernelSpec[] | undefined;
  /** Kernels we are shutting down on purpose (their `dead` is not news). */
  private stopping = new Set<string>();
  /** Restarts in progress: runs wait for them (the bridge fails requests sent meanwhile). */
  private restarts = new Map<string, Promise<unknown>>();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.view = new OutputView(
      context.extensionUri,
      () => this.store.all,
      (run) => this.kernels.get(run.kernelId)?.displayName ?? run.kernelId,
      () => this.clearFinishedRuns(),
    );
    this.disposables.push(
      this.log,
      this.inline,
      this.status,
      this.view,
      this.kernels.onDidChange(() => this.onKernelsChanged()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChanged(e)),
    );
    const commands: [string, (...args: any[]) => unknown][] = [
      ['startKernel', () => this.cmdStartKernel()],
      ['connectKernel', () => this.cmdConnectKernel()],
      ['runSelection', () => this.cmdRunSelection()],
      ['runCell', (uri?: string | vscode.Uri, line?: number) => this.cmdRunCell(uri, line)],
      ['runFile', () => this.cmdRunFile()],
      ['interrupt', () => this.cmdInterrupt()],
      ['restart', () => this.cmdRestart()],
      ['stop', () => this.cmdStop()],
      ['kernelActions', () => this.cmdKernelActions()],
      ['showOutput', () => this.view.reveal(false)],
      ['clearInline', () => this.inline.clear()],
      ['restartBridge', () => this.cmdRestartBridge()],
    ];
    for (const [name, fn] of commands) {
      this.disposables.push(
        vscode.commands.registerCommand(`${SECTION}.${name}`, async (...args: any[]) => {
          try {
            return await fn(...args);
          } catch (err) {
            this.reportError(err);
            return undefined;
          }
        }),
      );
    }
    this.onKernelsChanged();
  }

  // -- the bridge process -------------------------------------------------------------------

  /** The running bridge, started on first use; a missing or broken one is a UserError with the fix. */
  ensureBridge(): Promise<BridgeClient> {
    if (this.bridge?.running) return Promise.resolve(this.bridge);
    if (!this.starting) {
      this.starting = this.startBridge().finally(() => (this.starting = undefined));
    }
    return this.starting;
  }

  private async startBridge(): Promise<BridgeClient> {
    const resolution = resolveBridgeCommand(
      {
        configured: config().get<string>('path', ''),
        pathEnv: process.env.PATH,
        pythonInterpreters: this.pythonInterpreters(),
        workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
        platform: process.platform,
      },
      {
        isExecutable(file) {
          try {
            fs.accessSync(file, fs.constants.X_OK);
            return fs.statSync(file).isFile();
          } catch {
            return false;
          }
        },
      },
    );
    if (!resolution.ok) {
      this.log.appendLine(`[kernel-bridge] not found; looked at:\n  ${resolution.looked.join('\n  ')}`);
      throw new UserError(resolution.message);
    }
    this.log.appendLine(`[kernel-bridge] using ${resolution.command} (${resolution.how})`);
    const bridge = new BridgeClient(
      {
        command: resolution.command,
        args: config().get<string[]>('args', []),
        cwd: vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined,
        initializationOptions: {
          startupTimeout: config().get<number>('startupTimeout', 60),
          outputLimitBytes: config().get<number>('output.limitBytes', 4194304),
          ...(config().get<string>('defaultKernel') ? { defaultKernel: config().get<string>('defaultKernel') } : {}),
        },
      },
      this.log,
      this.middleware(),
      (client) => this.hookClient(client),
    );
    bridge.onDidExit((message) => this.onBridgeExit(message));
    try {
      await bridge.start();
    } catch (err) {
      await bridge.stop().catch(() => undefined);
      throw new UserError(errorText(err));
    }
    this.bridge = bridge;
    this.disposables.push(bridge);
    void this.loadSpecs(bridge);
    return bridge;
  }

  private pythonInterpreters(): string[] {
    const out: string[] = [];
    const configured = vscode.workspace.getConfiguration('python').get<string>('defaultInterpreterPath');
    if (configured) out.push(configured.replace(/^~(?=\/)/, os.homedir()));
    return out;
  }

  private async loadSpecs(bridge: BridgeClient): Promise<KernelSpec[]> {
    const specs = await bridge.request<KernelSpec[]>(Methods.listKernelspecs, {});
    this.specs = specs;
    this.kernels.setSpecLanguages(specs.map((s) => s.language));
    return specs;
  }

  private hookClient(client: LanguageClient): void {
    client.onNotification(Methods.output, (params: OutputParams) => this.onOutput(params));
    client.onNotification(Methods.status, (params: StatusParams) => this.onStatus(params));
    client.onNotification(Methods.outputLimit, (params: OutputLimitParams) => this.onOutputLimit(params));
    client.onRequest(Methods.input, (params: InputParams, token: vscode.CancellationToken) => this.onInput(params, token));
  }

  /** Requests for documents that no kernel serves stay in VS Code; jupyter.runCell is ours. */
  private middleware(): Middleware {
    const serves = (doc: vscode.TextDocument) => this.kernels.servesLanguage(doc.languageId);
    return {
      provideCompletionItem: (doc, pos, ctx, token, next) => (serves(doc) ? next(doc, pos, ctx, token) : undefined),
      provideHover: (doc, pos, token, next) => (serves(doc) ? next(doc, pos, token) : undefined),
      provideSignatureHelp: (doc, pos, ctx, token, next) => (serves(doc) ? next(doc, pos, ctx, token) : undefined),
      provideCodeLenses: (doc, token, next) => (serves(doc) ? next(doc, token) : []),
      executeCommand: async (command, args, next) => {
        if (command === Methods.runCellCommand) {
          try {
            return await this.cmdRunCell(args[0], args[1]);
          } catch (err) {
            this.reportError(err);
            return undefined;
          }
        }
        return next(command, args);
      },
    };
  }

  private onBridgeExit(message: string): void {
    for (const k of this.kernels.all) this.kernels.setState(k.kernelId, 'dead', 'kernel-bridge exited');
    for (const run of this.store.all) {
      if (!run.finished) {
        run.fail('kernel-bridge exited');
        this.refreshRun(run);
      }
    }
    this.kernels.clear();
    this.bridge = undefined;
    void vscode.window.showErrorMessage(message, 'Restart kernel-bridge', 'Show Log').then((choice) => {
      if (choice === 'Restart kernel-bridge') void vscode.commands.executeCommand(`${SECTION}.restartBridge`);
      if (choice === 'Show Log') this.log.show();
    });
  }

  private async cmdRestartBridge(): Promise<void> {
    const old = this.bridge;
    this.bridge = undefined;
    this.kernels.clear();
    if (old) await old.stop();
    await this.ensureBridge();
    void vscode.window.showInformationMessage('kernel-bridge restarted. Start a kernel to run code.');
  }

  private onConfigChanged(e: vscode.ConfigurationChangeEvent): void {
    if (e.affectsConfiguration(`${SECTION}.output.maxRuns`)) {
      this.view.remove(this.store.setMaxRuns(config().get<number>('output.maxRuns', 50)));
    }
    if (['path', 'args', 'startupTimeout', 'output.limitBytes', 'defaultKernel'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
      const kernels = this.kernels.all.length ? ' (running kernels stop)' : '';
      void vscode.window
        .showInformationMessage(`Kernel Bridge settings changed. Restart kernel-bridge to apply them${kernels}.`, 'Restart now')
        .then((c) => c && vscode.commands.executeCommand(`${SECTION}.restartBridge`));
    }
  }

  private reportError(err: unknown): void {
    const message = errorText(err);
    this.log.appendLine(`[error] ${message}`);
    const actions = err instanceof UserError ? ['Open Settings', 'Show Log'] : ['Show Log'];
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
      if (choice === 'Show Log') this.log.show();
    });
  }

  // -- notifications and requests from the bridge -----------------------------------------------

  private onOutput(params: OutputParams): void {
    const { changed, evicted } = this.store.applyOutput(params);
    if (evicted.length) this.view.remove(evicted);
    for (const run of changed) this.refreshRun(run);
  }

  private onOutputLimit(params: OutputLimitParams): void {
    const run = this.store.forRequest(params.requestId);
    if (!run) return;
    run.outputLimit(params);
    this.refreshRun(run);
  }

  private onStatus(params: StatusParams): void {
    if (!this.kernels.get(params.kernelId)) return;
    if (params.executionState === 'dead' || params.executionState === 'restarting') {
      this.log.appendLine(`[kernel] ${params.kernelId} ${params.executionState}${params.reason ? `: ${params.reason}` : ''}`);
    }
    this.kernels.setState(params.kernelId, params.executionState, params.reason);
    if (params.executionState === 'dead' && !this.stopping.has(params.kernelId)) {
      const kernel = this.kernels.get(params.kernelId)!;
      const actions = kernel.owned ? ['Restart Kernel'] : [];
      void vscode.window
        .showWarningMessage(`Kernel ${kernel.displayName} died${params.reason ? `: ${params.reason}` : ''}.`, ...actions)
        .then((c) => {
          if (c) this.restart(kernel).catch((err) => this.reportError(err));
        });
    }
  }

  private async onInput(params: InputParams, token: vscode.CancellationToken): Promise<{ value: string }> {
    const kernel = this.kernels.get(params.kernelId);
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
    const run = this.store.forRequest(params.requestId);
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

  // -- kernels -----------------------------------------------------------------------------------

  private async cmdStartKernel(): Promise<KernelInfo | undefined> {
    return this.startKernel(vscode.window.activeTextEditor?.document, true);
  }

  /** Start a kernel for `doc` (bound to it in the bridge); `ask` shows the quick pick even with a default. */
  private async startKernel(doc: vscode.TextDocument | undefined, ask: boolean): Promise<KernelInfo | undefined> {
    const bridge = await this.ensureBridge();
    const specs = this.specs ?? (await this.loadSpecs(bridge));
    if (specs.length === 0) throw new UserError('No Jupyter kernelspecs are installed. Install one (e.g. `python3 -m pip install ipykernel`).');
    const spec = await this.pickSpec(specs, doc, ask);
    if (!spec) return undefined;
    const uri = doc?.uri.toString();
    const params: Record<string, unknown> = {
      kernelName: spec.name,
      startupTimeout: config().get<number>('startupTimeout', 60),
    };
    const cwd = this.cwdFor(doc);
    if (cwd) params.cwd = cwd;
    if (uri) params.uri = uri;
    this.status.show(undefined, `Starting ${spec.displayName}…`);
    let ref: KernelRef;
    try {
      ref = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Starting ${spec.displayName}` },
        () => bridge.request<KernelRef>(Methods.startKernel, params),
      );
    } catch (err) {
      this.updateStatus();
      throw new UserError(`Could not start ${spec.displayName}: ${errorText(err)}`);
    }
    const info = this.kernels.add(ref, spec.displayName, true, uri);
    this.log.appendLine(`[kernel] started ${spec.name} as ${ref.kernelId}${uri ? ` for ${uri}` : ''}`);
    return info;
  }

  private async pickSpec(specs: KernelSpec[], doc: vscode.TextDocument | undefined, ask: boolean): Promise<KernelSpec | undefined> {
    const preferred = config().get<string>('defaultKernel', '');
    const language = doc?.languageId;
    const matching = language ? specs.filter((s) => languageMatches(s, language)) : [];
    const fits = matching.length ? matching : specs;
    if (!ask) {
      const byDefault = specs.find((s) => s.name === preferred);
      if (byDefault) return byDefault;
      if (fits.length === 1) return fits[0];
    }
    const ordered = [...fits, ...specs.filter((s) => !fits.includes(s))];
    const items = ordered.map((s) => ({
      label: s.displayName,
      description: s.name + (s.name === preferred ? ' (default)' : ''),
      detail: `language: ${s.language}`,
      spec: s,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Start Kernel',
      placeHolder: 'Kernelspec to start',
      matchOnDescription: true,
    });
    return picked?.spec;
  }

  private cwdFor(doc: vscode.TextDocument | undefined): string | undefined {
    if (doc && doc.uri.scheme === 'file') {
      const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
      return folder?.uri.scheme === 'file' ? folder.uri.fsPath : path.dirname(doc.uri.fsPath);
    }
    const first = vscode.workspace.workspaceFolders?.[0];
    return first?.uri.scheme === 'file' ? first.uri.fsPath : undefined;
  }

  private async cmdConnectKernel(): Promise<void> {
    const bridge = await this.ensureBridge();
    // The bridge lists the connection files of the runtime directory and pings each kernel.
    const running = await bridge.request<RunningKernel[]>(Methods.listRunningKernels, {});
    const browse = { label: '$(folder-opened) Browse…', file: undefined as string | undefined };
    const items = [
      ...running.map((k) => ({
        label: `${k.alive ? '$(circle-filled)' : '$(circle-slash)'} ${path.basename(k.connectionFile)}`,
        description: [k.kernelName, k.alive ? 'alive' : 'not answering', new Date(k.startTime).toLocaleString()].filter(Boolean).join(' · '),
        file: k.connectionFile as string | undefined,
      })),
      browse,
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Connect to Existing Kernel',
      placeHolder: running.length ? 'Running kernels (their connection files)' : 'No connection files in the Jupyter runtime directory; browse for one',
    });
    if (!picked) return;
    let file = picked.file;
    if (!file) {
      const chosen = await vscode.window.showOpenDialog({
        title: 'Kernel connection file',
        canSelectMany: false,
        filters: { 'Connection files': ['json'] },
      });
      if (!chosen?.length) return;
      file = chosen[0].fsPath;
    }
    const doc = vscode.window.activeTextEditor?.document;
    const params: Record<string, unknown> = { connectionFile: file };
    if (doc) params.uri = doc.uri.toString();
    let ref: KernelRef;
    try {
      ref = await bridge.request<KernelRef>(Methods.connectKernel, params);
    } catch (err) {
      throw new UserError(`Could not connect to ${file}: ${errorText(err)}`);
    }
    // An attached kernel has no kernelspec name of its own; name it by what it runs.
    const name = ref.kernelName && ref.kernelName !== 'unknown' ? ref.kernelName : ref.implementation || ref.language || 'kernel';
    this.kernels.add(ref, `${name} (attached)`, false, doc?.uri.toString());
  }

  /** The kernel for an action without a document: the active editor's, else the active one, else ask. */
  private async targetKernel(): Promise<KernelInfo | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    const forDoc = doc ? this.kernels.kernelFor(doc.uri.toString(), doc.languageId) : undefined;
    const candidates = this.kernels.all;
    if (forDoc) return forDoc;
    if (this.kernels.active) return this.kernels.active;
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage('No kernel is running. Start one with "Kernel Bridge: Start Kernel".');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((k) => ({ label: k.displayName, description: `${k.kernelId} · ${k.state}`, kernel: k })),
      { placeHolder: 'Kernel' },
    );
    return picked?.kernel;
  }

  private async cmdInterrupt(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.interrupt(kernel);
  }

  private async interrupt(kernel: KernelInfo): Promise<void> {
    const bridge = await this.ensureBridge();
    await bridge.request(Methods.interruptKernel, { kernelId: kernel.kernelId });
  }

  private async cmdRestart(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.restart(kernel);
  }

  private async restart(kernel: KernelInfo): Promise<void> {
    if (!kernel.owned) throw new UserError(`${kernel.displayName} was attached, not started here: it cannot be restarted from VS Code.`);
    const bridge = await this.ensureBridge();
    this.kernels.setState(kernel.kernelId, 'restarting');
    const restart = bridge.request<KernelRef>(Methods.restartKernel, { kernelId: kernel.kernelId });
    this.restarts.set(kernel.kernelId, restart);
    try {
      await restart;
    } finally {
      this.restarts.delete(kernel.kernelId);
    }
    this.kernels.setState(kernel.kernelId, 'idle');
  }

  private async cmdStop(): Promise<void> {
    const kernel = await this.targetKernel();
    if (!kernel) return;
    const bridge = await this.ensureBridge();
    this.stopping.add(kernel.kernelId);
    try {
      await bridge.request(Methods.shutdownKernel, { kernelId: kernel.kernelId });
    } finally {
      this.stopping.delete(kernel.kernelId);
    }
    this.kernels.remove(kernel.kernelId);
  }

  private async cmdKernelActions(): Promise<void> {
    const kernel = await this.targetKernel();
    if (!kernel) return;
    const items: (vscode.QuickPickItem & { run: () => unknown })[] = [
      { label: '$(debug-pause) Interrupt', description: kernel.state, run: () => this.interrupt(kernel) },
      ...(kernel.owned ? [{ label: '$(debug-restart) Restart', run: () => this.restart(kernel) }] : []),
      { label: kernel.owned ? '$(debug-stop) Stop' : '$(debug-disconnect) Detach', run: () => this.cmdStop() },
      { label: '$(add) Start Another Kernel', run: () => this.cmdStartKernel() },
      { label: '$(output) Show Output View', run: () => this.view.reveal(false) },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `${kernel.displayName}: ${kernel.state}` });
    if (picked) await picked.run();
  }

  private onKernelsChanged(): void {
    void vscode.commands.executeCommand('setContext', `${SECTION}.languages`, this.kernels.languages);
    void vscode.commands.executeCommand('setContext', `${SECTION}.hasKernel`, this.kernels.all.length > 0);
    this.updateStatus();
  }

  private updateStatus(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const kernel = (doc && this.kernels.kernelFor(doc.uri.toString(), doc.languageId)) ?? this.kernels.active;
    this.status.show(kernel);
  }

  // -- running code ----------------------------------------------------------------------------

  /** The kernel a document runs on; starts one (asking only if needed) when there is none. */
  private async kernelForRun(doc: vscode.TextDocument): Promise<KernelInfo | undefined> {
    const uri = doc.uri.toString();
    const kernel = this.kernels.kernelFor(uri, doc.languageId);
    if (kernel && kernel.state !== 'dead') {
      this.kernels.use(uri, kernel.kernelId);
      return kernel;
    }
    return this.startKernel(doc, false);
  }

  private async cmdRunSelection(): Promise<void> {
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
    await this.run(doc, code, 'selection', (kernel, params) => ({
      method: Methods.execute,
      params: { ...params, kernelId: kernel.kernelId, code: code.code },
    }));
  }

  private async cmdRunCell(uriArg?: string | vscode.Uri, lineArg?: number): Promise<ExecuteResult | undefined> {
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
    return this.run(doc, cell, 'cell', (kernel, params) =>
      this.kernels.isBoundInBridge(uri, kernel.kernelId)
        ? // The bridge finds the cell itself and publishes diagnostics for it.
          { method: 'workspace/executeCommand', params: { command: Methods.runCellCommand, arguments: [uri, line] } }
        : { method: Methods.execute, params: { ...params, kernelId: kernel.kernelId, code: cell.code } },
    );
  }

  private async cmdRunFile(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const doc = editor.document;
    const all = lines(doc);
    let last = all.length - 1;
    while (last > 0 && all[last].trim() === '') last--;
    const code: CodeToRun = { code: doc.getText(), firstLine: 0, lastLine: last };
    await this.run(doc, code, 'file', (kernel, params) => ({
      method: Methods.execute,
      params: { ...params, kernelId: kernel.kernelId, code: code.code },
    }));
  }

  /**
   * One run: its inline result at `code.lastLine`, its outputs in the output view, its
   * request built by `request` (execute, or the bridge's jupyter.runCell).
   */
  private async run(
    doc: vscode.TextDocument,
    code: CodeToRun,
    what: string,
    request: (kernel: KernelInfo, base: Record<string, unknown>) => { method: string; params: Record<string, unknown> },
  ): Promise<ExecuteResult | undefined> {
    const kernel = await this.kernelForRun(doc);
    if (!kernel) return undefined;
    await this.restarts.get(kernel.kernelId)?.catch(() => undefined);
    const bridge = await this.ensureBridge();
    const uri = doc.uri.toString();
    const title = `${path.basename(doc.uri.path)}:${code.firstLine + 1}${code.lastLine > code.firstLine ? `–${code.lastLine + 1}` : ''} (${what})`;
    const { run, evicted } = this.store.add(kernel.kernelId, code.code, { uri, line: code.lastLine }, title);
    if (evicted.length) this.view.remove(evicted);
    this.inline.show(uri, code.lastLine, run);
    if (config().get<boolean>('output.revealOnRun', true)) this.view.reveal(true);
    this.refreshRun(run);
    // `uri` + `firstLine` let the bridge put diagnostics on the document (docs/protocol.md).
    const { method, params } = request(kernel, { uri, firstLine: code.firstLine });
    this.log.appendLine(`[run] ${title} on ${kernel.kernelId} via ${method === Methods.execute ? method : `${method} ${String(params.command)}`}`);
    try {
      const result = await bridge.request<ExecuteResult>(method, params, (id) => this.store.bindRequest(run, id));
      run.finish(result);
      this.refreshRun(run);
      return result;
    } catch (err) {
      const message = errorText(err);
      run.fail(message);
      this.refreshRun(run);
      if (err instanceof ResponseError && err.code === ErrorCodes.kernelDied) {
        this.kernels.setState(kernel.kernelId, 'dead', message);
      }
      return undefined;
    }
  }

  private refreshRun(run: Run): void {
    this.inline.refresh(run);
    this.view.update([run]);
  }

  private clearFinishedRuns(): void {
    this.store.clearFinished();
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables.splice(0)) {
      if (d instanceof BridgeClient) await d.stop();
      else d.dispose();
    }
  }
}

function languageMatches(spec: KernelSpec, languageId: string): boolean {
  const lang = spec.language.toLowerCase();
  return lang === languageId || (languageId === 'python' && lang.startsWith('python'));
}

function lines(doc: vscode.TextDocument): string[] {
  const out: string[] = [];
  for (let i = 0; i < doc.lineCount; i++) out.push(doc.lineAt(i).text);
  return out;
}

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): void {
  controller = new Controller(context);
  // Start the bridge now so completion and hover work at once; a missing one is reported here.
  controller.ensureBridge().catch((err) => {
    const message = errorText(err);
    void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
    });
  });
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.dispose();
}
