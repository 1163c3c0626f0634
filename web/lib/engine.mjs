// A compiled config, wrapping one native `Engine` (bindings/facade.js). The C++ object lives in Wasm memory
// that JS's garbage collector cannot see, so it is freed explicitly with `free()`.
// Methods close over their state instead of using `this`, so they work detached too
// (`const { decide } = engine`).
//
// After a trap (lib/recovery.mjs) the wrapper rebuilds its native engine on the fresh
// instance with `remake` (from the config text or bytes that compiled), so wrappers the
// host already holds go on working. Every engine call is pure (it changes nothing the
// host can see), so a call that trapped runs once more on the fresh instance.

import { callJson, describeError, toJson, wellFormed } from './boundary.mjs';

const FREED = 'engine freed';

// Wrapping a handle without a keeper (a unit test, a tool): calls run once, nothing is rebuilt.
const WITHOUT_RECOVERY = Object.freeze({ run: (call) => call(), depend: () => () => {} });

// handle: the native Engine; keeper: lib/recovery.mjs; remake(native): a new native Engine
// with the same config on another instance.
export function wrapEngine(handle, keeper = WITHOUT_RECOVERY, remake = undefined) {
  let native = handle;
  let lost = null;  // why the engine could not be rebuilt after a trap
  const stopRebuilding = keeper.depend((fresh) => {
    native = undefined;  // the old one died with its instance
    lost = 'engine lost: the Wasm instance crashed and the engine could not be rebuilt';
    const made = remake(fresh);
    if (!made.ok()) {
      made.delete();
      return;
    }
    native = made;
    lost = null;
  });
  const gone = () => (lost !== null ? lost : FREED);
  // The current native engine is read on each attempt: a retry runs on the rebuilt one.
  const run = (call) => keeper.run(() => (native ? call(native) : { error: gone() }), { retry: true });

  return Object.freeze({
    decide(placementId, visitor, options) {
      if (!native) return { error: gone() };
      if (typeof placementId !== 'string') return { error: 'placementId: must be a string' };
      const input = toJson(visitor, 'visitor');
      if (input.error) return { error: input.error };
      const id = wellFormed(placementId);
      const reasons = wantsReasons(options);
      return run((engine) => callJson(() => engine.decideJson(id, input.json, reasons)));
    },

    decidePage(visitor, options) {
      if (!native) return { error: gone() };
      const input = toJson(visitor, 'visitor');
      if (input.error) return { error: input.error };
      const reasons = wantsReasons(options);
      return run((engine) => {
        if (typeof engine.inputView === 'function') {
          return callJson(() => decidePageThroughMemory(engine, input.json, reasons));
        }
        return callJson(() => engine.decidePageJson(input.json, reasons));
      });
    },

    // The compiled binary form for the lean build (lean.mjs), as a fresh Uint8Array; only
    // engines compiled from JSON by the full build have it.
    compiled() {
      if (!native) return { error: gone() };
      if (typeof native.compiledView !== 'function') return { error: 'not available in the lean build' };
      return run((engine) => {
        try {
          return new Uint8Array(engine.compiledView());  // copy: the view dies with the next call
        } catch (e) {
          return { error: describeError(e) };
        }
      });
    },

    get freed() {
      return !native;
    },

    free() {
      stopRebuilding();
      const engine = native;
      native = undefined;
      lost = null;
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
