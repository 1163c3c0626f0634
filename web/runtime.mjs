// The stateful browser runtime: one visitor, one compiled config, the visitor's profile
// kept on the device and shared between the site's tabs.
//
//   const rt = await createAttune({ config });
//   rt.track('page_view', { categories: ['ski'] });
//   rt.decide('hero');
//
// Events apply to the in-memory Visitor at once (the next decision sees them) and are also
// queued. A flush (write-behind, at most every flushIntervalMs, and when the page is
// hidden) runs under a cross-tab lock: it reads the stored blob; if another tab wrote since
// this tab last read, it loads that blob into a fresh Visitor and re-applies this tab's
// queued events with their original timestamps, so no tab's counts are lost; then it
// writes the result, which becomes this tab's state. Other tabs hear of the write through
// the `storage` event and do the same merge in memory.
//
// Nothing here throws after createAttune resolves: bad input and storage failures come
// back as values (`{error}`, `storageStatus`).

import createAttuneModule from './dist/attune.mjs';
import { callJson, describeError, isObject, toJson, wellFormed } from './lib/boundary.mjs';
import { defaultContext, mergeContext } from './lib/context.mjs';
import { instantiateModule } from './lib/instantiate.mjs';
import {
  checkStorageOption,
  decodeBase64Url,
  describeFailure,
  encodeBase64Url,
  memoryMode,
  openStorage,
} from './lib/storage.mjs';

const DEFAULT_KEY = 'attune:state';
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const CLOSED = 'runtime closed';
const EMPTY_REPORT = Object.freeze({ status: 'empty', consentKept: false, fromVersion: 0, reason: '' });

