// The demo's static server as scripts/demo.sh runs it (`node demo/server.mjs`): it prints
// the URL, serves the page and the package with the right MIME types on 127.0.0.1 only,
// refuses everything outside demo/ and web/, falls back to a free port when DEMO_PORT is
// taken, refuses a bad port, and stops cleanly on SIGTERM.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

import { startDemoServer } from '../../demo/server.mjs';
import { REPO_ROOT } from './hosts/node_host.mjs';

const SERVER = join(REPO_ROOT, 'demo', 'server.mjs');

// Starts the CLI; resolves with {child, url, output} once it printed its URL.
function startCli(args, env = {}) {
  const child = spawn(process.execPath, [SERVER, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 10 s: ${output}`)), 10_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /Attune demo: (http:\/\/127\.0\.0\.1:\d+\/demo\/)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => output });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${output}`));
    });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.kill('SIGTERM');
  });
}

test('the CLI prints its URL and serves the page, the modules and the Wasm with their MIME types', async () => {
  const { child, url } = await startCli(['--port', '0']);
  try {
    const origin = new URL(url).origin;
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await page.text(), /<script type="module" src="app.mjs">/);
    const expected = {
      '/demo/app.mjs': 'text/javascript; charset=utf-8',
      '/demo/style.css': 'text/css; charset=utf-8',
      '/demo/campaigns.json': 'application/json; charset=utf-8',
      '/web/attune.mjs': 'text/javascript; charset=utf-8',
      '/web/dist/attune.wasm': 'application/wasm',
      '/web/attune.schema.json': 'application/json; charset=utf-8',
    };
    for (const [path, type] of Object.entries(expected)) {
      const r = await fetch(origin + path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), type, path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      await r.arrayBuffer();
    }
    const root = await fetch(`${origin}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/demo/');
    for (const path of ['/package.json', '/demo/../package.json', '/demo/%2e%2e/package.json', '/tests/js/demo_server.test.mjs', '/demo/nope.mjs', '/build/attune']) {
      const r = await fetch(origin + path);
      assert.equal(r.status, 404, path);
      await r.arrayBuffer();
    }
    const post = await fetch(url, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
  } finally {
    const { code } = await stop(child);
    assert.equal(code, 0, 'a clean exit on SIGTERM');
  }
});

test('a taken DEMO_PORT falls back to a free port; a bad one is refused', async () => {
  const taken = await startDemoServer({ port: 0 });
  try {
    const { child, url, output } = await startCli([], { DEMO_PORT: String(taken.port) });
    assert.notEqual(new URL(url).port, String(taken.port));
    assert.match(output(), new RegExp(`port ${taken.port} is in use; using the free port \\d+`));
    await stop(child);
  } finally {
    await taken.close();
  }
  const busy = await startDemoServer({ port: 0 });
  await assert.rejects(startDemoServer({ port: busy.port, fallback: false }), { code: 'EADDRINUSE' });
  await busy.close();
  const bad = spawn(process.execPath, [SERVER], { env: { ...process.env, DEMO_PORT: '70000' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  bad.stderr.setEncoding('utf8').on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise((resolve) => bad.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /the port must be a whole number from 0 to 65535, not "70000"/);
});
