// The connection to `kernel-bridge`: a vscode-languageclient LanguageClient over the
// bridge's stdio (LSP features: completion, hover, code lens, diagnostics) plus the
// `jupyter/*` methods of docs/protocol.md.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  type FeatureState,
  CloseAction,
  ErrorAction,
  RequestType,
  type Middleware,
} from 'vscode-languageclient/node';
import { brokenBridgeMessage, versionProblem, type VersionCheck } from './bridgeCommand';

export interface BridgeLaunch {
  command: string;
  args: string[];
  cwd: string | undefined;
  initializationOptions: Record<string, unknown>;
  /** Added to the bridge's environment (tokens of `kernelBridge.servers`; never logged). */
  env?: Record<string, string>;
}

/**
 * Declares `capabilities.experimental.jupyterInput` so kernels may prompt (docs/protocol.md, "Input"),
 * and `jupyterOutput`: this extension shows outputs itself, so the bridge adds no inlay hints,
 * run hovers or progress of its own.
 */
const jupyterInputFeature: StaticFeature = {
  fillClientCapabilities(capabilities) {
    capabilities.experimental = {
      ...(capabilities.experimental as object | undefined),
      jupyterInput: true,
      jupyterOutput: true,
    };
  },
  initialize() {},
  getState(): FeatureState {
    return { kind: 'static' };
  },
  clear() {},
};

export class BridgeClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private process: ChildProcess | undefined;
  private stderrTail = '';
  private exit: { code: number | null; signal: string | null } | undefined;
  private stopping = false;
  /** Set once `initialize` was answered: an exit before that is reported by start() instead. */
  private started = false;
  private exited: Promise<void> | undefined;
  private onEarlyExit: (() => void) | undefined;
  private readonly onDidExitEmitter = new vscode.EventEmitter<string>();
  /** Fires with a user-facing message when the bridge process ends without being asked to. */
  readonly onDidExit = this.onDidExitEmitter.event;

  constructor(
    private readonly launch: BridgeLaunch,
    private readonly log: vscode.OutputChannel,
    private readonly middleware: Middleware,
    private readonly onReady: (client: LanguageClient) => void,
  ) {}

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  /** `kernel-bridge --version`, to tell a broken installation apart before starting the LSP client. */
  private checkVersion(): Promise<VersionCheck> {
    return new Promise((resolve) => {
      execFile(this.launch.command, ['--version'], { cwd: this.launch.cwd, timeout: 60000, encoding: 'utf8' }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
        if (e && typeof e.code === 'string' && e.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          resolve({ spawnError: e.message, exitCode: null, signal: null, stdout, stderr });
          return;
        }
        resolve({ exitCode: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      });
    });
  }

  async start(): Promise<void> {
    const problem = versionProblem(this.launch.command, await this.checkVersion());
    if (problem) throw new Error(problem);
    const serverOptions: ServerOptions = async () => this.spawnBridge();
    const clientOptions: LanguageClientOptions = {
      // Every text document is synced, so the bridge can serve whatever language the running
      // kernel speaks; the middleware only forwards requests for documents with a kernel language.
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      initializationOptions: this.launch.initializationOptions,
      outputChannel: this.log,
      revealOutputChannelOn: 4 /* never */,
      middleware: this.middleware,
      errorHandler: {
        // Our own messages say what went wrong and how to fix it; the client's generic ones
        // ("connection to server is erroring") would only add noise.
        error: () => ({ action: this.started ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: () => ({ action: CloseAction.DoNotRestart, handled: true }),
      },
      connectionOptions: { maxRestartCount: 0 },
    };
    const client = new LanguageClient('kernelBridge', 'Kernel Bridge', serverOptions, clientOptions);
    client.registerFeature(jupyterInputFeature);
    this.client = client;
    this.onReady(client);
    // A bridge that exits before answering `initialize` can leave client.start() waiting:
    // its exit ends the start.
    const exitedEarly = new Promise<never>((_, reject) => {
      this.onEarlyExit = () => reject(new Error('kernel-bridge exited during start-up'));
    });
    try {
      await Promise.race([client.start(), exitedEarly]);
    } catch (err) {
      this.onEarlyExit = undefined;
      void client.stop(1000).catch(() => undefined);
      // The process usually exits just after the connection closes: give its exit code a moment.
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
      throw new Error(this.failureMessage(err));
    }
    this.onEarlyExit = undefined;
    this.started = true;
  }

  private spawnBridge(): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      this.exit = undefined;
      this.stderrTail = '';
      this.log.appendLine(`[kernel-bridge] starting ${this.launch.command} ${this.launch.args.join(' ')}`);
      const child = spawn(this.launch.command, this.launch.args, {
        cwd: this.launch.cwd,
        env: { ...process.env, ...this.launch.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.process = child;
      this.exited = new Promise((r) => child.once('exit', () => r()));
      child.stderr!.on('data', (data: Buffer) => {
        const text = data.toString('utf8');
        this.log.append(text);
        this.stderrTail = (this.stderrTail + text).slice(-4000);
      });
      child.once('error', (err) => {
        reject(new Error(`could not run ${this.launch.command}: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.log.appendLine(`[kernel-bridge] exited (code ${code}, signal ${signal})`);
        this.onEarlyExit?.();
        if (this.started && !this.stopping) {
          this.onDidExitEmitter.fire(brokenBridgeMessage(this.launch.command, code, signal, this.stderrTail));
        }
      });
      child.once('spawn', () => resolve(child));
    });
  }

  private failureMessage(err: unknown): string {
    const detail = err instanceof Error ? err.message : String(err);
    if (this.exit || /could not run/.test(detail)) {
      if (!this.exit) return `${detail}. Is "kernelBridge.path" right?`;
      return brokenBridgeMessage(this.launch.command, this.exit.code, this.exit.signal, this.stderrTail);
    }
    return `kernel-bridge (${this.launch.command}) did not start: ${detail}. See the "Kernel Bridge" output channel.`;
  }

  /** Send a request (one of protocol.ts's `Requests`). */
  request<P extends object, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('kernel-bridge is not running'));
    return token ? client.sendRequest(type, params, token) : client.sendRequest(type, params);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const client = this.client;
    const child = this.process;
    this.client = undefined;
    try {
      // shutdown + exit; the bridge then stops the kernels it started (bounded 10 s).
      if (client?.isRunning()) await client.stop(15000);
    } catch {
      // fall through to the process checks
    }
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const wait = (ms: number) => Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
      child.stdin?.end();
      await wait(12000);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await wait(5000);
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.stopping = false;
  }

  dispose(): void {
    void this.stop();
    this.onDidExitEmitter.dispose();
  }
}
