// Bundles the extension (Node, CommonJS, `vscode` external) and the output view's script
// (browser, IIFE). `--tests` also bundles test/unit/*.test.ts for node's test runner.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const tests = process.argv.includes('--tests');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', target: 'es2022' };

await esbuild.build({
  ...common,
  entryPoints: ['src/extension.ts'],
  outfile: 'out/extension.js',
  platform: 'node',
  format: 'cjs',
  external: ['vscode'],
});

await esbuild.build({
  ...common,
  entryPoints: ['src/webview/main.ts'],
  outfile: 'out/webview.js',
  platform: 'browser',
  format: 'iife',
});

if (tests) {
  const entryPoints = readdirSync('test/unit').filter((f) => f.endsWith('.test.ts')).map((f) => `test/unit/${f}`);
  await esbuild.build({
    ...common,
    entryPoints,
    outdir: 'out/test/unit',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  });
}
