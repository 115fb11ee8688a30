// The kernel commands: start (a kernelspec here or on kernelBridge.server's server), connect
// (a connection file, or a server's running kernel), interrupt, restart, stop, Kernel
// Actions…, and the kernel-wide views opened from them (the output sidecar, a notebook of the
// runs). Which kernel a command acts on: targetKernel().

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BridgeClient } from './client';
import { SECTION, setting } from './config';
import { exportRuns } from './exportRuns';
import type { KernelInfo, KernelManager } from './kernels';
import { kernelFitsLanguage } from './languages';
import type { OutputView } from './outputView';
import {
  Requests,
  type ConnectKernelParams,
  type KernelRef,
  type KernelSpec,
  type ServerKernel,
  type SidecarRef,
  type StartKernelParams,
} from './protocol';
import { bridgeServers, unknownServer, type BridgeServers } from './servers';
import type { KernelStatusBar } from './statusBar';
import { errorText, UserError } from './userError';
import type { VariablesView } from './variablesView';
import type { WidgetRelay } from './widgets';

/** `kernelBridge.server`: the server (a name in `kernelBridge.servers`) kernels start on; '' for this machine. */
export function configuredServer(): string {
  return (setting('server') ?? '').trim();
}

/** A kernelspec to start, and the server it is on (undefined: this machine). */
interface SpecChoice {
  spec: KernelSpec;
  server?: string;
}

/** What the kernel commands need from the rest of the extension (the bridge process's state). */
export interface KernelContext {
  readonly log: vscode.OutputChannel;
  readonly kernels: KernelManager;
  readonly status: KernelStatusBar;
  readonly view: OutputView;
  readonly variables: VariablesView;
  readonly widgets: WidgetRelay;
  /** Restarts in progress: runs wait for them (the bridge fails requests sent meanwhile). */
  readonly restarts: Map<string, Promise<unknown>>;
  /** Kernels we are shutting down on purpose (their `dead` is not news). */
  readonly stopping: Set<string>;
  ensureBridge(): Promise<BridgeClient>;
  /** The kernelspecs here, as last listed (undefined: not yet). */
  specs(): KernelSpec[] | undefined;
  loadSpecs(bridge: BridgeClient): Promise<KernelSpec[]>;
  serverSpecs(bridge: BridgeClient, server: string): Promise<KernelSpec[]>;
  /** `kernelBridge.servers` as the running bridge got it. */
  servers(): BridgeServers | undefined;
}

export class KernelCommands {
  constructor(private readonly ctx: KernelContext) {}

  // -- kernels -----------------------------------------------------------------------------------

  async cmdStartKernel(): Promise<KernelInfo | undefined> {
    return this.startKernel(vscode.window.activeTextEditor?.document, true);
  }

