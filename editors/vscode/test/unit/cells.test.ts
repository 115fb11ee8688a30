import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellAt, codeForCell, codeForSelection, dedent, isCellMarker, lastCodeLine, nextCellStart } from '../../src/cells';

const doc = ['import os', '', '# %% first', 'x = 1', 'x', '', '#%% second', 'y = 2', ''];

test('cell markers are "# %%" comments, with or without a space or title', () => {
  assert.ok(isCellMarker('# %%'));
  assert.ok(isCellMarker('#%% title'));
  assert.ok(isCellMarker('  # %% [markdown]'));
  assert.ok(!isCellMarker('x = "# %%"'));
  assert.ok(!isCellMarker('# % not'));
});

test('the cell around a line runs from its marker to the line before the next one', () => {
  assert.deepEqual(cellAt(doc, 4), { start: 2, end: 5 });
  assert.deepEqual(cellAt(doc, 2), { start: 2, end: 5 });
  assert.deepEqual(cellAt(doc, 7), { start: 6, end: 8 });
});

test('lines before the first marker form a cell of their own', () => {
  assert.deepEqual(cellAt(doc, 0), { start: 0, end: 1 });
});

test('a document without markers is one cell', () => {
  assert.deepEqual(cellAt(['a', 'b', 'c'], 1), { start: 0, end: 2 });
});

test('the inline result of a cell goes on its last line of code', () => {
  assert.equal(lastCodeLine(doc, { start: 2, end: 5 }), 4);
  assert.equal(lastCodeLine(['# %%', '', ''], { start: 0, end: 2 }), 0);
  const cell = codeForCell(doc, 3);
  assert.equal(cell.code, '# %% first\nx = 1\nx\n');
  assert.equal(cell.firstLine, 2);
  assert.equal(cell.lastLine, 4);
});

test('the next cell starts after the current one ends', () => {
  assert.equal(nextCellStart(doc, 3), 6);
  assert.equal(nextCellStart(doc, 7), undefined);
});

test('an empty selection runs the cursor line', () => {
  const run = codeForSelection(doc, { startLine: 3, startCharacter: 2, endLine: 3, endCharacter: 2 });
  assert.deepEqual(run, { code: 'x = 1', firstLine: 3, lastLine: 3 });
});

test('a selection runs exactly the selected text', () => {
  const run = codeForSelection(['print(1+1)  # two'], { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 10 });
  assert.equal(run.code, 'print(1+1)');
  const mid = codeForSelection(['x = foo(1)'], { startLine: 0, startCharacter: 4, endLine: 0, endCharacter: 10 });
  assert.equal(mid.code, 'foo(1)');
});

test('a selection ending at the start of a line leaves that line out', () => {
  const run = codeForSelection(doc, { startLine: 3, startCharacter: 0, endLine: 5, endCharacter: 0 });
  assert.equal(run.code, 'x = 1\nx');
  assert.equal(run.lastLine, 4);
});

test('an indented block of whole lines is dedented so it runs on its own', () => {
  const src = ['def f():', '    for i in range(3):', '        print(i)', '    return 1'];
  const run = codeForSelection(src, { startLine: 1, startCharacter: 4, endLine: 2, endCharacter: 16 });
  assert.equal(run.code, 'for i in range(3):\n    print(i)');
  assert.equal(run.firstLine, 1);
  assert.equal(run.lastLine, 2);
});

test('dedent removes only the common indentation and keeps blank lines', () => {
  assert.equal(dedent('  a\n\n    b'), 'a\n\n  b');
  assert.equal(dedent('a\n  b'), 'a\n  b');
});
