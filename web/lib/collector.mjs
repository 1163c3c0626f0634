// The event collector (SPEC §8, docs/COLLECTOR.md): exposure, click, dismiss and conversion
// events go to the site's collector URL in batches — only while the visitor grants
// `measurement`. Without it nothing is queued; a withdrawal empties the queue, forgets the
// retries and erases the outbox at once.
//
// Delivery is at least once on the wire and exactly once after the collector dedupes on the
// event id `${token}:${type}` (a decision's token reports each kind at most once, so the id
// names the event). An event stays in memory until a 2xx answer confirms it; a failure puts
// it back for a retry with bounded exponential backoff. When the page is hidden or goes away,
// what is unconfirmed is handed to sendBeacon and also saved to a per-tab outbox
// (sessionStorage, only with `storage` consent) that the next page of the tab resends.
//
// Wire format (POST body, text/plain so no CORS preflight is needed):
//   {"v": 2, "batch": "<random>:<seq>", "visitor": "<id>", "sentAt": ms,
//    "events": [{"id": "<token>:<type>", "type": "impression", "token": "…", "at": ms,
//                "value"?: n}, …]}

export const WIRE_VERSION = 2;
export const OUTBOX_VERSION = 1;
export const MAX_QUEUE = 500;          // unconfirmed events held; beyond it the oldest not on the wire are dropped
export const MAX_BATCH = 100;          // events per request
export const MAX_BODY_BYTES = 32_768;  // per request: two fit the browser's 64 KB keepalive/beacon budget
export const MAX_EVENT_BYTES = 1024;   // one event's JSON; larger ones are refused at enqueue
export const RETRY_BASE_MS = 1000;     // first retry delay; doubles per consecutive failure…
export const RETRY_MAX_MS = 60_000;    // …up to this
export const MAX_ATTEMPTS = 12;        // sends per event before it is given up (about 6 minutes of outage)
export const REQUEST_TIMEOUT_MS = 30_000;  // an unanswered request counts as failed after this
export const MAX_OUTBOX_CHARS = 1 << 20;   // a larger stored outbox is not ours: erased unread
const REMEMBERED_IDS = 1000;           // confirmed ids kept so a page does not resend them

const ENVELOPE_BYTES = 256;            // v, batch, visitor, sentAt: well under this
const KINDS = new Set(['impression', 'click', 'dismiss', 'conversion']);

// The event id on the wire and in the outbox. Types never contain ':', so the id splits
// unambiguously at its last ':'.
export const eventId = (token, type) => `${token}:${type}`;

