import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULTS, SECTION } from '../../src/settingDefaults';

test("every setting's default is package.json's, and every setting of package.json has one", () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
  const sections = [manifest.contributes.configuration].flat();
  const declared: Record<string, unknown> = {};
  for (const section of sections) {
    for (const [key, spec] of Object.entries(section.properties as Record<string, { default: unknown }>)) {
      declared[key.slice(SECTION.length + 1)] = spec.default;
    }
  }
  assert.deepEqual(Object.keys(DEFAULTS).sort(), Object.keys(declared).sort());
  for (const [name, value] of Object.entries(DEFAULTS)) assert.deepEqual(value, declared[name], name);
});
