// What the fixed-text baseline (fixed_text.mjs) does to a page, in its own module so the stage
// profiler (stages_worker.mjs) runs exactly this code too. It is the personalizing worker's
// rewriting with Attune's own work taken out — a twin, not a strawman either way:
//   - the same HTMLRewriter selectors: per placement of ATTUNE_PLACEMENTS, the placement
//     element, its `data-attune-field` descendants and its `data-attune-attr` descendants
//     (web/edge/rewrite.mjs), and the hand-off <script> before </head> (else at the start of
//     <body>, else at the end of the document), with the same number of element writes;
//   - the same response headers, byte for byte in size: Cache-Control, Vary, the shared-cache
//     headers and ETag/Content-Length removed, a Set-Cookie and an Attune-Tokens header of
//     the personalizing worker's typical length, and a hand-off payload of its typical size
//     (measured over the bench mix with `node bench/edge/profile.mjs --sizes`);
//   - but every value is fixed: no state cookie read or written, no decision, no templating,
//     no escaping, no JSON. The difference between the two workers is what Attune costs.

export const FIXED_TEXT = 'Fixed bench text';
const FIXED_URL = '/fixed';
const PLACEMENT_IDS = ['hero', 'banner', 'recs', 'newsletter'];

// Typical sizes of the personalizing worker's output over the bench mix (UTF-16 units, as
// profile.mjs --sizes prints them): the hand-off <script>, the state cookie's value, the
// Attune-Tokens value.
export const TYPICAL = { payload: 1465, cookie: 387, tokens: 166 };

// A hand-off payload of the typical size, built once: four decisions whose body text is
// padded to make up the difference.
export const FIXED_PAYLOAD = (() => {
  const build = (pad) => `<script type="application/json" id="attune-edge">${JSON.stringify({
    v: 1, visitor: '00000000-0000-4000-8000-000000000000', at: 0, cookie: 'attune',
    decisions: PLACEMENT_IDS.map((placement) => ({
      placement, campaign: `${placement}-fixed`, variant: 'a',
      content: { headline: FIXED_TEXT, body: 'x'.repeat(pad), link: FIXED_URL },
      locale: 'en', dir: 'ltr', token: `t2.0.0.${'0'.repeat(16)}.${'0'.repeat(16)}`, holdout: false,
    })),
  })}</script>`;
  const bare = build(0).length;
  return build(Math.max(0, Math.round((TYPICAL.payload - bare) / PLACEMENT_IDS.length)));
})();
const FIXED_COOKIE = `attune=${'A'.repeat(TYPICAL.cookie)}; Path=/; Secure; SameSite=Lax; Max-Age=31536000`;
const FIXED_TOKENS = 't2.0.0.0000000000000000.0000000000000000, '.repeat(8).slice(0, TYPICAL.tokens);
const SHARED_CACHE_HEADERS = ['CDN-Cache-Control', 'Cloudflare-CDN-Cache-Control', 'Surrogate-Control', 'Expires'];

const placementHandler = {
  element(el) {
    el.setAttribute('data-attune-campaign', 'fixed');
    el.setAttribute('data-attune-variant', 'a');
    el.setAttribute('lang', 'en');
    el.setAttribute('dir', 'ltr');
  },
};
const fieldHandler = {
  element(el) {
    el.setInnerContent(FIXED_TEXT, { html: false });
  },
};
const attributeHandler = {
  element(el) {
    for (const part of (el.getAttribute('data-attune-attr') || '').split(',')) {
      const at = part.lastIndexOf(':');
      if (at <= 0) continue;
      const name = part.slice(0, at).trim().toLowerCase();
      const field = part.slice(at + 1).trim();
      el.setAttribute(name, field === 'link' || field === 'url' || field === 'image' ? FIXED_URL : FIXED_TEXT);
    }
  },
};

export function fixedRewriter(placements, payload = FIXED_PAYLOAD) {
  const r = new HTMLRewriter();
  for (const id of placements) {
    const scope = `[data-attune-placement="${id}"]`;
    r.on(scope, placementHandler);
    r.on(`${scope} [data-attune-field]`, fieldHandler);
    r.on(`${scope} [data-attune-attr]`, attributeHandler);
  }
  let placed = false;
  const place = (target, how) => {
    if (placed) return;
    placed = true;
    target[how](payload, { html: true });
  };
  r.on('head', { element: (el) => el.onEndTag((end) => place(end, 'before')) });
  r.on('body', { element: (el) => place(el, 'prepend') });
  r.onDocument({ end: (end) => place(end, 'append') });
  return r;
}

// The personalizing worker's header changes (web/edge/headers.mjs), with fixed values.
export function fixedHeaders(origin, env) {
  const headers = new Headers(origin);
  headers.delete('Attune-Placements');
  headers.delete('Content-Length');
  headers.delete('ETag');
  for (const name of SHARED_CACHE_HEADERS) headers.delete(name);
  headers.set('Cache-Control', 'private, no-store');
  headers.set('Vary', ['Accept-Language', 'Cookie', 'Sec-GPC', env.ATTUNE_GEO_HEADER, env.ATTUNE_TZ_HEADER].filter(Boolean).join(', '));
  headers.append('Set-Cookie', FIXED_COOKIE);
  headers.set('Attune-Tokens', FIXED_TOKENS);
  return headers;
}
