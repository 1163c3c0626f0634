// A compiled config, wrapping one native `Engine` (bindings/facade.js). The C++ object lives in Wasm memory
// that JS's garbage collector cannot see, so it is freed explicitly with `free()`.
// Methods close over their state instead of using `this`, so they work detached too
// (`const { decide } = engine`).

import { callJson, toJson, wellFormed } from './boundary.mjs';

const FREED = 'engine freed';

export function wrapEngine(handle) {
  let native = handle;

  return Object.freeze({
    decide(placementId, visitor, options) {
      if (!native) return { error: FREED };
      if (typeof placementId !== 'string') return { error: 'placementId: must be a string' };
      const input = toJson(visitor, 'visitor');
      if (input.error) return { error: input.error };
      const id = wellFormed(placementId);
      const engine = native;
      return callJson(() => engine.decideJson(id, input.json, wantsReasons(options)));
    },

    decidePage(visitor, options) {
      if (!native) return { error: FREED };
      const input = toJson(visitor, 'visitor');
      if (input.error) return { error: input.error };
      const engine = native;
      const reasons = wantsReasons(options);
      if (typeof engine.inputView === 'function') {
        return callJson(() => decidePageThroughMemory(engine, input.json, reasons));
      }
      return callJson(() => engine.decidePageJson(input.json, reasons));
    },

    // The compiled binary form for the lean build (lean.mjs), as a fresh Uint8Array; only
    // engines compiled from JSON by the full build have it.
    compiled() {
      if (!native) return { error: FREED };
      if (typeof native.compiledView !== 'function') return { error: 'not available in the lean build' };
      try {
        return new Uint8Array(native.compiledView());  // copy: the view dies with the next call
      } catch (e) {
        return { error: String(e && e.message ? e.message : e) };
      }
    },

    get freed() {
      return !native;
    },

    free() {
      const engine = native;
      native = undefined;
      if (!engine) return;
      try {
        engine.delete();
      } catch {
        // A failed delete leaves nothing to retry: the handle is dropped either way.
      }
    },
  });
}

// The visitor is encoded straight into Wasm memory and the result decoded from it, skipping
// the copies of the string route (decidePageJson): the fastest crossing on the benchmark
// (bench/README.md, "attune-wasm memory" vs "json-in").
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decidePageThroughMemory(engine, json, reasons) {
  const view = engine.inputView(json.length * 3);  // UTF-8 needs at most 3 bytes per unit
  const { written } = encoder.encodeInto(json, view);
  engine.decidePageFromInput(written, reasons);
  return decoder.decode(engine.outputView());
}

function wantsReasons(options) {
  return typeof options === 'object' && options !== null && options.reasons === true;
}
