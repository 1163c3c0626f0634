// The lean entry point for pages and edges: a smaller Wasm module without the JSON config
// compiler. It loads the binary form that `attune compile CONFIG -o config.bin` (or
// `engine.compiled()` in the full build) produces, then decides exactly as the full build.

import createAttuneLeanModule from './dist/attune-lean.mjs';
import { describeError, isObject, wellFormed } from './lib/boundary.mjs';
import { wrapEngine } from './lib/engine.mjs';
import { instantiateModule } from './lib/instantiate.mjs';
import { createKeeper, withTestHook } from './lib/recovery.mjs';

// Traps are recovered from as in attune.mjs; engines are rebuilt from their compiled bytes.
export async function loadAttuneLean(options = {}) {
  if (!isObject(options)) throw new TypeError('loadAttuneLean: options must be an object');
  if (options.onTrap !== undefined && typeof options.onTrap !== 'function') {
    throw new TypeError('loadAttuneLean: onTrap must be a function');
  }
  const keeper = createKeeper(await instantiateModule(createAttuneLeanModule, options, defaultWasmUrl),
    { onTrap: options.onTrap });

  const api = {
    // bytes: Uint8Array or ArrayBuffer of a compiled config.
    load(bytes) {
      if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
      if (!(bytes instanceof Uint8Array)) {
        return { ok: false, errors: [{ path: '', message: 'compiled config: must be a Uint8Array or ArrayBuffer' }] };
      }
      const kept = bytes.slice();  // the caller may reuse its buffer; a rebuild needs these bytes
      const remake = (native) => new native.Engine(kept);
      return keeper.run(() => loadWith(keeper, remake), { retry: true, failed: loadFailed, bounded: false });
    },

    hashBucket(seed, id) {
      if (typeof seed !== 'string' || typeof id !== 'string') return { error: 'seed and id must be strings' };
      return keeper.run(() => {
        try {
          return keeper.native.hashBucket(wellFormed(seed), wellFormed(id));
        } catch (e) {
          return { error: describeError(e) };
        }
      }, { retry: true });
    },

    health: () => keeper.health(),
  };
  return Object.freeze(withTestHook(api, keeper));
}

function loadWith(keeper, remake) {
  let engine;
  try {
    engine = remake(keeper.native);
    if (engine.ok()) return { ok: true, engine: wrapEngine(engine, keeper, remake) };
    const errors = JSON.parse(engine.errorsJson());
    engine.delete();
    return { ok: false, errors };
  } catch (e) {
    try {
      if (engine) engine.delete();
    } catch {
      // already unusable
    }
    return loadFailed(describeError(e));
  }
}

function loadFailed(message) {
  return { ok: false, errors: [{ path: '', message }] };
}

function defaultWasmUrl() {
  const base = import.meta.url;
  return base ? new URL('./dist/attune-lean.wasm', base).href : undefined;
}
