// The hand-off to the browser module (web/lib/edge_handoff.mjs reads it): the decisions this
// response was rendered with, so the page adopts them instead of deciding again (no flicker)
// and reports impressions on their tokens (already counted here: a replay is refused).
//
//   <script type="application/json" id="attune-edge">{"v": 1, "visitor": "<id>", "at": <ms>,
//     "cookie": "attune", "decisions": [{placement, campaign, variant, content, locale, dir,
//     token, holdout}, …]}</script>
//
// Format documented in docs/EDGE.md; change it only together with edge_handoff.mjs.

import { scriptJson, scriptSafe } from './escape.mjs';

export const PAYLOAD_ELEMENT_ID = 'attune-edge';
export const PAYLOAD_VERSION = 1;

const DECISION_KEYS = ['placement', 'campaign', 'variant', 'content', 'locale', 'dir', 'token', 'holdout'];

export function handoffPayload({ visitorId, at, cookieName, decisions }) {
  return {
    v: PAYLOAD_VERSION,
    visitor: visitorId,
    at,
    cookie: cookieName,
    decisions: decisions.map((d) => {
      const out = {};
      for (const key of DECISION_KEYS) out[key] = d[key] === undefined ? null : d[key];
      // A placement with maxItems > 1: every item (the first is the decision's own fields).
      if (Array.isArray(d.items)) out.items = d.items;
      return out;
    }),
  };
}

export function payloadHtml(payload) {
  return `<script type="application/json" id="${PAYLOAD_ELEMENT_ID}">${scriptJson(payload)}</script>`;
}

// The same markup from the engine's own answer: `pageJson` is its {"decisions": [...]} text,
// whose decisions have exactly the payload's keys in the payload's order (placement,
// campaign, variant, content, locale, dir, token, holdout, items), so it is embedded as it
// is rather than parsed, rebuilt and serialised again. Without it (null: a decision was
// dropped on the way), the payload is built from `decisions`.
export function handoffMarkup({ visitorId, at, cookieName, decisions, pageJson }) {
  if (typeof pageJson !== 'string' || !pageJson.startsWith(PAGE_PREFIX)) {
    return payloadHtml(handoffPayload({ visitorId, at, cookieName, decisions }));
  }
  const head = `{"v":${PAYLOAD_VERSION},"visitor":${JSON.stringify(visitorId)},"at":${JSON.stringify(at)},` +
    `"cookie":${JSON.stringify(cookieName)},`;
  return `<script type="application/json" id="${PAYLOAD_ELEMENT_ID}">${scriptSafe(head + pageJson.slice(1))}</script>`;
}

const PAGE_PREFIX = '{"decisions":[';

// Tokens of what the edge rendered and counted, for the Attune-Tokens response header.
export function payloadTokens(payload) {
  return decisionTokens(payload.decisions);
}

export function decisionTokens(decisions) {
  const tokens = [];
  for (const d of decisions) if (typeof d.token === 'string') tokens.push(d.token);
  return tokens;
}
