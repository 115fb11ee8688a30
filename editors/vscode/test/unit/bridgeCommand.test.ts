import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokenBridgeMessage, resolveBridgeCommand, versionProblem, type SearchInputs } from '../../src/bridgeCommand';

const base: SearchInputs = { configured: '', pathEnv: '/usr/bin:/opt/bin', pythonInterpreters: [], workspaceFolders: [], platform: 'linux' };
const only = (...files: string[]) => ({ isExecutable: (f: string) => files.includes(f) });

test('kernel-bridge on PATH is found first', () => {
  const r = resolveBridgeCommand(base, only('/opt/bin/kernel-bridge', '/ws/.venv/bin/kernel-bridge'));
  assert.deepEqual(r, { ok: true, command: '/opt/bin/kernel-bridge', how: 'PATH' });
});

test('else the one beside the selected Python interpreter', () => {
  const r = resolveBridgeCommand({ ...base, pythonInterpreters: ['/envs/a/bin/python'] }, only('/envs/a/bin/kernel-bridge'));
  assert.ok(r.ok && r.command === '/envs/a/bin/kernel-bridge');
});

test("else the workspace's .venv", () => {
  const r = resolveBridgeCommand({ ...base, workspaceFolders: ['/ws'] }, only('/ws/.venv/bin/kernel-bridge'));
  assert.ok(r.ok && r.command === '/ws/.venv/bin/kernel-bridge');
});

test('the setting wins over everything', () => {
  const r = resolveBridgeCommand({ ...base, configured: '/x/kb' }, only('/x/kb', '/opt/bin/kernel-bridge'));
  assert.deepEqual(r, { ok: true, command: '/x/kb', how: 'kernelBridge.path' });
});

test('a setting that points nowhere says so and how to fix it', () => {
  const r = resolveBridgeCommand({ ...base, configured: '/x/kb' }, only('/opt/bin/kernel-bridge'));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.message, /"kernelBridge\.path" setting points to \/x\/kb, which is not an executable file/);
    assert.match(r.message, /pip install kernel-bridge/);
  }
});

test('a bare command name in the setting is looked up on PATH', () => {
  const r = resolveBridgeCommand({ ...base, configured: 'kb2' }, only('/usr/bin/kb2'));
  assert.ok(r.ok && r.command === '/usr/bin/kb2');
});

test('nothing found: the message names where it looked and the fix', () => {
  const r = resolveBridgeCommand({ ...base, workspaceFolders: ['/ws'] }, only());
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.message, /kernel-bridge was not found/);
    assert.match(r.message, /"kernelBridge\.path"/);
    assert.ok(r.looked.includes('/usr/bin/kernel-bridge'));
    assert.ok(r.looked.includes('/ws/.venv/bin/kernel-bridge'));
  }
});

test('Windows looks for kernel-bridge.exe in Scripts', () => {
  const r = resolveBridgeCommand(
    { ...base, platform: 'win32', pathEnv: '', workspaceFolders: ['C:\\ws'] },
    only('C:\\ws\\.venv\\Scripts\\kernel-bridge.exe'),
  );
  assert.ok(r.ok && r.command === 'C:\\ws\\.venv\\Scripts\\kernel-bridge.exe');
});

test('a bridge that exits at start gets its exit code, stderr tail and a fix', () => {
  const msg = brokenBridgeMessage('/v/bin/kernel-bridge', 1, null, 'Traceback…\nModuleNotFoundError: No module named trio\n');
  assert.match(msg, /exited with code 1/);
  assert.match(msg, /No module named trio/);
  assert.match(msg, /missing packages: reinstall it/);
  assert.match(brokenBridgeMessage('kb', null, 'SIGKILL', ''), /was killed by SIGKILL\. Check the "Kernel Bridge" output channel/);
});

test('a working kernel-bridge passes the version check', () => {
  assert.equal(versionProblem('kb', { exitCode: 0, signal: null, stdout: 'kernel-bridge 0.1.0\n', stderr: '' }), undefined);
});

test('a kernel-bridge whose environment is broken fails the version check with its error', () => {
  const msg = versionProblem('/v/bin/kernel-bridge', { exitCode: 1, signal: null, stdout: '', stderr: "ModuleNotFoundError: No module named 'trio'\n" });
  assert.match(msg ?? '', /exited with code 1: ModuleNotFoundError: No module named 'trio'\. Its Python environment is missing packages/);
});

test('a program that is not kernel-bridge is named as such', () => {
  const msg = versionProblem('/usr/bin/true', { exitCode: 0, signal: null, stdout: '', stderr: '' });
  assert.match(msg ?? '', /does not look like kernel-bridge/);
  assert.match(versionProblem('x', { spawnError: 'spawn x EACCES', exitCode: null, signal: null, stdout: '', stderr: '' }) ?? '', /could not run x: spawn x EACCES/);
});
