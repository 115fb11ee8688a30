// The "Jupyter Variables" tree view (Explorer): `jupyter/variables` of the active document's
// kernel. Refreshed after each run, when the kernel shown changes, starts, restarts or dies,
// and by the refresh button; while the view is hidden it only remembers that it is stale.

import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import type { KernelInfo } from './kernels';
import { ErrorCodes, type Variable } from './protocol';
import { viewContent, type Row, type VariablesState, type ViewContent } from './variables';

export const VARIABLES_VIEW = 'kernelBridge.variables';
const STATE_CONTEXT = 'kernelBridge.variablesState';

export interface VariablesSource {
  /** The kernel to show: the active editor's, else the active kernel. */
  current(): KernelInfo | undefined;
  fetch(kernel: KernelInfo): Promise<Variable[]>;
}

/** What about a kernel makes the view reload: another kernel, or it came up, went down or is restarting. */
function phaseKey(kernel: KernelInfo | undefined): string {
  if (!kernel) return 'none';
  const phase = kernel.state === 'dead' ? 'dead' : kernel.state === 'starting' || kernel.state === 'restarting' ? kernel.state : 'up';
  return `${kernel.kernelId}:${phase}`;
}

export class VariablesView implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly tree: vscode.TreeView<Row>;
  private readonly disposables: vscode.Disposable[] = [];
  private content: ViewContent = viewContent({ kind: 'noKernel' });
  private shownKey: string | undefined;
  private stale = true;
  /** Latest load wins: an answer for an older one is dropped. */
  private generation = 0;
  /** The kernel a request is in flight for; a refresh for the same kernel meanwhile waits for it. */
  private inFlight: string | undefined;
  private again = false;

  constructor(private readonly source: VariablesSource) {
    this.tree = vscode.window.createTreeView(VARIABLES_VIEW, { treeDataProvider: this });
    this.disposables.push(
      this.tree,
      this.changed,
      this.tree.onDidChangeVisibility((e) => {
        if (e.visible && this.stale) this.refresh();
      }),
    );
    this.show(this.content);
  }

  /** Kernels or the active editor changed: reload if the kernel shown, or whether it is up, changed. */
  kernelsChanged(): void {
    if (phaseKey(this.source.current()) !== this.shownKey) this.refresh();
  }

  /** Reload now if the view is visible (else when it becomes visible). */
  refresh(): void {
    if (!this.tree.visible) {
      this.stale = true;
      return;
    }
    this.stale = false;
    const kernel = this.source.current();
    if (kernel && this.inFlight === kernel.kernelId && phaseKey(kernel) === this.shownKey) {
      this.again = true;
      return;
    }
    void this.load(kernel);
  }

  private async load(kernel: KernelInfo | undefined): Promise<void> {
    const generation = ++this.generation;
    this.shownKey = phaseKey(kernel);
    this.again = false;
    this.inFlight = undefined;
    if (!kernel) return this.apply(generation, { kind: 'noKernel' });
    const name = kernel.displayName;
    if (kernel.state === 'dead') return this.apply(generation, { kind: 'dead', kernel: name, reason: kernel.reason });
    if (kernel.state === 'starting' || kernel.state === 'restarting') return this.apply(generation, { kind: 'waiting', kernel: name, why: kernel.state });
    this.inFlight = kernel.kernelId;
    let state: VariablesState;
    try {
      state = { kind: 'ok', kernel: name, variables: await this.source.fetch(kernel) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof ResponseError && err.code === ErrorCodes.variablesUnsupported && /not supported/.test(message)) {
        state = { kind: 'unsupported', kernel: name, message };
      } else if (err instanceof ResponseError && err.code === ErrorCodes.kernelRestarting) {
        state = { kind: 'waiting', kernel: name, why: 'restarting' };
      } else {
        state = { kind: 'error', kernel: name, message };
      }
    } finally {
      if (this.inFlight === kernel.kernelId && generation === this.generation) this.inFlight = undefined;
    }
    this.apply(generation, state);
    if (generation === this.generation && this.again) this.refresh();
  }

  private apply(generation: number, state: VariablesState): void {
    if (generation !== this.generation) return;
    this.show(viewContent(state));
  }

  private show(content: ViewContent): void {
    this.content = content;
    this.tree.description = content.description;
    void vscode.commands.executeCommand('setContext', STATE_CONTEXT, content.context);
    this.changed.fire();
  }

  getTreeItem(row: Row): vscode.TreeItem {
    if (row.kind === 'message') {
      const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
      item.tooltip = row.tooltip;
      item.iconPath = new vscode.ThemeIcon(row.icon);
      item.contextValue = 'message';
      return item;
    }
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.description = row.description;
    item.tooltip = new vscode.MarkdownString(row.tooltip);
    item.iconPath = new vscode.ThemeIcon('symbol-variable');
    item.accessibilityInformation = { label: row.accessibilityLabel };
    item.contextValue = 'variable';
    return item;
  }

  getChildren(row?: Row): Row[] {
    return row ? [] : this.content.rows;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
