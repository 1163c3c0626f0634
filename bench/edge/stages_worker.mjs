// The stage profiler's worker (bench/edge/profile.mjs starts it): runs one piece of the
// personalizing worker's per-request work many times inside workerd, so the harness can read
// what that piece costs from workerd's CPU time or instruction count. It imports the shipped
// modules of web/edge under their package names (the bundle lays them out as in web/: this
// module is "profile/stages_worker.mjs", so "../edge/x.mjs" is web/edge/x.mjs) and the
// baselines of bench/edge next to it.
//
//   POST /setup   {requests: [{path, headers}], page, pageHeaders}: the request mix and the
//                 origin page every stage works on; answers {requests, cookies: [the state
//                 cookie value each request would get, or null], sizes: {payload, cookie,
//                 tokens: mean lengths over the mix}}
//   GET  /run?stage=NAME&n=N   runs the stage over N requests of the mix (cycling); answers
//                 {stage, n, ms} (ms: workerd's clock, which only advances at I/O — read it
//                 as a cross-check, the harness's CPU figure is the measure)
//   GET  /stages  the stage names, in report order
//
// The worker.* stages run the three workers of the load benchmark whole, with the origin's
// fetch() answered in the isolate (the same page every time): no network, no client, only
// what each worker does for one request.

import { parseCookies } from '../edge/cookies.mjs';
import { decideRequest } from '../edge/decide.mjs';
import { edgeEngine } from '../edge/engine.mjs';
import { personalizedHeaders } from '../edge/headers.mjs';
import { gpcOf, visitorInput } from '../edge/inputs.mjs';
import { pagePlacements } from '../edge/origin.mjs';
import { decisionTokens, handoffMarkup, handoffPayload, payloadHtml, payloadTokens } from '../edge/payload.mjs';
import { htmlRewriter } from '../edge/rewrite.mjs';
import { readSettings } from '../edge/settings.mjs';
import { utcOffsetMinutes } from '../edge/timezone.mjs';
import attuneWorker from '../edge/worker.mjs';
import { wellFormed } from '../lib/boundary.mjs';
import { fixedRewriter } from './fixed_rewrite.mjs';
import fixedWorker from './fixed_text.mjs';
import passthroughWorker from './passthrough.mjs';

const STATE_COOKIE_BUDGET = 3800;
const NOW = 1764000000000;
let mix = null;
let referenceWorker = null;  // ref/edge/worker.mjs when the bundle has it (profile.mjs --compare)

// What every stage after the decision needs, made once per request of the mix.
function prepare(loaded, settings, request) {
  const cookies = parseCookies(request.headers.get('Cookie'));
  const input = visitorInput(request, settings, cookies, Date.now());
  const placements = pagePlacements(mix.originHeadersResponse, settings, loaded.placements);
  const outcome = decideRequest(loaded, {
    cookieText: cookies.get(settings.cookie), input, placements, gpc: gpcOf(request),
  });
  const decisions = outcome.decisions || [];
  const payload = handoffPayload({ visitorId: outcome.visitorId, at: NOW, cookieName: settings.cookie, decisions });
  return { cookies, input, placements, outcome, decisions, payload, markup: payloadHtml(payload) };
}

// A rewriter with the personalizing worker's selectors (or fewer) and handlers that do
// nothing: what the selectors alone cost.
const nothing = { element() {} };
function selectorRewriter(kind, placements, payload) {
  const r = new HTMLRewriter();
  if (kind === 'attributes') {
    for (const selector of ['[data-attune-placement]', '[data-attune-field]', '[data-attune-attr]']) r.on(selector, nothing);
  } else if (kind === 'scoped') {
    for (const id of placements) {
      const scope = `[data-attune-placement="${id}"]`;
      r.on(scope, nothing);
      r.on(`${scope} [data-attune-field]`, nothing);
      r.on(`${scope} [data-attune-attr]`, nothing);
    }
  }
  let placed = false;
  r.on('head', { element: (el) => el.onEndTag((end) => { if (!placed) { placed = true; end.before(payload, { html: true }); } }) });
  return r;
}

// decide.mjs before it crossed once per request (kept to measure what the one crossing saves).
function legacyDecide(loaded, settings, i) {
  const { native, engine } = loaded;
  const p = mix.prepared[i];
  const visitor = new native.Visitor();
  try {
    const cookieText = p.cookies.get(settings.cookie);
    const report = cookieText ? JSON.parse(visitor.loadCookie(wellFormed(cookieText))) : null;
    const carried = report !== null && visitor.id() !== '';
    if (!visitor.id()) visitor.setId(crypto.randomUUID());
    const text = engine.decidePlacementsCountingForJson(
      visitor, JSON.stringify(p.placements), wellFormed(JSON.stringify(p.input)), false);
    return [carried, JSON.parse(text), visitor.id(), engine.cookieForJson(visitor, STATE_COOKIE_BUDGET, gpcOf(mix.requests[i]))];
  } finally {
    visitor.delete();
  }
}

