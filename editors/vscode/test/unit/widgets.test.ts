import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { WidgetEvent } from '../../src/viewModel';
import { commLimitMessage, WidgetRelay, type WidgetHost } from '../../src/widgets';

function host(overrides: Partial<WidgetHost> = {}): { host: WidgetHost; posted: [string, WidgetEvent[]][]; sent: unknown[] } {
  const posted: [string, WidgetEvent[]][] = [];
  const sent: unknown[] = [];
  return {
    posted,
    sent,
    host: {
      post: (kernelId, events) => posted.push([kernelId, events]),
      commMsg: async (kernelId, commId, data, metadata, buffers) => {
        sent.push({ kernelId, commId, data, metadata, buffers });
        return { msgId: 'kernel-msg-1' };
      },
      commInfo: async () => ({ status: 'ok', comms: { c1: { target_name: 'jupyter.widget' } } }),
      ...overrides,
    },
  };
}

test("the kernel's comm messages and idles reach the view in order, one post per kernel per turn", async () => {
  const { host: h, posted } = host();
  const relay = new WidgetRelay(h);
  relay.comm({ kernelId: 'k1', msgType: 'comm_open', commId: 'c1', msgId: 'm1', parentId: 'p', targetName: 'jupyter.widget', data: { state: {} }, metadata: {}, buffers: ['AAE='] });
  relay.idle({ kernelId: 'k1', parentId: 'mine' });
  relay.kernelGone('k2');
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(posted.length, 2);
  const [kernel, events] = posted[0];
  assert.equal(kernel, 'k1');
  assert.deepEqual(
    events.map((e) => e.type),
    ['comm', 'status'],
  );
  assert.deepEqual(events[0], { type: 'comm', msgType: 'comm_open', commId: 'c1', msgId: 'm1', parentId: 'p', targetName: 'jupyter.widget', data: { state: {} }, metadata: {}, buffers: ['AAE='] });
  assert.deepEqual(events[1], { type: 'status', parentId: 'mine', executionState: 'idle' });
  assert.deepEqual(posted[1], ['k2', [{ type: 'kernel' }]]);
});

test("the view's comm message goes to the kernel and its msgId comes back under the view's ref", async () => {
  const { host: h, posted, sent } = host();
  const relay = new WidgetRelay(h);
  await relay.fromView('k1', { type: 'comm_msg', ref: 'p1', commId: 'c1', data: { method: 'update', state: { value: 5 } }, metadata: {}, buffers: [] });
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(sent, [{ kernelId: 'k1', commId: 'c1', data: { method: 'update', state: { value: 5 } }, metadata: {}, buffers: [] }]);
  assert.deepEqual(posted, [['k1', [{ type: 'sent', ref: 'p1', msgId: 'kernel-msg-1' }]]]);
});

test('a comm message the bridge refuses is answered without a msgId (the view stops waiting for it)', async () => {
  const { host: h, posted } = host({ commMsg: async () => Promise.reject(new Error('unknown kernel')) });
  const relay = new WidgetRelay(h);
  await relay.fromView('k1', { type: 'comm_msg', ref: 'p2', commId: 'c1', data: {}, metadata: {}, buffers: [] });
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(posted, [['k1', [{ type: 'sent', ref: 'p2', error: 'unknown kernel' }]]]);
});

test("comm_info answers with the kernel's widget comms", async () => {
  const { host: h, posted } = host();
  const relay = new WidgetRelay(h);
  await relay.fromView('k1', { type: 'comm_info', ref: 'p3' });
  await tick();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(posted, [['k1', [{ type: 'comm_info', ref: 'p3', comms: { c1: { target_name: 'jupyter.widget' } } }]]]);
});

test('a commLimit tells the user which kernel lost how many widget messages', () => {
  const text = commLimitMessage({ kernelId: 'k1', omittedMessages: 2000, omittedBytes: 16 * 1024 * 1024, commIds: ['c1'] });
  assert.match(text, /Kernel k1 /);
  assert.match(text, /2000 messages \(~16\.0 MiB\) left out/);
  assert.match(commLimitMessage({ kernelId: 'k', omittedMessages: 1, omittedBytes: 10, commIds: [] }), /1 message \(/);
});
