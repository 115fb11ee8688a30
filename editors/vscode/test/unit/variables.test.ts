import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelManager } from '../../src/kernels';
import { dimensions, oneLine, variableRow, variableRows, viewContent } from '../../src/variables';

test('a variable row: name as label, type, size or shape and summary as description', () => {
  const a = variableRow({ name: 'a', type: 'int', summary: '1' });
  assert.equal(a.label, 'a');
  assert.equal(a.description, 'int = 1');
  assert.equal(a.accessibilityLabel, 'a, int, 1');
  const xs = variableRow({ name: 'xs', type: 'list', summary: '[1, 2, 3]', size: 3 });
  assert.equal(xs.description, 'list (len 3) = [1, 2, 3]');
  const df = variableRow({ name: 'df', type: 'DataFrame', summary: '   a  b\n0  1  2\n1  3  4', shape: [2, 2] });
  assert.equal(df.description, 'DataFrame (2×2) = a b 0 1 2 1 3 4', 'a multi-line repr is flattened');
  assert.equal(variableRow({ name: 's', type: 'float64', summary: '1.0', shape: [] }).description, 'float64 (()) = 1.0');
  assert.equal(variableRow({ name: 'e', type: 'str', summary: '', size: 0 }).description, 'str (len 0)');
});

test('shape wins over size; neither gives no dimensions', () => {
  assert.equal(dimensions({ name: 'x', type: 'ndarray', summary: '', size: 9, shape: [3, 3] }), '3×3');
  assert.equal(dimensions({ name: 'x', type: 'dict', summary: '{}', size: 0 }), 'len 0');
  assert.equal(dimensions({ name: 'x', type: 'int', summary: '1' }), undefined);
});

test('long summaries are cut in the description and whole in the tooltip', () => {
  const summary = 'x'.repeat(200);
  const row = variableRow({ name: 'long', type: 'str', summary, size: 5000 });
  assert.ok(row.description.endsWith('…'));
  assert.equal(row.description.length, 'str (len 5000) = '.length + 80);
  assert.ok(row.tooltip.includes(summary));
  assert.equal(oneLine('a\n\n  b', 10), 'a b');
  assert.equal(oneLine('abcdef', 4), 'abc…');
});

test('the tooltip is Markdown whose code fence a summary cannot close', () => {
  const row = variableRow({ name: 'my_var', type: 'str', summary: "'```\\n# not a heading'", size: 20 });
  assert.match(row.tooltip, /^\*\*my\\_var\*\*: `str` len 20\n\n````\n'```\\n# not a heading'\n````$/);
});

test('rows are sorted by name, case-insensitively; entries without a name are dropped', () => {
  const rows = variableRows([
    { name: 'b', type: 'int', summary: '2' },
    { name: 'A', type: 'int', summary: '1' },
    { name: 'a', type: 'int', summary: '0' },
    { type: 'int', summary: '3' } as never,
    { name: 'C', type: 'int', summary: '3' },
  ]);
  assert.deepEqual(rows.map((r) => r.label), ['A', 'a', 'b', 'C']);
});

test('view states: no kernel and no variables are welcome texts, the rest are rows', () => {
  assert.deepEqual(viewContent({ kind: 'noKernel' }), { rows: [], context: 'noKernel', description: '' });
  const empty = viewContent({ kind: 'ok', kernel: 'Python 3', variables: [] });
  assert.equal(empty.context, 'empty');
  assert.equal(empty.description, 'Python 3');
  const ok = viewContent({ kind: 'ok', kernel: 'Python 3', variables: [{ name: 'a', type: 'int', summary: '1' }] });
  assert.equal(ok.context, 'rows');
  assert.equal(ok.rows[0].label, 'a');
  const message = 'listing variables is not supported by this kernel (bash_kernel, language bash): it has no debugger and is not a Python kernel';
  const unsupported = viewContent({ kind: 'unsupported', kernel: 'Bash', message });
  assert.deepEqual(unsupported.rows, [{ kind: 'message', label: 'Not supported by this kernel', tooltip: message, icon: 'info' }]);
  const error = viewContent({ kind: 'error', kernel: 'Python 3', message: 'kernel-bridge is not running' });
  assert.equal(error.rows[0].label, 'Could not list the variables: kernel-bridge is not running');
  assert.equal(error.rows[0].kind === 'message' && error.rows[0].icon, 'warning');
  const dead = viewContent({ kind: 'dead', kernel: 'Python 3', reason: 'exit code 1' });
  assert.equal(dead.rows[0].label, 'The kernel is dead');
  assert.match(dead.rows[0].tooltip, /exit code 1/);
  const waiting = viewContent({ kind: 'waiting', kernel: 'Python 3', why: 'restarting' });
  assert.equal(waiting.rows[0].label, 'Kernel restarting…');
});

test('a remote kernel knows its server (restartable although attached)', () => {
  const km = new KernelManager();
  const info = km.add(
    { kernelId: 'k9', kernelName: 'python3', language: 'python', implementation: 'ipython', server: { name: 'lab', url: 'http://127.0.0.1:8888/' }, remoteKernelId: 'r1' },
    'python3 on lab (attached)',
    false,
  );
  assert.equal(info.server, 'lab');
  const inline = km.add({ kernelId: 'k8', kernelName: 'python3', language: 'python', implementation: 'ipython', server: { name: null, url: 'http://h:1/' } }, 'x', true);
  assert.equal(inline.server, 'http://h:1/');
  assert.equal(km.add({ kernelId: 'k7', kernelName: 'python3', language: 'python', implementation: 'ipython' }, 'y', true).server, undefined);
});
