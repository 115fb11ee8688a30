// The status bar item: the kernel's name and busy/idle/dead; a click offers interrupt,
// restart and stop.

import * as vscode from 'vscode';
import type { KernelInfo } from './kernels';

const ICONS: Record<string, string> = {
  idle: '$(circle-large-outline)',
  busy: '$(loading~spin)',
  starting: '$(loading~spin)',
  restarting: '$(loading~spin)',
  dead: '$(error)',
  disconnected: '$(debug-disconnect)',
};

export class KernelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('kernelBridge.status', vscode.StatusBarAlignment.Left, 100);

  constructor() {
    this.item.name = 'Kernel Bridge';
    this.show(undefined);
    this.item.show();
  }

  show(kernel: KernelInfo | undefined, note?: string): void {
    if (!kernel) {
      this.item.text = `$(circle-slash) ${note ?? 'No kernel'}`;
      this.item.tooltip = 'Kernel Bridge: no kernel is running. Click to start one.';
      this.item.command = 'kernelBridge.startKernel';
      this.item.backgroundColor = undefined;
      this.item.accessibilityInformation = { label: `Kernel: ${note ?? 'none'}` };
      return;
    }
    const icon = ICONS[kernel.state] ?? '$(circle-large-outline)';
    this.item.text = `${icon} ${kernel.displayName}: ${kernel.state}`;
    const reason = kernel.reason ? ` (${kernel.reason})` : '';
    this.item.tooltip = `${kernel.displayName} [${kernel.kernelName}, ${kernel.owned ? 'started here' : 'attached'}] is ${kernel.state}${reason}. Click to interrupt, restart or stop it.`;
    this.item.command = 'kernelBridge.kernelActions';
    this.item.backgroundColor = kernel.state === 'dead' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.accessibilityInformation = { label: `Kernel ${kernel.displayName}: ${kernel.state}` };
  }

  dispose(): void {
    this.item.dispose();
  }
}
