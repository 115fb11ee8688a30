// Every setting of the extension and its default, in one place: package.json declares them
// for VS Code's settings UI, and test/unit/config.test.ts checks that the two agree. No
// `vscode` import, so that unit tests can read it.

export const SECTION = 'kernelBridge';

export const DEFAULTS = {
  path: '',
  args: [] as string[],
  defaultKernel: '',
  startupTimeout: 60,
  'output.limitBytes': 4194304,
  'output.maxTextLength': 200_000,
  'output.maxRuns': 50,
  'output.revealOnRun': true,
  'inline.maxLength': 120,
  /** `kernelBridge.servers` as written (servers.ts reads it). */
  servers: {} as unknown,
  server: '',
  'sidecar.open': 'simpleBrowser' as 'simpleBrowser' | 'browser' | 'none',
};
