// The hand-off from an edge worker (docs/EDGE.md): a page the edge personalised carries
//   <script type="application/json" id="attune-edge">{"v": 1, "visitor": "<id>", "at": ms,
//     "cookie": "attune", "decisions": [{placement, campaign, variant, content, locale, dir,
//     token, holdout}, …]}</script>
// The browser module adopts those decisions — the content is already on the page, so
// deciding again could only make it flicker — and the state the edge left in the cookie.
// Impressions of adopted decisions were counted at the edge; reporting them here sends the
// exposure to the collector without counting twice.

export const EDGE_ELEMENT_ID = 'attune-edge';
const MAX_PAYLOAD = 256 * 1024;
const MAX_DECISIONS = 256;

// The payload from the page, or null when there is none. Malformed payloads are ignored
// with a reason (the page then decides in the browser as usual).
export function readEdgePayload(doc = globalThis.document) {
  let text;
  try {
    const el = doc && typeof doc.getElementById === 'function' ? doc.getElementById(EDGE_ELEMENT_ID) : null;
    if (!el) return { payload: null };
    text = String(el.textContent || '');
  } catch (e) {
    return { payload: null, reason: `the edge payload cannot be read: ${String(e && e.message ? e.message : e)}` };
  }
  return parseEdgePayload(text);
}

export function parseEdgePayload(text) {
  if (text.length > MAX_PAYLOAD) return { payload: null, reason: `the edge payload is over ${MAX_PAYLOAD} characters` };
  let raw;
  try {
    raw = JSON.parse(text);
  } catch {
    return { payload: null, reason: 'the edge payload is not JSON' };
  }
  const isText = (v, max = 1024) => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!raw || typeof raw !== 'object' || raw.v !== 1) return { payload: null, reason: 'the edge payload is not version 1' };
  if (!isText(raw.visitor, 256)) return { payload: null, reason: 'the edge payload has no visitor id' };
  if (!Number.isFinite(raw.at)) return { payload: null, reason: 'the edge payload has no time' };
  if (!Array.isArray(raw.decisions) || raw.decisions.length > MAX_DECISIONS) {
    return { payload: null, reason: 'the edge payload has no decisions list' };
  }
  const decisions = new Map();
  for (const d of raw.decisions) {
    if (!d || typeof d !== 'object' || !isText(d.placement, 128) || decisions.has(d.placement)) {
      return { payload: null, reason: 'the edge payload has a malformed decision' };
    }
    if (d.token !== null && !isText(d.token, 64)) return { payload: null, reason: 'the edge payload has a malformed token' };
    if (d.items !== undefined && (!Array.isArray(d.items) || d.items.some((i) => !i || !isText(i.token, 64)))) {
      return { payload: null, reason: 'the edge payload has malformed items' };
    }
    decisions.set(d.placement, d);
  }
  const cookie = isText(raw.cookie, 64) ? raw.cookie : undefined;
  return { payload: { visitor: raw.visitor, at: raw.at, cookie, decisions } };
}

// Every token the edge issued (and counted): the decisions' own and their items'.
export function edgeTokensOf(payload) {
  const tokens = new Set();
  for (const d of payload.decisions.values()) {
    if (d.token) tokens.add(d.token);
    for (const item of d.items || []) tokens.add(item.token);
  }
  return tokens;
}

// An adopted decision as decide() returns it: a fresh copy, marked as the edge's.
export function adoptedDecision(d) {
  return { ...JSON.parse(JSON.stringify(d)), edge: true };
}
