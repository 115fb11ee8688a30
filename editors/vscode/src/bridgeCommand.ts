// Finding the `kernel-bridge` command, and the messages a user sees when it is missing or
// broken. The file system is passed in, so the search is unit-tested without one.

import * as path from 'node:path';

export interface Probe {
  /** True if `file` exists and is an executable file. */
  isExecutable(file: string): boolean;
}

export interface SearchInputs {
  /** The `kernelBridge.path` setting ('' when unset). */
  configured: string;
  /** The PATH environment variable. */
  pathEnv: string | undefined;
  /** A Python interpreter the user selected (`python.defaultInterpreterPath`, the Python extension's choice). */
  pythonInterpreters: string[];
  /** Workspace folders (file system paths). */
  workspaceFolders: string[];
  platform: NodeJS.Platform;
}

export type Resolution =
  | { ok: true; command: string; how: string }
  | { ok: false; message: string; looked: string[] };

const NAME = 'kernel-bridge';

export const INSTALL_HINT =
  'Install it into a Python environment (`python3 -m pip install kernel-bridge`, or `pip install -e .` in a kernel-bridge checkout) ' +
  'and either put that environment on PATH or set "kernelBridge.path" to its `bin/kernel-bridge`.';

function exe(platform: NodeJS.Platform, name: string): string[] {
  return platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name];
}

function binDir(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'Scripts' : 'bin';
}

export function resolveBridgeCommand(inputs: SearchInputs, probe: Probe): Resolution {
  const looked: string[] = [];
  const p = inputs.platform === 'win32' ? path.win32 : path.posix;
  const configured = inputs.configured.trim();
  if (configured) {
    const isPath = configured.includes('/') || configured.includes('\\');
    if (isPath) {
      looked.push(configured);
      if (probe.isExecutable(configured)) return { ok: true, command: configured, how: 'kernelBridge.path' };
      return {
        ok: false,
        looked,
        message: `The "kernelBridge.path" setting points to ${configured}, which is not an executable file. ${INSTALL_HINT}`,
      };
    }
    const found = searchPath(configured, inputs, probe, looked);
    if (found) return { ok: true, command: found, how: 'kernelBridge.path on PATH' };
    return {
      ok: false,
      looked,
      message: `The "kernelBridge.path" setting names "${configured}", which is not on PATH. ${INSTALL_HINT}`,
    };
  }
  const onPath = searchPath(NAME, inputs, probe, looked);
  if (onPath) return { ok: true, command: onPath, how: 'PATH' };
  for (const interpreter of inputs.pythonInterpreters) {
    if (!interpreter || !(interpreter.includes('/') || interpreter.includes('\\'))) continue;
    for (const name of exe(inputs.platform, NAME)) {
      const candidate = p.join(p.dirname(interpreter), name);
      looked.push(candidate);
      if (probe.isExecutable(candidate)) return { ok: true, command: candidate, how: `beside ${interpreter}` };
    }
  }
  for (const folder of inputs.workspaceFolders) {
    for (const venv of ['.venv', 'venv', 'env']) {
      for (const name of exe(inputs.platform, NAME)) {
        const candidate = p.join(folder, venv, binDir(inputs.platform), name);
        looked.push(candidate);
        if (probe.isExecutable(candidate)) return { ok: true, command: candidate, how: `workspace ${venv}` };
      }
    }
  }
  return {
    ok: false,
    looked,
    message: `kernel-bridge was not found (not on PATH, not beside the selected Python interpreter, not in a workspace .venv). ${INSTALL_HINT}`,
  };
}

function searchPath(name: string, inputs: SearchInputs, probe: Probe, looked: string[]): string | undefined {
  const p = inputs.platform === 'win32' ? path.win32 : path.posix;
  const sep = inputs.platform === 'win32' ? ';' : ':';
  for (const dir of (inputs.pathEnv ?? '').split(sep)) {
    if (!dir) continue;
    for (const file of exe(inputs.platform, name)) {
      const candidate = p.join(dir, file);
      looked.push(candidate);
      if (probe.isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** The message for a bridge that started but then failed (exited, or did not answer `initialize`). */
export function brokenBridgeMessage(command: string, exitCode: number | null, signal: string | null, stderrTail: string): string {
  const how = exitCode !== null ? `exited with code ${exitCode}` : signal ? `was killed by ${signal}` : 'stopped answering';
  const tail = stderrTail.trim().split('\n').slice(-3).join(' ⏎ ');
  let hint = 'Check the "Kernel Bridge" output channel; reinstall kernel-bridge in its environment, or point "kernelBridge.path" at a working one.';
  if (/ModuleNotFoundError|ImportError|No module named/.test(stderrTail)) {
    hint = `Its Python environment is missing packages: reinstall it there (\`pip install --force-reinstall kernel-bridge\`) or point "kernelBridge.path" at a working one.`;
  } else if (/unrecognized arguments|usage:/.test(stderrTail)) {
    hint = 'Check the "kernelBridge.args" setting.';
  }
  return `kernel-bridge (${command}) ${how}${tail ? `: ${tail}` : ''}. ${hint}`;
}

export interface VersionCheck {
  /** Set when the process could not be started at all (ENOENT, EACCES…). */
  spawnError?: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * What is wrong with `command`, judged by running `command --version` before speaking LSP to
 * it; undefined if it is a working kernel-bridge. A broken environment (a missing module, a
 * wrong interpreter) fails here with a readable error instead of a dropped pipe.
 */
export function versionProblem(command: string, check: VersionCheck): string | undefined {
  if (check.spawnError) return `could not run ${command}: ${check.spawnError}. ${INSTALL_HINT}`;
  if (check.exitCode !== 0) return brokenBridgeMessage(command, check.exitCode, check.signal, check.stderr || check.stdout);
  if (!/^kernel-bridge \S+/m.test(check.stdout)) {
    const printed = (check.stdout || check.stderr).trim().split('\n')[0] ?? '';
    return `${command} does not look like kernel-bridge (\`--version\` printed "${printed.slice(0, 80)}"). ${INSTALL_HINT}`;
  }
  return undefined;
}
