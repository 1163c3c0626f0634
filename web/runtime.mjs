// The stateful browser runtime: one visitor, one compiled config, the visitor's profile
// kept on the device and shared between the site's tabs — only as far as the visitor's
// consent allows (SPEC §7, docs/CONSENT.md).
//
//   const rt = await createAttune({ config, collectorUrl: '/collect' });
//   rt.setConsent({ storage: true, personalization: true, measurement: true });
//   rt.track('page_view', { categories: ['ski'] });
//   const d = rt.decide('hero');
//   rt.impression(d.token);
//
// Events apply to the in-memory Visitor at once (the next decision sees them) and are also
// queued, as are consent changes. A flush (write-behind, at most every flushIntervalMs, and
// when the page is hidden) runs under a cross-tab lock: it reads the stored blob; if another
// tab wrote since this tab last read, it loads that blob into a fresh Visitor and re-applies
// this tab's queued events and consent changes with their original timestamps, so no tab's
// counts or choices are lost; then it writes the result, which becomes this tab's state.
// Other tabs hear of the write through the `storage` event and do the same merge in memory.
//
// Consent decides what may reach the device: with `storage` in force the whole state is
// written; without it, nothing — except, once the visitor has made a choice, the minimal
// consent record that honours it (no id, no profile). Reading the stored value is always
// allowed: it is how an earlier choice is found.
//
// Nothing here throws after createAttune resolves: bad input and storage failures come
// back as values (`{error}`, `storageStatus`).
//
// A Wasm trap is recovered from (lib/recovery.mjs): a fresh instance, the engine compiled
// again from the config, the visitor reloaded from the checkpoint — its state blob as of
// the last change that completed (taken after every event, consent change, forget and
// merge), so counts and the consent record are never lost — and the call run once more.
// Every call does its Wasm work before anything outside Wasm (the queue, the collector,
// storage) changes, and the checkpoint is the state before that work, so running it again
// applies it once. `health()` and the `onTrap` option report it.

import createAttuneModule from './dist/attune.mjs';
import { callJson, describeError, isObject, toJson, wellFormed } from './lib/boundary.mjs';
import { createCollector } from './lib/collector.mjs';
import {
  PURPOSES,
  checkGpcOption,
  checkTcfApiOption,
  gpcReader,
  listenToCmp,
  readConsentInput,
  readSource,
} from './lib/consent.mjs';
import { defaultContext, mergeContext } from './lib/context.mjs';
import { COOKIE_BUDGET, DEFAULT_COOKIE, checkCookieName, openCookieStorage } from './lib/cookie_storage.mjs';
import { adoptedDecision, edgeTokensOf, parseEdgePayload, readEdgePayload } from './lib/edge_handoff.mjs';
import { instantiateModule } from './lib/instantiate.mjs';
import { createKeeper, withTestHook } from './lib/recovery.mjs';
import {
  checkStorageOption,
  decodeBase64Url,
  describeFailure,
  encodeBase64Url,
  memoryMode,
  openStorage,
  webLocks,
} from './lib/storage.mjs';

const DEFAULT_KEY = 'attune:state';
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const MAX_COLLECTOR_URL = 2048;
const CLOSED = 'runtime closed';
const EMPTY_REPORT = Object.freeze({ status: 'empty', consentKept: false, fromVersion: 0, reason: '' });
const NOTHING_GRANTED = Object.freeze(Object.fromEntries(PURPOSES.map((p) => [p, false])));

export async function createAttune(options = {}) {
  const settings = readOptions(options);
  const native = await instantiateModule(createAttuneModule, options, defaultWasmUrl);
  if (typeof native.Visitor !== 'function') {
    throw new Error('createAttune: this build of dist/attune.wasm has no Visitor; rebuild it (scripts/build-wasm.sh)');
  }
  const engine = compileEngine(native, settings.config);
  let runtime;
  try {
    runtime = startRuntime(createKeeper(native, { onTrap: settings.onTrap }), engine, settings);
  } catch (e) {
    deleteQuietly(engine);
    throw new Error(`createAttune: cannot start: ${describeError(e)}`);
  }
  await runtime.ready;
  return runtime.api;
}

function openStorageFor(settings) {
  if (settings.storage !== 'cookie') return openStorage(settings.storage);
  const opened = openCookieStorage(settings.cookie, webLocks());
  return opened.adapter ? opened : memoryMode(false, opened.reason);
}

// Next to this file in the package (dist/attune.wasm). workerd has no import.meta.url.
function defaultWasmUrl() {
  const base = import.meta.url;
  return base ? new URL('./dist/attune.wasm', base).href : undefined;
}

