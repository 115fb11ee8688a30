import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colour256, parseAnsi, stripAnsi } from '../../src/ansi';

test('plain text is one unstyled segment', () => {
  assert.deepEqual(parseAnsi('hello'), [{ text: 'hello', style: {} }]);
});

test('SGR colours and reset split the text into styled segments', () => {
  const segs = parseAnsi('\x1b[0;31mZeroDivisionError\x1b[0m: division by zero');
  assert.deepEqual(segs, [
    { text: 'ZeroDivisionError', style: { fg: 'ansi:1' } },
    { text: ': division by zero', style: {} },
  ]);
});

test('bright, background, bold and underline attributes combine', () => {
  const [seg] = parseAnsi('\x1b[1;4;92;44mok');
  assert.deepEqual(seg.style, { bold: true, underline: true, fg: 'ansi:10', bg: 'ansi:4' });
});

test('256-colour and truecolour foregrounds become hex colours', () => {
  assert.equal(parseAnsi('\x1b[38;5;196mx')[0].style.fg, '#ff0000');
  assert.equal(parseAnsi('\x1b[38;5;3mx')[0].style.fg, 'ansi:3');
  assert.equal(parseAnsi('\x1b[38;2;1;2;255mx')[0].style.fg, '#0102ff');
  assert.equal(colour256(232), '#080808');
});

test('attribute resets remove only their attribute', () => {
  const segs = parseAnsi('\x1b[1;31ma\x1b[22mb\x1b[39mc');
  assert.deepEqual(segs.map((s) => s.style), [{ bold: true, fg: 'ansi:1' }, { fg: 'ansi:1' }, {}]);
});

test('non-SGR escapes (cursor moves, OSC titles) are dropped', () => {
  assert.equal(stripAnsi('a\x1b[2Kb\x1b]0;title\x07c\x1b[?25ld'), 'abcd');
  assert.deepEqual(parseAnsi('a\x1b[2Kb'), [{ text: 'ab', style: {} }]);
});

test('an IPython traceback line keeps its text when stripped', () => {
  const line = '\x1b[0;31m---------------------------------------------------------------------------\x1b[0m\n\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)';
  assert.match(stripAnsi(line), /^-+\nZeroDivisionError\s+Traceback \(most recent call last\)$/);
});
