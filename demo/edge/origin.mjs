// A stand-in origin for local runs of the edge worker (scripts/edge.sh): serves the demo page
// for every HTML path, /health for readiness checks, and a JSON endpoint that the worker
// passes through untouched. Binds 127.0.0.1 only.
//
//   node demo/edge/origin.mjs [--port 8788]

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const page = readFileSync(new URL('./index.html', import.meta.url));
const at = process.argv.indexOf('--port');
const port = Number(at > 0 ? process.argv[at + 1] : process.env.PORT || 8788);

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://origin.invalid');
  if (pathname === '/health') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  } else if (pathname === '/api/status') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true,"served":"origin"}');
  } else if (pathname === '/favicon.ico') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  } else {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'public, max-age=60' });
    res.end(req.method === 'HEAD' ? undefined : page);
  }
});
server.listen(port, '127.0.0.1', () => console.log(`origin: http://127.0.0.1:${port}/`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
