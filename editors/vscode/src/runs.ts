// What each run produced, built from `jupyter/output` notifications (docs/protocol.md,
// "Running code") and the execute's result: the model behind both the inline result and
// the output view. No VS Code API here, so it is unit-tested directly.

import { stripAnsi } from './ansi';
import { OUTPUT_MSG_TYPES, type ExecuteResult, type ExecutionState, type MimeBundle, type OutputLimitParams, type OutputMsgType, type OutputParams } from './protocol';

function isOutputMsgType(msgType: string): msgType is OutputMsgType {
  return (OUTPUT_MSG_TYPES as readonly string[]).includes(msgType);
}

export type OutputItem =
  | { kind: 'stream'; name: string; text: string; dropped: number }
  | { kind: 'error'; ename: string; evalue: string; traceback: string[] }
  | {
      kind: 'data';
      data: MimeBundle;
      metadata: Record<string, unknown>;
      displayId?: string;
      /** execute_result (Out[n]) rather than display_data. */
      executionCount?: number;
    }
  | { kind: 'notice'; text: string; file?: string | null };

/** `external`: output the kernel sent for no run of ours (another client's, or a late one). */
export type RunState = 'queued' | 'running' | 'ok' | 'error' | 'aborted' | 'failed' | 'external';

export interface RunSource {
  /** Document URI (as VS Code prints it) and line of the inline result. */
  uri: string;
  line: number;
}

export interface RunLimits {
  /** Characters of text kept per stream output (oldest dropped first). */
  maxTextLength: number;
}

const DEFAULT_LIMITS: RunLimits = { maxTextLength: 200_000 };

