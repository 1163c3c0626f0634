// Starts `workerd serve` on a free 127.0.0.1 port and stops it by PID. All waits are
// bounded; stderr is kept for failure messages.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { REPO_ROOT } from './node_host.mjs';

const WORKERD = join(REPO_ROOT, 'node_modules', '.bin', 'workerd');

export async function startWorkerd(configPath, { timeoutMs = 20_000 } = {}) {
  const port = await freePort();
  const child = spawn(WORKERD, ['serve', configPath, '--socket-addr', `http=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  // A process that failed to spawn emits 'error' and never 'exit'.
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve(`${code ?? signal}`);
    });
    child.once('error', (e) => {
      keep(`spawn error: ${e.message}\n`);
      exited = true;
      resolve('spawn error');
    });
  });
  // Last resort if the test process ends without reaching `after` (e.g. a crash).
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const handle = {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      await within(exit, 5_000);
      if (!exited) child.kill('SIGKILL');
      await within(exit, 5_000);
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`workerd exited during startup (${await exit}):\n${output}`);
    try {
      const res = await fetch(`${handle.url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return handle;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`workerd did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await delay(100);
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Waits for `promise` at most `ms`, without leaving a timer behind.
async function within(promise, ms) {
  let timer;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
