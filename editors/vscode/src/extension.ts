// Kernel Bridge for VS Code: glue between the editor and `kernel-bridge` (docs/protocol.md).
// All Jupyter logic is in the bridge; this file owns the bridge process and its client, the
// kernel commands and the status bar, and wires them to the output view (with its widgets,
// widgets.ts) and the runs (runCommands.ts). Settings: config.ts; requests: protocol.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ResponseError, type LanguageClient, type Middleware } from 'vscode-languageclient/node';
import { resolveBridgeCommand } from './bridgeCommand';
import { exportRuns } from './exportRuns';
import { BridgeClient } from './client';
import { InlineResults } from './inline';
import { KernelManager, type KernelInfo } from './kernels';
import { kernelFitsLanguage } from './languages';
import { affects, SECTION, setting } from './config';
import { OutputView } from './outputView';
import { Runner } from './runCommands';
import { WidgetRelay } from './widgets';
import {
  Commands,
  Notifications,
  Requests,
  type ConnectKernelParams,
  type KernelRef,
  type KernelSpec,
  type ServerKernel,
  type SidecarRef,
  type StartKernelParams,
  type StatusParams,
} from './protocol';
import { RunStore } from './runs';
import { bridgeServers, describeServers, unknownServer, type BridgeServers } from './servers';
import { KernelStatusBar } from './statusBar';
import { VARIABLES_VIEW, VariablesView } from './variablesView';

class UserError extends Error {}

/** `kernelBridge.server`: the server (a name in `kernelBridge.servers`) kernels start on; '' for this machine. */
function configuredServer(): string {
  return (setting('server') ?? '').trim();
}

/** A kernelspec to start, and the server it is on (undefined: this machine). */
interface SpecChoice {
  spec: KernelSpec;
  server?: string;
}

