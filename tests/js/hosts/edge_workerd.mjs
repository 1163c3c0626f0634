// workerd for the edge tests: lays out a bundle of the edge worker (web/edge/*.mjs, the
// package's dist and lib modules it imports) with one worker per named config, each on its
// own socket, and starts `workerd serve` with every socket on a free 127.0.0.1 port. All
// waits are bounded; stop() ends the process by PID.

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

import { DIST_DIR, REPO_ROOT, WEB_DIR } from './node_host.mjs';

const WORKERD = join(REPO_ROOT, 'node_modules', '.bin', 'workerd');
export const EDGE_DIR = join(WEB_DIR, 'edge');
// The package modules the worker imports besides its own directory.
const PACKAGE_MODULES = [
  ['dist/attune.mjs', 'esModule', join(DIST_DIR, 'attune.mjs')],
  ['dist/attune.wasm', 'wasm', join(DIST_DIR, 'attune.wasm')],
  ['lib/instantiate.mjs', 'esModule', join(WEB_DIR, 'lib', 'instantiate.mjs')],
  ['lib/traps.mjs', 'esModule', join(WEB_DIR, 'lib', 'traps.mjs')],
  ['lib/boundary.mjs', 'esModule', join(WEB_DIR, 'lib', 'boundary.mjs')],
  ['lib/markup.mjs', 'esModule', join(WEB_DIR, 'lib', 'markup.mjs')],
];

export function edgeModuleFiles() {
  return readdirSync(EDGE_DIR).filter((f) => f.endsWith('.mjs')).sort();
}

// workers: {socketName: {config: object | string (JSON text), env: {NAME: text},
// replace: {moduleName: source text}}}; `replace` swaps a module for fault injection (a fake
// dist/attune.mjs whose engine traps) without touching the worker's own code.
export function writeEdgeBundle(dir, workers) {
  const copy = (name, source) => {
    const target = join(dir, name);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target);
  };
  const shared = [];
  for (const file of edgeModuleFiles()) {
    copy(`edge/${file}`, join(EDGE_DIR, file));
    shared.push(`(name = "edge/${file}", esModule = embed "edge/${file}")`);
  }
  for (const [name, kind, source] of PACKAGE_MODULES) {
    copy(name, source);
    shared.push(`(name = "${name}", ${kind} = embed "${name}")`);
  }
  // worker.mjs must be the first module: it is the entry point.
  shared.sort((a, b) => Number(b.includes('"edge/worker.mjs"')) - Number(a.includes('"edge/worker.mjs"')));

  const services = [];
  const sockets = [];
  const definitions = [];
  for (const [socket, { config, env = {}, replace = {} }] of Object.entries(workers)) {
    const configFile = `configs/${socket}.json`;
    mkdirSync(join(dir, 'configs'), { recursive: true });
    const modules = shared.map((line) => {
      const name = /name = "([^"]+)"/.exec(line)[1];
      if (!(name in replace)) return line;
      const file = `replaced/${socket}/${name}`;
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), replace[name]);
      return line.replace(/embed "[^"]+"/, `embed "${file}"`);
    });
    writeFileSync(join(dir, configFile), typeof config === 'string' ? config : JSON.stringify(config));
    const bindings = Object.entries(env).map(([k, v]) => `(name = ${capnpString(k)}, text = ${capnpString(v)})`);
    services.push(`(name = "${socket}", worker = .${socket}Worker)`);
    sockets.push(`(name = "${socket}", address = "127.0.0.1:0", http = (), service = "${socket}")`);
    definitions.push(`const ${socket}Worker :Workerd.Worker = (
  modules = [
    ${[...modules, `(name = "edge/config.json", json = embed "${configFile}")`].join(',\n    ')}
  ],
  compatibilityDate = "2026-11-01",
  bindings = [ ${bindings.join(', ')} ],
  globalOutbound = "loopback",
);`);
  }
  services.push('(name = "loopback", network = (allow = ["local"]))');
  const text = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ ${services.join(', ')} ],
  sockets = [ ${sockets.join(', ')} ],
);

${definitions.join('\n\n')}
`;
  const path = join(dir, 'edge.capnp');
  writeFileSync(path, text);
  return { path, sockets: Object.keys(workers) };
}

function capnpString(text) {
  return JSON.stringify(String(text));  // capnp text literals take JSON's escapes
}

// Starts workerd on `configPath` with each socket on a free port; resolves once every socket
// answers an HTTP request.
export async function startEdgeWorkerd(configPath, socketNames, { env = {}, timeoutMs = 20_000 } = {}) {
  const ports = {};
  for (const name of socketNames) ports[name] = await freePort();
  const args = ['serve', configPath];
  for (const name of socketNames) args.push('--socket-addr', `${name}=127.0.0.1:${ports[name]}`);
  const child = spawn(WORKERD, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
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
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const urls = Object.fromEntries(socketNames.map((n) => [n, `http://127.0.0.1:${ports[n]}`]));
  const handle = {
    urls,
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
  for (const url of Object.values(urls)) {
    for (;;) {
      if (exited) throw new Error(`workerd exited during startup (${await exit}):\n${output}`);
      try {
        // Any HTTP answer means workerd is serving; the status is the worker's business.
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await handle.stop();
        throw new Error(`workerd did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return handle;
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

async function within(promise, ms) {
  let timer;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
