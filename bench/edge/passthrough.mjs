// Baseline 1 of the edge load benchmark: fetch the same origin page the personalizing worker
// fetches, built the same way (web/edge/origin.mjs: the request's path and query on
// ATTUNE_ORIGIN, its headers plus X-Forwarded-Host/-Proto, redirects not followed), and return
// it untouched. The floor: what any worker in front of the origin costs.

export default {
  async fetch(request, env) {
    const incoming = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.set('X-Forwarded-Host', incoming.host);
    headers.set('X-Forwarded-Proto', incoming.protocol.replace(':', ''));
    return fetch(new Request(new URL(incoming.pathname + incoming.search, env.ATTUNE_ORIGIN), {
      method: request.method, headers, body: request.body, redirect: 'manual',
    }));
  },
};
