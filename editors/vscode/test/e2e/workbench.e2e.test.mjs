// End-to-end: the packaged extension in a real VS Code workbench (code-server + chromium),
// driving the real kernel-bridge and a real ipykernel. One workbench for the whole file;
// the tests run in order and each states what a user sees.
//
// Run through tests/editors/test_vscode.py (bash scripts/test.sh), or directly:
//   npm run package && KB_BRIDGE=/path/to/kernel-bridge npm run test:e2e

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXTENSION_DIR, Workbench, until } from './workbench.mjs';

const VSIX = process.env.KB_VSIX || path.join(EXTENSION_DIR, 'kernel-bridge.vsix');
const BRIDGE = process.env.KB_BRIDGE || '';
const PYTHON = process.env.KB_PYTHON || (BRIDGE ? path.join(path.dirname(BRIDGE), 'python') : 'python3');
const TEST_TIMEOUT = 180_000; // a hang guard per test, not a speed requirement
// A real jupyter_server for the remote-kernel check (tests/editors/test_vscode.py starts one).
const JUPYTER_URL = process.env.KB_E2E_JUPYTER_URL || '';
const JUPYTER_TOKEN_ENV = 'KB_E2E_JUPYTER_TOKEN';

const SHELL = ['X=42; echo "hello $X"', 'echo "again $X"', 'echo "keys $((6*7))"', ''].join('\n');

const FIRST = [
  'print(1+1)',
  'import time; time.sleep(3)',
  'name = input("Name: "); print("hello", name)',
  'import getpass; pw = getpass.getpass("Password: "); print(len(pw))',
  'input("Cancel me: ")',
  'print("after")',
  'while True: pass',
  "print('y' in globals())",
  // Each check below runs its own line: an inline result left by an earlier run of the
  // same line would satisfy a wait before the new run has even started.
  'print("to the sidecar")',
  'import os; print(os.path.basename(os.getcwd()))',
  'answer = 6 * 7',
  '',
].join('\n');
const FIRST_LINE = (code) => FIRST.split('\n').indexOf(code) + 1;

// A tiny PNG made with the standard library, so the test needs no plotting package.
const MAKE_PNG = `import struct, zlib
def _png(w=8, h=6):
    raw = b"".join(b"\\x00" + bytes([200, 30, 30]) * w for _ in range(h))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))`;

const CELLS = [
  '# %% setup',
  'x = 1',
  'print("setup done")',
  '# %% fails',
  'y = 2',
  '1 / 0',
  '# %% image',
  MAKE_PNG,
  'from IPython.display import Image, display',
  'display(Image(data=_png()))',
  '',
].join('\n');

const RICH = [
  'from IPython.display import HTML, Markdown, SVG, display, clear_output',
  'display(Markdown("## Rich *markdown* output"))',
  'display(HTML("<b id=\'kb-html\'>bold html</b><script>document.title = \'pwned\'</script>"))',
  'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="blue"/></svg>\'))',
  'handle = display("original display", display_id=True)',
  'handle.update("updated display")',
  'print("gone soon", flush=True)',
  'clear_output()',
  'print("\\x1b[32mkept green\\x1b[0m")',
  '',
].join('\n');

// ipywidgets 8 (in the test environment's kernel): a live slider in the output view.
const WIDGETS = ['import ipywidgets as w; s = w.IntSlider(value=3, description="level"); s', 'print("slider at", s.value)', ''].join('\n');

let wb;

/** Run `fn`; on failure, save a screenshot next to the error, and leave the workbench usable for the next check. */
async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    const shot = await wb?.screenshot(`failed-${name}`);
    if (shot) err.message += `\n(screenshot: ${shot})`;
    try {
      await wb.keyboard.press('Escape');
      await wb.keyboard.press('Escape');
      await wb.focusFirstGroup();
    } catch {
      // the error above is what matters
    }
    throw err;
  }
}

async function runLine(line) {
  await wb.gotoLine(line);
  await wb.keyboard.press('Shift+Enter');
}

/** The last run in the output view (a Locator in the webview's frame). */
async function lastRun() {
  const frame = await wb.outputFrame();
  return frame.locator('#runs .run').last();
}

