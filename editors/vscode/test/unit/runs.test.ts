import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendStream, formatBytes, Run, RunStore } from '../../src/runs';
import type { OutputParams } from '../../src/protocol';

/** A `jupyter/output` of `run` (null: of no run of ours). Its JSON-RPC id is always 1: runs are told apart by runId. */
function out(run: Run | null, msgType: OutputParams['msgType'], content: Record<string, unknown>, extra: Partial<OutputParams> = {}): OutputParams {
  return { kernelId: 'k1', requestId: run ? 1 : null, ...(run ? { runId: run.runId } : {}), msgId: 'm', msgType, content, ...extra };
}

test('stdout of a run is its inline summary', () => {
  const run = new Run('k1', 'print(1+1)', undefined, 't');
  run.apply('stream', { name: 'stdout', text: '2\n' });
  run.finish({ status: 'ok', executionCount: 1 });
  assert.deepEqual(run.summary(80), { text: '2', isError: false });
});

test('consecutive stream chunks of one stream are coalesced', () => {
  const run = new Run('k1', '', undefined, 't');
  run.apply('stream', { name: 'stdout', text: 'a' });
  run.apply('stream', { name: 'stdout', text: 'b\n' });
  run.apply('stream', { name: 'stderr', text: 'warn\n' });
  assert.equal(run.outputs.length, 2);
  assert.deepEqual(run.outputs[0], { kind: 'stream', name: 'stdout', text: 'ab\n', dropped: 0 });
});

test('an error is the summary, in the error colour, whatever else was printed', () => {
  const run = new Run('k1', '1/0', undefined, 't');
  run.apply('stream', { name: 'stdout', text: 'before\n' });
  run.apply('error', { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['\x1b[31mZeroDivisionError\x1b[0m'] });
  run.finish({ status: 'error', executionCount: 2, ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: [] });
  assert.deepEqual(run.summary(80), { text: 'ZeroDivisionError: division by zero', isError: true });
  assert.equal(run.outputs.filter((o) => o.kind === 'error').length, 1, 'the reply does not duplicate the iopub error');
});

test('an error only in the reply (its iopub message lost) still shows', () => {
  const run = new Run('k1', 'x', undefined, 't');
  run.finish({ status: 'error', executionCount: 3, ename: 'NameError', evalue: "name 'x' is not defined", traceback: ['tb'] });
  assert.equal(run.outputs.length, 1);
  assert.equal(run.summary(80).text, "NameError: name 'x' is not defined");
});

test('execute_result shows its text/plain; images show their type; the count is kept', () => {
  const run = new Run('k1', 'x', undefined, 't');
  run.apply('execute_result', { data: { 'text/plain': '42' }, metadata: {}, execution_count: 7 });
  assert.equal(run.executionCount, 7);
  assert.equal(run.summary(80).text, '42 ⋯');
  run.apply('display_data', { data: { 'image/png': 'iVBOR', 'text/plain': '<Figure>' }, metadata: {} });
  run.finish({ status: 'ok', executionCount: 7 });
  assert.equal(run.summary(80).text, '42  [image/png]');
});

test('a multi-line result is summarised by its first line and its length', () => {
  const run = new Run('k1', 'x', undefined, 't');
  run.apply('execute_result', { data: { 'text/plain': 'array([1,\n       2])' }, metadata: {}, execution_count: 1 });
  run.finish({ status: 'ok', executionCount: 1 });
  assert.equal(run.summary(80).text, 'array([1, … (2 lines)');
});

test('long summaries keep their end (the latest output)', () => {
  const run = new Run('k1', 'x', undefined, 't');
  run.apply('stream', { name: 'stdout', text: 'x'.repeat(50) + 'END\n' });
  run.finish({ status: 'ok', executionCount: 1 });
  const { text } = run.summary(20);
  assert.equal(text.length, 20);
  assert.ok(text.startsWith('…') && text.endsWith('END'));
});

test('a finished run without output shows a check mark; a running one an ellipsis', () => {
  const run = new Run('k1', 'x = 1', undefined, 't');
  assert.equal(run.summary(80).text, '⋯');
  run.finish({ status: 'ok', executionCount: 1 });
  assert.equal(run.summary(80).text, '✓');
});

test('clear_output empties the run; with wait, only when the next output comes', () => {
  const run = new Run('k1', '', undefined, 't');
  run.apply('stream', { name: 'stdout', text: 'old\n' });
  assert.equal(run.apply('clear_output', { wait: true }), false);
  assert.equal(run.outputs.length, 1);
  run.apply('stream', { name: 'stdout', text: 'new\n' });
  assert.deepEqual(run.outputs.map((o) => (o.kind === 'stream' ? o.text : '')), ['new\n']);
  run.apply('clear_output', { wait: false });
  assert.equal(run.outputs.length, 0);
});

