// The traffic simulation's Web Worker: loads the real Wasm runtime, runs the visitors of
// simulation.mjs in chunks (yielding between them so a cancel message is seen), posts
// progress about every 1% or 200 ms and the final KPI report. Every failure (a bad config,
// a missing wasm file, a trap) is posted as an {type: "error"} message, never thrown.
//
// In:  {type: "load", wasmModule | wasmUrl}   (optional: loads the runtime ahead of a run)
//      {type: "run", configJson, wasmModule | wasmUrl, visitors, seed, consentShare, startMs, days?}
//      {type: "cancel"}
// The Wasm module is instantiated once per worker and kept for later runs: after the first
// load a run needs no network at all (the page hands over its compiled WebAssembly.Module).
// Out: {type: "loaded", loadMs}
//      {type: "progress", done, total, elapsedMs, rate}
//      {type: "done", cancelled, report, stats, done, total, elapsedMs, rate, loadMs}
//      {type: "error", message, errors?}

import createAttuneModule from '../../web/dist/attune.mjs';
import { instantiateModule } from '../../web/lib/instantiate.mjs';
import { startSimulation } from './simulation.mjs';

const CHUNK_MS = 40; // work between yields: short enough for a prompt cancel
const PROGRESS_MS = 200;

let cancelRequested = false;
let running = false;
let loading = null;  // Promise of {Module, loadMs}, kept once it succeeds

self.addEventListener('message', (event) => {
  const message = event.data;
  if (!message || typeof message !== 'object') return;
  if (message.type === 'cancel') {
    cancelRequested = true;
  } else if (message.type === 'load') {
    load(message).then(
      ({ loadMs }) => post({ type: 'loaded', loadMs }),
      (e) => post({ type: 'error', message: `cannot load the Wasm runtime: ${describe(e)}` }),
    );
  } else if (message.type === 'run') {
    if (running) {
      post({ type: 'error', message: 'a simulation is already running in this worker' });
      return;
    }
    running = true;
    cancelRequested = false;
    run(message)
      .catch((e) => post({ type: 'error', message: `simulation failed: ${describe(e)}` }))
      .finally(() => {
        running = false;
      });
  }
});

// A rejection or error that escaped anyway still reaches the page as a message.
self.addEventListener('unhandledrejection', (event) => {
  event.preventDefault();
  post({ type: 'error', message: `simulation failed: ${describe(event.reason)}` });
});

function post(message) {
  self.postMessage(message);
}

function describe(e) {
  if (e instanceof Error) return e.name === 'Error' ? e.message : `${e.name}: ${e.message}`;
  return String(e);
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

function load(message) {
  if (loading) return loading;
  const started = performance.now();
  const source = message.wasmModule instanceof WebAssembly.Module ? { wasmModule: message.wasmModule } : { wasmUrl: message.wasmUrl };
  loading = instantiateModule(createAttuneModule, source, () => undefined).then(
    (Module) => ({ Module, loadMs: performance.now() - started }),
    (e) => {
      loading = null;  // a later message may bring a working source
      throw e;
    },
  );
  return loading;
}

async function run(message) {
  let Module;
  let loadMs;
  try {
    ({ Module, loadMs } = await load(message));
  } catch (e) {
    post({ type: 'error', message: `cannot load the Wasm runtime: ${describe(e)}` });
    return;
  }
  post({ type: 'loaded', loadMs });

  const started = startSimulation(Module, {
    configJson: message.configJson,
    visitors: message.visitors,
    seed: message.seed,
    consentShare: message.consentShare,
    startMs: message.startMs,
    days: message.days,
  });
  if (!started.ok) {
    post({ type: 'error', message: started.error, errors: started.errors });
    return;
  }
  const sim = started.run;
  try {
    await simulate(sim, loadMs);
  } finally {
    sim.free();
  }
}

async function simulate(sim, loadMs) {
  const begin = performance.now();
  const total = sim.total;
  const onePercent = Math.max(1, Math.floor(total / 100));
  let nextProgressAt = onePercent;
  let lastPost = begin;
  let chunk = 50; // visitors per step, tuned so one step takes about 5 ms
  const timing = () => {
    const elapsedMs = performance.now() - begin;
    return { elapsedMs, rate: elapsedMs > 0 ? (sim.processed / elapsedMs) * 1000 : 0 };
  };

  while (!sim.done && !cancelRequested) {
    const sliceStart = performance.now();
    while (!sim.done && performance.now() - sliceStart < CHUNK_MS) {
      const stepStart = performance.now();
      sim.step(chunk);
      const stepMs = performance.now() - stepStart;
      if (stepMs < 2) chunk = Math.min(1000, chunk * 2);
      else if (stepMs > 10) chunk = Math.max(1, Math.floor(chunk / 2));
    }
    const now = performance.now();
    if (sim.processed >= nextProgressAt || now - lastPost >= PROGRESS_MS || sim.done) {
      post({ type: 'progress', done: sim.processed, total, ...timing() });
      lastPost = now;
      nextProgressAt = (Math.floor(sim.processed / onePercent) + 1) * onePercent;
    }
    await nextTurn();
  }

  const { elapsedMs, rate } = timing();
  post({
    type: 'done',
    cancelled: !sim.done,
    report: sim.kpiReport(),
    stats: sim.stats,
    done: sim.processed,
    total,
    elapsedMs,
    rate,
    loadMs,
  });
}
