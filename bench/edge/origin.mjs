#!/usr/bin/env node
// The origin behind the three edge workers: serves bench/edge/origin.html for every GET path
// (the page's audiences read the path, the page itself is the same), on 127.0.0.1 and a free
// port. Run as its own process so the load generator and the origin never share an event
// loop. Prints one JSON line `{"port": N}` once listening; stops on SIGTERM/SIGINT or when
// its parent goes away (stdin closes).
import fs from 'node:fs';
import http from 'node:http';

const page = fs.readFileSync(new URL('./origin.html', import.meta.url));
const headers = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Length': String(page.length),
  // What a CMS typically sends for a public page; the personalizing worker must override it.
  'Cache-Control': 'public, max-age=300',
  'X-Origin': 'bench',
};

let served = 0;
const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  served++;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : page);
});
// Longer than any bench round, so workerd's pooled connections are not cut mid-run.
server.keepAliveTimeout = 60_000;

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  process.stderr.write(`origin: served ${served} pages\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