test('carriage returns overwrite the line, as in a terminal', () => {
  assert.equal(appendStream('', '10%\r20%\r'), '20%\r');
  assert.equal(appendStream('20%\r', 'done\n'), 'done\n');
  assert.equal(appendStream('a\r', '\nb'), 'a\nb');
  assert.equal(appendStream('', 'abc\rX'), 'Xbc');
});

test('a stream shows the same text however the kernel split it into messages (\\r and \\r\\n across them)', () => {
  // What a progress bar writes ('\r' then the line), split at the writes, and a \r\n split in two.
  const writes = ['start\n', '10%', '\r20%', '\r', '\n', '30%\r', 'done\n', 'x\r', '\ny', '\rz\r'];
  const whole = new Run('k1', '', undefined, 't');
  whole.apply('stream', { name: 'stdout', text: writes.join('') });
  const expected = (whole.outputs[0] as { text: string }).text;
  assert.equal(expected, 'start\n20%\ndone\nx\nz\r');
  for (let per = 1; per <= writes.length; per++) {
    const run = new Run('k1', '', undefined, 't');
    for (let i = 0; i < writes.length; i += per) run.apply('stream', { name: 'stdout', text: writes.slice(i, i + per).join('') });
    assert.equal((run.outputs[0] as { text: string }).text, expected, `${per} write(s) per message`);
  }
});

test('stream text beyond the cap is dropped from the start, whole lines when possible', () => {
  const run = new Run('k1', '', undefined, 't', { maxTextLength: 10 });
  run.apply('stream', { name: 'stdout', text: 'line1\nline2\nline3\n' });
  const item = run.outputs[0];
  assert.equal(item.kind, 'stream');
  if (item.kind === 'stream') {
    assert.equal(item.text, 'line3\n');
    assert.equal(item.dropped, 12);
  }
});

test('outputs reach the run their runId names', () => {
  const store = new RunStore(10);
  const { run } = store.add('k1', 'print(1)', { uri: 'file:///a.py', line: 0 }, 't');
  const other = store.add('k1', 'print(2)', undefined, 't').run;
  store.markSent(run);
  store.markSent(other);
  assert.notEqual(run.runId, other.runId);
  const { changed } = store.applyOutput(out(run, 'stream', { name: 'stdout', text: '1\n' }));
  assert.deepEqual(changed, [run]);
  assert.equal(store.forRun(run.runId), run);
  assert.equal(other.outputs.length, 0);
});

test('update_display_data replaces a display in any earlier run of that kernel', () => {
  const store = new RunStore(10);
  const first = store.add('k1', 'h = display(1, display_id=True)', undefined, 't').run;
  store.markSent(first);
  store.applyOutput(out(first, 'display_data', { data: { 'text/plain': 'one' }, metadata: {}, transient: { display_id: 'd1' } }));
  const second = store.add('k1', 'h.update(2)', undefined, 't').run;
  store.markSent(second);
  const { changed } = store.applyOutput(out(second, 'update_display_data', { data: { 'text/plain': 'two' }, metadata: {}, transient: { display_id: 'd1' } }));
  assert.deepEqual(changed, [first]);
  const item = first.outputs[0];
  assert.ok(item.kind === 'data' && item.data['text/plain'] === 'two');
  assert.equal(second.outputs.length, 0);
});

test("another client's run gets an entry of its own, with its code", () => {
  const store = new RunStore(10);
  store.applyOutput(out(null, 'execute_input', { code: 'print(3)', execution_count: 4 }, { origin: 'other' }));
  const { changed } = store.applyOutput(out(null, 'stream', { name: 'stdout', text: '3\n' }, { origin: 'other' }));
  assert.equal(changed.length, 1);
  assert.equal(changed[0].code, 'print(3)');
  assert.equal(changed[0].title, 'another client');
  assert.equal(changed[0].executionCount, 4);
  assert.ok(changed[0].finished, 'never shown as running: no reply of ours will finish it');
});

test('output that no run caused (kernel start-up chatter) is kept apart, not as a running run', () => {
  const store = new RunStore(10);
  const { changed } = store.applyOutput(out(null, 'stream', { name: 'stderr', text: 'warning\n' }, { origin: 'other' }));
  assert.equal(changed[0].title, 'output not from a run');
  assert.equal(changed[0].state, 'external');
});

test('the store keeps at most maxRuns, evicting finished runs first', () => {
  const store = new RunStore(2);
  const a = store.add('k1', 'a', undefined, 't').run;
  const b = store.add('k1', 'b', undefined, 't').run;
  b.finish({ status: 'ok', executionCount: 1 });
  const { evicted } = store.add('k1', 'c', undefined, 't');
  assert.deepEqual(evicted, [b]);
  assert.deepEqual(store.all.map((r) => r.code), ['a', 'c']);
  void a;
});

