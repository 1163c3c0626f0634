// One request's decisions: the state cookie in, the page's placements decided and counted
// at once (docs/CONTACT.md: edge rendering counts impressions at decide time), the state
// cookie out. Consent is the core's: the record stored in the cookie, the config's policy
// and the request's Sec-GPC. Throws only when the engine itself fails (a trap, a binding
// error); the worker then passes the page through unchanged.

import { wellFormed } from '../lib/boundary.mjs';
import { STATE_COOKIE_BUDGET } from './cookies.mjs';

const MAX_STATE_COOKIE = 8192;  // a longer value is not ours (we never write more than the budget)
const USABLE = new Set(['ok', 'migrated']);

// Returns {visitorId, decisions, cookie: {set: value} | {clear: true} | null, load, error?}.
export function decideRequest(loaded, { cookieText, input, placements, gpc }) {
  const { native, engine } = loaded;
  const visitor = new native.Visitor();
  try {
    const load = loadState(visitor, cookieText);
    // A cookie with an id (or a profile) is state; one with only a consent record is the
    // browser module honouring a choice without `storage`.
    const carriedState = USABLE.has(load.status) && visitor.id() !== '';
    // A visitor without an id gets one: stored when `storage` is in force, otherwise used for
    // this page only (variants stay stable within the page, as in the browser without storage).
    if (!visitor.id()) visitor.setId(crypto.randomUUID());

    let result = decide(engine, visitor, placements, input);
    if (result.error && (input.name !== undefined || input.traits !== undefined)) {
      // The site's name or traits cookie is the only input we do not fully shape: decide without.
      const rest = { ...input };
      delete rest.name;
      delete rest.traits;
      const retry = decide(engine, visitor, placements, rest);
      if (!retry.error) retry.dropped = `name/traits refused: ${result.error}`;
      result = retry;
    }
    if (result.error) return { error: result.error, load };

    return {
      visitorId: visitor.id(),
      decisions: result.decisions,
      cookie: stateCookieChange(engine, visitor, gpc, carriedState),
      load,
      dropped: result.dropped,
    };
  } finally {
    visitor.delete();
  }
}

function loadState(visitor, cookieText) {
  if (typeof cookieText !== 'string' || cookieText === '') return { status: 'empty' };
  if (cookieText.length > MAX_STATE_COOKIE) return { status: 'foreign', reason: 'longer than any state cookie' };
  const report = parseJson(visitor.loadCookie(wellFormed(cookieText)));
  return report && typeof report.status === 'string' ? report : { status: 'corrupt', reason: 'no load report' };
}

function decide(engine, visitor, placements, input) {
  const text = engine.decidePlacementsCountingForJson(
    visitor, JSON.stringify(placements), wellFormed(JSON.stringify(input)), false);
  const result = parseJson(text);
  if (!result) return { error: 'the engine returned invalid JSON' };
  if (typeof result.error === 'string') return { error: result.error };
  if (!Array.isArray(result.decisions)) return { error: 'the engine returned no decisions' };
  return { decisions: result.decisions.filter((d) => d && typeof d.placement === 'string' && !d.error) };
}

// What to do with the state cookie. With `storage` in force: write the updated state. Without
// it: never write state; a cookie that still carries state (the policy or the record changed
// since it was written) shrinks to its consent record, or goes when there is none
// (docs/CONSENT.md: only the record may stay). A record-only or foreign cookie is left alone.
function stateCookieChange(engine, visitor, gpc, carriedState) {
  const value = engine.cookieForJson(visitor, STATE_COOKIE_BUDGET, gpc);
  if (value) return { set: value };
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