// options: {url, intervalMs, allowed() -> bool, envelope() -> {visitor}, clock() -> ms,
//           timer: {set(fn, ms) -> handle, clear(handle)},
//           transport?(url, body, how) -> boolean | Promise<Response | status | boolean>,
//           outbox?: {canPersist() -> bool, read() -> string|null, write(text), remove()},
//           page?: the window to listen to (default globalThis), random?() -> [0, 1)}.
// `url` undefined: a collector that queues nothing. Timers, storage and the page come from
// the host runtime: tests drive time, storage and visibility.
export function createCollector(options) {
  const { url, intervalMs, timer: timers } = options;
  const send = typeof options.transport === 'function' ? options.transport : defaultTransport;
  const outbox = options.outbox || null;
  const batchPrefix = randomPrefix();
  const pending = new Map();     // id -> entry, oldest first: everything not yet confirmed
  const outstanding = new Set(); // requests awaiting an answer
  const confirmed = new Set();   // recently confirmed ids, oldest first
  const stats = {
    sent: 0, retried: 0, failed: 0, dropped: 0, discarded: 0, beacons: 0, batches: 0, errors: 0,
  };
  let lastError;
  let seq = 0;
  let timer = null;
  let failures = 0;              // consecutive failed requests: the backoff exponent
  let closed = false;
  let outboxState = 'unknown';   // 'unknown' | 'absent' | 'written'
  let outboxFrozen = false;      // after close(): a successor collector owns the outbox
  const cleanups = [];

  const isAllowed = () => guard(() => options.allowed() === true, false);
  const mayPersist = () => outbox !== null && guard(() => outbox.canPersist() === true, false);
  const note = (message) => {
    lastError = message;
  };

  // ---- queue ----

  function enqueue(event) {
    if (closed) return { queued: false, reason: 'runtime closed' };
    if (url === undefined) return { queued: false, reason: 'no collectorUrl' };
    if (!isAllowed()) return { queued: false, reason: 'measurement not granted' };
    const checked = readEvent(event);
    if (checked.error) return { queued: false, reason: checked.error };
    forgetOutboxWithoutConsent();
    const { wire } = checked;
    if (pending.has(wire.id)) return { queued: true };  // the same event, already waiting
    if (confirmed.has(wire.id)) return { queued: false, reason: 'already sent' };
    pending.set(wire.id, newEntry(wire, checked.bytes, 0));
    enforceBound();
    schedule(intervalMs);
    return { queued: true };
  }

  // Drop policy: the oldest event that is not on the wire goes first (an in-flight one may
  // well arrive; its answer decides). Counted in stats.dropped.
  function enforceBound() {
    while (pending.size > MAX_QUEUE) {
      let victim = null;
      for (const entry of pending.values()) {
        if (entry.state !== 'inflight') {
          victim = entry;
          break;
        }
      }
      if (victim === null) victim = pending.values().next().value;
      pending.delete(victim.id);
      stats.dropped++;
    }
  }

  // ---- sending ----

  function schedule(delay) {
    if (timer !== null || closed) return;
    timer = guard(() => timers.set(onTimer, delay), null);
  }

  function stopTimer() {
    if (timer !== null) guard(() => timers.clear(timer));
    timer = null;
  }

  function onTimer() {
    timer = null;
    guard(pump);
  }

  // The steady path: one request at a time (the keepalive budget is shared by the page),
  // the next one as soon as the previous is confirmed.
  function pump() {
    if (closed || outstanding.size > 0) return;
    if (!isAllowed()) {
      clear();
      return;
    }
    forgetOutboxWithoutConsent();
    const batch = nextBatch();
    if (batch.length > 0) sendBatch(batch, 'fetch');
  }

  // Every queued entry in order, cut into batches within MAX_BATCH and MAX_BODY_BYTES.
  function queuedBatches() {
    const batches = [];
    let batch = [];
    let bytes = ENVELOPE_BYTES;
    for (const entry of pending.values()) {
      if (entry.state !== 'queued') continue;
      if (batch.length >= MAX_BATCH || bytes + entry.bytes + 1 > MAX_BODY_BYTES) {
        batches.push(batch);
        batch = [];
        bytes = ENVELOPE_BYTES;
      }
      batch.push(entry);
      bytes += entry.bytes + 1;
    }
    if (batch.length > 0) batches.push(batch);
    return batches;
  }

  const nextBatch = () => queuedBatches()[0] || [];

  // how: 'fetch' (an answer is awaited) or 'beacon' (the page is going: hand over only).
  function sendBatch(entries, how) {
    const body = JSON.stringify({
      v: WIRE_VERSION,
      batch: `${batchPrefix}:${++seq}`,
      ...guard(() => plainEnvelope(options.envelope()), {}),
      sentAt: guard(() => finiteOr(Number(options.clock()), Date.now()), Date.now()),
      events: entries.map((e) => e.wire),
    });
    stats.batches++;
    let result;
    let threw = null;
    try {
      result = send(url, body, how);
    } catch (e) {
      threw = describe(e);
    }
    const thenable = guard(() => result !== null && typeof result === 'object' && typeof result.then === 'function', false);
    if (how === 'beacon') {
      if (thenable) guard(() => result.then(undefined, () => {}));  // nobody awaits it: no unhandled rejection
      const handed = result === true || thenable;
      if (handed) {
        for (const e of entries) e.state = 'handed';
        stats.beacons += entries.length;
      } else {
        stats.errors++;
        note(threw !== null ? `beacon failed: ${threw}` : 'the browser refused the beacon');
      }
      return handed ? entries.length : 0;
    }
    const request = { entries, settled: false, timeout: null };
    for (const e of entries) {
      if (e.attempts > 0) stats.retried++;
      e.attempts++;
      e.state = 'inflight';
      e.request = request;
    }
    outstanding.add(request);
    const handed = result === true || thenable;
    if (result === true) {
      settle(request, { ok: true });  // handed to something that cannot answer: final
    } else if (thenable) {
      request.timeout = guard(() => timers.set(() => settle(request, retry(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS), null);
      try {
        result.then(
          (answer) => settle(request, guard(() => outcomeOf(answer), retry('the transport answered something unreadable'))),
          (e) => settle(request, retry(`fetch failed: ${describe(e)}`)),
        );
      } catch (e) {
        settle(request, retry(`fetch failed: ${describe(e)}`));
      }
    } else {
      settle(request, retry(threw !== null ? `transport threw: ${threw}` : 'the transport refused the batch'));
    }
    return handed ? entries.length : 0;
  }

  // Applies a request's answer once; never throws (it runs in promise callbacks).
  function settle(request, outcome) {
    try {
      if (request.settled) return;
      request.settled = true;
      outstanding.delete(request);
      if (request.timeout !== null) guard(() => timers.clear(request.timeout));
      let changed = false;
      for (const entry of request.entries) {
        if (pending.get(entry.id) !== entry) continue;  // dropped, discarded or confirmed meanwhile
        if (outcome.ok) {
          pending.delete(entry.id);
          remember(entry.id);
          stats.sent++;
          changed = true;
        } else if (entry.request === request) {
          entry.request = null;
          if (outcome.permanent || entry.attempts >= MAX_ATTEMPTS) {
            pending.delete(entry.id);
            stats.failed++;
            changed = true;
          } else {
            entry.state = 'queued';
          }
        }
      }
      if (outcome.ok) {
        failures = 0;
      } else {
        stats.errors++;
        note(outcome.error);
      }
      if (changed && outboxState === 'written') writeOutbox();
      if (closed) return;
      if (outcome.ok || outcome.permanent) {
        pump();
      } else {
        failures++;
        stopTimer();
        schedule(backoffDelay(outcome.retryAfterMs));
      }
    } catch (e) {
      note(`collector: ${describe(e)}`);
    }
  }

  function backoffDelay(retryAfterMs) {
    const base = Math.min(RETRY_BASE_MS * 2 ** Math.min(failures - 1, 30), RETRY_MAX_MS);
    let r = guard(() => Number(options.random ? options.random() : Math.random()), 0.5);
    if (!(r >= 0 && r < 1)) r = 0.5;
    const jittered = Math.round(base * (0.75 + 0.5 * r));  // ±25%: tabs do not retry in step
    const floor = Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : 0;
    return Math.min(Math.max(jittered, floor), RETRY_MAX_MS);
  }

  function remember(id) {
    confirmed.add(id);
    if (confirmed.size > REMEMBERED_IDS) confirmed.delete(confirmed.values().next().value);
  }

  // Sends everything queued now (close(), or a host that wants it out), not waiting for the
  // previous answer. Consent is checked again: nothing leaves after a withdrawal.
  function flush() {
    if (url === undefined) return 0;
    if (!isAllowed()) {
      clear();
      return 0;
    }
    forgetOutboxWithoutConsent();
    if (!closed) stopTimer();
    // Batched from one snapshot: a batch refused at once is queued again and must wait for
    // its backoff, not be picked up by this loop.
    let handed = 0;
    for (const batch of queuedBatches()) handed += sendBatch(batch, 'fetch');
    return handed;
  }

  // ---- the page going away ----

  // Hidden may be the last moment the page runs (mobile tab switch); pagehide is the last.
  // Queued events go to sendBeacon; in-flight ones are already on the wire with keepalive
  // (which outlives the page). Everything unconfirmed goes to the outbox as well.
  function onHide() {
    if (closed || url === undefined) return;
    if (!isAllowed()) {
      clear();
      return;
    }
    for (const batch of queuedBatches()) if (sendBatch(batch, 'beacon') === 0) break;  // over the budget
    writeOutbox();
  }

  // The page came back (visible again, or restored from the back/forward cache): beaconed
  // events were never confirmed, so they go again — the collector dedupes.
  function onShow() {
    if (closed) return;
    let any = false;
    for (const entry of pending.values()) {
      if (entry.state === 'handed') {
        entry.state = 'queued';
        any = true;
      }
    }
    if (any) schedule(failures > 0 ? backoffDelay() : intervalMs);
  }

  // ---- the outbox (sessionStorage, per tab) ----

  function writeOutbox() {
    if (outbox === null || outboxFrozen) return;
    if (!mayPersist() || !isAllowed() || pending.size === 0) {
      removeOutbox();
      return;
    }
    const events = Array.from(pending.values(), (e) => ({ ...e.wire, attempts: e.attempts }));
    try {
      outbox.write(JSON.stringify({ v: OUTBOX_VERSION, owner: owner(), events }));
      outboxState = 'written';
    } catch (e) {
      note(`outbox: ${describe(e)}`);  // quota or a blocked storage: the beacon was the best effort
    }
  }

  // Erasing needs no consent: it is what a withdrawal asks for.
  function removeOutbox() {
    if (outbox === null) return;
    guard(() => outbox.remove());  // no sessionStorage (Node, a sandboxed frame): nothing to erase
    outboxState = 'absent';
  }

  // Storage was withdrawn (measurement kept): the device must not keep the outbox.
  function forgetOutboxWithoutConsent() {
    if (outbox !== null && !outboxFrozen && outboxState !== 'absent' && !mayPersist()) removeOutbox();
  }

  // At start: the events an earlier page of this tab could not confirm. Read only with
  // measurement and storage in force; otherwise erased unread.
  function adoptOutbox() {
    if (outbox === null || url === undefined) return;
    if (!isAllowed() || !mayPersist()) {
      removeOutbox();
      return;
    }
    let text;
    try {
      text = outbox.read();
    } catch {
      return;  // no sessionStorage here: there is no outbox either
    }
    if (text === null || text === undefined) {
      outboxState = 'absent';
      return;
    }
    const stored = readOutbox(text);
    // Damaged, foreign, or written for another visitor (forget() in another tab while this
    // one was between pages): nothing in it may be sent under the current id.
    if (stored === null || stored.owner !== owner()) {
      removeOutbox();
      return;
    }
    const { events } = stored;
    outboxState = 'written';
    for (const { wire, bytes, attempts } of events.slice(-MAX_QUEUE)) {
      if (!pending.has(wire.id)) pending.set(wire.id, newEntry(wire, bytes, attempts));
    }
    stats.dropped += Math.max(0, events.length - MAX_QUEUE);
    if (pending.size > 0) schedule(intervalMs);
    else removeOutbox();
  }

  // Whose events the outbox holds: a hash of the visitor id, not the id itself.
  function owner() {
    const visitor = guard(() => plainEnvelope(options.envelope()).visitor, undefined);
    return typeof visitor === 'string' ? fnv1a(visitor) : '';
  }

  // ---- withdrawal, close ----

  // Withdrawal or forget(): everything unconfirmed is discarded, not sent; answers to
  // requests already on the wire are ignored; the outbox is erased.
  function clear() {
    stats.discarded += pending.size;
    pending.clear();
    for (const request of outstanding) {
      request.settled = true;
      if (request.timeout !== null) guard(() => timers.clear(request.timeout));
    }
    outstanding.clear();
    failures = 0;
    stopTimer();
    removeOutbox();
  }

  function listen() {
    const win = options.page || globalThis;
    const doc = guard(() => win.document, null);
    if (url === undefined || typeof win.addEventListener !== 'function' || !doc || typeof doc.addEventListener !== 'function') return;
    const onVisibility = () =>
      guard(() => {
        if (doc.visibilityState === 'hidden') onHide();
        else if (doc.visibilityState === 'visible') onShow();
      });
    const onPageHide = () => guard(onHide);
    const onPageShow = (event) => guard(() => event && event.persisted && onShow());
    doc.addEventListener('visibilitychange', onVisibility);
    win.addEventListener('pagehide', onPageHide);
    win.addEventListener('pageshow', onPageShow);
    cleanups.push(() => {
      doc.removeEventListener('visibilitychange', onVisibility);
      win.removeEventListener('pagehide', onPageHide);
      win.removeEventListener('pageshow', onPageShow);
    });
  }

  guard(adoptOutbox);
  guard(listen);

  return {
    enqueue(event) {
      return guard(() => enqueue(event), { queued: false, reason: 'collector error' });
    },
    flush: () => guard(flush, 0),
    clear: () => guard(clear),
    stats() {
      let queued = 0;
      let inFlight = 0;
      for (const entry of pending.values()) {
        if (entry.state === 'inflight') inFlight++;
        else queued++;
      }
      const out = { queued, inFlight, ...stats };
      if (lastError) out.lastError = lastError;
      return out;
    },
    // Sends what measurement allows (answers still count), saves what is unconfirmed for
    // the next page, then stops: no more timers, retries or outbox writes.
    close() {
      if (closed) return;
      guard(() => {
        closed = true;
        stopTimer();
        flush();
        if (isAllowed()) writeOutbox();
        outboxFrozen = true;
      });
      while (cleanups.length > 0) guard(cleanups.pop());
    },
  };
}

function newEntry(wire, bytes, attempts) {
  return { id: wire.id, wire, bytes, attempts, state: 'queued', request: null };
}

// An event from the runtime or the outbox → {wire, bytes} | {error}. Only plain values of
// the wire format pass; the id is always derived, never taken from the input.
function readEvent(event) {
  if (event === null || typeof event !== 'object') return { error: 'event: must be an object' };
  const { type, token, at, value } = event;
  if (typeof type !== 'string' || !KINDS.has(type)) return { error: 'event.type: must be impression, click, dismiss or conversion' };
  if (typeof token !== 'string' || token === '') return { error: 'event.token: must be a non-empty string' };
  if (typeof at !== 'number' || !Number.isFinite(at)) return { error: 'event.at: must be a finite number' };
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
    return { error: 'event.value: must be a finite number >= 0' };
  }
  const wire = { id: eventId(token, type), type, token, at };
  if (value !== undefined) wire.value = value;
  const bytes = utf8Length(JSON.stringify(wire));
  if (bytes > MAX_EVENT_BYTES) return { error: `event: over ${MAX_EVENT_BYTES} bytes` };
  return { wire, bytes };
}

// The stored outbox → {owner, events: [{wire, bytes, attempts}]} in order, or null when it
// is not an outbox of this version. Invalid events are skipped, not trusted.
function readOutbox(text) {
  if (typeof text !== 'string' || text.length > MAX_OUTBOX_CHARS) return null;
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.v !== OUTBOX_VERSION || !Array.isArray(parsed.events)) return null;
  if (typeof parsed.owner !== 'string') return null;
  const out = [];
  for (const stored of parsed.events) {
    const checked = readEvent(stored);
    if (checked.error) continue;
    const attempts = stored.attempts;
    const safe = Number.isInteger(attempts) && attempts >= 0 && attempts < MAX_ATTEMPTS ? attempts : 0;
    out.push({ wire: checked.wire, bytes: checked.bytes, attempts: safe });
  }
  return { owner: parsed.owner, events: out };
}