// Each stage: (i) → something kept, so the work is not optimised away; async stages are
// awaited by the runner.
function stages(loaded, settings) {
  const pageResponse = () => new Response(mix.page, { headers: mix.pageHeaders });
  const prepared = (i) => mix.prepared[i];
  return {
    noop: (i) => mix.requests[i],
    'cookies.parse': (i) => parseCookies(mix.requests[i].headers.get('Cookie')),
    'input.timezone': (i) => utcOffsetMinutes(mix.requests[i], settings, NOW),
    'input.all': (i) => visitorInput(mix.requests[i], settings, prepared(i).cookies, NOW),
    placements: () => pagePlacements(mix.originHeadersResponse, settings, loaded.placements),
    'decide.legacy': (i) => legacyDecide(loaded, settings, i),
    'decide.request': (i) => {
      const p = prepared(i);
      return decideRequest(loaded, {
        cookieText: p.cookies.get(settings.cookie), input: p.input, placements: p.placements, gpc: gpcOf(mix.requests[i]),
      });
    },
    payload: (i) => {
      const p = prepared(i);
      return [
        handoffMarkup({ visitorId: p.outcome.visitorId, at: NOW, cookieName: settings.cookie, decisions: p.decisions, pageJson: p.outcome.pageJson }),
        decisionTokens(p.decisions),
      ];
    },
    headers: (i) => personalizedHeaders(mix.originHeadersResponse.headers, {
      settings, cookie: prepared(i).outcome.cookie, tokens: payloadTokens(prepared(i).payload),
    }),
    'rewriter.build': (i) => htmlRewriter(prepared(i).decisions, prepared(i).markup),
    'transform.none': async () => pageResponse().text(),
    'transform.fixed': async () => fixedRewriter(loaded.placements).transform(pageResponse()).text(),
    'transform.attune': async (i) => htmlRewriter(prepared(i).decisions, prepared(i).markup).transform(pageResponse()).text(),
    'selectors.headOnly': async (i) => selectorRewriter('none', loaded.placements, prepared(i).markup).transform(pageResponse()).text(),
    'selectors.attributes': async (i) => selectorRewriter('attributes', loaded.placements, prepared(i).markup).transform(pageResponse()).text(),
    'selectors.scoped': async (i) => selectorRewriter('scoped', loaded.placements, prepared(i).markup).transform(pageResponse()).text(),
    // The decision after a rewrite, as it runs in a real request: whatever the rewrite left in
    // the CPU caches. Its cost minus transform.fixed's, against decide.request's in a tight
    // loop, is what cold caches add to one decision.
    'cold.decideAfterRewrite': async (i) => {
      const text = await fixedRewriter(loaded.placements).transform(pageResponse()).text();
      const p = prepared(i);
      return [text, decideRequest(loaded, { cookieText: p.cookies.get(settings.cookie), input: p.input, placements: p.placements, gpc: gpcOf(mix.requests[i]) })];
    },
    'worker.passthrough': async (i) => passthroughWorker.fetch(mix.requests[i], mix.env).then((r) => r.text()),
    'worker.fixed': async (i) => fixedWorker.fetch(mix.requests[i], mix.env).then((r) => r.text()),
    'worker.attune': async (i) => attuneWorker.fetch(mix.requests[i], mix.env).then((r) => r.text()),
    // profile.mjs --compare REV: the personalizing worker as it was at REV.
    ...(referenceWorker ? { 'worker.reference': async (i) => referenceWorker.fetch(mix.requests[i], mix.env).then((r) => r.text()) } : {}),
  };
}

const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const settings = readSettings(env);
    const loaded = await edgeEngine(settings);
    if (loaded.error) return Response.json({ error: loaded.error }, { status: 500 });
    if (url.pathname === '/setup') {
      referenceWorker = await import('../ref/edge/worker.mjs').then((m) => m.default, () => null);
      const body = await request.json();
      const requests = body.requests.map((r) => new Request(`https://shop.example${r.path}`, { headers: r.headers }));
      mix = { requests, page: body.page, pageHeaders: body.pageHeaders, env };
      mix.originHeadersResponse = new Response(null, { headers: body.pageHeaders });
      // The workers' origin fetch, answered here: the same page every time.
      globalThis.fetch = async () => new Response(mix.page, { headers: mix.pageHeaders });
      mix.prepared = requests.map((r) => prepare(loaded, settings, r));
      const cookies = mix.prepared.map((p) => (p.outcome.cookie && p.outcome.cookie.set) || null);
      const sizes = {
        payload: mean(mix.prepared.map((p) => p.markup.length)),
        cookie: mean(cookies.filter(Boolean).map((c) => c.length)),
        tokens: mean(mix.prepared.map((p) => payloadTokens(p.payload).join(', ').length)),
      };
      return Response.json({ requests: requests.length, cookies, sizes });
    }
    if (!mix) return Response.json({ error: 'POST /setup first' }, { status: 409 });
    const table = stages(loaded, settings);
    if (url.pathname === '/stages') return Response.json(Object.keys(table));
    const stage = table[url.searchParams.get('stage')];
    const n = Number(url.searchParams.get('n'));
    if (!stage || !Number.isInteger(n) || n < 1) return Response.json({ error: 'stage and n' }, { status: 400 });
    const size = mix.requests.length;
    let kept = 0;
    const started = Date.now();
    for (let k = 0; k < n; k++) {
      let out = stage(k % size);
      if (out instanceof Promise) out = await out;
      if (out) kept++;
    }
    await new Promise((resolve) => setTimeout(resolve, 0));  // lets workerd's clock move
    return Response.json({ stage: url.searchParams.get('stage'), n, ms: Date.now() - started, kept });
  },
};