function errorText(err: unknown): string {
  if (err instanceof ResponseError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

class Controller implements vscode.Disposable {
  private readonly log = vscode.window.createOutputChannel('Kernel Bridge');
  private readonly kernels = new KernelManager();
  private readonly store = new RunStore(setting('output.maxRuns'), {
    maxTextLength: setting('output.maxTextLength'),
  });
  private readonly inline = new InlineResults(() => setting('inline.maxLength'));
  private readonly status = new KernelStatusBar();
  private readonly view: OutputView;
  private readonly widgets: WidgetRelay;
  private readonly runner: Runner;
  private readonly variables: VariablesView;
  private readonly disposables: vscode.Disposable[] = [];
  private bridge: BridgeClient | undefined;
  private starting: Promise<BridgeClient> | undefined;
  private specs: KernelSpec[] | undefined;
  /** `kernelBridge.servers` as the running bridge got it. */
  private servers: BridgeServers | undefined;
  /** Kernels we are shutting down on purpose (their `dead` is not news). */
  private stopping = new Set<string>();
  /** Restarts in progress: runs wait for them (the bridge fails requests sent meanwhile). */
  private readonly restarts = new Map<string, Promise<unknown>>();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.view = new OutputView(
      context.extensionUri,
      () => this.store.all,
      (run) => this.kernels.get(run.kernelId)?.displayName ?? run.kernelId,
      () => this.clearFinishedRuns(),
      (kernelId, message) => void this.widgets.fromView(kernelId, message),
    );
    this.widgets = new WidgetRelay({
      post: (kernelId, events) => this.view.widgets(kernelId, events),
      commMsg: async (kernelId, commId, data, metadata, buffers) =>
        (await this.ensureBridge()).request(Requests.commMsg, { kernelId, commId, data, metadata, buffers }),
      commInfo: async (kernelId) => (await this.ensureBridge()).request(Requests.commInfo, { kernelId, targetName: 'jupyter.widget' }),
    });
    this.variables = new VariablesView({
      current: () => this.currentKernel(),
      fetch: async (kernel) => (await this.ensureBridge()).request(Requests.variables, { kernelId: kernel.kernelId }),
    });
    this.runner = new Runner({
      log: this.log,
      kernels: this.kernels,
      store: this.store,
      inline: this.inline,
      view: this.view,
      variables: this.variables,
      restarts: this.restarts,
      ensureBridge: () => this.ensureBridge(),
      startKernel: (doc, ask) => this.startKernel(doc, ask),
    });
    this.disposables.push(
      this.log,
      this.inline,
      this.status,
      this.view,
      this.widgets,
      this.variables,
      this.kernels.onDidChange(() => this.onKernelsChanged()),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.updateStatus();
        this.variables.kernelsChanged();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChanged(e)),
    );
    const commands: [string, (...args: any[]) => unknown][] = [
      ['startKernel', () => this.cmdStartKernel()],
      ['connectKernel', () => this.cmdConnectKernel()],
      ['runSelection', () => this.runner.cmdRunSelection()],
      ['runCell', (uri?: string | vscode.Uri, line?: number) => this.runner.cmdRunCell(uri, line)],
      ['runFile', () => this.runner.cmdRunFile()],
      ['interrupt', () => this.cmdInterrupt()],
      ['restart', () => this.cmdRestart()],
      ['stop', () => this.cmdStop()],
      ['kernelActions', () => this.cmdKernelActions()],
      ['showOutput', () => this.view.reveal(false)],
      ['clearInline', () => this.inline.clear()],
      ['restartBridge', () => this.cmdRestartBridge()],
      ['openSidecar', () => this.cmdOpenSidecar()],
      ['exportNotebook', () => this.cmdExportNotebook()],
      ['refreshVariables', () => this.variables.refresh()],
      ['showVariables', () => vscode.commands.executeCommand(`${VARIABLES_VIEW}.focus`)],
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
    void vscode.commands.executeCommand('setContext', `${SECTION}.activated`, true);
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
        configured: setting('path'),
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
    const servers = bridgeServers(setting('servers'));
    for (const problem of servers.problems) {
      this.log.appendLine(`[settings] ${problem}`);
      void vscode.window.showWarningMessage(`Kernel Bridge: ${problem}`, 'Open Settings').then((c) => {
        if (c) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.servers`);
      });
    }
    if (Object.keys(servers.servers).length) this.log.appendLine(`[kernel-bridge] Jupyter servers: ${describeServers(servers)}`);
    const bridge = new BridgeClient(
      {
        command: resolution.command,
        args: setting('args'),
        cwd: vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined,
        initializationOptions: {
          startupTimeout: setting('startupTimeout'),
          outputLimitBytes: setting('output.limitBytes'),
          ...(setting('defaultKernel') ? { defaultKernel: setting('defaultKernel') } : {}),
          ...(Object.keys(servers.servers).length ? { servers: servers.servers } : {}),
        },
        env: servers.env,
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
    this.servers = servers;
    this.disposables.push(bridge);
    this.loadSpecs(bridge).catch((err) => this.log.appendLine(`[kernel-bridge] could not list the kernelspecs: ${errorText(err)}`));
    return bridge;
  }

  private pythonInterpreters(): string[] {
    const out: string[] = [];
    const configured = vscode.workspace.getConfiguration('python').get<string>('defaultInterpreterPath');
    if (configured) out.push(configured.replace(/^~(?=\/)/, os.homedir()));
    return out;
  }

  private async loadSpecs(bridge: BridgeClient): Promise<KernelSpec[]> {
    const specs = await bridge.request(Requests.listKernelspecs, {});
    this.specs = specs;
    this.kernels.setSpecLanguages(specs.map((s) => s.language));
    return specs;
  }

  /** The kernelspecs of `kernelBridge.server`'s server (its languages join the kernel languages). */
  private async serverSpecs(bridge: BridgeClient, server: string): Promise<KernelSpec[]> {
    const problem = unknownServer(server, this.servers ?? bridgeServers(undefined));
    if (problem) {
      const inSettings = !unknownServer(server, bridgeServers(setting('servers')));
      throw new UserError(inSettings ? `${problem} Restart kernel-bridge to apply the changed "kernelBridge.servers".` : problem);
    }
    let specs: KernelSpec[];
    try {
      specs = await bridge.request(Requests.listKernelspecs, { server });
    } catch (err) {
      throw new UserError(`Could not list the kernelspecs of server "${server}": ${errorText(err)}`);
    }
    this.kernels.setSpecLanguages([...(this.specs ?? []), ...specs].map((s) => s.language));
    return specs;
  }

  private hookClient(client: LanguageClient): void {
    client.onNotification(Notifications.output, (params) => this.runner.onOutput(params));
    client.onNotification(Notifications.status, (params) => this.onStatus(params));
    client.onNotification(Notifications.outputLimit, (params) => this.runner.onOutputLimit(params));
    client.onNotification(Notifications.comm, (params) => this.widgets.comm(params));
    client.onNotification(Notifications.commIdle, (params) => this.widgets.idle(params));
    client.onRequest(Requests.input, (params, token) => this.runner.onInput(params, token));
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
        if (command === Commands.runCell) {
          try {
            return await this.runner.cmdRunCell(args[0], args[1]);
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
        this.runner.refreshRun(run);
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
    if (affects(e, 'output.maxRuns')) {
      this.view.remove(this.store.setMaxRuns(setting('output.maxRuns')));
    }
    if (affects(e, 'path', 'args', 'startupTimeout', 'output.limitBytes', 'defaultKernel', 'servers')) {
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

  private onStatus(params: StatusParams): void {
    if (!this.kernels.get(params.kernelId)) return;
    if (params.executionState === 'dead' || params.executionState === 'restarting') {
      this.widgets.kernelGone(params.kernelId);
      this.log.appendLine(`[kernel] ${params.kernelId} ${params.executionState}${params.reason ? `: ${params.reason}` : ''}`);
    }
    this.kernels.setState(params.kernelId, params.executionState, params.reason);
    for (const run of this.store.kernelState(params.kernelId, params.executionState)) this.runner.refreshRun(run);
    if (params.executionState === 'dead' && !this.stopping.has(params.kernelId)) {
      const kernel = this.kernels.get(params.kernelId)!;
      const actions = kernel.owned || kernel.server ? ['Restart Kernel'] : [];
      void vscode.window
        .showWarningMessage(`Kernel ${kernel.displayName} died${params.reason ? `: ${params.reason}` : ''}.`, ...actions)
        .then((c) => {
          if (c) this.restart(kernel).catch((err) => this.reportError(err));
        });
    }
  }

  // -- kernels -----------------------------------------------------------------------------------

  private async cmdStartKernel(): Promise<KernelInfo | undefined> {
    return this.startKernel(vscode.window.activeTextEditor?.document, true);
  }

  /**
   * Start a kernel for `doc` (bound to it in the bridge), on `kernelBridge.server` if one is set;
   * `ask` shows the quick pick even with a default.
   */
  private async startKernel(doc: vscode.TextDocument | undefined, ask: boolean): Promise<KernelInfo | undefined> {
    const bridge = await this.ensureBridge();
    const server = configuredServer();
    const remote = server ? await this.serverSpecs(bridge, server) : [];
    const local = this.specs ?? (await this.loadSpecs(bridge));
    if (local.length === 0 && remote.length === 0) {
      throw new UserError(
        server
          ? `Server "${server}" has no kernelspecs, and none are installed here.`
          : 'No Jupyter kernelspecs are installed. Install one (e.g. `python3 -m pip install ipykernel`).',
      );
    }
    const choice = await this.pickSpec(local, remote, server, doc, ask);
    if (!choice) return undefined;
    const { spec } = choice;
    const uri = doc?.uri.toString();
    const params: StartKernelParams = {
      kernelName: spec.name,
      startupTimeout: setting('startupTimeout'),
    };
    if (choice.server) {
      params.server = choice.server; // the server decides the working directory
    } else {
      const cwd = this.cwdFor(doc);
      if (cwd) params.cwd = cwd;
    }
    if (uri) params.uri = uri;
    const displayName = choice.server ? `${spec.displayName} on ${choice.server}` : spec.displayName;
    this.status.show(undefined, `Starting ${displayName}…`);
    let ref: KernelRef;
    try {
      ref = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Starting ${displayName}` },
        () => bridge.request(Requests.startKernel, params),
      );
    } catch (err) {
      this.updateStatus();
      throw new UserError(`Could not start ${displayName}: ${errorText(err)}`);
    }
    const info = this.kernels.add(ref, displayName, true, uri);
    this.log.appendLine(
      `[kernel] started ${spec.name}${choice.server ? ` on ${choice.server} (its id there: ${ref.remoteKernelId ?? '?'})` : ''} as ${ref.kernelId}${uri ? ` for ${uri}` : ''}`,
    );
    return info;
  }

  /** The kernelspec to start: with a server set, its kernelspecs come first (and are the defaults). */
  private async pickSpec(
    local: KernelSpec[],
    remote: KernelSpec[],
    server: string,
    doc: vscode.TextDocument | undefined,
    ask: boolean,
  ): Promise<SpecChoice | undefined> {
    const preferred = setting('defaultKernel');
    const language = doc?.languageId;
    const fitting = (specs: KernelSpec[]) => {
      const matching = language ? specs.filter((s) => kernelFitsLanguage(s.language, language)) : [];
      return matching.length ? matching : specs;
    };
    const primary = server ? remote : local;
    const primaryServer = server || undefined;
    if (!ask && primary.length) {
      const byDefault = primary.find((s) => s.name === preferred);
      if (byDefault) return { spec: byDefault, server: primaryServer };
      const fits = fitting(primary);
      if (fits.length === 1) return { spec: fits[0], server: primaryServer };
    }
    type Item = vscode.QuickPickItem & { choice?: SpecChoice };
    const itemsFor = (specs: KernelSpec[], on: string | undefined): Item[] => {
      const fits = fitting(specs);
      return [...fits, ...specs.filter((s) => !fits.includes(s))].map((s) => ({
        label: s.displayName,
        description: s.name + (s.name === preferred ? ' (default)' : ''),
        detail: `language: ${s.language}${on ? ` · on server ${on}` : ''}`,
        choice: { spec: s, server: on },
      }));
    };
    const items: Item[] = server
      ? [
          { label: `on ${server}`, kind: vscode.QuickPickItemKind.Separator },
          ...itemsFor(remote, server),
          ...(local.length ? [{ label: 'on this machine', kind: vscode.QuickPickItemKind.Separator }, ...itemsFor(local, undefined)] : []),
        ]
      : itemsFor(local, undefined);
    const picked = await vscode.window.showQuickPick(items, {
      title: server ? `Start Kernel (server: ${server})` : 'Start Kernel',
      placeHolder: 'Kernelspec to start',
      matchOnDescription: true,
    });
    return picked?.choice;
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
    const server = configuredServer();
    // With a server set, its running kernels (docs/remote.md); listed alongside the local ones.
    const remote = server ? this.serverKernels(bridge, server) : Promise.resolve(undefined);
    // The bridge lists the connection files of the runtime directory and pings each kernel.
    const running = await bridge.request(Requests.listRunningKernels, {});
    const fromServer = await remote;
    type Item = vscode.QuickPickItem & { file?: string; browse?: true; remote?: ServerKernel; problem?: string };
    const items: Item[] = [];
    if (server && fromServer) {
      items.push({ label: `on ${server}`, kind: vscode.QuickPickItemKind.Separator });
      if ('problem' in fromServer) {
        items.push({ label: `$(warning) Could not list the kernels of ${server}`, detail: fromServer.problem, problem: fromServer.problem });
      } else {
        for (const k of fromServer.kernels) {
          items.push({
            label: `$(remote) ${k.kernelName}`,
            description: [k.executionState, k.bridgeKernelId ? 'connected' : undefined, k.lastActivity ? `last active ${new Date(k.lastActivity).toLocaleString()}` : undefined]
              .filter(Boolean)
              .join(' · '),
            detail: k.kernelId,
            remote: k,
          });
        }
        if (!fromServer.kernels.length) items.push({ label: `$(info) No kernels are running on ${server}`, problem: `No kernels are running on ${server}.` });
      }
      items.push({ label: 'on this machine', kind: vscode.QuickPickItemKind.Separator });
    }
    for (const k of running) {
      items.push({
        label: `${k.alive ? '$(circle-filled)' : '$(circle-slash)'} ${path.basename(k.connectionFile)}`,
        description: [k.kernelName, k.alive ? 'alive' : 'not answering', new Date(k.startTime).toLocaleString()].filter(Boolean).join(' · '),
        file: k.connectionFile,
      });
    }
    items.push({ label: '$(folder-opened) Browse…', browse: true });
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Connect to Existing Kernel',
      placeHolder:
        running.length || (fromServer && 'kernels' in fromServer && fromServer.kernels.length)
          ? server
            ? `Kernels running on ${server}, and connection files here`
            : 'Running kernels (their connection files)'
          : 'No connection files in the Jupyter runtime directory; browse for one',
      matchOnDetail: true,
    });
    if (!picked) return;
    if (picked.problem) throw new Error(picked.problem);
    const doc = vscode.window.activeTextEditor?.document;
    if (picked.remote) return this.connectServerKernel(bridge, server, picked.remote, doc);
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
    const params: ConnectKernelParams = { connectionFile: file };
    if (doc) params.uri = doc.uri.toString();
    let ref: KernelRef;
    try {
      ref = await bridge.request(Requests.connectKernel, params);
    } catch (err) {
      throw new UserError(`Could not connect to ${file}: ${errorText(err)}`);
    }
    // An attached kernel has no kernelspec name of its own; name it by what it runs.
    const name = ref.kernelName && ref.kernelName !== 'unknown' ? ref.kernelName : ref.implementation || ref.language || 'kernel';
    this.kernels.add(ref, `${name} (attached)`, false, doc?.uri.toString());
  }

  private async serverKernels(bridge: BridgeClient, server: string): Promise<{ kernels: ServerKernel[] } | { problem: string }> {
    const problem = unknownServer(server, this.servers ?? bridgeServers(undefined));
    if (problem) return { problem };
    try {
      return { kernels: await bridge.request(Requests.listKernels, { server }) };
    } catch (err) {
      return { problem: errorText(err) };
    }
  }

  private async connectServerKernel(bridge: BridgeClient, server: string, kernel: ServerKernel, doc: vscode.TextDocument | undefined): Promise<void> {
    const known = kernel.bridgeKernelId ? this.kernels.get(kernel.bridgeKernelId) : undefined;
    if (known) {
      // Already one of ours (started or attached from here): the document runs on it from now on.
      if (doc) this.kernels.use(doc.uri.toString(), known.kernelId);
      return;
    }
    const params: ConnectKernelParams = { server, kernelId: kernel.kernelId, startupTimeout: setting('startupTimeout') };
    if (doc) params.uri = doc.uri.toString();
    let ref: KernelRef;
    try {
      ref = await bridge.request(Requests.connectKernel, params);
    } catch (err) {
      throw new UserError(`Could not connect to kernel ${kernel.kernelId} on ${server}: ${errorText(err)}`);
    }
    this.kernels.add(ref, `${ref.kernelName || kernel.kernelName || 'kernel'} on ${server} (attached)`, false, doc?.uri.toString());
    this.log.appendLine(`[kernel] attached to ${kernel.kernelId} on ${server} as ${ref.kernelId}`);
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
    await bridge.request(Requests.interruptKernel, { kernelId: kernel.kernelId });
  }

  private async cmdRestart(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.restart(kernel);
  }

  private async restart(kernel: KernelInfo): Promise<void> {
    // A remote kernel's server restarts it, attached or not (docs/remote.md).
    if (!kernel.owned && !kernel.server) throw new UserError(`${kernel.displayName} was attached, not started here: it cannot be restarted from VS Code.`);
    const bridge = await this.ensureBridge();
    this.kernels.setState(kernel.kernelId, 'restarting');
    this.widgets.kernelGone(kernel.kernelId);
    const restart = bridge.request(Requests.restartKernel, { kernelId: kernel.kernelId });
    this.restarts.set(kernel.kernelId, restart);
    try {
      await restart;
    } finally {
      this.restarts.delete(kernel.kernelId);
    }
    this.kernels.setState(kernel.kernelId, 'idle');
    this.variables.refresh();
  }

  private async cmdStop(): Promise<void> {
    const kernel = await this.targetKernel();
    if (!kernel) return;
    const bridge = await this.ensureBridge();
    this.stopping.add(kernel.kernelId);
    try {
      await bridge.request(Requests.shutdownKernel, { kernelId: kernel.kernelId });
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
      ...(kernel.owned || kernel.server ? [{ label: '$(debug-restart) Restart', run: () => this.restart(kernel) }] : []),
      { label: '$(link-external) Open Output Sidecar', run: () => this.openSidecar(kernel) },
      { label: '$(notebook) Export Runs as Notebook…', run: () => this.exportNotebook(kernel) },
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
    this.variables.kernelsChanged();
  }

  /** The kernel of the active editor's document, else the active kernel. */
  private currentKernel(): KernelInfo | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return (doc && this.kernels.kernelFor(doc.uri.toString(), doc.languageId)) ?? this.kernels.active;
  }

  private updateStatus(): void {
    this.status.show(this.currentKernel());
  }

  // -- the output sidecar (docs/sidecar.md) ------------------------------------------------------

  private async cmdOpenSidecar(): Promise<string | undefined> {
    const kernel = await this.targetKernel();
    return kernel ? this.openSidecar(kernel) : undefined;
  }

  /** Ask the bridge for the kernel's sidecar page, put its URL in the log, and open it as the settings say. */
  private async openSidecar(kernel: KernelInfo): Promise<string> {
    const bridge = await this.ensureBridge();
    let ref: SidecarRef;
    try {
      ref = await bridge.request(Requests.openSidecar, { kernelId: kernel.kernelId });
    } catch (err) {
      throw new Error(`Could not open the output sidecar of ${kernel.displayName}: ${errorText(err)}`);
    }
    const url = ref.url;
    // The URL carries the page's own token: it is what the user copies into a browser.
    this.log.appendLine(`[sidecar] ${kernel.displayName} (${kernel.kernelId}): ${url}`);
    const how = setting('sidecar.open');
    let opened = false;
    if (how === 'simpleBrowser') {
      try {
        await vscode.commands.executeCommand('simpleBrowser.api.open', vscode.Uri.parse(url, true), {
          viewColumn: vscode.ViewColumn.Beside,
          preserveFocus: true,
        });
        opened = true;
      } catch (err) {
        this.log.appendLine(`[sidecar] no Simple Browser (${errorText(err)}): opening it in the browser`);
      }
    }
    if (!opened && how !== 'none') opened = await vscode.env.openExternal(vscode.Uri.parse(url, true));
    if (!opened) {
      void vscode.window.showInformationMessage(`Output sidecar of ${kernel.displayName}: ${url}`, 'Open in Browser', 'Copy URL').then((c) => {
        if (c === 'Open in Browser') void vscode.env.openExternal(vscode.Uri.parse(url, true));
        if (c === 'Copy URL') void vscode.env.clipboard.writeText(url);
      });
    }
    return url;
  }

  // -- export to a notebook (jupyter/exportNotebook) --------------------------------------------

  private async cmdExportNotebook(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.exportNotebook(kernel);
  }

  /** Ask which runs and where, and have the bridge write them as a notebook; offer to open it. */
  private async exportNotebook(kernel: KernelInfo): Promise<void> {
    const bridge = await this.ensureBridge();
    const doc = vscode.window.activeTextEditor?.document;
    const onKernel = doc && this.kernels.kernelFor(doc.uri.toString(), doc.languageId)?.kernelId === kernel.kernelId;
    const title = `Export Runs of ${kernel.displayName} as Notebook`;
    const result = await exportRuns(
      {
        kernelId: kernel.kernelId,
        kernelName: kernel.displayName,
        document: onKernel ? { uri: doc.uri.toString(), file: doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined } : undefined,
        folder: this.cwdFor(doc),
      },
      {
        chooseRuns: async (choices) => (await vscode.window.showQuickPick(choices, { title, placeHolder: 'Which runs' }))?.runs,
        choosePath: async (suggested) => {
          const chosen = await vscode.window.showSaveDialog({
            title,
            saveLabel: 'Export',
            defaultUri: suggested ? vscode.Uri.file(suggested) : undefined,
            filters: { 'Jupyter Notebook': ['ipynb'] },
          });
          if (chosen && chosen.scheme !== 'file') throw new UserError(`kernel-bridge writes the notebook itself: choose a file on this machine, not ${chosen.toString()}.`);
          return chosen?.fsPath;
        },
      },
      async (params) => {
        try {
          return await bridge.request(Requests.exportNotebook, params);
        } catch (err) {
          throw new Error(`Could not export the runs of ${kernel.displayName}: ${errorText(err)}`);
        }
      },
    );
    if (!result) return;
    this.log.appendLine(`[export] ${result.cells} cell(s) of ${kernel.kernelId} → ${result.path}`);
    const choice = await vscode.window.showInformationMessage(`Exported ${result.cells} cell(s) to ${result.path}`, 'Open Notebook');
    if (choice) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(result.path));
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