export async function createAttune(options = {}) {
  const settings = readOptions(options);
  const native = await instantiateModule(createAttuneModule, options, defaultWasmUrl);
  if (typeof native.Visitor !== 'function') {
    throw new Error('createAttune: this build of dist/attune.wasm has no Visitor; rebuild it (scripts/build-wasm.sh)');
  }
  const engine = compileEngine(native, settings.config);
  let runtime;
  try {
    runtime = startRuntime(native, engine, settings);
  } catch (e) {
    deleteQuietly(engine);
    throw new Error(`createAttune: cannot start: ${describeError(e)}`);
  }
  await runtime.ready;
  return runtime.api;
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
  return { config: config.json, storage: options.storage, key, clock, context: options.context,
    flushIntervalMs: interval };
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

function startRuntime(native, engine, settings) {
  const { key, clock, flushIntervalMs } = settings;
  let { adapter, status } = openStorage(settings.storage);
  let visitor = new native.Visitor();
  let queue = [];            // {type, props (JSON text), now}: tracked here, not yet stored
  let lastSeen = null;       // the stored text this tab's state is built on
  let loadReport = EMPTY_REPORT;
  let mustWrite = false;     // the stored value is missing or unreadable: replace it
  let forgotten = false;     // forget() ran: write over whatever is stored, merge nothing
  let pending = null;        // the flush waiting for or holding the lock: {started, promise}
  let timer = null;
  let lastFlushAt = -Infinity;
  let closed = false;
  let closing = null;
  const cleanups = [];

  // Consent seam (SPEC §7): the consent issue makes this read the visitor's `storage`
  // purpose. While it is false nothing is read from or written to the device.
  const canStore = () => true;

  const now = () => {
    const t = Number(clock());
    if (!Number.isFinite(t)) throw new RangeError(`clock: returned ${String(t)}, not milliseconds since the epoch`);
    return t;
  };

  // ---- state blob <-> storage ----

  function stateText(v) {
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

  // Replaces this tab's state with the stored one plus this tab's queued events.
  function adopt(stored) {
    const fresh = new native.Visitor();
    let report = EMPTY_REPORT;
    if (stored !== null) {
      report = loadText(fresh, stored);
      loadReport = report;
    }
    if (!usable(report)) mustWrite = true;
    if (!fresh.id()) fresh.setId(visitor.id() || newVisitorId());
    for (const event of queue) engine.trackJson(fresh, event.type, event.props, event.now);
    const old = visitor;
    visitor = fresh;
    deleteQuietly(old);
    lastSeen = stored;
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

  // The flush's critical section: synchronous, so no event of this tab interleaves. Runs
  // under the adapter's lock when it has one.
  function reconcile() {
    if (!adapter || closed || !canStore()) return;
    lastFlushAt = Date.now();
    let stored;
    try {
      stored = adapter.read(key);
    } catch (e) {
      return toMemory('reading storage', e);
    }
    if (stored !== lastSeen && !forgotten) adopt(stored);
    forgotten = false;
    if (queue.length === 0 && !mustWrite) return;
    let text;
    try {
      text = stateText(visitor);
    } catch (e) {
      return toMemory('encoding the state', e);
    }
    try {
      adapter.write(key, text);  // even when unchanged: a locked write is what leaves the beacon
    } catch (e) {
      return toMemory('writing storage', e);
    }
    lastSeen = text;
    queue = [];
    mustWrite = false;
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

  // Another tab wrote: rebuild on the stored state, keeping this tab's queued events.
  function onExternalChange() {
    if (!adapter || closed || !canStore()) return;
    let stored;
    try {
      stored = adapter.read(key);
    } catch (e) {
      return toMemory('reading storage', e);
    }
    if (stored !== lastSeen) adopt(stored);
  }

  // A failure inside a merge (a trap in the Wasm) must not escape into a timer or an event
  // handler: the tab keeps its in-memory state and stops persisting, with the reason.
  function guarded(step) {
    try {
      step();
    } catch (e) {
      toMemory('merging the stored state', e);
    }
  }

  // ---- startup ----

  function initialLoad() {
    if (adapter && canStore()) {
      let stored = null;
      try {
        stored = adapter.read(key);
      } catch (e) {
        toMemory('reading storage', e);
      }
      if (adapter) guarded(() => adopt(stored));
    }
    if (!visitor.id()) visitor.setId(newVisitorId());
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
    // Persist a new visitor's id at once (and find out now whether storage works); under
    // the lock, so two tabs opening together settle on one id.
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
    channel.onmessage = (event) => {
      if (!event.data || event.data.type !== 'forget' || closed) return;
      queue = [];
      try {
        visitor.forget();
      } catch {
        // the stored state is reloaded below either way
      }
      guarded(onExternalChange);
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
      return toJson(merged, 'context');
    } catch (e) {
      return { error: `context: ${describeError(e)}` };
    }
  }

  const api = Object.freeze({
    track(type, props) {
      if (closing) return { error: CLOSED };
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
      if (adapter && canStore()) {
        queue.push({ type: name, props: input.json, now: t });
        scheduleFlush();
      }
      return { ok: true };
    },

    decide(placementId, overrides, options) {
      if (closing) return { error: CLOSED };
      if (typeof placementId !== 'string') return { error: 'placementId: must be a string' };
      const context = buildContext(overrides);
      if (context.error) return { error: context.error };
      const id = wellFormed(placementId);
      return callJson(() => engine.decideForJson(visitor, id, context.json, wantsReasons(options)));
    },

    decidePage(overrides, options) {
      if (closing) return { error: CLOSED };
      const context = buildContext(overrides);
      if (context.error) return { error: context.error };
      return callJson(() => engine.decidePageForJson(visitor, context.json, wantsReasons(options)));
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
      return callJson(() => engine.profileJson(visitor, t));
    },

    forget() {
      if (closing) return { error: CLOSED };
      try {
        visitor.forget();
        if (!visitor.id()) visitor.setId(newVisitorId());
      } catch (e) {
        return { error: describeError(e) };
      }
      queue = [];
      if (adapter && canStore()) {
        // Erased in storage now, synchronously; then again under the lock, so a merge another
        // tab had in flight cannot write the old profile back over it.
        try {
          const text = stateText(visitor);
          adapter.write(key, text);
          lastSeen = text;
        } catch (e) {
          toMemory('writing storage', e);
        }
        if (channel) channel.postMessage({ type: 'forget' });
        if (adapter) {
          mustWrite = true;
          forgotten = true;
          flush();
        }
      }
      return { ok: true };
    },

    flush,

    get storageStatus() {
      return snapshot(status);
    },

    // How the stored state was found at the last load: {status, consentKept, fromVersion, reason}.
    get loadReport() {
      return snapshot(loadReport);
    },

    get visitorId() {
      if (closed) return undefined;
      try {
        return visitor.id();
      } catch {
        return undefined;
      }
    },

    get closed() {
      return closed;
    },

    close() {
      if (closing) return closing;
      closing = flush().then(() => {
        closed = true;
        stopTimer();
        runCleanups();
        deleteQuietly(visitor);
        deleteQuietly(engine);
      });
      return closing;
    },
  });

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