// Programming errors (a wrong option type) reject createAttune with a precise message;
// everything after that returns values.
function readOptions(options) {
  if (!isObject(options)) throw new TypeError('createAttune: options must be an object');
  const fail = (message) => {
    throw new TypeError(`createAttune: ${message}`);
  };
  const config = toJson(options.config, 'config');
  if (config.error) fail(config.error);
  const storageProblem = checkStorageOption(options.storage);
  if (storageProblem) fail(storageProblem);
  const key = options.key === undefined ? DEFAULT_KEY : options.key;
  if (typeof key !== 'string' || key === '') fail('key: must be a non-empty string');
  const clock = options.clock === undefined ? () => Date.now() : options.clock;
  if (typeof clock !== 'function') fail('clock: must be a function returning milliseconds since the epoch');
  if (options.context !== undefined && typeof options.context !== 'function') {
    fail('context: must be a function returning the visitor context');
  }
  const interval = options.flushIntervalMs === undefined ? DEFAULT_FLUSH_INTERVAL_MS : options.flushIntervalMs;
  if (typeof interval !== 'number' || !(interval >= 0) || !Number.isFinite(interval)) {
    fail('flushIntervalMs: must be a finite number >= 0');
  }
  const url = options.collectorUrl;
  if (url !== undefined && (typeof url !== 'string' || url === '' || url.length > MAX_COLLECTOR_URL)) {
    fail(`collectorUrl: must be a non-empty URL of at most ${MAX_COLLECTOR_URL} characters`);
  }
  if (options.collectorTransport !== undefined && typeof options.collectorTransport !== 'function') {
    fail("collectorTransport: must be a function (url, body, how) returning whether the batch was handed over, or a promise of the collector's answer");
  }
  // The edge hand-off: 'auto' (default) reads the page's #attune-edge payload; false
  // ignores it; a string is the payload's JSON (hosts that hold it elsewhere).
  const edgeOption = options.edge === undefined ? 'auto' : options.edge;
  if (edgeOption !== 'auto' && edgeOption !== false && typeof edgeOption !== 'string') {
    fail("edge: must be 'auto', false or the edge payload's JSON text");
  }
  const edge = edgeOption === false ? { payload: null }
    : edgeOption === 'auto' ? readEdgePayload() : parseEdgePayload(edgeOption);
  if (options.cookie !== undefined && checkCookieName(options.cookie)) fail(checkCookieName(options.cookie));
  const cookie = options.cookie || (edge.payload && edge.payload.cookie) || DEFAULT_COOKIE;
  // On an edge-personalised page the state lives where the edge keeps it: the cookie.
  const storage = options.storage === undefined && edge.payload ? 'cookie' : options.storage;
  const gpcProblem = checkGpcOption(options.gpc);
  if (gpcProblem) fail(gpcProblem);
  const tcfProblem = checkTcfApiOption(options.tcfApi);
  if (tcfProblem) fail(tcfProblem);
  if (options.onTrap !== undefined && typeof options.onTrap !== 'function') fail('onTrap: must be a function');
  return { config: config.json, onTrap: options.onTrap, storage, cookie, edge, key, clock, context: options.context,
    flushIntervalMs: interval, collectorUrl: url, collectorTransport: options.collectorTransport,
    gpc: gpcReader(options.gpc), tcfApi: options.tcfApi };
}

function compileEngine(native, configJson) {
  let engine;
  try {
    engine = new native.Engine(configJson);
    if (engine.ok()) return engine;
    const errors = callJson(() => engine.errorsJson());
    const list = Array.isArray(errors) && errors.length > 0 ? errors : [{ path: '', message: 'config rejected' }];
    const shown = list.slice(0, 5).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
    const more = list.length > 5 ? `; and ${list.length - 5} more` : '';
    throw Object.assign(new Error(`createAttune: the config is invalid: ${shown.join('; ')}${more}`), {
      errors: list,
    });
  } catch (e) {
    deleteQuietly(engine);
    if (e instanceof Error && e.message.startsWith('createAttune:')) throw e;
    throw new Error(`createAttune: cannot compile the config: ${describeError(e)}`);
  }
}

