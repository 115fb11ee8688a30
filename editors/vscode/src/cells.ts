// `# %%` cells and the code a run sends. Pure functions over the document's lines, so the
// extension knows which line gets the inline result; the bridge itself decides what a
// cell is for `jupyter.runCell` and its code lenses (docs/protocol.md).

const MARKER = /^\s*#\s*%%/;

export function isCellMarker(line: string): boolean {
  return MARKER.test(line);
}

export interface LineRange {
  /** First line (0-based, inclusive). */
  start: number;
  /** Last line (inclusive). */
  end: number;
}

/** The cell containing `line`: from its `# %%` marker (or line 0) to the line before the next marker. */
export function cellAt(lines: readonly string[], line: number): LineRange {
  const last = Math.max(0, lines.length - 1);
  line = Math.max(0, Math.min(line, last));
  let start = line;
  while (start > 0 && !isCellMarker(lines[start])) start--;
  let end = line + 1;
  while (end <= last && !isCellMarker(lines[end])) end++;
  return { start, end: end - 1 };
}

/** The last line in `range` with code on it (not blank, not the marker), else `range.start`. */
export function lastCodeLine(lines: readonly string[], range: LineRange): number {
  for (let i = range.end; i >= range.start; i--) {
    const text = lines[i] ?? '';
    if (text.trim() !== '' && !isCellMarker(text)) return i;
  }
  return range.start;
}

export interface Selection {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

export interface CodeToRun {
  code: string;
  /** Document line where `code` starts (for the bridge's diagnostics). */
  firstLine: number;
  /** The line that gets the inline result. */
  lastLine: number;
}

/**
 * What "Run Selection or Line" sends: the selected text, or the cursor's line when the
 * selection is empty. A selection of whole lines that are all indented (a block inside a
 * function, say) is dedented so that it runs on its own.
 */
export function codeForSelection(lines: readonly string[], sel: Selection): CodeToRun {
  const empty = sel.startLine === sel.endLine && sel.startCharacter === sel.endCharacter;
  if (empty) {
    const text = lines[sel.startLine] ?? '';
    return { code: dedent(text), firstLine: sel.startLine, lastLine: sel.startLine };
  }
  let endLine = sel.endLine;
  let endCharacter = sel.endCharacter;
  if (endCharacter === 0 && endLine > sel.startLine) {
    endLine -= 1; // a selection ending at the start of a line does not include that line
    endCharacter = (lines[endLine] ?? '').length;
  }
  const picked: string[] = [];
  for (let i = sel.startLine; i <= endLine; i++) {
    const text = lines[i] ?? '';
    const from = i === sel.startLine ? sel.startCharacter : 0;
    const to = i === endLine ? endCharacter : text.length;
    picked.push(text.slice(from, to));
  }
  const wholeLines = sel.startCharacter <= leadingWhitespace(lines[sel.startLine] ?? '').length;
  if (wholeLines && sel.startCharacter > 0) picked[0] = (lines[sel.startLine] ?? '').slice(0, sel.startCharacter) + picked[0];
  const code = wholeLines ? dedent(picked.join('\n')) : picked.join('\n');
  let lastLine = endLine;
  while (lastLine > sel.startLine && (lines[lastLine] ?? '').trim() === '') lastLine--;
  return { code, firstLine: sel.startLine, lastLine };
}

/** The code of the cell containing `line` (marker line included: it is a comment). */
export function codeForCell(lines: readonly string[], line: number): CodeToRun & { range: LineRange } {
  const range = cellAt(lines, line);
  return {
    code: lines.slice(range.start, range.end + 1).join('\n'),
    firstLine: range.start,
    lastLine: lastCodeLine(lines, range),
    range,
  };
}

/** The next cell's first line after the cell containing `line`, or undefined at the end. */
export function nextCellStart(lines: readonly string[], line: number): number | undefined {
  const { end } = cellAt(lines, line);
  return end + 1 < lines.length ? end + 1 : undefined;
}

function leadingWhitespace(text: string): string {
  return /^[ \t]*/.exec(text)![0];
}

/** Remove the indentation common to all non-blank lines. */
export function dedent(text: string): string {
  const lines = text.split('\n');
  let common: string | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const ws = leadingWhitespace(line);
    if (common === undefined) common = ws;
    else {
      let i = 0;
      while (i < common.length && i < ws.length && common[i] === ws[i]) i++;
      common = common.slice(0, i);
    }
  }
  if (!common) return text;
  return lines.map((l) => (l.startsWith(common!) ? l.slice(common!.length) : l.trimStart())).join('\n');
}
