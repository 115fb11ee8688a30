import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelManager } from '../../src/kernels';
import { vscodeLanguageId } from '../../src/languages';
import { shiftLines } from '../../src/lineShift';
import { pickMime } from '../../src/viewModel';

const py = { kernelId: 'k1', kernelName: 'python3', language: 'python', implementation: 'ipython' };
const r = { kernelId: 'k2', kernelName: 'ir', language: 'R', implementation: 'IRkernel' };

test('a document runs on its bound kernel, else the active one of its language', () => {
  const km = new KernelManager();
  km.add(py, 'Python 3', true, 'file:///a.py');
  km.add(r, 'R', true);
  assert.equal(km.kernelFor('file:///a.py', 'python')?.kernelId, 'k1');
  assert.equal(km.kernelFor('file:///b.py', 'python')?.kernelId, 'k1', 'another python file uses the python kernel');
  assert.equal(km.kernelFor('file:///c.r', 'r')?.kernelId, 'k2');
  assert.equal(km.kernelFor('file:///d.js', 'javascript'), undefined);
});

test('only documents started with their uri are bound in the bridge', () => {
  const km = new KernelManager();
  km.add(py, 'Python 3', true, 'file:///a.py');
  km.use('file:///b.py', 'k1');
  assert.ok(km.isBoundInBridge('file:///a.py', 'k1'));
  assert.ok(!km.isBoundInBridge('file:///b.py', 'k1'));
});

test("kernel languages select the documents the bridge serves", () => {
  const km = new KernelManager();
  assert.deepEqual(km.languages, ['python']);
  km.setSpecLanguages(['python', 'R', 'c++']);
  assert.deepEqual(km.languages, ['cpp', 'python', 'r']);
  assert.ok(km.servesLanguage('r'));
  assert.ok(!km.servesLanguage('json'));
});

test('state changes notify listeners once per change', () => {
  const km = new KernelManager();
  km.add(py, 'Python 3', true);
  let n = 0;
  km.onDidChange(() => n++);
  km.setState('k1', 'busy');
  km.setState('k1', 'busy');
  km.setState('k1', 'idle');
  assert.equal(n, 2);
  assert.equal(km.get('k1')?.state, 'idle');
});

test('removing the active kernel makes another live one active and unbinds its documents', () => {
  const km = new KernelManager();
  km.add(py, 'Python 3', true, 'file:///a.py');
  km.add({ ...py, kernelId: 'k3' }, 'Python 3', true);
  km.remove('k3');
  assert.equal(km.active?.kernelId, 'k1');
  km.remove('k1');
  assert.equal(km.active, undefined);
  assert.equal(km.kernelFor('file:///a.py', 'python'), undefined);
});

test('kernel language names map to VS Code language ids', () => {
  assert.equal(vscodeLanguageId('python'), 'python');
  assert.equal(vscodeLanguageId('R'), 'r');
  assert.equal(vscodeLanguageId('C++'), 'cpp');
  assert.equal(vscodeLanguageId('bash'), 'shellscript');
  assert.equal(vscodeLanguageId('julia'), 'julia');
});

test('inline results move with edits above them and vanish when their line is edited', () => {
  const entries = new Map([[2, 'a'], [5, 'b'], [9, 'c']]);
  // two lines inserted at line 3
  assert.deepEqual([...shiftLines(entries, { startLine: 3, endLine: 3, insertedLineBreaks: 2 })], [[2, 'a'], [7, 'b'], [11, 'c']]);
  // lines 4..6 replaced by one line: the result on 5 goes, the one on 9 moves up by 2
  assert.deepEqual([...shiftLines(entries, { startLine: 4, endLine: 6, insertedLineBreaks: 0 })], [[2, 'a'], [7, 'c']]);
});

test('rich outputs are shown by the richest mime type', () => {
  assert.equal(pickMime({ 'text/plain': 'x', 'image/png': 'p' }), 'image/png');
  assert.equal(pickMime({ 'text/plain': 'x', 'text/html': '<b>' }), 'text/html');
  assert.equal(pickMime({ 'text/plain': 'x', 'text/markdown': '# x', 'image/svg+xml': '<svg/>' }), 'text/markdown');
  assert.equal(pickMime({ 'application/vnd.custom+json': {} }), undefined);
  assert.equal(pickMime({ 'text/x-custom': 'y' }), 'text/x-custom');
});
