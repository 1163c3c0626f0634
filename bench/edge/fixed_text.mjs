// Baseline 2 of the edge load benchmark: the unavoidable rewriting cost. Everything the
// personalizing worker (web/edge/worker.mjs) does to a page except Attune's own work: the same
// origin request, the same response re-wrap, and the rewriting of fixed_rewrite.mjs (the same
// selectors, element writes, headers and payload size, with fixed values). The difference
// between the two workers is what Attune costs.
import { fixedHeaders, fixedRewriter } from './fixed_rewrite.mjs';

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

    const headers = fixedHeaders(response.headers, env);
    const placements = String(env.ATTUNE_PLACEMENTS || '').split(',').map((s) => s.trim()).filter(Boolean);
    return fixedRewriter(placements).transform(new Response(response.body, { status: response.status, statusText: response.statusText, headers }));
  },
};
