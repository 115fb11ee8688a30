// Reading the extension's settings (as rust-analyzer's config.ts): `setting('output.maxRuns')`,
// with the default from settingDefaults.ts, so no call site repeats a default that went stale.

import * as vscode from 'vscode';
import { DEFAULTS, SECTION } from './settingDefaults';

export { SECTION };

export type SettingName = keyof typeof DEFAULTS;

/** The setting's value now (user, workspace or default). */
export function setting<K extends SettingName>(name: K): (typeof DEFAULTS)[K] {
  return vscode.workspace.getConfiguration(SECTION).get<(typeof DEFAULTS)[K]>(name, DEFAULTS[name]);
}

/** Whether a configuration change touches one of `names`. */
export function affects(e: vscode.ConfigurationChangeEvent, ...names: SettingName[]): boolean {
  return names.some((name) => e.affectsConfiguration(`${SECTION}.${name}`));
}