// The outbox's `owner` for a visitor id.
export const outboxOwner = (visitorId) => fnv1a(visitorId);

// 32-bit FNV-1a over UTF-16 code units, as 8 hex digits.
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function plainEnvelope(value) {
  if (value === null || typeof value !== 'object') return {};
  const out = {};
  if (typeof value.visitor === 'string') out.visitor = value.visitor;
  return out;
}

const retry = (error) => ({ ok: false, permanent: false, error });

// A transport's answer → {ok} | {ok: false, permanent, error, retryAfterMs?}. A fetch
// Response, a status number or a boolean.
function outcomeOf(answer) {
  if (answer === true) return { ok: true };
  if (answer === false) return retry('the transport reported a failure');
  let status;
  let retryAfterMs;
  if (typeof answer === 'number') {
    status = answer;
  } else if (answer !== null && typeof answer === 'object' && typeof answer.status === 'number') {
    status = answer.status;
    retryAfterMs = retryAfterOf(answer);
  } else if (answer !== null && typeof answer === 'object' && typeof answer.ok === 'boolean') {
    return answer.ok ? { ok: true } : retry('the transport reported a failure');
  } else {
    return retry('the transport answered neither a status nor a boolean');
  }
  if (status >= 200 && status <= 299) return { ok: true };
  const error = `collector answered ${status}`;
  // Worth retrying: the collector or the network may recover. Any other answer (400, 403,
  // 404, 413…) will not change by sending the same body again.
  if (status === 0 || status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599)) {
    return { ok: false, permanent: false, error, retryAfterMs };
  }
  return { ok: false, permanent: true, error };
}

