// Trap recovery in real headless Chromium (web/lib/recovery.mjs): the module streamed as a
// site loads it, a fresh instance started synchronously on the page's main thread after a
// real trap, the decision and the visitor (counts, consent record, localStorage) as they
// were, the report delivered, nothing thrown into the page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

import { REPO_ROOT, assertBuilt } from './hosts/node_host.mjs';
import { startStaticServer } from './hosts/static_server.mjs';

const TIMEOUT_MS = 30_000;
let server;
let browser;

before(async () => {
  assertBuilt();
  server = await startStaticServer(REPO_ROOT, 'tests/js/hosts/recovery_page.html');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: TIMEOUT_MS,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a trap on the page is recovered from: same decision, same visitor, reported', async () => {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => window.attuneRecovery !== undefined);
  const { before: was, after: now, stored } = await page.evaluate(() => window.attuneRecovery());

  assert.equal(was.decision.content.headline, 'Welcome back');
  assert.deepEqual(now.decision.content, was.decision.content);
  assert.deepEqual(now.tracked, { ok: true });
  assert.equal(now.pageViews, 3);
  assert.deepEqual(now.record, was.record);
  assert.equal(now.id, was.id);
  assert.equal(now.storage, 'local');
  assert.equal(now.health.status, 'ok');
  assert.equal(now.health.recoveries, 2);
  assert.equal(now.reports.length, 2);
  assert.ok(now.reports.every((r) => r.recovered && /^engine crashed: /.test(r.error)), JSON.stringify(now.reports));
  assert.equal(stored.pageViews, 3);
  assert.deepEqual(stored.record, was.record);
  assert.deepEqual(problems, []);
  await page.close();
});
