// One request's decisions: the state cookie in, the page's placements decided and counted
// at once (docs/CONTACT.md: edge rendering counts impressions at decide time), the state
// cookie out. Consent is the core's: the record stored in the cookie, the config's policy
// and the request's Sec-GPC. Throws only when the engine itself fails (a trap, a binding
// error); the worker then passes the page through unchanged.
//
// The engine is crossed once per request (Engine.edgeDecideFromInput): the cookie, a fresh
// visitor id, the placements and the visitor input go in as UTF-8 bytes written straight
// into Wasm memory, and one JSON answer comes back as bytes. Embind's string conversions
// (a JS loop over every character, each way) cost more than the cookie decoding itself,
// and separate calls for the cookie, the id, the decision and the new cookie cost a
// crossing each. docs/EDGE.md "Performance" has the figures.

import { STATE_COOKIE_BUDGET } from './cookies.mjs';

const MAX_STATE_COOKIE = 8192;  // a longer value is not ours (we never write more than the budget)
const TOO_LONG = Object.freeze({ status: 'foreign', reason: 'longer than any state cookie' });

// TextEncoder.encodeInto writes a lone surrogate as U+FFFD, as wellFormed() would: the
// engine only ever sees well-formed UTF-8.
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A fresh id the last request did not need (its cookie carried one): never sent anywhere,
// so the next visitor without an id may have it.
let spareId = null;

// Returns {visitorId, decisions, pageJson, cookie: {set: value} | {clear: true} | null, load,
// dropped?} or {error, load}.
// `loaded.visitor` is the isolate's one Visitor: the engine refills it from the cookie (or
// from nothing) on every request, so nothing carries over from the previous request.
export function decideRequest(loaded, { cookieText, input, placements, gpc }) {
  const { engine, visitor } = loaded;
  let cookie = typeof cookieText === 'string' ? cookieText : '';
  const tooLong = cookie.length > MAX_STATE_COOKIE;
  if (tooLong) cookie = '';
  // A visitor without an id gets one: stored when `storage` is in force, otherwise used for
  // this page only (variants stay stable within the page, as in the browser without storage).
  const freshId = spareId ?? crypto.randomUUID();
  spareId = null;
  const list = placementListJson(placements);

  let answer = edgeDecide(engine, visitor, cookie, freshId, list, JSON.stringify(input), gpc);
  let dropped;
  if (answer.page && typeof answer.page.error === 'string' && (input.name !== undefined || input.traits !== undefined)) {
    // The site's name or traits cookie is the only input we do not fully shape: decide without.
    const rest = { ...input };
    delete rest.name;
    delete rest.traits;
    const retry = edgeDecide(engine, visitor, cookie, freshId, list, JSON.stringify(rest), gpc);
    if (retry.page && Array.isArray(retry.page.decisions)) dropped = `name/traits refused: ${answer.page.error}`;
    answer = retry;
  }
  const load = tooLong ? TOO_LONG : answer.load;
  const result = pageResult(answer);
  if (result.error) return { error: result.error, load };
  if (answer.id !== freshId) spareId = freshId;

  return {
    visitorId: answer.id,
    decisions: result.decisions,
    // The engine's text of the decisions, for the payload, when every decision was kept.
    pageJson: result.decisions.length === answer.page.decisions.length ? answer.pageJson : null,
    // A cookie with an id (or a profile) is state; one with only a consent record is the
    // browser module honouring a choice without `storage`.
    cookie: stateCookieChange(visitor, answer.cookie, answer.carried === true),
    load,
    dropped,
  };
}

// One crossing: the four texts back to back in the engine's input buffer, their byte
// lengths as arguments. UTF-8 needs at most 3 bytes per UTF-16 unit; the view is written at
// once, before anything else can allocate in (and so move) Wasm memory.
function edgeDecide(engine, visitor, cookie, freshId, placementsJson, inputJson, gpc) {
  const view = engine.inputView(3 * (cookie.length + freshId.length + placementsJson.length + inputJson.length));
  const cookieBytes = encoder.encodeInto(cookie, view).written;
  let at = cookieBytes;
  const idBytes = encoder.encodeInto(freshId, view.subarray(at)).written;
  at += idBytes;
  const placementBytes = encoder.encodeInto(placementsJson, view.subarray(at)).written;
  at += placementBytes;
  const inputBytes = encoder.encodeInto(inputJson, view.subarray(at)).written;
  const out = engine.edgeDecideFromInput(visitor, cookieBytes, idBytes, placementBytes, inputBytes, gpc, STATE_COOKIE_BUDGET);
  const text = decoder.decode(out);
  const answer = parseJson(text);
  if (!answer || typeof answer !== 'object') return {};
  // "page" is the answer's last key (its text ends the answer): kept as text for the payload.
  // No string before it can hold an unescaped `,"page":`.
  const page = text.indexOf(PAGE_KEY);
  answer.pageJson = page > 0 ? text.slice(page + PAGE_KEY.length, -1) : null;
  return answer;
}

const PAGE_KEY = ',"page":';

function pageResult(answer) {
  const page = answer.page;
  if (!page || typeof page !== 'object' || typeof answer.id !== 'string') return { error: 'the engine returned invalid JSON' };
  if (typeof page.error === 'string') return { error: page.error };
  if (!Array.isArray(page.decisions)) return { error: 'the engine returned no decisions' };
  return { decisions: page.decisions.filter((d) => d && typeof d.placement === 'string' && !d.error) };
}

// The placements as the JSON array the engine takes. A frozen list (origin.mjs returns the
// same one for every page without an Attune-Placements header) is serialised once.
const listJson = new WeakMap();

function placementListJson(placements) {
  let json = listJson.get(placements);
  if (json === undefined) {
    json = JSON.stringify(placements);
    if (Object.isFrozen(placements)) listJson.set(placements, json);
  }
  return json;
}

// What to do with the state cookie. With `storage` in force: write the updated state (the
// engine's value). Without it: never write state; a cookie that still carries state (the
// policy or the record changed since it was written) shrinks to its consent record, or goes
// when there is none (docs/CONSENT.md: only the record may stay). A record-only or foreign
// cookie is left alone.
function stateCookieChange(visitor, value, carriedState) {
  if (typeof value === 'string' && value) return { set: value };
  if (!carriedState) return null;
  visitor.forget();
  const record = parseJson(visitor.consentRecordJson());
  if (record && record.present) {
    const recordOnly = visitor.cookieText(STATE_COOKIE_BUDGET);
    if (recordOnly) return { set: recordOnly };
  }
  return { clear: true };
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
