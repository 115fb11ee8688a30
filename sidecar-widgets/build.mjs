// Builds the sidecar page's widget manager into bridge/sidecar/static/ (or --outdir DIR):
//   sidecar-widgets.js            the page's widget code and @jupyter-widgets/html-manager, one
//                                 minified IIFE (the page inlines it; its CSP allows it by hash)
//   sidecar-widgets.css           the widgets' CSS (inlined into the page's <style>)
//   sidecar-widgets-licenses.txt  the license of every package the bundle contains
// Run by scripts/build-widgets.sh after `npm ci`; the output is byte-identical for the same
// package-lock.json and sources (tests/sidecar/test_widgets_bundle.py checks the committed one).
import * as esbuild from "esbuild";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outdir = resolve(args.includes("--outdir") ? args[args.indexOf("--outdir") + 1] : join(here, "..", "bridge", "sidecar", "static"));
mkdirSync(outdir, { recursive: true });

// What the bundle leaves out, on purpose:
// - @jupyterlab/apputils' index pulls in JupyterLab's whole UI kit (React, web components:
//   ~800 KB minified); the output area needs two of its modules, taken from their own files.
// - ipywidgets 7's JavaScript (html-manager 1.0.15 carries @jupyter-widgets/base@4 and
//   controls@3 for it): the sidecar renders ipywidgets 8 and says so for 7.x widgets.
const substitutes = {
  name: "substitutes",
  setup(build) {
    build.onResolve({ filter: /^@jupyterlab\/apputils$/ }, () => ({ path: join(here, "src", "apputils.js") }));
    build.onResolve({ filter: /^@jupyter-widgets\/(base7|controls7)(\/.*)?$/ }, () => ({ path: join(here, "src", "ipywidgets7.js") }));
  },
};

const pkg = (name) => JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8"));
const banner =
  `/* kernel-bridge sidecar widgets: @jupyter-widgets/html-manager ${pkg("@jupyter-widgets/html-manager").version} ` +
  `and its dependencies, bundled by sidecar-widgets/build.mjs; licenses: sidecar-widgets-licenses.txt */`;

const result = await esbuild.build({
  entryPoints: { "sidecar-widgets": join(here, "src", "index.js") },
  outdir,
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  charset: "utf8",
  legalComments: "none",
  banner: { js: banner, css: banner },
  define: { "process.env.NODE_ENV": '"production"' },
  // the page's CSP allows images and fonts from data: URIs only (src/sidecar-widgets.css
  // takes Font Awesome's solid woff2, nothing else of it)
  loader: { ".svg": "dataurl", ".png": "dataurl", ".gif": "dataurl", ".woff2": "dataurl", ".woff": "empty", ".ttf": "empty", ".eot": "empty" },
  plugins: [substitutes],
  metafile: true,
  logLevel: "warning",
  absWorkingDir: here,
});

// The page inlines the script: it must not close its own <script> element.
const js = readFileSync(join(outdir, "sidecar-widgets.js"), "utf8");
if (/<\/script/i.test(js)) throw new Error("sidecar-widgets.js contains </script: it cannot be inlined");

// Every package whose code is in the bundle, with its license text.
const packages = new Map();
for (const output of Object.values(result.metafile.outputs)) {
  for (const input of Object.keys(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.set(m[1], join(here, "node_modules", m[1]));
  }
}
const sections = [];
for (const name of [...packages.keys()].sort()) {
  const root = packages.get(name);
  const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const files = readdirSync(root).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
  const texts = files.map((f) => readFileSync(join(root, f), "utf8").trim());
  if (!texts.length) texts.push(`(the package ships no license file; its package.json says: ${meta.license || "no license"})`);
  sections.push(`${"=".repeat(78)}\n${meta.name} ${meta.version} — ${meta.license || "no license field"}\n${"=".repeat(78)}\n\n${texts.join("\n\n")}\n`);
}
writeFileSync(
  join(outdir, "sidecar-widgets-licenses.txt"),
  `The sidecar's widget bundle (sidecar-widgets.js, sidecar-widgets.css) contains code from these\n` +
    `${sections.length} npm packages (versions from sidecar-widgets/package-lock.json):\n\n${sections.join("\n")}`,
);
// KB_WIDGETS_METAFILE=FILE: esbuild's metafile, to see what takes room (esbuild --analyze reads it)
if (process.env.KB_WIDGETS_METAFILE) writeFileSync(process.env.KB_WIDGETS_METAFILE, JSON.stringify(result.metafile));
for (const name of ["sidecar-widgets.js", "sidecar-widgets.css"]) {
  if (!existsSync(join(outdir, name))) throw new Error(`${name} was not built`);
}
console.log(`built ${outdir}/sidecar-widgets.{js,css} (${packages.size} packages)`);
