// The lean entry point for pages and edges: a smaller Wasm module without the JSON config
// compiler. It loads the binary form that `attune compile CONFIG -o config.bin` (or
// `engine.compiled()` in the full build) produces, then decides exactly as the full build.

import createAttuneLeanModule from './dist/attune-lean.mjs';
import { describeError, isObject, wellFormed } from './lib/boundary.mjs';
import { wrapEngine } from './lib/engine.mjs';
import { instantiateModule } from './lib/instantiate.mjs';

export async function loadAttuneLean(options = {}) {
  if (!isObject(options)) throw new TypeError('loadAttuneLean: options must be an object');
  const native = await instantiateModule(createAttuneLeanModule, options, defaultWasmUrl);

  return Object.freeze({
    // bytes: Uint8Array or ArrayBuffer of a compiled config.
    load(bytes) {
      if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
      if (!(bytes instanceof Uint8Array)) {
        return { ok: false, errors: [{ path: '', message: 'compiled config: must be a Uint8Array or ArrayBuffer' }] };
      }
      let engine;
      try {
        engine = new native.Engine(bytes);
        if (engine.ok()) return { ok: true, engine: wrapEngine(engine) };
        const errors = JSON.parse(engine.errorsJson());
        engine.delete();
        return { ok: false, errors };
      } catch (e) {
        try {
          if (engine) engine.delete();
        } catch {
          // already unusable
        }
        return { ok: false, errors: [{ path: '', message: describeError(e) }] };
      }
    },

    hashBucket(seed, id) {
      if (typeof seed !== 'string' || typeof id !== 'string') return { error: 'seed and id must be strings' };
      try {
        return native.hashBucket(wellFormed(seed), wellFormed(id));
      } catch (e) {
        return { error: describeError(e) };
      }
    },
  });
}

function defaultWasmUrl() {
  const base = import.meta.url;
  return base ? new URL('./dist/attune-lean.wasm', base).href : undefined;
}
