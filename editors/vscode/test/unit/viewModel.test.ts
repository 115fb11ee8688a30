import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy } from '../../src/viewModel';

test('the output view allows no remote resources and only its own scripts', () => {
  const csp = contentSecurityPolicy('https://file+.vscode-resource.vscode-cdn.net', 'abc');
  assert.match(csp, /^default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc'$/);
  assert.doesNotMatch(csp, /unsafe-eval/);
  // inline styles only (widgets place their parts with style attributes), never inline scripts
  assert.deepEqual(csp.split('; ').filter((d) => d.includes('unsafe-inline')), ["style-src https://file+.vscode-resource.vscode-cdn.net 'unsafe-inline'"]);
  assert.doesNotMatch(csp, /(script|style|default)-src[^;]*(https?:\/\/(?!file\+)|\*|data:)/);
  assert.match(csp, /img-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net data: blob:/);
  assert.match(csp, /font-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net data:/);
});
