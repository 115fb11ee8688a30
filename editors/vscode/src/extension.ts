// Kernel Bridge for VS Code: glue between the editor and `kernel-bridge` (docs/protocol.md).
// All Jupyter logic is in the bridge; this file owns the bridge process and its client's
// lifetime, and wires the commands to their modules: kernels (kernelCommands.ts), runs
// (runCommands.ts), the output view and its widgets (outputView.ts, widgets.ts). Settings:
// config.ts; every request and notification: protocol.ts.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { LanguageClient, Middleware } from 'vscode-languageclient/node';
import { resolveBridgeCommand } from './bridgeCommand';
import { BridgeClient } from './client';
import { InlineResults } from './inline';
import { KernelManager } from './kernels';
import { affects, SECTION, setting } from './config';
import { OutputView } from './outputView';
import { Runner } from './runCommands';
import { KernelCommands } from './kernelCommands';
import { errorText, UserError } from './userError';
import { commLimitMessage, WidgetRelay } from './widgets';
import {
  Commands,
  Notifications,
  Requests,
  type KernelSpec,
  type StatusParams,
} from './protocol';
import { RunStore } from './runs';
import { bridgeServers, describeServers, unknownServer, type BridgeServers } from './servers';
import { KernelStatusBar } from './statusBar';
import { VARIABLES_VIEW, VariablesView } from './variablesView';

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
  private readonly kernelCommands: KernelCommands;
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
      current: () => this.kernelCommands.currentKernel(),
      fetch: async (kernel) => (await this.ensureBridge()).request(Requests.variables, { kernelId: kernel.kernelId }),
    });
    this.kernelCommands = new KernelCommands({
      log: this.log,
      kernels: this.kernels,
      status: this.status,
      view: this.view,
      variables: this.variables,
      widgets: this.widgets,
      restarts: this.restarts,
      stopping: this.stopping,
      ensureBridge: () => this.ensureBridge(),
      specs: () => this.specs,
      loadSpecs: (bridge) => this.loadSpecs(bridge),
      serverSpecs: (bridge, server) => this.serverSpecs(bridge, server),
      servers: () => this.servers,
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
      startKernel: (doc, ask) => this.kernelCommands.startKernel(doc, ask),
    });
    this.disposables.push(
      this.log,
      this.inline,
      this.status,
      this.view,
      this.widgets,
      this.variables,
      this.kernels.onDidChange(() => this.kernelCommands.onKernelsChanged()),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.kernelCommands.updateStatus();
        this.variables.kernelsChanged();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigChanged(e)),
    );
    const commands: [string, (...args: any[]) => unknown][] = [
      ['startKernel', () => this.kernelCommands.cmdStartKernel()],
      ['connectKernel', () => this.kernelCommands.cmdConnectKernel()],
      ['runSelection', () => this.runner.cmdRunSelection()],
      ['runCell', (uri?: string | vscode.Uri, line?: number) => this.runner.cmdRunCell(uri, line)],
      ['runFile', () => this.runner.cmdRunFile()],
      ['interrupt', () => this.kernelCommands.cmdInterrupt()],
      ['restart', () => this.kernelCommands.cmdRestart()],
      ['stop', () => this.kernelCommands.cmdStop()],
      ['kernelActions', () => this.kernelCommands.cmdKernelActions()],
      ['showOutput', () => this.view.reveal(false)],
      ['clearInline', () => this.inline.clear()],
      ['restartBridge', () => this.cmdRestartBridge()],
      ['openSidecar', () => this.kernelCommands.cmdOpenSidecar()],
      ['exportNotebook', () => this.kernelCommands.cmdExportNotebook()],
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
    this.kernelCommands.onKernelsChanged();
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
    client.onNotification(Notifications.commLimit, (params) => void vscode.window.showWarningMessage(commLimitMessage(params)));
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
          if (c) this.kernelCommands.restart(kernel).catch((err: unknown) => this.reportError(err));
        });
    }
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
