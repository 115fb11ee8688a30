// A node:test reporter writing one JSON line per finished test: {name, nesting, status, message, seconds}.
// tests/editors/test_vscode.py reads it to report each end-to-end check as its own pytest test.
export default async function* jsonlReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, details, skip, todo } = event.data;
    const status = event.type === 'test:pass' ? (skip ? 'skip' : todo ? 'todo' : 'pass') : 'fail';
    const error = details?.error;
    const cause = error?.cause ?? error;
    const message = status === 'fail' ? String(cause?.stack ?? cause?.message ?? error ?? 'failed') : '';
    const seconds = Math.round((details?.duration_ms ?? 0) / 100) / 10;
    yield `${JSON.stringify({ name, nesting, status, message, seconds })}\n`;
  }
}