/** Change user settings as a user would (Settings JSON, saved). */
async function editUserSettings(changes) {
  const file = path.join(wb.userData, 'User', 'settings.json');
  const settings = JSON.parse(readFileSync(file, 'utf8'));
  await wb.command('Preferences: Open User Settings (JSON)');
  await wb.page.locator('.tab.active[aria-label*="settings.json"]').first().waitFor({ timeout: 30000 });
  await wb.focusEditor();
  await wb.keyboard.press('Control+A');
  await wb.keyboard.insertText(JSON.stringify({ ...settings, ...changes }, null, 2));
  // The JSON editor auto-closes brackets and quotes as text comes in: drop what follows ours.
  await wb.keyboard.press('Shift+Control+End');
  await wb.keyboard.press('Delete');
  await wb.keyboard.press('Control+S');
  await until(`settings.json to be saved with ${JSON.stringify(changes)}`, () => {
    const text = readFileSync(file, 'utf8');
    try {
      const saved = JSON.parse(text);
      return Object.entries(changes).every(([key, value]) => JSON.stringify(saved[key]) === JSON.stringify(value));
    } catch {
      throw new Error(`not JSON: ${text}`);
    }
  }, 30000);
}

/** Set kernelBridge.path as a user would (Settings JSON), and take the offer to restart the bridge. */
async function setBridgePathAndRestart(value) {
  await editUserSettings({ 'kernelBridge.path': value });
  const offer = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'Restart kernel-bridge to apply them' }).first();
  await offer.waitFor({ timeout: 60000 });
  await offer.locator('.monaco-button', { hasText: 'Restart now' }).first().click();
}

/** The toast whose text includes `text`; its message text. */
async function toastWith(text) {
  const toast = wb.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await toast.waitFor({ timeout: 60000 });
  return { toast, message: await toast.locator('.notification-list-item-message').textContent() };
}

/** Errors and warnings in the status bar's Problems item. */
async function problemCounts() {
  const label = (await wb.page.locator('#status\\.problems').first().getAttribute('aria-label')) ?? '';
  const errors = /(\d+) Errors?|Errors?: (\d+)/i.exec(label);
  const warnings = /(\d+) Warnings?|Warnings?: (\d+)/i.exec(label);
  const n = (m) => (m ? Number(m[1] ?? m[2]) : 0);
  return { errors: n(errors), warnings: n(warnings), label };
}

/** Rows of the open quick pick. */
function quickPickRows() {
  return wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
}

/** The kernels the Jupyter server runs (its REST API, with the token the bridge gets from the environment). */
async function serverKernels() {
  const res = await fetch(new URL('api/kernels', JUPYTER_URL), { headers: { Authorization: `token ${process.env[JUPYTER_TOKEN_ENV]}` } });
  assert.ok(res.ok, `GET api/kernels: ${res.status}`);
  return res.json();
}

/** A row of the Jupyter Variables view (its aria-label is "name, type, [dims,] summary"). */
function variableRow(label) {
  const pane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Jupyter Variables' }) });
  return pane.locator(`.monaco-list-row[aria-label^="${label}"]`);
}

async function statusIs(state, ms = 60000) {
  return until(`status bar "${state}"`, async () => (await wb.statusText()).includes(state), ms);
}

