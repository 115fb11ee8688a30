import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { KERNEL_LANGUAGE_IDS, kernelFitsLanguage, vscodeLanguageId } from '../../src/languages';

// Bundled into out/test/unit/: the manifest is three folders up.
const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));

test("a file of any kernel language activates the extension: activationEvents are languages.ts's list", () => {
  assert.deepEqual(
    manifest.activationEvents,
    KERNEL_LANGUAGE_IDS.map((id) => `onLanguage:${id}`),
  );
  for (const kernelLanguage of ['python', 'R', 'julia', 'typescript', 'javascript', 'bash', 'C++', 'octave', 'scala', 'rust']) {
    const id = vscodeLanguageId(kernelLanguage);
    assert.ok((KERNEL_LANGUAGE_IDS as readonly string[]).includes(id), `${kernelLanguage} (${id}) activates the extension`);
  }
});

test('keys work in every language the kernelspecs speak (the kernelBridge.languages context), not only Python', () => {
  const bindings: { command: string; when?: string }[] = manifest.contributes.keybindings;
  for (const command of ['kernelBridge.runSelection', 'kernelBridge.runCell', 'kernelBridge.runFile']) {
    const binding = bindings.find((b) => b.command === command);
    assert.match(binding?.when ?? '', /editorLangId in kernelBridge\.languages/, command);
  }
});

test('a kernelspec fits a document by its language mapped to VS Code ids', () => {
  assert.ok(kernelFitsLanguage('bash', 'shellscript'), "bash_kernel's language is bash; VS Code calls it shellscript");
  assert.ok(kernelFitsLanguage('R', 'r'));
  assert.ok(kernelFitsLanguage('python3', 'python'));
  assert.ok(kernelFitsLanguage('python', 'python'));
  assert.ok(!kernelFitsLanguage('javascript', 'typescript'));
  assert.ok(!kernelFitsLanguage('python', 'r'));
});
