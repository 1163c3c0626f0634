// Baseline 2 of the edge load benchmark: the unavoidable rewriting cost. Everything the
// personalizing worker (web/edge/worker.mjs) does to a page except Attune's own work:
//   - the same origin request and the same response re-wrap and caching headers
//     (Cache-Control: private, no-store; Vary; no Content-Length/ETag);
//   - the same HTMLRewriter selectors per placement of ATTUNE_PLACEMENTS (web/edge/rewrite.mjs):
//     the placement element gets data-attune-campaign/-variant, lang and dir; every
//     `data-attune-field` descendant gets its text, every `data-attune-attr` descendant its
//     attributes; a hand-off <script> of similar size goes before </head> (same fallbacks);
//   - but the text is fixed: no state cookie read or written, no decision, no templating, no
//     escaping, no JSON. The difference between the two workers is what Attune costs.

const FIXED_TEXT = 'Fixed bench text';
const FIXED_URL = '/fixed';
// Roughly the size of a real hand-off payload for four placements, built once.
const FIXED_PAYLOAD = `<script type="application/json" id="attune-edge">${JSON.stringify({
  v: 1, visitor: '00000000-0000-4000-8000-000000000000', at: 0, cookie: 'attune',
  decisions: ['hero', 'banner', 'recs', 'newsletter'].map((placement) => ({
    placement, campaign: `${placement}-fixed`, variant: 'a',
    content: { headline: FIXED_TEXT, body: FIXED_TEXT.repeat(4), link: FIXED_URL },
    locale: 'en', dir: 'ltr', token: `t2.0.0.${'0'.repeat(16)}.${'0'.repeat(16)}`, holdout: false,
  })),
})}</script>`;

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

function rewriter(placements) {
  const r = new HTMLRewriter();
  for (const id of placements) {
    const scope = `[data-attune-placement="${id}"]`;
    r.on(scope, placementHandler);
    r.on(`${scope} [data-attune-field]`, fieldHandler);
    r.on(`${scope} [data-attune-attr]`, attributeHandler);
  }
  // Where the hand-off goes, with the same fallbacks: before </head>, else at the start of
  // <body>, else at the end of the document.
  let placed = false;
  const place = (target, how) => {
    if (placed) return;
    placed = true;
    target[how](FIXED_PAYLOAD, { html: true });
  };
  r.on('head', { element: (el) => el.onEndTag((end) => place(end, 'before')) });
  r.on('body', { element: (el) => place(el, 'prepend') });
  r.onDocument({ end: (end) => place(end, 'append') });
  return r;
}

export default {
  async fetch(request, env) {
    const incoming = new URL(request.url);
    const forwarded = new Headers(request.headers);
    forwarded.set('X-Forwarded-Host', incoming.host);
    forwarded.set('X-Forwarded-Proto', incoming.protocol.replace(':', ''));
    const response = await fetch(new Request(new URL(incoming.pathname + incoming.search, env.ATTUNE_ORIGIN), {
      method: request.method, headers: forwarded, body: request.body, redirect: 'manual',
    }));
    const type = (response.headers.get('Content-Type') || '').toLowerCase();
    if (request.method !== 'GET' || response.status !== 200 || !type.startsWith('text/html')) return response;

    const headers = new Headers(response.headers);
    headers.delete('Content-Length');
    headers.delete('ETag');
    headers.set('Cache-Control', 'private, no-store');
    headers.set('Vary', ['Accept-Language', 'Cookie', 'Sec-GPC', env.ATTUNE_GEO_HEADER, env.ATTUNE_TZ_HEADER].filter(Boolean).join(', '));
    const placements = String(env.ATTUNE_PLACEMENTS || '').split(',').map((s) => s.trim()).filter(Boolean);
    return rewriter(placements).transform(new Response(response.body, { status: response.status, statusText: response.statusText, headers }));
  },
};
