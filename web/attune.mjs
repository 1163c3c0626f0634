// Attune's JS entry point: loads the Wasm runtime on any host (browser, Node, workerd) and
// exposes its API as plain JS values. Every call returns a value; none throws. Methods
// close over the module instead of using `this`, so they work detached too.
//
// A Wasm trap in any call is recovered from (lib/recovery.mjs): a fresh instance, every
// live engine rebuilt from the config text that compiled, the call run once more (every
// call here is pure), the host told through `onTrap`; `health()` says how it went.

import createAttuneModule from './dist/attune.mjs';
import { callJson, describeError, isObject, toJson, wellFormed } from './lib/boundary.mjs';
import { wrapEngine } from './lib/engine.mjs';
import { instantiateModule } from './lib/instantiate.mjs';
import { createKeeper, withTestHook } from './lib/recovery.mjs';

export async function loadAttune(options = {}) {
  if (!isObject(options)) throw new TypeError('loadAttune: options must be an object');
  if (options.onTrap !== undefined && typeof options.onTrap !== 'function') {
    throw new TypeError('loadAttune: onTrap must be a function');
  }
  const native = await instantiateModule(createAttuneModule, options, defaultWasmUrl);
  return wrapModule(createKeeper(native, { onTrap: options.onTrap }));
}

// Next to this file in the package (dist/attune.wasm). workerd has no import.meta.url.
function defaultWasmUrl() {
  const base = import.meta.url;
  return base ? new URL('./dist/attune.wasm', base).href : undefined;
}

function wrapModule(keeper) {
  // Every call reads the current instance: after a recovery it is a fresh one.
  const pure = (call) => keeper.run(() => call(keeper.native), { retry: true });

  const compile = (config) => {
    const input = toJson(config, 'config');
    if (input.error) return { ok: false, errors: [{ path: '', message: input.error }] };
    const remake = (native) => new native.Engine(input.json);
    return keeper.run(() => compileWith(keeper, remake), { retry: true, failed: compileFailed, bounded: false });
  };

  const api = {
    version: readVersion(keeper.native),

    compile,

    validate(config) {
      const result = compile(config);
      if (!result.ok) return result.errors;
      result.engine.free();
      return [];
    },

    evalCondition(condition, attributes = {}) {
      const cond = toJson(condition, 'condition');
      if (cond.error) return { error: cond.error };
      const attrs = toJson(attributes, 'attributes');
      if (attrs.error) return { error: attrs.error };
      return pure((native) => callJson(() => native.evalConditionJson(cond.json, attrs.json)));
    },

    negotiateLocale(request) {
      const input = toJson(request, 'request');
      if (input.error) return { error: input.error };
      return pure((native) => callJson(() => native.negotiateLocaleJson(input.json)));
    },

    renderTemplate(request) {
      const input = toJson(request, 'request');
      if (input.error) return { error: input.error };
      return pure((native) => callJson(() => native.renderTemplateJson(input.json)));
    },

    // Replays a visitor timeline (docs/FORMATS.md, tools: simulateJson): profile, triggers
    // and state round trips, the same code on every host.
    simulate(request) {
      const input = toJson(request, 'request');
      if (input.error) return { error: input.error };
      return pure((native) => callJson(() => native.simulateJson(input.json)));
    },

    // An IAB TCF v2.2 TC string decoded, and the purposes it grants (for a vendor id).
    tcf(tcString, vendorId = 0) {
      if (typeof tcString !== 'string') return { error: 'tcString: must be a string' };
      return pure((native) => callJson(() => native.tcfJson(wellFormed(tcString), Number(vendorId))));
    },

    hashBucket(seed, id) {
      if (typeof seed !== 'string') return { error: 'seed: must be a string' };
      if (typeof id !== 'string') return { error: 'id: must be a string' };
      return pure((native) => {
        try {
          return native.hashBucket(wellFormed(seed), wellFormed(id));
        } catch (e) {
          return { error: describeError(e) };
        }
      });
    },

    // {status: 'ok' | 'failed', recoveries, lastError?, reason?}: how traps went so far.
    health: () => keeper.health(),
  };
  return Object.freeze(withTestHook(api, keeper));
}

// One compile on the current instance: {ok, engine} or {ok: false, errors}.
function compileWith(keeper, remake) {
  let engine;
  try {
    engine = remake(keeper.native);
    if (engine.ok()) return { ok: true, engine: wrapEngine(engine, keeper, remake) };
    const errors = parseErrors(engine.errorsJson());
    engine.delete();
    return { ok: false, errors };
  } catch (e) {
    deleteQuietly(engine);
    return { ok: false, errors: [{ path: '', message: describeError(e) }] };
  }
}

function compileFailed(message) {
  return { ok: false, errors: [{ path: '', message }] };
}

function readVersion(native) {
  try {
    return native.version();
  } catch (e) {
    return `unknown (${describeError(e)})`;
  }
}

function parseErrors(json) {
  const errors = callJson(() => json);
  if (Array.isArray(errors) && errors.length > 0) return errors;
  // A config that did not compile must never look valid, whatever the engine said.
  return [{ path: '', message: errors.error || 'config rejected without a reason' }];
}

function deleteQuietly(engine) {
  try {
    if (engine) engine.delete();
  } catch {
    // Already unusable; nothing else to release.
  }
}

export { createAttune } from './runtime.mjs';