let nextRunId = 1;
/** Names runs of this extension host apart from another's (and from a bridge's earlier life). */
const RUN_ID_PREFIX = `vscode-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export class Run {
  readonly id = nextRunId++;
  /** The run's name in `jupyter/execute` (`runId`): the bridge echoes it in the run's outputs. */
  readonly runId = `${RUN_ID_PREFIX}-${this.id}`;
  /** Order in which runs' requests went to the bridge (0: not sent yet). */
  sentSeq = 0;
  state: RunState = 'queued';
  executionCount: number | null = null;
  outputs: OutputItem[] = [];
  /** Set when the request itself failed (bridge error, kernel died…). */
  failure: string | undefined;
  private clearOnNext = false;
  /** Stream outputs whose text ends in a `\r` (the next chunk overwrites that line). */
  private readonly endsInCR = new WeakSet<OutputItem>();

  constructor(
    readonly kernelId: string,
    readonly code: string,
    readonly source: RunSource | undefined,
    readonly title: string,
    private readonly limits: RunLimits = DEFAULT_LIMITS,
  ) {}

  get finished(): boolean {
    return this.state !== 'queued' && this.state !== 'running';
  }

  /** Apply one `jupyter/output`; true if what the run shows changed (its first output also starts it). */
  apply(msgType: OutputMsgType, content: Record<string, unknown>): boolean {
    const starts = this.state === 'queued';
    if (starts) this.state = 'running';
    return this.applyContent(msgType, content) || starts;
  }

  private applyContent(msgType: OutputMsgType, content: Record<string, unknown>): boolean {
    if (msgType === 'clear_output') {
      if (content.wait) {
        this.clearOnNext = true;
        return false;
      }
      this.clearOnNext = false;
      const had = this.outputs.length > 0;
      this.outputs = [];
      return had;
    }
    if (msgType === 'update_display_data' || msgType === 'execute_input') {
      return false; // handled by RunStore (display ids are kernel-wide) / not displayed
    }
    if (this.clearOnNext) {
      this.outputs = [];
      this.clearOnNext = false;
    }
    switch (msgType) {
      case 'stream': {
        const name = String(content.name ?? 'stdout');
        const text = String(content.text ?? '');
        const last = this.outputs[this.outputs.length - 1];
        if (last && last.kind === 'stream' && last.name === name) {
          last.text = appendStream(last.text, text, this.endsInCR.has(last));
          this.capStream(last);
          this.trackCR(last, text);
        } else {
          const item: OutputItem = { kind: 'stream', name, text: appendStream('', text), dropped: 0 };
          this.capStream(item);
          this.trackCR(item, text);
          this.outputs.push(item);
        }
        return true;
      }
      case 'error':
        this.outputs.push({
          kind: 'error',
          ename: String(content.ename ?? 'Error'),
          evalue: String(content.evalue ?? ''),
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
        });
        return true;
      case 'display_data':
      case 'execute_result': {
        const transient = (content.transient ?? {}) as Record<string, unknown>;
        const item: OutputItem = {
          kind: 'data',
          data: (content.data ?? {}) as MimeBundle,
          metadata: (content.metadata ?? {}) as Record<string, unknown>,
        };
        if (typeof transient.display_id === 'string') item.displayId = transient.display_id;
        if (msgType === 'execute_result') {
          item.executionCount = typeof content.execution_count === 'number' ? content.execution_count : undefined;
          if (item.executionCount !== undefined) this.executionCount = item.executionCount;
        }
        this.outputs.push(item);
        return true;
      }
      default:
        return false;
    }
  }

  /** Replace the data of outputs shown under `displayId`; true if any was. */
  updateDisplay(displayId: string, data: MimeBundle, metadata: Record<string, unknown>): boolean {
    let changed = false;
    for (const item of this.outputs) {
      if (item.kind === 'data' && item.displayId === displayId) {
        item.data = data;
        item.metadata = metadata;
        changed = true;
      }
    }
    return changed;
  }

  outputLimit(params: OutputLimitParams): void {
    const size = formatBytes(params.omittedBytes);
    this.outputs.push({
      kind: 'notice',
      text: `Output limit reached: ${size} in ${params.omittedMessages} message(s) left out.`,
      file: params.file,
    });
  }

  finish(result: ExecuteResult): void {
    this.state = result.status;
    if (typeof result.executionCount === 'number') this.executionCount = result.executionCount;
    if (result.status === 'error' && !this.outputs.some((o) => o.kind === 'error')) {
      // Kernels publish the error on iopub too; this covers one that was dropped or left out.
      this.outputs.push({
        kind: 'error',
        ename: result.ename ?? 'Error',
        evalue: result.evalue ?? '',
        traceback: result.traceback ?? [],
      });
    }
  }

  fail(message: string): void {
    this.state = 'failed';
    this.failure = message;
  }

  /** Whether a stream's text ends in a `\r`, known without reading the text (see appendStream). */
  private trackCR(item: OutputItem, chunk: string): void {
    if (!chunk) return;
    if (chunk.endsWith('\r')) this.endsInCR.add(item);
    else this.endsInCR.delete(item);
  }

  private capStream(item: Extract<OutputItem, { kind: 'stream' }>): void {
    const max = this.limits.maxTextLength;
    if (item.text.length <= max) return;
    // Cut an eighth more than needed: a flood then pays for a cut (a copy of the whole text)
    // once per max/8 characters, not on every message.
    const over = item.text.length - (max - Math.floor(max / 8));
    let cut = item.text.indexOf('\n', over);
    cut = cut < 0 || cut - over > 200 ? over : cut + 1;
    item.text = item.text.slice(cut);
    item.dropped += cut;
  }

  /** The short text shown after the last line that ran. */
  summary(maxLength: number): { text: string; isError: boolean } {
    if (this.state === 'failed') return { text: truncateEnd(this.failure ?? 'failed', maxLength), isError: true };
    const error = this.outputs.find((o) => o.kind === 'error');
    if (error && error.kind === 'error') {
      const text = error.evalue ? `${error.ename}: ${stripAnsi(error.evalue)}` : error.ename;
      return { text: truncateEnd(oneLine(text), maxLength), isError: true };
    }
    const parts: string[] = [];
    for (const item of this.outputs) {
      const part = itemSummary(item);
      if (part) parts.push(part);
    }
    if (parts.length === 0) {
      if (this.state === 'aborted') return { text: 'aborted', isError: true };
      if (this.state === 'ok') return { text: '✓', isError: false };
      return { text: '⋯', isError: false };
    }
    let text = parts.join('  ');
    if (!this.finished) text += ' ⋯';
    return { text: truncateStart(text, maxLength), isError: false };
  }
}

/** Characters at the end of a stream the inline summary looks at for its last line. */
const SUMMARY_TAIL_CHARS = 8192;

function itemSummary(item: OutputItem): string {
  switch (item.kind) {
    case 'stream': {
      // The last line shown is in the text's end; do not scan a flood's whole text each time.
      const lines = stripAnsi(item.text.slice(-SUMMARY_TAIL_CHARS))
        .split('\n')
        .map((l) => l.replace(/^.*\r(?=.)/, '').replace(/\r$/, ''))
        .filter((l) => l.trim() !== '');
      return lines.length ? lines[lines.length - 1] : '';
    }
    case 'data': {
      const plain = item.data['text/plain'];
      const image = Object.keys(item.data).find((m) => m.startsWith('image/'));
      if (image) return `[${image}]`;
      if (typeof plain === 'string' || Array.isArray(plain)) return oneLine(stripAnsi(joinText(plain)));
      const first = Object.keys(item.data)[0];
      return first ? `[${first}]` : '';
    }
    case 'notice':
      return '';
    case 'error':
      return '';
  }
}

/** Text of a mime value (nbformat allows a list of lines). */
export function joinText(value: unknown): string {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}

function oneLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length <= 1) return (lines[0] ?? '').trim();
  return `${lines[0].trim()} … (${lines.length} lines)`;
}

function truncateEnd(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

function truncateStart(text: string, max: number): string {
  return text.length <= max ? text : '…' + text.slice(text.length - max + 1);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Append stream text the way a terminal shows it: `\r` returns to the start of the line,
 * so progress bars overwrite themselves. A trailing `\r` is kept so the next chunk
 * overwrites the line.
 */
export function appendStream(existing: string, chunk: string, existingEndsInCR = existing.endsWith('\r')): string {
  // A flood arrives as many small chunks: the work per chunk must not grow with the text
  // kept (it did, and the output view fell half a minute behind the kernel). So the common
  // case only concatenates: reading the text (even endsWith) makes V8 copy it flat, which
  // is why the caller says whether it ends in a \r. Lines before the last newline are final
  // (no \r is left in them): only the last line can change.
  if (!existingEndsInCR && !chunk.includes('\r')) return existing + chunk;
  const lastLine = existing.lastIndexOf('\n') + 1;
  return existing.slice(0, lastLine) + overwriteLines(existing.slice(lastLine) + chunk);
}

function overwriteLines(tail: string): string {
  let text = tail.replace(/\r\n/g, '\n');
  if (!text.includes('\r')) return text;
  const lines = text.split('\n');
  text = lines
    .map((line, i) => {
      if (!line.includes('\r')) return line;
      const isLast = i === lines.length - 1;
      const trailing = line.endsWith('\r');
      const parts = line.split('\r').filter((p, j, all) => j < all.length - 1 || p !== '');
      const shown = overwrite(parts);
      return isLast && trailing ? shown + '\r' : shown;
    })
    .join('\n');
  return text;
}

/** Each part is written from column 0 over the previous ones. */
function overwrite(parts: string[]): string {
  let line = '';
  for (const part of parts) line = part + line.slice(part.length);
  return line;
}

/** All runs, in order, capped; the mapping from runIds to runs. */
export class RunStore {
  private runs: Run[] = [];
  private byRunId = new Map<string, Run>();
  private otherClient = new Map<string, Run>();
  /** Kernels whose last `jupyter/status` was `busy`. */
  private busy = new Set<string>();
  private sent = 0;

  constructor(
    private maxRuns: number,
    private readonly limits: RunLimits = DEFAULT_LIMITS,
  ) {}

  setMaxRuns(n: number): Run[] {
    this.maxRuns = n;
    return this.evict();
  }

  get all(): readonly Run[] {
    return this.runs;
  }

  /** A new run; returns it and the runs evicted to make room. */
  add(kernelId: string, code: string, source: RunSource | undefined, title: string): { run: Run; evicted: Run[] } {
    const run = new Run(kernelId, code, source, title, this.limits);
    this.runs.push(run);
    return { run, evicted: this.evict() };
  }

  /** The run's request is being sent now: its outputs (named by its runId) may come. */
  markSent(run: Run): void {
    run.sentSeq = ++this.sent;
    this.byRunId.set(run.runId, run);
  }

  // When a run starts. The bridge says when a kernel is busy but not for which request
  // (`jupyter/status` names no run, and the execute_input of our own requests is not
  // forwarded: docs/protocol.md), and a run may print nothing for a long time (input(),
  // sleep, a flood the bridge is still coalescing). A kernel runs the executes of one client
  // in the order they were sent, so while it is busy the oldest unfinished run we sent it is
  // the one it runs. Outputs and input requests name their run and start it directly.

  /** A kernel's `jupyter/status`; returns the run that it shows started, if any. */
  kernelState(kernelId: string, state: ExecutionState): Run[] {
    if (state === 'busy') this.busy.add(kernelId);
    else this.busy.delete(kernelId);
    return this.startNext(kernelId);
  }

  /** The kernel asks for input for this request (`jupyter/input`): it is running it. */
  inputRequested(runId: string | undefined): Run | undefined {
    const run = this.forRun(runId);
    if (run?.state === 'queued') run.state = 'running';
    return run;
  }

  /** The run's response; returns the runs whose display changed (it, and the one the kernel went on to). */
  finish(run: Run, result: ExecuteResult): Run[] {
    run.finish(result);
    return [run, ...this.startNext(run.kernelId)];
  }

  /** The run's request failed; returns the runs whose display changed. */
  fail(run: Run, message: string): Run[] {
    run.fail(message);
    return [run, ...this.startNext(run.kernelId)];
  }

  private startNext(kernelId: string): Run[] {
    if (!this.busy.has(kernelId)) return [];
    let oldest: Run | undefined;
    for (const run of this.runs) {
      if (run.kernelId !== kernelId || run.finished || run.sentSeq === 0) continue;
      if (!oldest || run.sentSeq < oldest.sentSeq) oldest = run;
    }
    if (oldest?.state !== 'queued') return [];
    oldest.state = 'running';
    return [oldest];
  }

  forRun(runId: string | undefined): Run | undefined {
    return runId === undefined ? undefined : this.byRunId.get(runId);
  }

  /** Route one `jupyter/output`; returns the runs whose display changed (and evicted ones). */
  applyOutput(params: OutputParams): { changed: Run[]; evicted: Run[] } {
    const changed = new Set<Run>();
    let evicted: Run[] = [];
    if (!isOutputMsgType(params.msgType)) {
      // A type we do not know (a kernel's own, a newer protocol's) is ignored, as docs/protocol.md
      // asks of editors; for one of our runs it still says the kernel is running it.
      const run = this.forRun(params.runId);
      if (run?.state === 'queued') {
        run.state = 'running';
        return { changed: [run], evicted };
      }
      return { changed: [], evicted };
    }
    if (params.msgType === 'update_display_data') {
      const transient = (params.content.transient ?? {}) as Record<string, unknown>;
      const displayId = transient.display_id;
      if (typeof displayId === 'string') {
        for (const run of this.runs) {
          if (
            run.kernelId === params.kernelId &&
            run.updateDisplay(
              displayId,
              (params.content.data ?? {}) as MimeBundle,
              (params.content.metadata ?? {}) as Record<string, unknown>,
            )
          )
            changed.add(run);
        }
      }
      return { changed: [...changed], evicted };
    }
    let run = this.forRun(params.runId);
    if (!run) {
      // Another client's run (a console on the same kernel) or a late message: its own entry.
      const key = `${params.kernelId}/${params.origin ?? 'other'}`;
      if (params.msgType === 'execute_input') {
        const code = String(params.content.code ?? '');
        const added = this.add(params.kernelId, code, undefined, params.origin === 'self' ? 'late output' : 'another client');
        added.run.state = 'external';
        if (typeof params.content.execution_count === 'number') added.run.executionCount = params.content.execution_count;
        this.otherClient.set(key, added.run);
        return { changed: [added.run], evicted: added.evicted };
      }
      run = this.otherClient.get(key);
      if (!run || !this.runs.includes(run)) {
        const added = this.add(params.kernelId, '', undefined, params.origin === 'self' ? 'late output' : 'output not from a run');
        run = added.run;
        run.state = 'external';
        evicted = added.evicted;
        this.otherClient.set(key, run);
      }
    }
    if (run.apply(params.msgType, params.content)) changed.add(run);
    return { changed: [...changed], evicted };
  }

  /** Forget finished runs (the output view's Clear); running ones stay. */
  clearFinished(): Run[] {
    const gone = this.runs.filter((r) => r.finished);
    this.runs = this.runs.filter((r) => !r.finished);
    for (const run of gone) this.byRunId.delete(run.runId);
    return gone;
  }

  private evict(): Run[] {
    const evicted: Run[] = [];
    while (this.runs.length > this.maxRuns) {
      const index = this.runs.findIndex((r) => r.finished);
      const [gone] = this.runs.splice(index >= 0 ? index : 0, 1);
      this.byRunId.delete(gone.runId);
      evicted.push(gone);
    }
    return evicted;
  }
}
