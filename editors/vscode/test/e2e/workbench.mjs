// A real VS Code workbench for end-to-end tests: code-server (installed by
// scripts/test-setup.d/20-vscode.sh) with the built .vsix installed, opened in Debian's
// chromium through playwright-core. One Workbench per test file; everything it starts is
// in process groups it kills on close.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const EXTENSION_DIR = path.resolve(HERE, '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';

/** Where 20-vscode.sh installs code-server (same default as there). */
export function codeServerDir() {
  if (process.env.KB_CODE_SERVER_DIR) return process.env.KB_CODE_SERVER_DIR;
  const cache = process.env.KB_CACHE || path.join(homedir(), '.cache', 'kernel-bridge');
  return path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server');
}

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function killGroup(child, signal) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function waitExit(child, ms) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([new Promise((r) => child.once('exit', () => r(true))), sleep(ms).then(() => false)]);
}

/** Poll `fn` until it returns a truthy value; throw `what` after `ms` (a hang guard, not a speed check). */
export async function until(what, fn, ms = 60000, every = 100) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : last !== undefined ? ` (last: ${JSON.stringify(last)})` : ''}`);
    }
    await sleep(every);
  }
}

export class Workbench {
  constructor() {
    this.root = mkdtempSync(path.join(tmpdir(), 'kb-vscode-e2e-'));
    this.workspace = path.join(this.root, 'workspace');
    this.userData = path.join(this.root, 'user-data');
    this.extensions = path.join(this.root, 'extensions');
    this.artifacts = process.env.KB_E2E_ARTIFACTS || path.join(this.root, 'artifacts');
    for (const d of [this.workspace, this.userData, this.extensions, this.artifacts, path.join(this.userData, 'User')]) mkdirSync(d, { recursive: true });
    this.serverLog = [];
    this.consoleErrors = [];
  }

  /** Files (name → text) to put in the workspace before the workbench opens. */
  writeFiles(files) {
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(this.workspace, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }

  /** `env`: added to code-server's environment, which the extension host and the bridge inherit. */
  async start({ vsix, settings = {}, env = {} }) {
    const cs = codeServerDir();
    const entry = path.join(cs, 'out', 'node', 'entry.js');
    if (!existsSync(entry)) {
      throw new Error(`code-server is not installed at ${cs}; run scripts/test-setup.d/20-vscode.sh (bash scripts/test.sh does)`);
    }
    this.entry = entry;
    const install = spawnSync(process.execPath, [entry, '--user-data-dir', this.userData, '--extensions-dir', this.extensions, '--install-extension', vsix], {
      encoding: 'utf8',
      timeout: 120000,
    });
    if (install.status !== 0) throw new Error(`installing ${vsix} failed:\n${install.stdout}\n${install.stderr}`);

    writeFileSync(
      path.join(this.userData, 'User', 'settings.json'),
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.tips.enabled': false,
          'workbench.enableExperiments': false,
          'workbench.welcomePage.walkthroughs.openOnInstall': false,
          'security.workspace.trust.enabled': false,
          'telemetry.telemetryLevel': 'off',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'extensions.ignoreRecommendations': true,
          'update.mode': 'none',
          'git.enabled': false,
          'chat.commandCenter.enabled': false,
          'editor.minimap.enabled': false,
          'editor.quickSuggestions': { other: false, comments: false, strings: false },
          'editor.autoClosingBrackets': 'never',
          'editor.autoClosingQuotes': 'never',
          'editor.autoIndent': 'none',
          'editor.hover.delay': 200,
          'files.autoSave': 'off',
          'window.commandCenter': false,
          ...settings,
        },
        null,
        2,
      ),
    );

    this.port = await freePort();
    const config = path.join(this.root, 'config.yaml');
    writeFileSync(config, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    this.server = spawn(
      process.execPath,
      [
        entry,
        '--config', config,
        '--user-data-dir', this.userData,
        '--extensions-dir', this.extensions,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        this.workspace,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    const collect = (data) => {
      this.serverLog.push(data.toString());
      if (this.serverLog.length > 2000) this.serverLog.splice(0, 1000);
    };
    this.server.stdout.on('data', collect);
    this.server.stderr.on('data', collect);
    await until(
      'code-server to listen',
      async () => {
        if (this.server.exitCode !== null) throw new Error(`code-server exited (${this.server.exitCode}):\n${this.serverLog.join('')}`);
        try {
          const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
          return res.ok;
        } catch {
          return false;
        }
      },
      60000,
      200,
    );

    this.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    this.page = await this.browser.newPage({ viewport: { width: 1600, height: 1000 } });
    this.page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push(msg.text());
    });
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`);
    await this.page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90000 });
    // The explorer shows the workspace once the remote file system is up.
    await until('the explorer to list the workspace', () => this.page.locator('.explorer-folders-view .monaco-list-row').count(), 90000);
    return this;
  }

  async screenshot(name) {
    const file = path.join(this.artifacts, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    try {
      await this.page?.screenshot({ path: file });
    } catch {
      return undefined;
    }
    return file;
  }

  /** Kill the browser, code-server and everything they started (extension host, the bridge, kernels). */
  async close() {
    try {
      await this.browser?.close();
    } catch {
      // ignore: we kill it below if needed
    }
    if (this.server) {
      killGroup(this.server, 'SIGTERM');
      if (!(await waitExit(this.server, 15000))) {
        killGroup(this.server, 'SIGKILL');
        await waitExit(this.server, 5000);
      }
      // The group may outlive its leader (extension host, bridge): make sure it is gone.
      killGroup({ pid: this.server.pid, exitCode: null, signalCode: null }, 'SIGKILL');
    }
    if (!process.env.KB_E2E_KEEP) {
      // Nothing left on disk but the screenshots of failures.
      const artifactsInside = !path.relative(this.root, this.artifacts).startsWith('..');
      if (artifactsInside && readdirSync(this.artifacts).length) {
        for (const entry of readdirSync(this.root)) {
          if (path.join(this.root, entry) !== this.artifacts) rmSync(path.join(this.root, entry), { recursive: true, force: true });
        }
      } else {
        rmSync(this.root, { recursive: true, force: true });
      }
    }
  }

  // -- driving the workbench ------------------------------------------------------------------

  get keyboard() {
    return this.page.keyboard;
  }

  /**
   * Open the quick input with `key` and type `text` into it. The widget can close again right
   * after it opened (a focus change from what the previous step left, e.g. a closing webview):
   * then open it again, as a user would, rather than wait for a box that is gone.
   */
  async openQuickInput(key, text) {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    for (let attempt = 1; ; attempt++) {
      if (!(await input.isVisible())) await this.page.keyboard.press(key);
      try {
        await input.waitFor({ state: 'visible', timeout: 10000 });
        await input.fill(text, { timeout: 5000 });
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  /** Run a palette command by its full title (e.g. "Kernel Bridge: Start Kernel"). */
  async command(title) {
    await this.openQuickInput('F1', `>${title}`);
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 30000 });
    await until(`"${title}" to be the first palette entry`, async () => {
      const first = await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().getAttribute('aria-label');
      return first && first.includes(title);
    }, 30000);
    await this.page.keyboard.press('Enter');
  }

  /** Open a workspace file in the editor via Quick Open (in the first editor group). */
  async open(name) {
    await this.focusFirstGroup();
    await this.openQuickInput('Control+P', name);
    // The list first shows recently opened files: wait until the filtered list leads with `name`.
    await until(`Quick Open to offer ${name} first`, async () => {
      const first = await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().getAttribute('aria-label');
      return first && first.startsWith(name);
    }, 30000);
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tab.active[aria-label*="${name}"]`).first().waitFor({ timeout: 30000 });
    await this.focusEditor();
  }

  /**
   * Make the first editor group (where the test files are) the active one, by a click on its
   * active tab: the keyboard may have no target (focus was in a webview's frame that closed).
   */
  async focusFirstGroup() {
    const tab = this.page.locator('.editor-group-container').first().locator('.tab.active').first();
    if (await tab.count()) await tab.click();
  }

  async focusEditor() {
    // The text editors are in the first group (the output view and the browser are beside it);
    // a webview there can take the focus when it finishes loading, after the group was left.
    await this.page.locator('.editor-group-container').first().locator('.monaco-editor .view-lines').first().click({ position: { x: 400, y: 2 } }).catch(() => undefined);
    await this.page.keyboard.press('Escape');
  }

  /** Put the cursor at the start of a 1-based line. */
  async gotoLine(line) {
    await this.openQuickInput('Control+G', `:${line}`);
    await this.page.keyboard.press('Enter');
    await this.page.keyboard.press('Home');
    await this.page.keyboard.press('Home');
  }

  async selectLine(line) {
    await this.gotoLine(line);
    await this.page.keyboard.press('Shift+End');
  }

  /**
   * Inline results the editor shows: for each rendered line with an after-text decoration,
   * its code and the decoration's text and colour.
   */
  async inlineResults() {
    return this.page.evaluate(() => {
      const out = [];
      const group = document.querySelector('.editor-group-container'); // the first: where the text editors are
      for (const line of group?.querySelectorAll('.monaco-editor .view-lines .view-line') ?? []) {
        for (const span of line.querySelectorAll('span')) {
          const after = getComputedStyle(span, '::after');
          const content = after.content;
          if (!content || content === 'none' || content === 'normal') continue;
          let text = content;
          try {
            text = JSON.parse(content);
          } catch {
            text = content.replace(/^"|"$/g, '');
          }
          out.push({ code: line.textContent.replace(/\u00a0/g, ' '), text, color: after.color });
        }
      }
      return out;
    });
  }

  /** Wait for the inline result on the line whose code is `code` to satisfy `test(text)`. */
  async inlineOn(code, test, what, ms = 60000) {
    return until(
      `inline result ${what} on "${code}"`,
      async () => {
        const results = await this.inlineResults();
        const hit = results.find((r) => r.code.trim() === code.trim() && test(r.text));
        return hit;
      },
      ms,
    );
  }

  /** A theme colour (e.g. "errorForeground") as the workbench computes it, as "rgb(r, g, b)". */
  async themeColour(name) {
    return this.page.evaluate((variable) => {
      const probe = document.createElement('span');
      probe.style.color = `var(${variable})`;
      document.querySelector('.monaco-workbench').appendChild(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    }, `--vscode-${name.replace(/\./g, '-')}`);
  }

  statusItem() {
    return this.page.locator('.statusbar-item[aria-label^="Kernel"]').first();
  }

  async statusText() {
    return (await this.statusItem().getAttribute('aria-label')) ?? '';
  }

  /** The frame of the Kernel Output webview (nested iframes), once its script has rendered. */
  async outputFrame(ms = 60000) {
    return until(
      'the Kernel Output view',
      async () => {
        for (const frame of this.page.frames()) {
          try {
            if (await frame.$('#runs')) return frame;
          } catch {
            // detached frame
          }
        }
        return undefined;
      },
      ms,
      250,
    );
  }

  async quickInput() {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 60000 });
    return input;
  }
}
