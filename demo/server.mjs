// Serves the demo page on 127.0.0.1: the static files of demo/ and web/ (the page imports
// the package from ../web/), nothing else, with the MIME types browsers insist on (module
// scripts, streaming Wasm compilation). No server logic: every decision is made in the page.
//
//   node demo/server.mjs              # port $DEMO_PORT or 8080; a free port if that is taken
//   node demo/server.mjs --port 0     # any free port
//
// Prints the URL and runs until Ctrl-C. Tests import startDemoServer().

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVED_DIRS = ['demo', 'web'];
const DEFAULT_PORT = 8080;
// The page's own modules, Wasm and worker only: no inline script or style, no plugins,
// frames or <base>; even a slip into innerHTML somewhere could not run anything.
export const PAGE_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
  + "style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
  + "frame-ancestors 'none'; form-action 'none'";

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

// The file a request path names, or null: only under demo/ and web/, no "..", known types.
export function resolveRequest(pathname, root = REPO_ROOT) {
  let path;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path.endsWith('/')) path += 'index.html';
  const relative = normalize(path.replace(/^\/+/, ''));
  const parts = relative.split(sep);
  if (parts.includes('..') || !SERVED_DIRS.includes(parts[0]) || parts.length < 2) return null;
  const type = MIME_TYPES[extname(relative).toLowerCase()];
  if (!type) return null;
  return { file: join(root, relative), type };
}

export async function startDemoServer({ port = DEFAULT_PORT, host = '127.0.0.1', root = REPO_ROOT, fallback = true } = {}) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const entry = { path: url.pathname, status: 0 };
    requests.push(entry);
    if (requests.length > 10_000) requests.shift();
    const send = (status, headers, body) => {
      entry.status = status;
      res.writeHead(status, { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }, 'method not allowed');
    if (url.pathname === '/' || url.pathname === '/demo') return send(302, { location: '/demo/' }, '');
    const target = resolveRequest(url.pathname, root);
    if (!target) return send(404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found');
    try {
      if (!(await stat(target.file)).isFile()) return send(404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found');
      const headers = { 'content-type': target.type };
      if (target.type.startsWith('text/html')) headers['content-security-policy'] = PAGE_CSP;
      return send(200, headers, await readFile(target.file));
    } catch {
      return send(404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found');
    }
  });
  const listen = (p) => new Promise((resolve, reject) => {
    const onError = (e) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(p, host);
  });
  let fellBack = false;
  try {
    await listen(port);
  } catch (e) {
    if (!fallback || port === 0 || e.code !== 'EADDRINUSE') throw e;
    fellBack = true;
    await listen(0);
  }
  const actual = server.address().port;
  return {
    url: `http://${host}:${actual}/demo/`,
    port: actual,
    fellBack,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function parsePort(text) {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(n) || n < 0 || n > 65535) return null;
  return n;
}

async function main(argv) {
  const flag = argv.indexOf('--port');
  const requested = flag >= 0 ? argv[flag + 1] : process.env.DEMO_PORT;
  let port = DEFAULT_PORT;
  if (requested !== undefined && requested !== '') {
    port = parsePort(requested);
    if (port === null) {
      console.error(`demo: the port must be a whole number from 0 to 65535, not "${requested}"`);
      process.exit(2);
    }
  }
  const demo = await startDemoServer({ port });
  if (demo.fellBack) console.log(`demo: port ${port} is in use; using the free port ${demo.port}`);
  console.log(`Attune demo: ${demo.url}`);
  console.log('(serving demo/ and web/ on 127.0.0.1 only; Ctrl-C stops it)');
  const stop = () => demo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`demo: cannot start the server: ${e.message}`);
    process.exit(1);
  });
}
