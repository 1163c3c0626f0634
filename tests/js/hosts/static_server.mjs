// A minimal static file server for the browser tests, bound to 127.0.0.1 on a free port.
// Browsers are strict about MIME types (module scripts, streaming Wasm compilation), so
// they are set explicitly; everything else is refused rather than guessed.

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

// Serves files under `root`; `/` is `indexPath` (relative to root). `headers(path)` may add
// response headers (a Content-Security-Policy, say). Resolves to `{ url, requests, close }`
// where `requests` logs `{path, status, type}`.
export async function startStaticServer(root, indexPath, { headers = () => ({}) } = {}) {
  const requests = [];
  const server = createServer(async (req, res) => {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      path = req.url;
    }
    const entry = { path, status: 0, type: '' };
    requests.push(entry);
    const send = (status, type, body) => {
      entry.status = status;
      entry.type = type;
      res.writeHead(status, { ...(status === 200 ? headers(path) : {}), 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const relative = normalize(path === '/' ? indexPath : path.slice(1));
    const type = MIME_TYPES[extname(relative)];
    if (relative.startsWith('..') || relative.split(sep).includes('..') || !type) {
      return send(404, 'text/plain', 'not found');
    }
    try {
      const file = join(root, relative);
      if (!(await stat(file)).isFile()) return send(404, 'text/plain', 'not found');
      return send(200, type, await readFile(file));
    } catch {
      return send(404, 'text/plain', 'not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
