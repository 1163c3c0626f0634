// The origin side: where a request goes, and which origin responses may be rewritten. Every
// response that is not rewritten is returned exactly as the origin sent it (status, headers,
// body stream untouched).

import { PLACEMENTS_HEADER, splitPlacementList } from './settings.mjs';

// Content codings workerd decodes for the rewriter and encodes again on the way out. Any other
// (deflate, zstd, a private one) reaches HTMLRewriter as compressed bytes it would mangle.
const DECODED_ENCODINGS = new Set(['', 'identity', 'gzip', 'x-gzip', 'br']);

// Marks requests this worker sends. Without ATTUNE_ORIGIN the worker fetches the URL it was
// called on: behind a Cloudflare route that reaches the origin, but on a local workerd it
// reaches the worker again — the marker stops that loop at the first repeat.
export const HOP_HEADER = 'Attune-Edge-Hop';

export function isLoop(request, settings) {
  return !settings.origin && request.headers.has(HOP_HEADER);
}

// `incoming`: the request's URL, parsed (the caller needs it too).
export function originRequest(request, settings, incoming = new URL(request.url)) {
  if (!settings.origin) {
    const headers = new Headers(request.headers);
    headers.set(HOP_HEADER, '1');
    return new Request(request, { headers, redirect: 'manual' });
  }
  const target = new URL(incoming.pathname + incoming.search, settings.origin);
  const headers = new Headers(request.headers);
  headers.set('X-Forwarded-Host', incoming.host);
  headers.set('X-Forwarded-Proto', incoming.protocol.replace(':', ''));
  return new Request(target, {
    method: request.method,
    headers,
    body: request.body,
    redirect: 'manual',
  });
}

// Why this response passes through unchanged, or '' when it is a page to personalise.
export function passThroughReason(request, response) {
  if (request.method !== 'GET') return `method ${request.method}`;
  if (response.status !== 200) return `status ${response.status}`;
  const type = (response.headers.get('Content-Type') || '').toLowerCase();
  if (type === 'text/html; charset=utf-8' || type === 'text/html') return encodingReason(response);
  const [mime, ...params] = type.split(';').map((s) => s.trim());
  if (mime !== 'text/html') return `content type ${mime || 'none'}`;
  const charset = params.find((p) => p.startsWith('charset='));
  if (charset && !/^charset="?utf-8"?$/.test(charset)) return `charset ${charset.slice(8)}`;
  return encodingReason(response);
}

function encodingReason(response) {
  const encoding = (response.headers.get('Content-Encoding') || '').trim().toLowerCase();
  if (!DECODED_ENCODINGS.has(encoding)) return `content encoding ${encoding}`;
  if (!response.body) return 'no body';
  return '';
}

// The placements this page carries, in order: the origin's Attune-Placements header when it
// sent one ("" = none), else ATTUNE_PLACEMENTS, else every placement of the config. Unknown
// ids are dropped.
// Without the header the answer is the same for every page: it is worked out once per config
// and settings, and the same frozen array returned (decide.mjs keeps its JSON by identity).
export function pagePlacements(response, settings, configPlacements) {
  const header = response.headers.get(PLACEMENTS_HEADER);
  const config = configLists(configPlacements);
  if (header !== null) return splitPlacementList(header).filter((id) => config.known.has(id));
  if (config.settings !== settings) {
    config.settings = settings;
    config.list = Object.freeze((settings.placements || configPlacements).filter((id) => config.known.has(id)));
  }
  return config.list;
}

const configs = new WeakMap();  // a config's placement ids → {known: Set, settings, list}

function configLists(configPlacements) {
  let config = configs.get(configPlacements);
  if (!config) {
    config = { known: new Set(configPlacements), settings: null, list: null };
    configs.set(configPlacements, config);
  }
  return config;
}

// The origin's response with its internal header removed, body untouched.
export function withoutInternalHeaders(response) {
  if (!response.headers.has(PLACEMENTS_HEADER)) return response;
  const headers = new Headers(response.headers);
  headers.delete(PLACEMENTS_HEADER);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