function startRuntime(keeper, engine, settings) {
  const { key, clock, flushIntervalMs, gpc } = settings;
  let native = keeper.native;  // replaced, with engine and visitor, after a trap (below)
  let { adapter, status } = openStorageFor(settings);
  // Decisions an edge worker made for this page view, adopted instead of deciding again.
  const edgePayload = settings.edge.payload;
  const edgeTokens = new Map();  // token → reported kinds (the edge counted the impression)
  if (edgePayload) for (const token of edgeTokensOf(edgePayload)) edgeTokens.set(token, new Set());
  // Tokens from two tabs deciding in the same millisecond must differ (runtime/contact.h).
  engine.seedTokenEntropy(randomUint32());
  let visitor = new native.Visitor();
  let saved = null;          // the checkpoint: the visitor's state blob after its last completed change
  // Not yet stored, in order: {kind: 'track', type, props (JSON text), now},
  // {kind: 'consent', json, source, now} and {kind: 'forget', id (the new id)}. Replayed onto
  // another tab's state in a merge, so a tab's events, choices and erasures all survive it.
  let queue = [];
  let lastSeen = null;       // the stored text this tab's state is built on
  let knownId = '';          // the visitor id in that text ('' when it holds none)
  let loadReport = EMPTY_REPORT;
  let mustWrite = false;     // the stored value may be out of date: compare and replace it
  let pending = null;        // the flush waiting for or holding the lock: {started, promise}
  let timer = null;
  let lastFlushAt = -Infinity;
  let closed = false;
  let closing = null;
  let inForce = NOTHING_GRANTED;  // purposes in force without GPC (GPC touches only marketing)
  let record = { present: false };
  let collector = null;
  let cmp = null;
  const cleanups = [];

  // The consent gate for the device (SPEC §7): while `storage` is not in force nothing but
  // the consent record is written, and nothing is read-modify-written.
  const canStore = () => inForce.storage === true;

  const now = () => {
    const t = Number(clock());
    if (!Number.isFinite(t)) throw new RangeError(`clock: returned ${String(t)}, not milliseconds since the epoch`);
    return t;
  };

  // ---- traps ----

  // Taken after every change to the visitor that completed; never from a trapped instance.
  function checkpoint() {
    if (keeper.trapped) return;
    try {
      saved = new Uint8Array(visitor.stateView());  // copied: the view dies with the next call
    } catch {
      // keeps the previous checkpoint
    }
  }

  // The runtime on a fresh instance: the engine from the config, the visitor from the
  // checkpoint. What died with the old instance is dropped, not deleted.
  keeper.depend((fresh) => {
    native = fresh;
    engine = undefined;
    visitor = new fresh.Visitor();
    if (saved) {
      const report = callJson(() => visitor.loadState(saved));
      if (!usable(report)) throw new Error(`the checkpoint did not load: ${report.reason || report.error || report.status}`);
    }
    engine = compileEngine(fresh, settings.config);
    engine.seedTokenEntropy(randomUint32());
    refreshConsent();
  });

  // An API call: recovered from and run once more after a trap (see the top of this file).
  const guard = (call) => keeper.run(call, { retry: true });

  // ---- consent ----

  function purposesOf(v, withGpc) {
    const purposes = callJson(() => engine.purposesJson(v, withGpc));
    return purposes.error ? NOTHING_GRANTED : purposes;  // unknown: fail closed
  }

  // Called whenever the visitor or its record may have changed.
  function refreshConsent() {
    const purposes = purposesOf(visitor, false);
    const current = callJson(() => visitor.consentRecordJson());
    // A trap is not a withdrawal: keep what was in force until the recovery refreshes it.
    if (keeper.trapped) return;
    inForce = purposes;
    record = current.error ? { present: false } : current;
    if (collector && !inForce.measurement) collector.clear();
  }

  // A Visitor holding only `v`'s consent record: no id, no profile.
  function recordOnlyVisitor(v) {
    const copy = new native.Visitor();
    try {
      copy.loadState(new Uint8Array(v.stateView()));  // copied: the view dies with the next call
      copy.forget();
      return copy;
    } catch (e) {
      deleteQuietly(copy);
      throw e;
    }
  }

  // What may be on the device now: the whole state, or only the record (once there is one),
  // or nothing.
  function persistedText() {
    if (canStore()) return stateText(visitor);
    if (!record.present) return null;
    const copy = recordOnlyVisitor(visitor);
    try {
      return stateText(copy);
    } finally {
      deleteQuietly(copy);
    }
  }

  function applyConsent(json, source) {
    let t;
    try {
      t = now();
    } catch (e) {
      return { error: describeError(e) };
    }
    const before = inForce;
    const result = callJson(() => engine.setConsentJson(visitor, json, source, t));
    if (result.error) return { error: result.error };
    refreshConsent();
    checkpoint();
    if (keeper.trapped) return { error: 'engine crashed' };  // run again after the recovery
    const lost = PURPOSES.filter((p) => before[p] && !inForce[p]);
    if (adapter) {
      // Events queued before a withdrawal were erased with the profile: never replay them.
      if (!inForce.storage || !inForce.personalization) queue = queue.filter((op) => op.kind !== 'track');
      queue.push({ kind: 'consent', json, source, now: t });
      mustWrite = true;
      if (lost.length > 0) persistNow();
      if (adapter) flush();
    }
    return { ok: true, record: result };
  }

  // A CMP reports its TC string again on every page; re-applying an unchanged choice would
  // only move `updated` and rewrite storage. So it is tried on a copy of the record first.
  function applyTcString(tcString) {
    if (closing) return { error: CLOSED };
    const input = readConsentInput({ tcString });
    if (input.error) return input;
    let probe;
    try {
      probe = recordOnlyVisitor(visitor);
      const t = now();
      const result = callJson(() => engine.setConsentJson(probe, input.json, 'tcf', t));
      if (result.error) return { error: result.error };
      const same = record.present && record.policyVersion === result.policyVersion &&
        PURPOSES.every((p) => record.purposes[p] === result.purposes[p]);
      if (same) return { ok: true, changed: false };
    } catch (e) {
      return { error: describeError(e) };
    } finally {
      deleteQuietly(probe);
    }
    const applied = applyConsent(input.json, 'tcf');
    return applied.error ? applied : { ok: true, changed: true };
  }

  // ---- state blob <-> storage ----

  function stateText(v) {
    if (status.mode === 'cookie') {
      // Cookie-sized, as the edge writes it: pruned and compacted when storage holds (the
      // whole state), the plain blob of a record-only visitor otherwise.
      const text = purposesOf(v, false).storage ? engine.cookieForJson(v, COOKIE_BUDGET, false) : v.cookieText(COOKIE_BUDGET);
      if (!text) throw new RangeError(`the state does not fit a ${COOKIE_BUDGET}-character cookie`);
      return text;
    }
    return encodeBase64Url(v.stateView());  // encoded at once: the view dies with the next call
  }

  // Loads stored text into a fresh Visitor; the report says whether it was usable.
  function loadText(target, text) {
    const bytes = decodeBase64Url(text);
    if (!bytes) {
      return { status: 'corrupt', consentKept: false, fromVersion: 0, reason: 'stored value is not base64url text' };
    }
    const report = callJson(() => target.loadState(bytes));
    if (report.error) return { status: 'corrupt', consentKept: false, fromVersion: 0, reason: report.error };
    return report;
  }

  const usable = (report) => report.status === 'ok' || report.status === 'migrated';

  function replay(target, op) {
    if (op.kind === 'track') {
      // A report this tab accepted counts on the merged state too, even where other tabs'
      // traffic moved the replay window past its token; a true replay is still refused.
      engine.replayTrackJson(target, op.type, op.props, op.now);
      return;
    }
    if (op.kind === 'forget') {
      // A state carrying the new id was built on this tab's erasure: nothing left to erase.
      if (target.id() !== op.id) target.forget();
      return;
    }
    // Another tab's later choice wins over this tab's earlier one.
    const current = callJson(() => target.consentRecordJson());
    if (current.present && current.updated > op.now) return;
    engine.setConsentJson(target, op.json, op.source, op.now);
  }

  // Replaces this tab's state with the stored one plus this tab's queued operations.
  function adopt(stored) {
    const fresh = new native.Visitor();
    try {
      let report = EMPTY_REPORT;
      if (stored !== null) {
        report = loadText(fresh, stored);
        loadReport = report;
      }
      if (!usable(report)) mustWrite = true;
      const storedId = fresh.id();
      // Another tab's forget() gave the visitor a new identity: events this tab queued under
      // the old one went with it (unless this tab's own forget is the newer change).
      if (storedId && knownId && storedId !== knownId && !queue.some((op) => op.kind === 'forget')) {
        queue = queue.filter((op) => op.kind !== 'track');
      }
      knownId = storedId;
      if (!purposesOf(fresh, false).storage) {
        // Kept under a consent that no longer holds (an older policyVersion, or written
        // before the site asked): neither used nor kept. Only the record survives.
        fresh.forget();
        if (stored !== null) mustWrite = true;
      }
      for (const op of queue) replay(fresh, op);
      if (!fresh.id()) fresh.setId(visitor.id() || newVisitorId());
    } catch (e) {
      deleteQuietly(fresh);
      throw e;
    }
    const old = visitor;
    visitor = fresh;
    deleteQuietly(old);
    lastSeen = stored;
    refreshConsent();
    checkpoint();
  }

  function toMemory(what, e) {
    ({ adapter, status } = memoryMode(false, `${what} failed: ${describeFailure(e)}`));
    queue = [];
    stopTimer();
    runCleanups();
  }

  function runCleanups() {
    while (cleanups.length > 0) {
      try {
        cleanups.pop()();
      } catch {
        // a listener that cannot be removed is harmless once `closed`/memory mode is set
      }
    }
  }

  // Writes `text`, or erases the key for null; returns what the key now holds.
  function put(text) {
    knownId = text !== null && canStore() ? visitor.id() : '';
    if (text !== null) {
      adapter.write(key, text);
      return text;
    }
    if (typeof adapter.remove === 'function') {
      adapter.remove(key);
      return null;
    }
    adapter.write(key, '');
    return '';
  }

  const sameStored = (text, stored) => text === (stored === '' ? null : stored);

  // The flush's critical section: synchronous, so no event of this tab interleaves. Runs
  // under the adapter's lock when it has one.
  function reconcile() {
    // A trapped instance's answers are not the state: never merge or write from them.
    if (!adapter || closed || keeper.trapped) return;
    lastFlushAt = Date.now();
    let stored;
    try {
      stored = adapter.read(key);
    } catch (e) {
      return toMemory('reading storage', e);
    }
    if (stored !== lastSeen) adopt(stored);
    if (keeper.trapped) return;
    if (!canStore()) {
      queue = [];  // events are not kept on the device without `storage`
      if (!mustWrite) return;
    } else if (queue.length === 0 && !mustWrite) {
      return;
    }
    let text;
    try {
      text = persistedText();
    } catch (e) {
      return toMemory('encoding the state', e);
    }
    // Without storage consent a write happens only to shrink what is there to the record.
    // With it, even an unchanged text is written: a locked write is what leaves the beacon.
    if (!canStore() && sameStored(text, stored)) {
      mustWrite = false;
      return;
    }
    try {
      lastSeen = put(text);
    } catch (e) {
      return toMemory('writing storage', e);
    }
    queue = [];
    mustWrite = false;
  }

  // A withdrawal or forget() must reach storage before the call returns: merge and write
  // now, unlocked (best effort), then again under the lock with the change still queued, so
  // that a tab whose flush read the old state cannot bring the old profile back — not by
  // its write, nor by this tab adopting that write.
  function persistNow() {
    const changes = queue.filter((op) => op.kind !== 'track');
    mustWrite = true;
    guarded(reconcile);
    if (!adapter) return;
    queue = changes.concat(queue);
    mustWrite = true;
  }

  // Resolves once every event tracked before the call is persisted (or storage failed).
  // Calls while a flush waits for its lock share it; a call after its critical section ran
  // starts another one behind it.
  function flush() {
    if (!adapter || closed) return Promise.resolve(snapshot(status));
    if (pending) return pending.started ? pending.promise.then(flush) : pending.promise;
    stopTimer();
    const entry = { started: false, promise: null };
    const run = () => {
      entry.started = true;
      guarded(reconcile);
      return snapshot(status);
    };
    let request;
    try {
      request = adapter.lock ? Promise.resolve(adapter.lock(key, run)) : Promise.resolve().then(run);
    } catch (e) {
      request = Promise.reject(e);
    }
    request = request.catch((e) => {
      if (entry.started) return snapshot(status);
      // A lock manager that refuses (an opaque origin, a detached document): merge without
      // it rather than not persist at all.
      if (status.mode !== 'memory') status = { ...status, sync: 'best-effort', lockError: describeFailure(e) };
      return run();
    });
    entry.promise = request.finally(() => {
      if (pending === entry) pending = null;
      if (queue.length > 0) scheduleFlush();
    });
    pending = entry;
    return entry.promise;
  }

  function scheduleFlush() {
    if (timer !== null || !adapter || closed || pending) return;
    const delay = Math.max(0, lastFlushAt + flushIntervalMs - Date.now());
    timer = setTimeout(() => {
      timer = null;
      flush();
    }, delay);
    // Node and other hosts: a pending write-behind must not keep the process alive.
    if (timer && typeof timer.unref === 'function') timer.unref();
  }

  function stopTimer() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  // Another tab wrote: rebuild on the stored state, keeping this tab's queued operations.
  // Also without storage consent: another tab's grant or withdrawal applies here too.
  function onExternalChange() {
    if (!adapter || closed) return;
    let stored;
    try {
      stored = adapter.read(key);
    } catch (e) {
      return toMemory('reading storage', e);
    }
    if (stored !== lastSeen) adopt(stored);
  }

  // Runs `step` on the freshest state every tab agrees on and persists what it changed,
  // under the cross-tab lock: how show() keeps a cap exact while tabs race. Resolves with
  // step's result.
  function exclusive(step) {
    return new Promise((resolve) => {
      let result = { error: 'the state could not be merged' };
      const run = () => {
        if (!adapter || closed) {
          result = step();
          return;
        }
        guarded(() => {
          const stored = adapter.read(key);
          if (stored !== lastSeen) adopt(stored);
          result = step();
          reconcile();
        });
      };
      let request;
      try {
        request = adapter && adapter.lock ? Promise.resolve(adapter.lock(key, run)) : Promise.resolve().then(run);
      } catch (e) {
        request = Promise.reject(e);
      }
      request
        .catch(() => run())  // a lock manager that refuses: best effort, as flush() does
        .catch((e) => {
          result = { error: describeError(e) };
        })
        .finally(() => resolve(result));
    });
  }

  // A failure inside a merge (a trap in the Wasm) must not escape into a timer or an event
  // handler: the tab keeps its in-memory state and stops persisting, with the reason (a
  // stored value that traps would trap every flush). The instance is replaced; inside an
  // API call, by that call's run, which also runs it again. A step that failed only because
  // the instance had trapped before it began is not the stored value's fault.
  function guarded(step) {
    const wasHealthy = !keeper.trapped;
    let failure = null;
    try {
      step();
    } catch (e) {
      failure = e;
    }
    if (keeper.trapped) {
      if (wasHealthy) toMemory('merging the stored state', failure || new Error('the engine crashed'));
      keeper.settle();
    } else if (failure) {
      toMemory('merging the stored state', failure);
    }
  }

  // ---- startup ----

  function initialLoad() {
    // The edge decided for this visitor id: tokens are bound to it. A stored state (the
    // edge's cookie) carries the same id; without one, the page keeps the edge's.
    if (edgePayload) visitor.setId(edgePayload.visitor);
    if (adapter) {
      // Read even before any consent: the stored record is the visitor's earlier choice.
      let stored = null;
      try {
        stored = adapter.read(key);
      } catch (e) {
        toMemory('reading storage', e);
      }
      if (adapter) guarded(() => adopt(stored));
    }
    if (!visitor.id()) visitor.setId(newVisitorId());
    refreshConsent();
    checkpoint();
    if (adapter) {
      const opened = adapter;
      if (typeof opened.close === 'function') cleanups.push(() => opened.close());
      if (typeof adapter.subscribe === 'function') {
        const unsubscribe = adapter.subscribe(key, () => guarded(onExternalChange));
        if (typeof unsubscribe === 'function') cleanups.push(unsubscribe);
      }
      listenToPage();
      listenToForget();
    }
    collector = createCollector({
      url: settings.collectorUrl,
      intervalMs: flushIntervalMs,
      allowed: () => !closed && inForce.measurement === true,
      envelope: () => ({ visitor: currentId() }),
      clock: () => {
        try {
          return now();
        } catch {
          return Date.now();
        }
      },
      timer: {
        set(fn, ms) {
          const handle = setTimeout(fn, ms);
          if (handle && typeof handle.unref === 'function') handle.unref();  // Node: never keeps the process alive
          return handle;
        },
        clear: (handle) => clearTimeout(handle),
      },
      transport: settings.collectorTransport,
      // Events this tab could not confirm before the page went away, for its next page: in
      // sessionStorage next to the localStorage state, and only while `storage` is in force.
      outbox: {
        canPersist: () => canStore() && status.mode === 'local',
        read: () => globalThis.sessionStorage.getItem(`${key}:outbox`),
        write: (text) => globalThis.sessionStorage.setItem(`${key}:outbox`, text),
        remove: () => globalThis.sessionStorage.removeItem(`${key}:outbox`),
      },
    });
    // The CMP may answer at once (a choice made on an earlier page): after the state is loaded.
    cmp = listenToCmp(settings.tcfApi, (tcString) => guard(() => applyTcString(tcString)));
    // Persist a new visitor's id at once when storage is allowed (and find out now whether
    // it works); under the lock, so two tabs opening together settle on one id.
    return mustWrite ? flush() : Promise.resolve();
  }

  function listenToPage() {
    const win = globalThis;
    if (typeof win.addEventListener !== 'function' || typeof win.document !== 'object') return;
    // Hidden: the page may never come back (mobile tab switch), so persist now; the page
    // stays alive long enough for the lock. pagehide: the document is going away and an
    // async lock callback would never run, so merge and write synchronously.
    const onVisibility = () => {
      if (win.document.visibilityState === 'hidden') flush();
    };
    const onPageHide = () => {
      if (queue.length > 0 || mustWrite) guarded(reconcile);
    };
    win.document.addEventListener('visibilitychange', onVisibility);
    win.addEventListener('pagehide', onPageHide);
    cleanups.push(() => {
      win.document.removeEventListener('visibilitychange', onVisibility);
      win.removeEventListener('pagehide', onPageHide);
    });
  }

  // forget() in one tab must not be undone by another tab's queued events: the others drop
  // their queues when told.
  let channel = null;
  function listenToForget() {
    if (typeof globalThis.BroadcastChannel !== 'function' || status.mode !== 'local') return;
    try {
      channel = new globalThis.BroadcastChannel(key);
    } catch {
      return;
    }
    // The message carries the new id: this tab takes it at once and queues the erasure, so
    // that a stale stored profile (this tab's view of storage may lag) is erased on merge.
    channel.onmessage = (event) => {
      const data = event.data;
      if (!data || data.type !== 'forget' || typeof data.id !== 'string' || closed) return;
      queue = [{ kind: 'forget', id: data.id }];
      knownId = data.id;
      if (collector) collector.clear();
      try {
        visitor.forget();
        visitor.setId(data.id);
        checkpoint();
      } catch {
        // the stored state is reloaded below either way (and a trap recovered from there)
      }
      guarded(onExternalChange);
      scheduleFlush();
    };
    if (typeof channel.unref === 'function') channel.unref();
    cleanups.push(() => {
      channel.close();
      channel = null;
    });
  }

  // ---- the API ----

  function buildContext(overrides) {
    if (overrides !== undefined && overrides !== null && (typeof overrides !== 'object' || Array.isArray(overrides))) {
      return { error: 'context: overrides must be an object' };
    }
    let base;
    try {
      const t = now();
      base = defaultContext(t);
      if (settings.context) base = settings.context(base);
      if (!isObject(base) || Array.isArray(base)) return { error: 'context: the context function must return an object' };
      const merged = mergeContext(base, overrides);
      if (merged.now === undefined) merged.now = t;
      // Decisions follow the recorded choice and nothing else: a per-decision `consent`
      // would bypass it. GPC is added here, read for every decision.
      if (merged.consent !== undefined) {
        return { error: 'context.consent: record choices with setConsent(); GPC is read from navigator.globalPrivacyControl or the gpc option' };
      }
      if (gpc()) merged.consent = { gpc: true };
      return toJson(merged, 'context');
    } catch (e) {
      return { error: `context: ${describeError(e)}` };
    }
  }

  // track() without the closed check: {ok, at} | {error}.
  function recordEvent(type, props) {
    if (typeof type !== 'string') return { error: 'type: must be a string' };
    const input = props === undefined ? { json: '{}' } : toJson(props, 'props');
    if (input.error) return { error: input.error };
    let t;
    try {
      t = now();
    } catch (e) {
      return { error: describeError(e) };
    }
    const name = wellFormed(type);
    let message;
    try {
      message = engine.trackJson(visitor, name, input.json, t);
    } catch (e) {
      return { error: describeError(e) };
    }
    if (message) return { error: message };
    checkpoint();
    if (adapter && canStore()) {
      queue.push({ kind: 'track', type: name, props: input.json, now: t });
      scheduleFlush();
    }
    return { ok: true, at: t };
  }

  // impression/click/dismiss/conversion: a profile event, and a collector event when
  // `measurement` is in force.
  function measure(type, token, value) {
    if (closing) return { error: CLOSED };
    if (typeof token !== 'string' || token === '') {
      return { error: "token: must be the decision's token (a non-empty string)" };
    }
    if (type === 'impression' && edgeTokens.has(token)) {
      // Counted at the edge when it rendered the page: only the exposure event remains.
      const reported = edgeTokens.get(token);
      if (reported.has(type)) return { error: 'token: this impression was already reported' };
      reported.add(type);
      let at;
      try {
        at = now();
      } catch (e) {
        return { error: describeError(e) };
      }
      return { ok: true, queued: collector.enqueue({ type, token, at }).queued };
    }
    const props = value === undefined ? { token } : { token, value };
    const tracked = recordEvent(type, props);
    if (tracked.error) return { error: tracked.error };
    const event = { type, token: wellFormed(token), at: tracked.at };
    if (value !== undefined) event.value = value;
    return { ok: true, queued: collector.enqueue(event).queued };
  }

  // forget() without the closed check.
  function forgetVisitor() {
    let id;
    try {
      visitor.forget();
      if (!visitor.id()) visitor.setId(newVisitorId());
      id = visitor.id();
    } catch (e) {
      return { error: describeError(e) };
    }
    checkpoint();
    queue = [{ kind: 'forget', id }];  // events before it are gone with the profile
    collector.clear();
    refreshConsent();
    if (keeper.trapped) return { error: 'engine crashed' };  // run again after the recovery
    if (adapter) {
      persistNow();
      if (channel) channel.postMessage({ type: 'forget', id });
      if (adapter) flush();
    }
    return { ok: true };
  }

  function currentId() {
    const id = guard(() => visitor.id());
    return typeof id === 'string' ? id : '';
  }

  const api = Object.freeze(withTestHook({
    track(type, props) {
      if (closing) return { error: CLOSED };
      const result = guard(() => recordEvent(type, props));
      return result.error ? result : { ok: true };
    },

    decide(placementId, overrides, options) {
      if (closing) return { error: CLOSED };
      if (typeof placementId !== 'string') return { error: 'placementId: must be a string' };
      // What the edge already rendered is this page view's decision (no flicker).
      if (edgePayload && overrides === undefined && edgePayload.decisions.has(placementId)) {
        return adoptedDecision(edgePayload.decisions.get(placementId));
      }
      const context = buildContext(overrides);
      if (context.error) return { error: context.error };
      const id = wellFormed(placementId);
      return guard(() => callJson(() => engine.decideForJson(visitor, id, context.json, wantsReasons(options))));
    },

    decidePage(overrides, options) {
      if (closing) return { error: CLOSED };
      const context = buildContext(overrides);
      if (context.error) return { error: context.error };
      const page = guard(() => callJson(() => engine.decidePageForJson(visitor, context.json, wantsReasons(options))));
      if (!edgePayload || overrides !== undefined || !Array.isArray(page.decisions)) return page;
      return {
        ...page,
        decisions: page.decisions.map((d) =>
          (edgePayload.decisions.has(d.placement) ? adoptedDecision(edgePayload.decisions.get(d.placement)) : d)),
      };
    },

    // A fresh copy each time: changing it changes nothing.
    profile() {
      if (closing) return { error: CLOSED };
      let t;
      try {
        t = now();
      } catch (e) {
        return { error: describeError(e) };
      }
      return guard(() => callJson(() => engine.profileJson(visitor, t)));
    },

    // Records the visitor's choice; later decisions, events and storage follow it at once.
    setConsent(input, options) {
      if (closing) return { error: CLOSED };
      const checked = readConsentInput(input);
      if (checked.error) return { error: checked.error };
      const source = readSource(options, 'api');
      if (source.error) return { error: source.error };
      return guard(() => applyConsent(wellFormed(checked.json), source.source));
    },

    consentRecord() {
      if (closing) return { error: CLOSED };
      return guard(() => callJson(() => visitor.consentRecordJson()));
    },

    // In force now, GPC included.
    purposes() {
      if (closing) return { error: CLOSED };
      const purposes = guard(() => callJson(() => engine.purposesJson(visitor, gpc())));
      return purposes.error ? { ...NOTHING_GRANTED } : purposes;
    },

    // Decides and counts the impression at once, on the state all tabs share and under their
    // lock: however many tabs show a capped campaign together, the cap holds exactly. For
    // content shown right away (the decision is the impression).
    show(placementId, overrides, options) {
      if (closing) return Promise.resolve({ error: CLOSED });
      return exclusive(() => {
        const decision = api.decide(placementId, overrides, options);
        if (decision.error || typeof decision.token !== 'string') return decision;
        const counted = guard(() => measure('impression', decision.token));
        return counted.error ? { ...decision, countError: counted.error } : decision;
      });
    },

    impression: (token) => guard(() => measure('impression', token)),
    click: (token) => guard(() => measure('click', token)),
    dismiss: (token) => guard(() => measure('dismiss', token)),
    conversion: (token, value) => guard(() => measure('conversion', token, value)),

    forget() {
      if (closing) return { error: CLOSED };
      return guard(forgetVisitor);
    },

    flush,

    get storageStatus() {
      return snapshot(status);
    },

    // Whether this page view adopted an edge worker's decisions: {adopted, placements,
    // visitor?, reason?} (reason: why a payload on the page was ignored).
    get edgeStatus() {
      const out = { adopted: edgePayload !== null, placements: edgePayload ? [...edgePayload.decisions.keys()] : [] };
      if (edgePayload) out.visitor = edgePayload.visitor;
      if (settings.edge.reason) out.reason = settings.edge.reason;
      return out;
    },

    // How the stored state was found at the last load: {status, consentKept, fromVersion, reason}.
    get loadReport() {
      return snapshot(loadReport);
    },

    // {queued, sent, dropped, discarded, failed, batches, lastError?}
    get collectorStats() {
      return snapshot(collector.stats());
    },

    // The CMP pickup: {state: 'disabled'|'absent'|'listening'|'applied'|'refused'|'error', …}
    get cmpStatus() {
      return snapshot(cmp.status());
    },

    get visitorId() {
      if (closed) return undefined;
      const id = guard(() => visitor.id());
      return typeof id === 'string' ? id : undefined;
    },

    // {status: 'ok' | 'failed', recoveries, lastError?, reason?}: how Wasm traps went so far.
    health: () => keeper.health(),

    get closed() {
      return closed;
    },

    close() {
      if (closing) return closing;
      cmp.stop();
      collector.close();  // sends what measurement allows, then stops
      closing = flush().then(() => {
        closed = true;
        stopTimer();
        runCleanups();
        deleteQuietly(visitor);
        deleteQuietly(engine);
      });
      return closing;
    },
  }, keeper));

  let ready;
  try {
    ready = initialLoad();
  } catch (e) {
    ready = Promise.reject(e);
  }
  return { api, ready };
}

function snapshot(value) {
  return Object.freeze({ ...value });
}

function wantsReasons(options) {
  return typeof options === 'object' && options !== null && options.reasons === true;
}

function deleteQuietly(handle) {
  try {
    if (handle) handle.delete();
  } catch {
    // Already unusable; nothing else to release.
  }
}

// A random (v4) UUID. crypto.randomUUID needs a secure context; getRandomValues does not.
function randomUint32() {
  const crypto = globalThis.crypto;
  if (crypto && typeof crypto.getRandomValues === 'function') {
    try {
      return crypto.getRandomValues(new Uint32Array(1))[0];
    } catch {
      // fall through
    }
  }
  return Math.floor(Math.random() * 0x100000000);
}

function newVisitorId() {
  const crypto = globalThis.crypto;
  if (crypto && typeof crypto.randomUUID === 'function') {
    try {
      return crypto.randomUUID();
    } catch {
      // not a secure context: fall through
    }
  }
  const bytes = new Uint8Array(16);
  if (crypto && typeof crypto.getRandomValues === 'function') {
    crypto.getRandomValues(bytes);
  } else {
    // No CSPRNG at all (very old hosts): ids need only be unique, not secret.
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
