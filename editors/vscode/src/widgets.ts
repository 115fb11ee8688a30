// Jupyter widgets in the output view: the extension is the view's link to each kernel's
// comms, through the bridge (docs/protocol.md, "Comms"). The view runs the sidecar's widget
// manager (bridge/sidecar/static/sidecar-widgets.js, @jupyter-widgets/html-manager), which
// speaks the sidecar's widget events (docs/sidecar.md); this module turns `jupyter/comm` and
// `jupyter/commIdle` into those events, and the view's comm messages and comm_info questions
// into `jupyter/commMsg` and `jupyter/commInfo`.

import type { CommIdleParams, CommInfoResult, CommLimitParams, CommParams } from './protocol';
import type { WidgetEvent, WidgetMessage } from './viewModel';

export interface WidgetHost {
  /** Post events to the view's widget manager of `kernelId` (dropped when no view is open). */
  post(kernelId: string, events: WidgetEvent[]): void;
  commMsg(kernelId: string, commId: string, data: Record<string, unknown>, metadata: Record<string, unknown>, buffers: string[]): Promise<{ msgId: string }>;
  commInfo(kernelId: string): Promise<CommInfoResult>;
}

/** What the user is told when the bridge left a kernel's comm messages out (`jupyter/commLimit`):
 * widgets may show stale values until they change again. */
export function commLimitMessage(params: CommLimitParams): string {
  const n = params.omittedMessages;
  const mib = (params.omittedBytes / (1024 * 1024)).toFixed(1);
  return (
    `Kernel ${params.kernelId} sent widget messages faster than VS Code could take them: ` +
    `${n} message${n === 1 ? '' : 's'} (~${mib} MiB) left out; widgets may show stale values until they change again.`
  );
}

export class WidgetRelay {
  /** Events waiting for the next post (one postMessage per kernel per turn of the event loop). */
  private queued = new Map<string, WidgetEvent[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: WidgetHost) {}

  comm(params: CommParams): void {
    this.queue(params.kernelId, {
      type: 'comm',
      msgType: params.msgType,
      commId: params.commId,
      msgId: params.msgId,
      parentId: params.parentId,
      targetName: params.targetName,
      data: params.data ?? {},
      metadata: params.metadata ?? {},
      buffers: params.buffers ?? [],
    });
  }

  idle(params: CommIdleParams): void {
    this.queue(params.kernelId, { type: 'status', parentId: params.parentId, executionState: 'idle' });
  }

  /** The kernel restarted or died: its widgets are gone. */
  kernelGone(kernelId: string): void {
    this.queue(kernelId, { type: 'kernel' });
  }

  /** A message from the view's widget manager; its answer goes back as an event. */
  async fromView(kernelId: string, message: WidgetMessage): Promise<void> {
    if (message.type === 'comm_msg') {
      let answer: WidgetEvent;
      try {
        const { msgId } = await this.host.commMsg(kernelId, message.commId, message.data, message.metadata, message.buffers);
        answer = { type: 'sent', ref: message.ref, msgId };
      } catch (err) {
        answer = { type: 'sent', ref: message.ref, error: String((err as Error)?.message ?? err) };
      }
      this.queue(kernelId, answer);
    } else if (message.type === 'comm_info') {
      let answer: WidgetEvent;
      try {
        const info = await this.host.commInfo(kernelId);
        answer = info.status === 'ok' || info.comms ? { type: 'comm_info', ref: message.ref, comms: info.comms ?? {} } : { type: 'comm_info', ref: message.ref, error: `the kernel answered ${info.status}` };
      } catch (err) {
        answer = { type: 'comm_info', ref: message.ref, error: String((err as Error)?.message ?? err) };
      }
      this.queue(kernelId, answer);
    }
  }

  private queue(kernelId: string, event: WidgetEvent): void {
    let events = this.queued.get(kernelId);
    if (!events) this.queued.set(kernelId, (events = []));
    events.push(event);
    this.timer ??= setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.timer = undefined;
    const queued = this.queued;
    this.queued = new Map();
    for (const [kernelId, events] of queued) this.host.post(kernelId, events);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.queued.clear();
  }
}
