// Attune's edge worker (SPEC §11): fetches the origin and, for HTML pages, decides the page's
// placements in Wasm and writes the decisions into the markup while it streams through
// HTMLRewriter — no flicker, no full-body buffering. Everything else passes through as the
// origin sent it. Design and choices: docs/EDGE.md.
//
// Interface (kept stable; bench/edge relies on it):
//   export default { fetch(request, env, ctx) }
//   env (all optional strings; a bad value falls back to the default and is logged once):
//     ATTUNE_ORIGIN         origin base URL, e.g. "http://127.0.0.1:8788"; the request's path and
//                           query are kept. Unset: the request is fetched as addressed (a route
//                           in front of the origin).
//     ATTUNE_CONFIG         config JSON text (or a json binding) replacing the bundled config.json
//     ATTUNE_COOKIE         state cookie name (default "attune")
//     ATTUNE_NAME_COOKIE    cookie with the visitor's first name, percent-encoded (default
//                           "attune_name"; "" = none)
//     ATTUNE_TRAITS_COOKIE  cookie with the site's traits, a percent-encoded JSON object
//                           (default "attune_traits"; "" = none)
//     ATTUNE_GEO_HEADER     header with the ISO country code (default "CF-IPCountry"; "" = none);
//                           request.cf.country when the header is absent or unusable
//     ATTUNE_TZ_HEADER      header with the visitor's UTC offset in minutes or an IANA zone
//                           (default none); then request.cf.timezone; then 0
//     ATTUNE_PLACEMENTS     comma list of the placements pages carry (default: every placement
//                           of the config); a page's own Attune-Placements response header wins
//     ATTUNE_TOKEN_SECRET   key for decision tokens (default: the built-in key, which the browser
//                           module shares; see docs/EDGE.md before setting one)
//   Modules it imports (names as a workerd config must give them, relative to this file):
//     ./config.json (json), ../dist/attune.mjs (esModule), ../dist/attune.wasm (wasm),
//     ../lib/instantiate.mjs (with ../lib/traps.mjs), ../lib/boundary.mjs, ../lib/markup.mjs and the ./*.mjs helpers here.
//
// Failure rule: a config that does not compile, a Wasm trap or any exception while
// personalising → the origin's response unchanged (logged), never a 5xx of our making.

import { readSettings } from './settings.mjs';
import { parseCookies } from './cookies.mjs';
import { decideRequest } from './decide.mjs';
import { discardEngine, edgeEngine, readyEngine } from './engine.mjs';
import { personalizedHeaders } from './headers.mjs';
import { gpcOf, visitorInput } from './inputs.mjs';
import { isLoop, originRequest, pagePlacements, passThroughReason, withoutInternalHeaders } from './origin.mjs';
import { decisionTokens, handoffMarkup } from './payload.mjs';
import { htmlRewriter } from './rewrite.mjs';

let settingsReported = false;

export default {
  async fetch(request, env) {
    const settings = readSettings(env);
    if (!settingsReported) {
      settingsReported = true;
      for (const problem of settings.problems) console.warn(`attune-edge: ${problem}`);
    }

    if (isLoop(request, settings)) {
      console.error('attune-edge: the request came back to this worker: set ATTUNE_ORIGIN to the origin URL');
      return new Response('Loop detected: set ATTUNE_ORIGIN to the origin URL\n', {
        status: 508,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
      });
    }
    const url = new URL(request.url);
    let response;
    try {
      response = await fetch(originRequest(request, settings, url));
    } catch (e) {
      console.error(`attune-edge: the origin did not answer: ${message(e)}`);
      return new Response('Bad gateway: the origin did not answer\n', {
        status: 502,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
      });
    }
    if (passThroughReason(request, response)) return withoutInternalHeaders(response);

    let loaded;
    try {
      loaded = readyEngine() || (await edgeEngine(settings));
      if (loaded.error) return withoutInternalHeaders(response);
      return personalize(request, url, response, settings, loaded);
    } catch (e) {
      console.error(`attune-edge: personalising ${url.pathname} failed, passing it through: ${message(e)}`);
      if (loaded && !loaded.error) discardEngine(loaded);
      return withoutInternalHeaders(response);
    }
  },
};

// Everything that can fail happens before the body is handed to the rewriter, so a failure
// still leaves the origin's response intact to pass through.
function personalize(request, url, response, settings, loaded) {
  const placements = pagePlacements(response, settings, loaded.placements);
  if (placements.length === 0) return withoutInternalHeaders(response);

  const now = Date.now();
  const cookies = parseCookies(request.headers.get('Cookie'));
  const gpc = gpcOf(request);
  const outcome = decideRequest(loaded, {
    cookieText: cookies.get(settings.cookie),
    input: visitorInput(request, settings, cookies, now, url, gpc),
    placements,
    gpc,
  });
  if (outcome.error) {
    console.error(`attune-edge: no decision for ${url.pathname}, passing it through: ${outcome.error}`);
    return withoutInternalHeaders(response);
  }
  if (outcome.dropped) console.warn(`attune-edge: ${outcome.dropped}`);

  const markup = handoffMarkup({
    visitorId: outcome.visitorId,
    at: now,
    cookieName: settings.cookie,
    decisions: outcome.decisions,
    pageJson: outcome.pageJson,
  });
  const headers = personalizedHeaders(response.headers, {
    settings,
    cookie: outcome.cookie,
    tokens: decisionTokens(outcome.decisions),
  });
  const rewriter = htmlRewriter(outcome.decisions, markup);
  // The body is handed over last: from here on, nothing is left to fail.
  const { status, statusText } = response;
  return rewriter.transform(new Response(response.body, { status, statusText, headers }));
}

function message(e) {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'unknown error';
  }
}
