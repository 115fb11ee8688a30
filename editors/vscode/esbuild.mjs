// Bundles the extension (Node, CommonJS, `vscode` external) and the output view's script
// (browser, IIFE). `--tests` also bundles test/unit/*.test.ts for node's test runner.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

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

// The output view's widget manager is the sidecar page's (@jupyter-widgets/html-manager, built
// reproducibly by scripts/build-widgets.sh into the Python package): one manager, two hosts.
mkdirSync('out', { recursive: true });
copyFileSync('../../bridge/sidecar/static/sidecar-widgets.js', 'out/widgets.js');
copyFileSync('../../bridge/sidecar/static/sidecar-widgets.css', 'out/widgets.css');
copyFileSync('../../bridge/sidecar/static/sidecar-widgets-licenses.txt', 'out/widgets-licenses.txt');

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
