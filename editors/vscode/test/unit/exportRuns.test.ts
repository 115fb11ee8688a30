import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportRuns, suggestedPath, type ExportDialogs, type ExportScope, type ScopeChoice } from '../../src/exportRuns';
import { Requests, type ExportNotebookParams } from '../../src/protocol';

/** Dialogs that answer as told and remember what they were asked. */
function dialogs(runs: ExportScope | undefined, file: string | undefined) {
  const asked: { choices?: ScopeChoice[]; suggested?: string | undefined; pathAsked: boolean } = { pathAsked: false };
  const ui: ExportDialogs = {
    async chooseRuns(choices) {
      asked.choices = choices;
      return runs;
    },
    async choosePath(suggested) {
      asked.pathAsked = true;
      asked.suggested = suggested;
      return file;
    },
  };
  return { ui, asked };
}

function recorder() {
  const sent: ExportNotebookParams[] = [];
  const send = async (params: ExportNotebookParams) => {
    sent.push(params);
    return { path: params.path, cells: 3 };
  };
  return { sent, send };
}

const doc = { uri: 'file:///work/analysis.py', file: '/work/analysis.py' };

test('the request is jupyter/exportNotebook', () => {
  assert.equal(Requests.exportNotebook.method, 'jupyter/exportNotebook');
});

test("a document's runs: kernelId, the document's uri, the chosen path and runs 'document'", async () => {
  const { ui, asked } = dialogs('document', '/work/out/analysis.ipynb');
  const { sent, send } = recorder();
  const result = await exportRuns({ kernelId: 'k1', kernelName: 'Python 3', document: doc }, ui, send);
  assert.deepEqual(sent, [{ kernelId: 'k1', path: '/work/out/analysis.ipynb', runs: 'document', uri: 'file:///work/analysis.py' }]);
  assert.deepEqual(result, { path: '/work/out/analysis.ipynb', cells: 3 });
  assert.deepEqual(
    asked.choices?.map((c) => [c.label, c.runs]),
    [
      ['Runs of analysis.py', 'document'],
      ['All runs on Python 3', 'all'],
    ],
    "this file's runs are offered first",
  );
  assert.equal(asked.suggested, '/work/analysis.ipynb', 'the notebook is suggested beside the file, named after it');
});

test("all runs of the kernel: no uri in the params, runs 'all'", async () => {
  const { ui } = dialogs('all', '/tmp/all.ipynb');
  const { sent, send } = recorder();
  await exportRuns({ kernelId: 'k1', kernelName: 'Python 3', document: doc }, ui, send);
  assert.deepEqual(sent, [{ kernelId: 'k1', path: '/tmp/all.ipynb', runs: 'all' }]);
});

test('without a document on the kernel, no question about which runs: all of them', async () => {
  const { ui, asked } = dialogs(undefined, '/ws/Python-3-runs.ipynb');
  const { sent, send } = recorder();
  await exportRuns({ kernelId: 'k2', kernelName: 'Python 3', folder: '/ws' }, ui, send);
  assert.equal(asked.choices, undefined);
  assert.equal(asked.suggested, '/ws/Python-3-runs.ipynb');
  assert.deepEqual(sent, [{ kernelId: 'k2', path: '/ws/Python-3-runs.ipynb', runs: 'all' }]);
});

test('cancelling either dialog sends nothing', async () => {
  const { sent, send } = recorder();
  const noScope = dialogs(undefined, '/tmp/x.ipynb');
  assert.equal(await exportRuns({ kernelId: 'k1', kernelName: 'K', document: doc }, noScope.ui, send), undefined);
  assert.equal(noScope.asked.pathAsked, false);
  const noPath = dialogs('document', undefined);
  assert.equal(await exportRuns({ kernelId: 'k1', kernelName: 'K', document: doc }, noPath.ui, send), undefined);
  assert.deepEqual(sent, []);
});

test('suggested paths: beside the file, else in the folder named for the kernel, else none', () => {
  assert.equal(suggestedPath({ kernelId: 'k', kernelName: 'K', document: { uri: 'file:///a/b.R', file: '/a/b.R' } }), '/a/b.ipynb');
  assert.equal(suggestedPath({ kernelId: 'k', kernelName: 'Python 3 (ipykernel) on lab', folder: '/ws' }), '/ws/Python-3-ipykernel-on-lab-runs.ipynb');
  assert.equal(suggestedPath({ kernelId: 'k', kernelName: 'K', document: { uri: 'untitled:Untitled-1' } }), undefined);
});