test('clearing removes finished runs only', () => {
  const store = new RunStore(10);
  const a = store.add('k1', 'a', undefined, 't').run;
  store.add('k1', 'b', undefined, 't');
  a.finish({ status: 'ok', executionCount: 1 });
  assert.deepEqual(store.clearFinished(), [a]);
  assert.deepEqual(store.all.map((r) => r.code), ['b']);
});

test('an output limit notice says how much was left out and where it is', () => {
  const run = new Run('k1', '', undefined, 't');
  run.outputLimit({ kernelId: 'k1', requestId: 1, runId: run.runId, omittedBytes: 3 * 1024 * 1024, omittedMessages: 12, file: '/tmp/x' });
  assert.deepEqual(run.outputs[0], { kind: 'notice', text: 'Output limit reached: 3.0 MiB in 12 message(s) left out.', file: '/tmp/x' });
  assert.equal(formatBytes(512), '512 B');
});

test('a failed request shows its message as an error', () => {
  const run = new Run('k1', '', undefined, 't');
  run.fail('kernel died');
  assert.deepEqual(run.summary(80), { text: 'kernel died', isError: true });
});

function sentRun(store: RunStore, n: number, kernelId = 'k1') {
  const { run } = store.add(kernelId, `code ${n}`, undefined, 't');
  store.markSent(run);
  return run;
}

test('a run that prints nothing yet is running once its kernel is busy, not queued', () => {
  const store = new RunStore(10);
  const first = sentRun(store, 1);
  const second = sentRun(store, 2);
  assert.equal(first.state, 'queued');
  assert.deepEqual(store.kernelState('k1', 'busy'), [first]);
  assert.equal(first.state, 'running');
  assert.equal(second.state, 'queued', 'the kernel runs one execute at a time, in the order sent');
  assert.deepEqual(store.kernelState('other', 'busy'), [], "another kernel's status starts none of k1's runs");
});

test('when a run ends on a busy kernel, the next one sent is the one running', () => {
  const store = new RunStore(10);
  const first = sentRun(store, 1);
  const second = sentRun(store, 2);
  store.kernelState('k1', 'busy');
  // The next run's busy may arrive before this run's response, or the kernel's idle between
  // them may have been dropped under load: either way the kernel is busy with the next one.
  assert.deepEqual(store.finish(first, { status: 'ok', executionCount: 1 }), [first, second]);
  assert.equal(second.state, 'running');
});

test('a run ending on an idle kernel starts nothing until the kernel says busy', () => {
  const store = new RunStore(10);
  const first = sentRun(store, 1);
  const second = sentRun(store, 2);
  store.kernelState('k1', 'busy');
  store.kernelState('k1', 'idle');
  assert.deepEqual(store.fail(first, 'kernel-bridge exited'), [first]);
  assert.equal(second.state, 'queued');
  assert.deepEqual(store.kernelState('k1', 'busy'), [second]);
});

test('a run not sent yet is not started by a busy kernel', () => {
  const store = new RunStore(10);
  const { run } = store.add('k1', 'x', undefined, 't');
  assert.deepEqual(store.kernelState('k1', 'busy'), []);
  assert.equal(run.state, 'queued');
});

test('an input request starts its run (input() before any output)', () => {
  const store = new RunStore(10);
  sentRun(store, 1);
  const waiting = sentRun(store, 2);
  assert.equal(store.inputRequested(waiting.runId), waiting);
  assert.equal(waiting.state, 'running');
  assert.equal(store.inputRequested('not-a-run'), undefined);
});

test('any output starts its run, even one that changes nothing shown', () => {
  const store = new RunStore(10);
  const run = sentRun(store, 1);
  assert.deepEqual(store.applyOutput(out(run, 'clear_output', { wait: true })).changed, [run]);
  assert.equal(run.state, 'running');
});

test('iopub types the extension does not know are ignored, and start a run of ours', () => {
  const store = new RunStore(10);
  const run = sentRun(store, 1);
  assert.deepEqual(store.applyOutput(out(run, 'kernel_custom_event', { anything: 1 })).changed, [run]);
  assert.equal(run.state, 'running');
  assert.deepEqual(run.outputs, []);
  assert.deepEqual(store.applyOutput(out(run, 'kernel_custom_event', {})).changed, []);
  const foreign = store.applyOutput(out(null, 'comm_msg', { data: {} }, { origin: 'other' }));
  assert.deepEqual(foreign, { changed: [], evicted: [] });
  assert.equal(store.all.length, 1, "another client's unknown traffic makes no entry in the output view");
});
