// The workerd side of the vector test: a module worker that loads the shipped package from
// its Wasm module binding (workerd compiles it at startup; compiling bytes is forbidden)
// and answers GET /run with the vector results as JSON.

import { loadAttune } from './attune.mjs';
import wasmModule from './dist/attune.wasm';
import { runVectors } from './run_vectors.mjs';
import files from './vectors.mjs';

// One module instance per isolate, reused across requests.
let attune;

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/health') return new Response('ok');
    if (pathname !== '/run') return new Response('not found', { status: 404 });
    try {
      attune ??= loadAttune({ wasmModule });
      const loaded = await attune;
      return Response.json({ version: loaded.version, results: await runVectors(loaded, files) });
    } catch (e) {
      return Response.json({ error: String((e && e.stack) || e) }, { status: 500 });
    }
  },
};
