// The Wasm module and the compiled config, once per isolate. The first request starts the
// load (workerd forbids compiling Wasm from bytes, so the module comes from its `wasm`
// module binding; the environment is only known inside a request) and every later request
// awaits the same promise. A config that does not compile is reported once and remembered:
// the worker then passes every page through unchanged, never a 5xx.

import createAttuneModule from '../dist/attune.mjs';
import wasmModule from '../dist/attune.wasm';
import { wellFormed } from '../lib/boundary.mjs';
import { instantiateModule } from '../lib/instantiate.mjs';
import bundledConfig from './config.json';

let loading = null;

let ready = null;  // what `loading` resolved to, for requests that need not wait a turn

// {native, engine, visitor, placements: [ids in config order]} or {error}. `visitor` is the
// isolate's one Visitor, refilled by every request (decide.mjs).
export function edgeEngine(settings) {
  loading ??= load(settings).then((loaded) => {
    ready = loaded;
    return loaded;
  });
  return loading;
}

// The loaded engine when it is already there (every request after the first), else null.
export function readyEngine() {
  return ready;
}

// After a Wasm trap the instance may be unusable (Emscripten aborts it): the next request
// loads a fresh one. A request still holding an engine that was already replaced does not
// drop the new one.
export function discardEngine(loaded) {
  for (const object of [loaded && loaded.visitor, loaded && loaded.engine]) {
    try {
      object?.delete();
    } catch {
      // Already unusable.
    }
  }
  if (ready === loaded) {
    loading = null;
    ready = null;
  }
}

async function load(settings) {
  const started = Date.now();
  let native;
  try {
    native = await instantiateModule(createAttuneModule, { wasmModule }, () => undefined);
  } catch (e) {
    return failed(`the Wasm module did not load: ${message(e)}`);
  }
  const source = settings.configText !== null ? 'ATTUNE_CONFIG' : 'config.json';
  let text;
  let placements;
  try {
    text = settings.configText !== null ? settings.configText : JSON.stringify(bundledConfig);
    placements = placementIds(JSON.parse(text));
  } catch (e) {
    return failed(`${source} is not JSON: ${message(e)}`);
  }
  let engine;
  let visitor;
  try {
    engine = new native.Engine(wellFormed(text));
    if (!engine.ok()) {
      const problems = readProblems(engine.errorsJson());
      engine.delete();
      return failed(`${source} rejected (${problems})`);
    }
    if (settings.tokenSecret) engine.setTokenSecret(wellFormed(settings.tokenSecret));
    engine.seedTokenEntropy(crypto.getRandomValues(new Uint32Array(1))[0]);
    visitor = new native.Visitor();
  } catch (e) {
    try {
      engine?.delete();
    } catch {
      // Nothing more to free.
    }
    return failed(`${source} could not be compiled: ${message(e)}`);
  }
  console.log(
    `attune-edge: ${source} compiled once for this isolate: ${placements.length} placements ` +
      `(${Date.now() - started} ms)`,
  );
  return { native, engine, visitor, placements };
}

function failed(reason) {
  console.error(`attune-edge: ${reason}; pages pass through unchanged`);
  return { error: reason };
}

function placementIds(config) {
  const list = config && Array.isArray(config.placements) ? config.placements : [];
  return list.map((p) => (p && typeof p.id === 'string' ? p.id : null)).filter((id) => id !== null);
}

function readProblems(json) {
  try {
    const problems = JSON.parse(json);
    if (Array.isArray(problems) && problems.length) {
      const shown = problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`).join('; ');
      return problems.length > 5 ? `${shown}; and ${problems.length - 5} more` : shown;
    }
  } catch {
    // fall through
  }
  return 'no reason given';
}

function message(e) {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'unknown error';
  }
}