describe('VS Code extension in a real workbench', { timeout: 30 * 60_000 }, () => {
  before(async () => {
    assert.ok(existsSync(VSIX), `${VSIX} is missing: run "npm run package" in editors/vscode`);
    wb = new Workbench();
    // bash_kernel (in the test environment) as a kernelspec of its own: a second language.
    const jupyterPath = path.join(wb.root, 'jupyter');
    mkdirSync(path.join(jupyterPath, 'kernels', 'bash'), { recursive: true });
    writeFileSync(
      path.join(jupyterPath, 'kernels', 'bash', 'kernel.json'),
      JSON.stringify({ argv: [PYTHON, '-m', 'bash_kernel', '-f', '{connection_file}'], display_name: 'Bash', language: 'bash' }),
    );
    wb.writeFiles({
      'hello.sh': SHELL,
      'first.py': FIRST,
      'cells.py': CELLS,
      'rich.py': RICH,
      'widgets.py': WIDGETS,
      // A bridge whose environment is broken: what a user sees then.
      'broken-bridge': `#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named 'trio'" >&2\nexit 1\n`,
    });
    chmodSync(path.join(wb.workspace, 'broken-bridge'), 0o755);
    await wb.start({
      vsix: VSIX,
      settings: {
        'editor.wordBasedSuggestions': 'off',
        ...(BRIDGE ? { 'kernelBridge.path': BRIDGE } : {}),
        // Named from the start (changing it restarts the bridge); kernelBridge.server picks it later.
        ...(JUPYTER_URL ? { 'kernelBridge.servers': { lab: { url: JUPYTER_URL, tokenEnv: JUPYTER_TOKEN_ENV } } } : {}),
      },
      env: { JUPYTER_PATH: jupyterPath },
    });
  });

  after(async () => {
    await wb?.close();
  });

  test('a shell script activates the extension and runs on its kernel (bash_kernel) like Python', { timeout: TEST_TIMEOUT }, () =>
    step('second-language', async () => {
      const lines = SHELL.split('\n');
      assert.equal(await wb.statusItem().count(), 0, 'the extension is not active before a file of a kernel language opens');
      await wb.open('hello.sh');
      await until('the extension to activate for a shell script', async () => (await wb.statusText()).includes('none'));
      await wb.gotoLine(1);
      // Two runs at once, no kernel yet: the first starts the one kernelspec of the file's
      // language without asking; the second waits for it, and runs after it on that kernel.
      await wb.command('Kernel Bridge: Run Selection or Line');
      await wb.command('Kernel Bridge: Run Selection or Line');
      await wb.inlineOn(lines[1], (t) => t === '→ again 42', '"again 42": line 2 ran after line 1, on the same kernel', 90000);
      await wb.inlineOn(lines[0], (t) => t === '→ hello 42', '"hello 42"');
      await statusIs('Bash: idle');
      await wb.focusEditor();
      await runLine(3); // Shift+Enter: the keys work in every language a kernelspec speaks
      await wb.inlineOn(lines[2], (t) => t === '→ keys 42', '"keys 42" from bash');
      await wb.command('Kernel Bridge: Stop Kernel');
      await statusIs('Kernel: none'); // one kernel was started, not two
    }));

  test('starts a kernel from the palette', { timeout: TEST_TIMEOUT }, () =>
    step('start-kernel', async () => {
      await wb.open('first.py');
      await until('the extension to show its status bar item', async () => (await wb.statusText()).includes('none'));
      await wb.command('Kernel Bridge: Start Kernel');
      const pick = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Python 3 (ipykernel)' });
      await pick.first().waitFor({ timeout: 60000 });
      await wb.keyboard.press('Enter');
      await statusIs('Python 3 (ipykernel): idle', 90000);
    }));

  test('runs a selected line and shows its result inline', { timeout: TEST_TIMEOUT }, () =>
    step('run-line', async () => {
      await wb.focusEditor();
      await wb.selectLine(1);
      await wb.keyboard.press('Shift+Enter');
      const hit = await wb.inlineOn('print(1+1)', (t) => /→ 2$/.test(t), '"2"');
      assert.equal(hit.text, '→ 2');
      const run = await lastRun();
      await until('the output view to show 2', async () => (await run.locator('.stream.stdout').textContent())?.trim() === '2');
    }));

  test('shows busy then idle in the status bar', { timeout: TEST_TIMEOUT }, () =>
    step('busy-idle', async () => {
      const seen = [];
      const watch = (async () => {
        const deadline = Date.now() + 60000;
        while (Date.now() < deadline) {
          const text = await wb.statusText();
          const state = /: (\w+)$/.exec(text)?.[1];
          if (state && seen[seen.length - 1] !== state) seen.push(state);
          if (seen.includes('busy') && state === 'idle') return;
          await sleep(50);
        }
      })();
      await runLine(2);
      // While it sleeps (no output yet) the output view says it runs, not that it is queued.
      const sleeping = await lastRun();
      await until('the sleeping run to be shown as running', async () => (await sleeping.getAttribute('data-state')) === 'running', 30000);
      await watch;
      assert.ok(seen.includes('busy'), `status went ${seen.join(' → ')}`);
      assert.equal(seen[seen.length - 1], 'idle', `status went ${seen.join(' → ')}`);
      assert.ok(seen.lastIndexOf('busy') < seen.lastIndexOf('idle'));
      await wb.inlineOn('import time; time.sleep(3)', (t) => t === '→ ✓', 'a check mark');
    }));

  test('runs a cell from its code lens; the error shows inline and in the output view', { timeout: TEST_TIMEOUT }, () =>
    step('cell-error', async () => {
      await wb.open('cells.py');
      const lenses = wb.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: /Run cell/i });
      await until('three "Run cell" code lenses from the bridge', async () => (await lenses.count()) === 3, 60000);
      // The second lens (by position) is the "# %% fails" cell's.
      const boxes = [];
      for (let i = 0; i < 3; i++) boxes.push({ i, y: (await lenses.nth(i).boundingBox()).y });
      boxes.sort((a, b) => a.y - b.y);
      await lenses.nth(boxes[1].i).click();
      const hit = await wb.inlineOn('1 / 0', (t) => t.includes('ZeroDivisionError'), 'ZeroDivisionError');
      assert.equal(hit.text, '→ ZeroDivisionError: division by zero');
      assert.equal(hit.color, await wb.themeColour('errorForeground'), 'the inline error is in the error colour');
      const run = await lastRun();
      const error = run.locator('pre.output.error');
      await error.waitFor({ timeout: 30000 });
      const text = await error.textContent();
      assert.match(text, /ZeroDivisionError/);
      assert.doesNotMatch(text, /\x1b\[/, 'no raw ANSI escapes');
      const coloured = await error.locator('span[class^="ansi-fg"]').count();
      assert.ok(coloured > 0, 'ANSI colours of the traceback became styled spans');
      // The bridge published a diagnostic on the line that raised.
      await until('an error diagnostic in the Problems count', async () => (await problemCounts()).errors === 1);
    }));

  test('displays a PNG in the output view', { timeout: TEST_TIMEOUT }, () =>
    step('png', async () => {
      await wb.gotoLine(CELLS.split('\n').indexOf('# %% image') + 2);
      await wb.keyboard.press('Control+Enter');
      const frame = await wb.outputFrame();
      const img = frame.locator('#runs .run').last().locator('img[src^="data:image/png;base64,"]');
      await img.waitFor({ timeout: 60000 });
      const size = await until('the PNG to decode', async () => {
        const s = await img.evaluate((el) => (el.complete && el.naturalWidth ? [el.naturalWidth, el.naturalHeight] : null));
        return s;
      });
      assert.deepEqual(size, [8, 6]);
      await wb.inlineOn('display(Image(data=_png()))', (t) => t.includes('[image/png]'), '[image/png]');
      // A successful run from the same document clears the bridge's diagnostics.
      await until('the diagnostics to clear', async () => (await problemCounts()).errors === 0);
    }));

  test("the Jupyter Variables view lists the kernel's names and follows runs", { timeout: TEST_TIMEOUT }, () =>
    step('variables', async () => {
      await wb.command('Kernel Bridge: Show Variables');
      // y = 2 came from the "fails" cell; the view asked the kernel (jupyter/variables).
      await variableRow('y, int, 2').waitFor({ timeout: 30000 });
      assert.equal(await variableRow('answer, ').count(), 0, 'answer is not defined yet');
      await wb.open('first.py');
      await runLine(FIRST_LINE('answer = 6 * 7'));
      await variableRow('answer, int, 42').waitFor({ timeout: 30000 });
    }));

  test('renders markdown, HTML and SVG, and honours update_display_data and clear_output', { timeout: TEST_TIMEOUT }, () =>
    step('rich', async () => {
      await wb.open('rich.py');
      await wb.keyboard.press('Control+Alt+Enter');
      const lastCode = 'print("\\x1b[32mkept green\\x1b[0m")';
      await wb.inlineOn(lastCode, (t) => t.includes('kept green') && !t.includes('⋯'), '"kept green"');
      const run = await lastRun();
      // clear_output() removed everything displayed before it.
      assert.equal(await run.locator('.outputs h2').count(), 0, 'clear_output removed the markdown');
      assert.doesNotMatch(await run.locator('.outputs').textContent(), /gone soon/);
      const kept = run.locator('.stream.stdout span.ansi-fg-2', { hasText: 'kept green' });
      assert.equal(await kept.count(), 1, 'green ANSI text became a styled span');
      // The same outputs without the clear, to see each renderer.
      await wb.page.keyboard.press('Control+Home');
      const noClear = RICH.split('\n').filter((l) => !l.startsWith('clear_output') && !l.includes('gone soon'));
      await wb.page.keyboard.press('Control+A');
      await wb.page.keyboard.press('Delete');
      await wb.page.keyboard.insertText(noClear.join('\n'));
      await wb.keyboard.press('Control+Alt+Enter');
      await until('the second rich run to finish', async () => (await (await lastRun()).getAttribute('data-state')) === 'ok');
      const again = await lastRun();
      assert.equal((await again.locator('.markdown h2').textContent()).trim(), 'Rich markdown output');
      assert.equal(await again.locator('.markdown h2 em').count(), 1);
      assert.equal(await again.locator('.html b#kb-html').textContent(), 'bold html');
      assert.equal(await again.locator('.html script').count(), 0, 'scripts in HTML output are not kept');
      const frame = await wb.outputFrame();
      assert.notEqual(await frame.evaluate(() => document.title), 'pwned', 'scripts in HTML output never run');
      const svg = again.locator('img[src^="data:image/svg+xml"]');
      assert.deepEqual(await svg.evaluate((el) => [el.naturalWidth, el.naturalHeight]), [20, 10]);
      const text = await again.locator('.outputs').textContent();
      assert.match(text, /updated display/);
      assert.doesNotMatch(text, /original display/, 'update_display_data replaced the display');
      await wb.page.keyboard.press('Control+Z');
    }));

  test("an IntSlider is live in the output view: its arrow keys change the kernel's value", { timeout: TEST_TIMEOUT }, () =>
    step('widgets', async () => {
      const errors = [];
      const onConsole = (m) => m.type() === 'error' && errors.push(m.text());
      wb.page.on('console', onConsole);
      try {
        await wb.open('widgets.py');
        await runLine(1);
        const run = await lastRun();
        // the sidecar's widget manager (@jupyter-widgets/html-manager) drew the kernel's model
        const slider = run.locator('.widget-slider');
        await slider
          .locator('.noUi-handle')
          .waitFor({ timeout: 60000 })
          .catch(async (err) => {
            throw new Error(`${err.message}\nthe run shows: ${await run.innerText()}\nconsole errors:\n${errors.join('\n').slice(-3000)}`);
          });
        assert.equal((await slider.locator('.widget-label').textContent()).trim(), 'level');
        assert.equal((await slider.locator('.widget-readout').textContent()).trim(), '3');
        const handle = slider.locator('.noUi-handle');
        await handle.press('ArrowRight');
        await handle.press('ArrowRight');
        await until('the readout to show 5', async () => (await slider.locator('.widget-readout').textContent()).trim() === '5');
        await handle.evaluate((el) => el.blur()); // the later checks' keys go to the editor, never to the slider
        // the change went through the extension and the bridge to the kernel (jupyter/commMsg)
        await wb.focusFirstGroup();
        await runLine(2);
        await wb.inlineOn('print("slider at", s.value)', (t) => t.includes('slider at 5'), '"slider at 5"');
      } finally {
        wb.page.off('console', onConsole);
      }
    }));

  test('completes "import o" with os from the kernel', { timeout: TEST_TIMEOUT }, () =>
    step('completion', async () => {
      await wb.open('first.py');
      await wb.keyboard.press('Control+End');
      await wb.keyboard.type('import o');
      const rows = wb.page.locator('.editor-widget.suggest-widget .monaco-list-row');
      const labels = await until(
        'completion items',
        async () => {
          await wb.keyboard.press('Control+Space');
          await rows.first().waitFor({ timeout: 5000 });
          const all = await rows.locator('.label-name').allTextContents();
          return all.length ? all : undefined;
        },
        60000,
        500,
      );
      assert.ok(labels.map((l) => l.trim()).includes('os'), `completions: ${labels.join(', ')}`);
      await wb.keyboard.press('Escape');
      await wb.keyboard.press('Control+Z');
      await wb.keyboard.press('Escape');
    }));

  test('hover over print shows its docstring', { timeout: TEST_TIMEOUT }, () =>
    step('hover', async () => {
      const line = wb.page.locator('.editor-group-container.active .view-lines .view-line', { hasText: 'print(1+1)' }).first();
      const word = line.locator('span', { hasText: /^print$/ }).last();
      const hover = wb.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents');
      const text = await until(
        'a hover with the docstring of print',
        async () => {
          await wb.page.mouse.move(0, 0);
          await word.hover();
          await hover.first().waitFor({ timeout: 5000 });
          const t = (await hover.allTextContents()).join('\n');
          return /Prints the values to a stream/.test(t) ? t : undefined;
        },
        60000,
        500,
      );
      assert.match(text, /Prints the values to a stream/);
      await wb.page.mouse.move(0, 0);
    }));

  test("Open Output Sidecar shows the kernel's outputs on its live page beside the editor", { timeout: TEST_TIMEOUT }, () =>
    step('sidecar', async () => {
      await wb.command('Kernel Bridge: Open Output Sidecar');
      // In the Simple Browser, beside the editor.
      const tab = wb.page.locator('.tab', { hasText: 'Simple Browser' }).first();
      await tab.waitFor({ timeout: 30000 });
      // The page (127.0.0.1, with its token) in the Simple Browser's iframe.
      const sidecar = await until('the sidecar page, connected', async () => {
        for (const frame of wb.page.frames()) {
          if (!/^http:\/\/127\.0\.0\.1:\d+\/.*token=/.test(frame.url())) continue;
          try {
            if ((await frame.locator('#link').getAttribute('data-link')) === 'up') return frame;
          } catch {
            // detached or still loading
          }
        }
        return undefined;
      }, 30000);
      await wb.focusFirstGroup();
      const code = 'print("to the sidecar")';
      await runLine(FIRST_LINE(code));
      await wb.inlineOn(code, (t) => t === '→ to the sidecar', '"to the sidecar"');
      await tab.click(); // the run brought the output view to the front
      const cell = sidecar.locator('section.cell[data-origin="editor"]').last();
      await until('the run on the sidecar page', async () => (await cell.locator('pre.code').textContent()) === code && (await cell.locator('pre.stream').textContent()) === 'to the sidecar\n', 30000);
      await tab.hover();
      await tab.locator('.tab-actions .codicon-close').click();
      await until('the Simple Browser to close', async () => (await wb.page.locator('.tab', { hasText: 'Simple Browser' }).count()) === 0, 30000);
      await wb.outputFrame(); // the output view, in front again, has loaded (and may have taken the focus)
      await wb.focusEditor();
    }));

  test('answers input() through the input box', { timeout: TEST_TIMEOUT }, () =>
    step('input', async () => {
      await wb.focusEditor();
      await runLine(3);
      const input = await wb.quickInput();
      await until('the prompt "Name: "', async () => /Name:/.test(await wb.page.locator('.quick-input-widget').textContent()));
      assert.equal(await input.getAttribute('type'), 'text');
      // The kernel is running the code (it waits in input()), though it has printed nothing yet.
      const waiting = await lastRun();
      await until('the run waiting for input to be shown as running', async () => (await waiting.getAttribute('data-state')) === 'running', 30000);
      assert.equal((await waiting.locator('header .state').textContent()).trim(), 'running');
      await input.fill('Ada');
      await wb.keyboard.press('Enter');
      await wb.inlineOn('name = input("Name: "); print("hello", name)', (t) => t === '→ hello Ada', '"hello Ada"');
    }));

  test('hides getpass input and passes it on', { timeout: TEST_TIMEOUT }, () =>
    step('getpass', async () => {
      await runLine(4);
      const input = await wb.quickInput();
      await until('the prompt "Password: "', async () => /Password:/.test(await wb.page.locator('.quick-input-widget').textContent()));
      assert.equal(await input.getAttribute('type'), 'password');
      await input.fill('secret');
      await wb.keyboard.press('Enter');
      await wb.inlineOn('import getpass; pw = getpass.getpass("Password: "); print(len(pw))', (t) => t === '→ 6', '"6"');
      assert.doesNotMatch(await (await lastRun()).textContent(), /secret/, 'the password is not shown');
    }));

  test('cancelling input leaves the kernel usable', { timeout: TEST_TIMEOUT }, () =>
    step('input-cancel', async () => {
      await runLine(5);
      await wb.quickInput();
      await until('the prompt "Cancel me: "', async () => /Cancel me:/.test(await wb.page.locator('.quick-input-widget').textContent()));
      await wb.keyboard.press('Escape');
      await wb.inlineOn('input("Cancel me: ")', (t) => !t.includes('⋯'), 'a finished run');
      await wb.focusEditor();
      await runLine(6);
      await wb.inlineOn('print("after")', (t) => t === '→ after', '"after"');
      await statusIs(': idle');
    }));

  test('interrupts while True', { timeout: TEST_TIMEOUT }, () =>
    step('interrupt', async () => {
      await runLine(7);
      await statusIs(': busy');
      await sleep(500); // let the loop start: the interrupt must stop running code, not a queued request
      await wb.command('Kernel Bridge: Interrupt Kernel');
      const hit = await wb.inlineOn('while True: pass', (t) => t.includes('KeyboardInterrupt'), 'KeyboardInterrupt');
      assert.equal(hit.color, await wb.themeColour('errorForeground'));
      await statusIs(': idle');
    }));

  test('restarts the kernel from the status bar', { timeout: TEST_TIMEOUT }, () =>
    step('restart', async () => {
      await wb.focusEditor();
      await runLine(8);
      await wb.inlineOn("print('y' in globals())", (t) => t === '→ True', '"True" (y was set by a cell of cells.py)');
      // A restart may take less time than a poll of the status bar: every label the status bar
      // shows meanwhile is recorded.
      await wb.page.evaluate(() => {
        const seen = (window.__kbStatusSeen = []);
        const observer = new MutationObserver((records) => {
          for (const r of records) {
            if (r.oldValue) seen.push(r.oldValue);
            if (r.target instanceof Element) seen.push(r.target.getAttribute('aria-label') ?? '');
          }
        });
        observer.observe(document.querySelector('.part.statusbar'), { subtree: true, attributes: true, attributeFilter: ['aria-label'], attributeOldValue: true });
        window.__kbStatusObserver = observer;
      });
      await wb.statusItem().click();
      const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Restart' }).first();
      await row.waitFor({ timeout: 30000 });
      await row.click();
      await until('the status bar to show ": restarting"', () =>
        wb.page.evaluate(() => window.__kbStatusSeen.some((label) => label.startsWith('Kernel') && label.includes(': restarting'))),
      );
      await wb.page.evaluate(() => window.__kbStatusObserver.disconnect());
      await statusIs(': idle', 90000);
      await wb.focusEditor();
      await runLine(8);
      await wb.inlineOn("print('y' in globals())", (t) => t === '→ False', '"False" after the restart');
    }));

  test("exports this file's runs as a notebook that nbformat validates", { timeout: TEST_TIMEOUT }, () =>
    step('export', async () => {
      await wb.open('first.py');
      await wb.command('Kernel Bridge: Export Runs as Notebook…');
      const scope = quickPickRows().first();
      await until('"Runs of first.py" offered first', async () => (await scope.getAttribute('aria-label'))?.startsWith('Runs of first.py'), 30000);
      await wb.keyboard.press('Enter');
      // The save dialog (code-server's own, a path in a quick input), first.ipynb beside first.py.
      const file = path.join(wb.workspace, 'first.ipynb');
      const input = await wb.quickInput();
      await until('the save dialog to suggest first.ipynb', async () => (await input.inputValue()).endsWith('first.ipynb'), 30000);
      await wb.keyboard.press('Enter');
      const { message } = await toastWith('Exported');
      assert.match(message, new RegExp(`Exported \\d+ cell\\(s\\) to ${file.replace(/[/.-]/g, '\\$&')}`));
      // A real consumer reads it: nbformat, against its schema.
      const check = spawnSync(PYTHON, ['-c', 'import json, sys, nbformat; nb = nbformat.read(sys.argv[1], 4); nbformat.validate(nb); print(json.dumps([c.source for c in nb.cells if c.cell_type == "code"]))', file], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      const sources = JSON.parse(check.stdout);
      assert.ok(sources.includes('print(1+1)') && sources.includes('print("after")'), `cells: ${JSON.stringify(sources)}`);
      assert.ok(sources.every((code) => FIRST.split('\n').includes(code)), `only first.py's runs: ${JSON.stringify(sources)}`);
      await wb.keyboard.press('Escape');
    }));

  test('stops the kernel', { timeout: TEST_TIMEOUT }, () =>
    step('stop', async () => {
      await wb.command('Kernel Bridge: Stop Kernel');
      await statusIs('Kernel: none');
    }));

  test("runs a cell through the bridge's jupyter.runCell in a document bound to its kernel", { timeout: TEST_TIMEOUT }, () =>
    step('run-cell-bound', async () => {
      await wb.open('cells.py');
      await wb.command('Kernel Bridge: Start Kernel');
      const pick = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Python 3 (ipykernel)' });
      await pick.first().waitFor({ timeout: 60000 });
      await wb.keyboard.press('Enter');
      await statusIs('Python 3 (ipykernel): idle', 90000);
      await wb.focusEditor();
      await wb.gotoLine(2);
      await wb.keyboard.press('Control+Enter');
      // The output reached this run although the bridge, not the extension, chose the code.
      await wb.inlineOn('print("setup done")', (t) => t === '→ setup done', '"setup done"');
      const run = await lastRun();
      assert.match(await run.locator('header .title').textContent(), /cells\.py:1–3 \(cell\)/);
      assert.equal((await run.locator('.stream.stdout').textContent()).trim(), 'setup done');
      await wb.command('Kernel Bridge: Stop Kernel');
      await statusIs('Kernel: none');
    }));

  test('connects to an existing kernel from its connection file', { timeout: TEST_TIMEOUT }, () =>
    step('connect', async () => {
      const runtime = process.env.JUPYTER_RUNTIME_DIR;
      assert.ok(runtime, 'JUPYTER_RUNTIME_DIR is set (tests/conftest.py sets it)');
      const name = `kernel-e2e-${process.pid}.json`;
      const file = path.join(runtime, name);
      const kernel = spawn(PYTHON, ['-m', 'ipykernel_launcher', '-f', file], { stdio: 'ignore', detached: true });
      try {
        await until('the kernel to write its connection file', () => existsSync(file) && readFileSync(file, 'utf8').includes('"key"'));
        await wb.open('first.py');
        await wb.command('Kernel Bridge: Connect to Existing Kernel');
        const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first();
        await row.waitFor({ timeout: 30000 });
        await row.click();
        await statusIs('(attached): idle', 60000);
        await wb.focusEditor();
        await runLine(1);
        await wb.inlineOn('print(1+1)', (t) => t === '→ 2', '"2" from the attached kernel');
        await wb.command('Kernel Bridge: Stop Kernel'); // detaches: the kernel keeps running
        await statusIs('Kernel: none');
        await sleep(500);
        assert.equal(kernel.exitCode, null, 'an attached kernel is not shut down by detaching');
      } finally {
        try {
          process.kill(-kernel.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }));

  test('kernelBridge.server starts kernels on a Jupyter server; stopping one deletes it there', { timeout: TEST_TIMEOUT }, () =>
    step('remote', async () => {
      assert.ok(JUPYTER_URL && process.env[JUPYTER_TOKEN_ENV], `KB_E2E_JUPYTER_URL and ${JUPYTER_TOKEN_ENV} name a running jupyter_server (tests/editors/test_vscode.py starts one)`);
      assert.deepEqual(await serverKernels(), []);
      await editUserSettings({ 'kernelBridge.server': 'lab' });
      await wb.open('first.py');
      await wb.command('Kernel Bridge: Start Kernel');
      // The server's kernelspecs come first, under its name.
      const remote = quickPickRows().filter({ hasText: 'Python 3 (ipykernel)' }).filter({ hasText: 'on server lab' }).first();
      await remote.waitFor({ timeout: 60000 });
      assert.match((await wb.page.locator('.quick-input-widget').textContent()) ?? '', /Start Kernel \(server: lab\)/);
      await remote.click();
      await statusIs('Python 3 (ipykernel) on lab: idle', 90000);
      const [kernel] = await serverKernels();
      assert.equal(kernel?.name, 'python3', 'the kernel runs on the server');
      await wb.focusEditor();
      // It runs where the server runs its kernels: in the server's root directory.
      const code = 'import os; print(os.path.basename(os.getcwd()))';
      await runLine(FIRST_LINE(code));
      await wb.inlineOn(code, (t) => /^→ kb-remote-root-/.test(t), "the server's directory, from the remote kernel");
      await wb.command('Kernel Bridge: Stop Kernel');
      await statusIs('Kernel: none');
      await until('the server to have deleted the kernel', async () => (await serverKernels()).length === 0, 30000);
    }));

  test('a missing kernel-bridge gets a message with the fix', { timeout: TEST_TIMEOUT }, () =>
    step('missing-bridge', async () => {
      await setBridgePathAndRestart('/nonexistent/kernel-bridge');
      const { toast, message } = await toastWith('/nonexistent/kernel-bridge');
      assert.match(message, /"kernelBridge\.path" setting points to \/nonexistent\/kernel-bridge, which is not an executable file/);
      assert.match(message, /pip install kernel-bridge/);
      assert.ok(await toast.locator('.monaco-button', { hasText: 'Open Settings' }).count(), 'the message offers to open the settings');
      assert.equal(await wb.statusText(), 'Kernel: none');
      await toast.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => undefined);
    }));

  test('a broken kernel-bridge gets its error and the fix', { timeout: TEST_TIMEOUT }, () =>
    step('broken-bridge', async () => {
      const broken = path.join(wb.workspace, 'broken-bridge');
      await setBridgePathAndRestart(broken);
      const { message } = await toastWith('exited with code 1');
      assert.match(message, new RegExp(`kernel-bridge \\(${broken.replace(/[/.-]/g, '\\$&')}\\) exited with code 1`));
      assert.match(message, /ModuleNotFoundError: No module named 'trio'/, 'the tail of its stderr');
      assert.match(message, /missing packages: reinstall it/, 'the fix');
    }));
});
