// The output view beside the editor: a webview with a strict Content-Security-Policy
// (no remote resources, scripts only by nonce) that renders every run's full output.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Run } from './runs';
import { contentSecurityPolicy, runView, type FromView, type RunView, type ToView, type WidgetEvent, type WidgetMessage } from './viewModel';

export class OutputView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private dirty = new Set<Run>();
  private removed: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly allRuns: () => readonly Run[],
    private readonly kernelName: (run: Run) => string,
    private readonly onClear: () => void,
    private readonly onWidget: (kernelId: string, message: WidgetMessage) => void,
  ) {}

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  reveal(preserveFocus = true): void {
    if (this.panel) {
      if (!this.panel.visible) this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      'kernelBridge.output',
      'Kernel Output',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      {
        enableScripts: true,
        enableFindWidget: true,
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'out'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      },
    );
    this.panel = panel;
    this.ready = false;
    panel.webview.html = this.html(panel.webview);
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    }, null, this.disposables);
    panel.webview.onDidReceiveMessage((msg: FromView) => this.onMessage(msg), null, this.disposables);
  }

  /** Runs whose output changed (coalesced; sent at most every 50 ms). */
  update(runs: Iterable<Run>): void {
    for (const r of runs) this.dirty.add(r);
    this.schedule();
  }

  remove(runs: Iterable<Run>): void {
    for (const r of runs) {
      this.dirty.delete(r);
      this.removed.push(r.id);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || !this.panel || !this.ready) return;
    this.timer = setTimeout(() => this.flush(), 50);
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.panel || !this.ready) return;
    if (this.removed.length) {
      this.post({ type: 'remove', ids: this.removed });
      this.removed = [];
    }
    if (this.dirty.size) {
      const runs = [...this.dirty].map((r) => this.view(r));
      this.dirty.clear();
      this.post({ type: 'update', runs });
    }
  }

  /** Widget events for the view's widget manager of a kernel (a view that is not open needs
   * none: when it opens, it asks the kernel for its widgets). */
  widgets(kernelId: string, events: WidgetEvent[]): void {
    if (this.panel && this.ready) {
      // runs first: a widget output must find its view holder
      if (this.timer) {
        clearTimeout(this.timer);
        this.flush();
      }
      this.post({ type: 'widgets', kernelId, events });
    }
  }

  private view(run: Run): RunView {
    return runView(run, this.kernelName(run));
  }

  private post(msg: ToView): void {
    void this.panel?.webview.postMessage(msg);
  }

  private onMessage(msg: FromView): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.dirty.clear();
        this.removed = [];
        this.post({ type: 'reset', runs: this.allRuns().map((r) => this.view(r)) });
        break;
      case 'openFile':
        void vscode.window.showTextDocument(vscode.Uri.file(msg.file), { preview: true, viewColumn: vscode.ViewColumn.Active });
        break;
      case 'clear':
        this.onClear();
        this.post({ type: 'reset', runs: this.allRuns().map((r) => this.view(r)) });
        break;
      case 'widget':
        this.onWidget(msg.kernelId, msg.message);
        break;
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'output.css'));
    // the sidecar's widget manager (copied from bridge/sidecar/static by esbuild.mjs)
    const widgets = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'widgets.js'));
    const widgetStyle = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'widgets.css'));
    const csp = contentSecurityPolicy(webview.cspSource, nonce);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${widgetStyle}">
<link rel="stylesheet" href="${style}">
<title>Kernel Output</title>
</head>
<body>
<div id="toolbar"><span id="summary"></span><button id="clear" title="Remove finished runs">Clear</button></div>
<main id="runs" aria-live="polite"></main>
<script nonce="${nonce}" src="${widgets}"></script>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
