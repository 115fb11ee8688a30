import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Message, MessageWriter } from 'vscode-languageclient/node';
import { TrackingWriter, type IdCallback } from '../../src/tracking';
import { contentSecurityPolicy } from '../../src/viewModel';

function fakeWriter(written: Message[]): MessageWriter {
  const noEvent = () => ({ dispose() {} });
  return {
    onError: noEvent,
    onClose: noEvent,
    write: async (m: Message) => {
      written.push(m);
    },
    end() {},
    dispose() {},
  } as unknown as MessageWriter;
}

test('the id of a tracked request is reported before it is written, once', async () => {
  const written: Message[] = [];
  const pending = new WeakMap<object, IdCallback>();
  const writer = new TrackingWriter(fakeWriter(written), pending);
  const params = { kernelId: 'k', code: '1' };
  const ids: (number | string)[] = [];
  pending.set(params, (id) => {
    ids.push(id);
    assert.equal(written.length, 0, 'reported before the bytes go out');
  });
  await writer.write({ jsonrpc: '2.0', id: 7, method: 'jupyter/execute', params } as Message);
  await writer.write({ jsonrpc: '2.0', id: 8, method: 'jupyter/execute', params } as Message);
  assert.deepEqual(ids, [7]);
  assert.equal(written.length, 2);
});

test('untracked requests and notifications pass through untouched', async () => {
  const written: Message[] = [];
  const writer = new TrackingWriter(fakeWriter(written), new WeakMap());
  const note = { jsonrpc: '2.0', method: 'initialized', params: {} } as Message;
  await writer.write(note);
  assert.deepEqual(written, [note]);
});

test('the output view allows no remote resources and only its own script', () => {
  const csp = contentSecurityPolicy('https://file+.vscode-resource.vscode-cdn.net', 'abc');
  assert.match(csp, /^default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc'$/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.doesNotMatch(csp, /(script|style|default)-src[^;]*(https?:\/\/(?!file\+)|\*|data:)/);
  assert.match(csp, /img-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net data:/);
});
