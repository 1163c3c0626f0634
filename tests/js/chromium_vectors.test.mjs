// The shared vectors in real headless Chromium: the page imports the shipped package over
// HTTP, which streams the wasm from next to itself. Every case must pass and give exactly
// what Node gives.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  REPO_ROOT,
  assertBuilt,
  brief,
  listVectorCases,
  loadNodeAttune,
  readVectorFiles,
} from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';
import { deepEqual, runVectors } from './run_vectors.mjs';
import { launchChromium } from './hosts/chromium.mjs';

const TIMEOUT_MS = 20_000;
const files = readVectorFiles();
const cases = listVectorCases(files);
let server;
let browser;
let page;
const pageProblems = [];
let chromiumRun;
let nodeResults;

before(async () => {
  assertBuilt();
  nodeResults = await runVectors(await loadNodeAttune(), files);
  server = await startStaticServer(REPO_ROOT, 'tests/js/hosts/vectors.html');
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') pageProblems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
  await page.goto(`${server.url}?files=${Object.keys(files).join(',')}`, { timeout: TIMEOUT_MS });
  try {
    await page.waitForFunction(() => window.attuneVectors !== undefined, null, { timeout: TIMEOUT_MS });
  } catch (e) {
    throw new Error(`the vectors page did not finish: ${e.message}\n${pageProblems.join('\n')}`);
  }
  chromiumRun = await page.evaluate(() => window.attuneVectors);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page loads the package without errors', () => {
  assert.equal(chromiumRun.error, undefined, chromiumRun.error);
  assert.deepEqual(pageProblems, []);
  assert.equal(typeof chromiumRun.version, 'string');
});

test('the wasm is streamed with its MIME type from next to the package', () => {
  const wasm = server.requests.filter((r) => r.path.endsWith('.wasm'));
  assert.deepEqual(wasm, [{ path: '/web/dist/attune.wasm', status: 200, type: 'application/wasm' }]);
  assert.ok(server.requests.every((r) => r.status === 200), brief(server.requests));
});

test('the page reports every case', () => {
  assert.deepEqual(
    chromiumRun.results.map((r) => `${r.file}/${r.name}`),
    cases.map((c) => `${c.file}/${c.name}`),
  );
});

cases.forEach((c, i) => {
  test(`chromium ${c.file}: ${c.name}`, () => {
    const r = chromiumRun.results[i];
    const n = nodeResults[i];
    assert.ok(r.pass, `got:      ${brief(r.got)}\nexpected: ${brief(r.expected)}`);
    assert.ok(deepEqual(r.got, n.got), `chromium: ${brief(r.got)}\nnode:     ${brief(n.got)}`);
  });
});
