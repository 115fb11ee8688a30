// Keeping line-anchored inline results in place while the document is edited.

export interface LineChange {
  /** First and last line (inclusive) of the replaced range, before the edit. */
  startLine: number;
  endLine: number;
  /** Number of line breaks in the inserted text. */
  insertedLineBreaks: number;
}

/**
 * Move entries keyed by line through one edit. Entries on an edited line are dropped (their
 * result no longer matches the code); entries below move by the change in line count.
 */
export function shiftLines<T>(entries: ReadonlyMap<number, T>, change: LineChange): Map<number, T> {
  const delta = change.insertedLineBreaks - (change.endLine - change.startLine);
  const out = new Map<number, T>();
  for (const [line, value] of entries) {
    if (line < change.startLine) out.set(line, value);
    else if (line > change.endLine) out.set(line + delta, value);
  }
  return out;
}
