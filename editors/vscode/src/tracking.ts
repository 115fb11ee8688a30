// Which JSON-RPC id a request got. vscode-jsonrpc numbers requests itself, but the bridge
// tags every `jupyter/output` with the id of the execute that caused it (docs/protocol.md),
// so the extension must know it: this writer reports the id of chosen requests, recognised
// by their params object, as the request is written (before any answer can arrive).

import type { Message, MessageWriter } from 'vscode-languageclient/node';

export type IdCallback = (id: number | string) => void;

export class TrackingWriter implements MessageWriter {
  constructor(
    private readonly inner: MessageWriter,
    private readonly pending: WeakMap<object, IdCallback>,
  ) {}
  get onError() {
    return this.inner.onError;
  }
  get onClose() {
    return this.inner.onClose;
  }
  write(msg: Message): Promise<void> {
    const request = msg as Message & { id?: number | string; method?: string; params?: unknown };
    if (request.id !== undefined && request.method && request.params && typeof request.params === 'object') {
      const callback = this.pending.get(request.params as object);
      if (callback) {
        this.pending.delete(request.params as object);
        callback(request.id);
      }
    }
    return this.inner.write(msg);
  }
  end(): void {
    this.inner.end();
  }
  dispose(): void {
    this.inner.dispose();
  }
}