// Retry-After in seconds (429/503); the HTTP-date form is ignored.
function retryAfterOf(response) {
  try {
    const text = response.headers && typeof response.headers.get === 'function' ? response.headers.get('retry-after') : null;
    if (typeof text !== 'string' || !/^\d{1,6}$/.test(text.trim())) return undefined;
    return Number(text.trim()) * 1000;
  } catch {
    return undefined;
  }
}

// fetch with keepalive where an answer is wanted (it also outlives the page); sendBeacon
// where the page is going, or where fetch is missing (then the hand-over is final). A beacon
// the browser refuses (over its budget) falls back to fetch keepalive, unawaited.
function defaultTransport(url, body, how) {
  const g = globalThis;
  const init = { method: 'POST', keepalive: true, body, headers: { 'content-type': 'text/plain;charset=UTF-8' } };
  if (how === 'fetch' && typeof g.fetch === 'function') return g.fetch(url, init);
  const nav = g.navigator;
  if (nav && typeof nav.sendBeacon === 'function') {
    try {
      if (nav.sendBeacon(url, body)) return true;
    } catch {
      // an invalid URL or a detached document: try fetch
    }
  }
  if (how === 'beacon' && typeof g.fetch === 'function') {
    g.fetch(url, init).catch(() => {});
    return true;
  }
  return false;
}

const finiteOr = (n, fallback) => (Number.isFinite(n) ? n : fallback);

function guard(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function describe(e) {
  try {
    return String(e && e.message ? e.message : e).slice(0, 200);
  } catch {
    return 'unknown error';
  }
}

function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function randomPrefix() {
  const bytes = new Uint8Array(8);
  const crypto = globalThis.crypto;
  if (crypto && typeof crypto.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
