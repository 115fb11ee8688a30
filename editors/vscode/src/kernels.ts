// The kernels this window uses, their execution state, and which document runs on which
// kernel. No VS Code API: unit-tested directly.

import { vscodeLanguageId } from './languages';
import type { ExecutionState, KernelRef } from './protocol';

export interface KernelInfo {
  kernelId: string;
  kernelName: string;
  displayName: string;
  /** VS Code language id of the kernel's language. */
  languageId: string;
  owned: boolean;
  /** A remote kernel's server (docs/remote.md): its settings name, else its url. */
  server?: string;
  state: ExecutionState;
  reason?: string;
}

export class KernelManager {
  private kernels = new Map<string, KernelInfo>();
  /** Document URI (as the bridge sees it) → kernel id. */
  private documents = new Map<string, string>();
  /** Documents bound in the bridge itself (started/connected with their uri). */
  private bridgeBound = new Set<string>();
  private activeId: string | undefined;
  private listeners: (() => void)[] = [];
  private specLanguages = new Set<string>(['python']);

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }

  private fire(): void {
    for (const l of this.listeners) l();
  }

  get active(): KernelInfo | undefined {
    return this.activeId ? this.kernels.get(this.activeId) : undefined;
  }

  get all(): KernelInfo[] {
    return [...this.kernels.values()];
  }

  get(kernelId: string): KernelInfo | undefined {
    return this.kernels.get(kernelId);
  }

  /** VS Code language ids that run on kernels: python, the kernelspecs' and the running kernels'. */
  get languages(): string[] {
    const out = new Set(this.specLanguages);
    for (const k of this.kernels.values()) out.add(k.languageId);
    return [...out].sort();
  }

  setSpecLanguages(languages: string[]): void {
    this.specLanguages = new Set(['python', ...languages.map(vscodeLanguageId)]);
    this.fire();
  }

  /** A kernel the bridge started or attached to; `uri` is the document bound to it, if any. */
  add(ref: KernelRef, displayName: string, owned: boolean, uri?: string): KernelInfo {
    const info: KernelInfo = {
      kernelId: ref.kernelId,
      kernelName: ref.kernelName,
      displayName,
      languageId: vscodeLanguageId(ref.language || 'python'),
      owned,
      state: this.kernels.get(ref.kernelId)?.state ?? 'idle',
    };
    if (ref.server) info.server = ref.server.name ?? ref.server.url;
    this.kernels.set(ref.kernelId, info);
    this.activeId = ref.kernelId;
    if (uri) {
      this.documents.set(uri, ref.kernelId);
      this.bridgeBound.add(uri);
    }
    this.fire();
    return info;
  }

  /** Use `kernelId` for the document from now on (the bridge does not know of this binding). */
  use(uri: string, kernelId: string): void {
    if (this.documents.get(uri) !== kernelId) this.bridgeBound.delete(uri);
    this.documents.set(uri, kernelId);
    this.activeId = kernelId;
    this.fire();
  }

  isBoundInBridge(uri: string, kernelId: string): boolean {
    return this.bridgeBound.has(uri) && this.documents.get(uri) === kernelId;
  }

  setState(kernelId: string, state: ExecutionState, reason?: string): void {
    const info = this.kernels.get(kernelId);
    if (!info) return;
    if (info.state === state && info.reason === reason) return;
    info.state = state;
    info.reason = reason;
    this.fire();
  }

  /** The kernel was shut down (or the bridge went away): forget it and its documents. */
  remove(kernelId: string): void {
    this.kernels.delete(kernelId);
    for (const [uri, id] of this.documents) {
      if (id === kernelId) {
        this.documents.delete(uri);
        this.bridgeBound.delete(uri);
      }
    }
    if (this.activeId === kernelId) {
      const next = [...this.kernels.values()].find((k) => k.state !== 'dead');
      this.activeId = next?.kernelId;
    }
    this.fire();
  }

  clear(): void {
    this.kernels.clear();
    this.documents.clear();
    this.bridgeBound.clear();
    this.activeId = undefined;
    this.fire();
  }

  /**
   * The kernel a document runs on: the one bound to it; else the active kernel if it speaks
   * the document's language; else any kernel that does.
   */
  kernelFor(uri: string, languageId: string): KernelInfo | undefined {
    const bound = this.documents.get(uri);
    if (bound && this.kernels.has(bound)) return this.kernels.get(bound);
    const active = this.active;
    if (active && active.languageId === languageId) return active;
    return [...this.kernels.values()].find((k) => k.languageId === languageId && k.state !== 'dead');
  }

  /** True if requests for this document should go to the bridge (completion, hover, code lens). */
  servesLanguage(languageId: string): boolean {
    return this.languages.includes(languageId);
  }
}
