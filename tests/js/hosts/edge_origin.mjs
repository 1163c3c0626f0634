// The origin behind the edge worker in tests/js/edge.test.mjs: node:http on 127.0.0.1 with an
// HTML page carrying placements in text and attribute contexts, and every kind of response
// the worker must pass through untouched. Responses are fixed bytes, so a test can compare
// what came through the worker with what the origin sent.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Edge test page</title>
</head>
<body>
<section id="hero" data-attune-placement="hero">
  <h1 id="hero-headline" data-attune-field="headline">Default headline</h1>
  <a id="hero-link" href="/default" title="Default title" data-attune-attr="href:url,title:cta,data-label:headline">Default link</a>
  <img id="hero-img" src="/default.png" alt="Default alt" data-attune-attr="src:img,alt:headline,onerror:headline,style:headline,srcset:img,ONCLICK:headline">
  <script id="hero-script" data-attune-field="headline">var fromOrigin = 1;</script>
  <textarea id="hero-textarea" data-attune-field="cta">Default textarea</textarea>
</section>
<p id="banner" data-attune-placement="banner" data-attune-field="text">Default banner</p>
<p id="promo" data-attune-placement="promo"><span id="promo-text" data-attune-field="text">Default promo</span></p>
<p id="capped" data-attune-placement="capped"><span id="capped-text" data-attune-field="text">Default capped</span></p>
<p id="tz" data-attune-placement="tz"><span id="tz-text" data-attune-field="text">Default tz</span></p>
<p id="outside" data-attune-field="headline">Outside every placement</p>
</body>
</html>
`;

export const NO_HEAD_PAGE = `<p id="banner" data-attune-placement="banner" data-attune-field="text">Default banner</p>
<body><p id="tz" data-attune-placement="tz"><span id="tz-text" data-attune-field="text">Default tz</span></p></body>
`;

// Deterministic pseudo-random bytes: a binary body with every byte value in it.
function bytes(n, seed) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i += 1) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytes(64 * 1024, 7)]);
const JSON_BODY = Buffer.from('{"items":[1,2,3],"html":"<p data-attune-placement=\\"hero\\">x</p>"}');
const NOT_FOUND = Buffer.from(PAGE.replace('Default headline', 'Not found'));
const GZIP_PAGE = gzipSync(Buffer.from(PAGE));
const DEFLATE_PAGE = deflateSync(Buffer.from(PAGE));
const LATIN1_PAGE = Buffer.from(PAGE.replace('utf-8', 'iso-8859-1').replace('Default headline', 'Caf\u00e9'), 'latin1');
const ETAG = '"page-v1"';

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

export async function startEdgeOrigin() {
  const requests = [];
  let releaseSlow = () => {};
  let slowTailSent = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://origin.invalid');
    requests.push({ method: req.method, path: url.pathname, headers: req.headers });
    const html = (body, extra = {}) => {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'public, max-age=300',
        Vary: 'Accept-Encoding',
        ETag: ETAG,
        'Set-Cookie': 'session=origin-session; Path=/; HttpOnly',
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    switch (url.pathname) {
      case '/health':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      case '/page':
        if (req.headers['if-none-match'] === ETAG) {
          res.writeHead(304, { ETag: ETAG }).end();
          return;
        }
        html(PAGE);
        return;
      case '/only-hero':
        html(PAGE, { 'Attune-Placements': 'hero' });
        return;
      case '/no-placements':
        html(PAGE, { 'Attune-Placements': '' });
        return;
      case '/no-head':
        html(NO_HEAD_PAGE);
        return;
      case '/api.json':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': JSON_BODY.length }).end(JSON_BODY);
        return;
      case '/image.png':
        res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': PNG.length }).end(PNG);
        return;
      case '/missing':
        res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' }).end(NOT_FOUND);
        return;
      case '/error':
        res.writeHead(500, { 'Content-Type': 'text/html; charset=utf-8' }).end(NOT_FOUND);
        return;
      case '/gzip':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': 'gzip' }).end(GZIP_PAGE);
        return;
      case '/deflate':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': 'deflate' }).end(DEFLATE_PAGE);
        return;
      case '/latin1':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=iso-8859-1' }).end(LATIN1_PAGE);
        return;
      case '/redirect':
        res.writeHead(302, { Location: '/page?from=redirect' }).end();
        return;
      case '/echo': {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(Buffer.concat(chunks));
        });
        return;
      }
      case '/slow': {
        // The head and the hero now, the rest only when the test releases it.
        slowTailSent = false;
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        const cut = PAGE.indexOf('<p id="banner"');
        res.write(PAGE.slice(0, cut));
        const timer = setTimeout(() => releaseSlow(), 10_000);  // never hang a test run
        releaseSlow = () => {
          clearTimeout(timer);
          releaseSlow = () => {};
          slowTailSent = true;
          res.end(PAGE.slice(cut));
        };
        return;
      }
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such test route');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodies: { PNG, JSON_BODY, NOT_FOUND, LATIN1_PAGE, PAGE: Buffer.from(PAGE), DEFLATE_PAGE },
    releaseSlow: () => releaseSlow(),
    slowTailSent: () => slowTailSent,
    close: () =>
      new Promise((resolve) => {
        releaseSlow();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