  /**
   * Start a kernel for `doc` (bound to it in the bridge), on `kernelBridge.server` if one is set;
   * `ask` shows the quick pick even with a default.
   */
  async startKernel(doc: vscode.TextDocument | undefined, ask: boolean): Promise<KernelInfo | undefined> {
    const bridge = await this.ctx.ensureBridge();
    const server = configuredServer();
    const remote = server ? await this.ctx.serverSpecs(bridge, server) : [];
    const local = this.ctx.specs() ?? (await this.ctx.loadSpecs(bridge));
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
    this.ctx.status.show(undefined, `Starting ${displayName}…`);
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
    const info = this.ctx.kernels.add(ref, displayName, true, uri);
    this.ctx.log.appendLine(
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

  async cmdConnectKernel(): Promise<void> {
    const bridge = await this.ctx.ensureBridge();
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
    this.ctx.kernels.add(ref, `${name} (attached)`, false, doc?.uri.toString());
  }

  private async serverKernels(bridge: BridgeClient, server: string): Promise<{ kernels: ServerKernel[] } | { problem: string }> {
    const problem = unknownServer(server, this.ctx.servers() ?? bridgeServers(undefined));
    if (problem) return { problem };
    try {
      return { kernels: await bridge.request(Requests.listKernels, { server }) };
    } catch (err) {
      return { problem: errorText(err) };
    }
  }

  private async connectServerKernel(bridge: BridgeClient, server: string, kernel: ServerKernel, doc: vscode.TextDocument | undefined): Promise<void> {
    const known = kernel.bridgeKernelId ? this.ctx.kernels.get(kernel.bridgeKernelId) : undefined;
    if (known) {
      // Already one of ours (started or attached from here): the document runs on it from now on.
      if (doc) this.ctx.kernels.use(doc.uri.toString(), known.kernelId);
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
    this.ctx.kernels.add(ref, `${ref.kernelName || kernel.kernelName || 'kernel'} on ${server} (attached)`, false, doc?.uri.toString());
    this.ctx.log.appendLine(`[kernel] attached to ${kernel.kernelId} on ${server} as ${ref.kernelId}`);
  }

  /** The kernel for an action without a document: the active editor's, else the active one, else ask. */
  private async targetKernel(): Promise<KernelInfo | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    const forDoc = doc ? this.ctx.kernels.kernelFor(doc.uri.toString(), doc.languageId) : undefined;
    const candidates = this.ctx.kernels.all;
    if (forDoc) return forDoc;
    if (this.ctx.kernels.active) return this.ctx.kernels.active;
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

  async cmdInterrupt(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.interrupt(kernel);
  }

  private async interrupt(kernel: KernelInfo): Promise<void> {
    const bridge = await this.ctx.ensureBridge();
    await bridge.request(Requests.interruptKernel, { kernelId: kernel.kernelId });
  }

  async cmdRestart(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.restart(kernel);
  }

  async restart(kernel: KernelInfo): Promise<void> {
    // A remote kernel's server restarts it, attached or not (docs/remote.md).
    if (!kernel.owned && !kernel.server) throw new UserError(`${kernel.displayName} was attached, not started here: it cannot be restarted from VS Code.`);
    const bridge = await this.ctx.ensureBridge();
    this.ctx.kernels.setState(kernel.kernelId, 'restarting');
    this.ctx.widgets.kernelGone(kernel.kernelId);
    const restart = bridge.request(Requests.restartKernel, { kernelId: kernel.kernelId });
    this.ctx.restarts.set(kernel.kernelId, restart);
    try {
      await restart;
    } finally {
      this.ctx.restarts.delete(kernel.kernelId);
    }
    this.ctx.kernels.setState(kernel.kernelId, 'idle');
    this.ctx.variables.refresh();
  }

  async cmdStop(): Promise<void> {
    const kernel = await this.targetKernel();
    if (!kernel) return;
    const bridge = await this.ctx.ensureBridge();
    this.ctx.stopping.add(kernel.kernelId);
    try {
      await bridge.request(Requests.shutdownKernel, { kernelId: kernel.kernelId });
    } finally {
      this.ctx.stopping.delete(kernel.kernelId);
    }
    this.ctx.kernels.remove(kernel.kernelId);
  }

  async cmdKernelActions(): Promise<void> {
    const kernel = await this.targetKernel();
    if (!kernel) return;
    const items: (vscode.QuickPickItem & { run: () => unknown })[] = [
      { label: '$(debug-pause) Interrupt', description: kernel.state, run: () => this.interrupt(kernel) },
      ...(kernel.owned || kernel.server ? [{ label: '$(debug-restart) Restart', run: () => this.restart(kernel) }] : []),
      { label: '$(link-external) Open Output Sidecar', run: () => this.openSidecar(kernel) },
      { label: '$(notebook) Export Runs as Notebook…', run: () => this.exportNotebook(kernel) },
      { label: kernel.owned ? '$(debug-stop) Stop' : '$(debug-disconnect) Detach', run: () => this.cmdStop() },
      { label: '$(add) Start Another Kernel', run: () => this.cmdStartKernel() },
      { label: '$(output) Show Output View', run: () => this.ctx.view.reveal(false) },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `${kernel.displayName}: ${kernel.state}` });
    if (picked) await picked.run();
  }

  onKernelsChanged(): void {
    void vscode.commands.executeCommand('setContext', `${SECTION}.languages`, this.ctx.kernels.languages);
    void vscode.commands.executeCommand('setContext', `${SECTION}.hasKernel`, this.ctx.kernels.all.length > 0);
    this.updateStatus();
    this.ctx.variables.kernelsChanged();
  }

  /** The kernel of the active editor's document, else the active kernel. */
  currentKernel(): KernelInfo | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return (doc && this.ctx.kernels.kernelFor(doc.uri.toString(), doc.languageId)) ?? this.ctx.kernels.active;
  }

  updateStatus(): void {
    this.ctx.status.show(this.currentKernel());
  }

  // -- the output sidecar (docs/sidecar.md) ------------------------------------------------------

  async cmdOpenSidecar(): Promise<string | undefined> {
    const kernel = await this.targetKernel();
    return kernel ? this.openSidecar(kernel) : undefined;
  }

  /** Ask the bridge for the kernel's sidecar page, put its URL in the log, and open it as the settings say. */
  private async openSidecar(kernel: KernelInfo): Promise<string> {
    const bridge = await this.ctx.ensureBridge();
    let ref: SidecarRef;
    try {
      ref = await bridge.request(Requests.openSidecar, { kernelId: kernel.kernelId });
    } catch (err) {
      throw new Error(`Could not open the output sidecar of ${kernel.displayName}: ${errorText(err)}`);
    }
    const url = ref.url;
    // The URL carries the page's own token: it is what the user copies into a browser.
    this.ctx.log.appendLine(`[sidecar] ${kernel.displayName} (${kernel.kernelId}): ${url}`);
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
        this.ctx.log.appendLine(`[sidecar] no Simple Browser (${errorText(err)}): opening it in the browser`);
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

  async cmdExportNotebook(): Promise<void> {
    const kernel = await this.targetKernel();
    if (kernel) await this.exportNotebook(kernel);
  }

  /** Ask which runs and where, and have the bridge write them as a notebook; offer to open it. */
  private async exportNotebook(kernel: KernelInfo): Promise<void> {
    const bridge = await this.ctx.ensureBridge();
    const doc = vscode.window.activeTextEditor?.document;
    const onKernel = doc && this.ctx.kernels.kernelFor(doc.uri.toString(), doc.languageId)?.kernelId === kernel.kernelId;
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
    this.ctx.log.appendLine(`[export] ${result.cells} cell(s) of ${kernel.kernelId} → ${result.path}`);
    const choice = await vscode.window.showInformationMessage(`Exported ${result.cells} cell(s) to ${result.path}`, 'Open Notebook');
    if (choice) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(result.path));
  }
}
