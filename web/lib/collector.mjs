// The event collector (SPEC §8): exposure, click, dismiss and conversion events go to the
// site's collector URL in batches — only while the visitor grants `measurement`. Without it
// nothing is queued; a withdrawal empties the queue at once.
//
// Delivery is at-most-once for now: a batch is handed to navigator.sendBeacon (or, where the
// beacon is refused or missing, fetch with keepalive), on a timer and when the page is hidden
// or unloaded, and is not retried. Every batch carries an id (`batch`) so that the later
// retrying, exactly-once delivery can be added without changing the wire format: the
// collector dedupes on it.
//
// Wire format (POST body, text/plain so no CORS preflight is needed):
//   {"v": 1, "batch": "<random>:<seq>", "visitor": "<id>", "sentAt": ms,
//    "events": [{"type": "impression", "token": "…", "at": ms, "value"?: n}, …]}

export const MAX_QUEUE = 500;  // events waiting; beyond it the oldest are dropped (counted)
export const MAX_BATCH = 100;  // events per request: far below the 64 KB keepalive budget

// options: {url, intervalMs, allowed() -> bool, envelope() -> {visitor}, clock() -> ms,
//           timer: {set(fn, ms) -> handle, clear(handle)}, transport?(url, body) -> bool}.
// `url` undefined: a collector that queues nothing. The timer comes from the host runtime:
// this file stays free of host globals, and tests can drive time.
export function createCollector(options) {
  const { url, intervalMs, allowed, envelope, clock, timer: timers } = options;
  const send = options.transport || defaultTransport;
  const batchPrefix = randomPrefix();
  let queue = [];
  let seq = 0;
  let timer = null;
  let closed = false;
  const stats = { sent: 0, dropped: 0, discarded: 0, failed: 0, batches: 0 };
  let lastError;
  const cleanups = [];

  function enqueue(event) {
    if (closed) return { queued: false, reason: 'runtime closed' };
    if (url === undefined) return { queued: false, reason: 'no collectorUrl' };
    if (!allowed()) return { queued: false, reason: 'measurement not granted' };
    queue.push(event);
    if (queue.length > MAX_QUEUE) {
      queue.shift();
      stats.dropped++;
    }
    schedule();
    return { queued: true };
  }

  // Sends everything queued; synchronous up to the hand-over, so it is safe in pagehide.
  // Consent is checked again here: a batch never leaves after measurement was withdrawn.
  function flush() {
    stopTimer();
    if (queue.length === 0) return 0;
    if (!allowed()) {
      clear();
      return 0;
    }
    let handed = 0;
    while (queue.length > 0) {
      const events = queue.splice(0, MAX_BATCH);
      const body = JSON.stringify({ v: 1, batch: `${batchPrefix}:${++seq}`, ...envelope(), sentAt: clock(), events });
      let ok;
      try {
        ok = send(url, body, (error) => {
          // fetch's late failure: the events are already counted as sent; say so.
          stats.failed += events.length;
          stats.sent -= events.length;
          lastError = error;
        });
      } catch (e) {
        ok = false;
        lastError = String(e && e.message ? e.message : e);
      }
      stats.batches++;
      if (ok) {
        stats.sent += events.length;
        handed += events.length;
      } else {
        stats.failed += events.length;
        if (!lastError) lastError = 'the browser refused the beacon';
      }
    }
    return handed;
  }

  // Withdrawal or forget(): queued events are discarded, not sent.
  function clear() {
    stats.discarded += queue.length;
    queue = [];
    stopTimer();
  }

  function schedule() {
    if (timer !== null || closed) return;
    timer = timers.set(() => {
      timer = null;
      flush();
    }, intervalMs);
  }

  function stopTimer() {
    if (timer !== null) timers.clear(timer);
    timer = null;
  }

  // Hidden may be the last moment the page runs (mobile tab switch); pagehide is the last.
  const win = globalThis;
  if (url !== undefined && typeof win.addEventListener === 'function' && typeof win.document === 'object' && win.document) {
    const onVisibility = () => {
      if (win.document.visibilityState === 'hidden') flush();
    };
    const onPageHide = () => flush();
    win.document.addEventListener('visibilitychange', onVisibility);
    win.addEventListener('pagehide', onPageHide);
    cleanups.push(() => {
      win.document.removeEventListener('visibilitychange', onVisibility);
      win.removeEventListener('pagehide', onPageHide);
    });
  }

  return {
    enqueue,
    flush,
    clear,
    stats() {
      const out = { queued: queue.length, ...stats };
      if (lastError) out.lastError = lastError;
      return out;
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      stopTimer();
      while (cleanups.length > 0) cleanups.pop()();
    },
  };
}

// sendBeacon where there is one (it survives the page's unload); fetch keepalive where the
// beacon is missing or refuses (too large, or blocked). True when handed over.
function defaultTransport(url, body, onLateFailure) {
  const nav = globalThis.navigator;
  if (nav && typeof nav.sendBeacon === 'function') {
    try {
      if (nav.sendBeacon(url, body)) return true;
    } catch {
      // an invalid URL or a detached document: try fetch
    }
  }
  if (typeof globalThis.fetch !== 'function') return false;
  globalThis
    .fetch(url, { method: 'POST', keepalive: true, body, headers: { 'content-type': 'text/plain;charset=UTF-8' } })
    .then((response) => {
      if (!response.ok) onLateFailure(`collector answered ${response.status}`);
    })
    .catch((e) => onLateFailure(`fetch failed: ${String(e && e.message ? e.message : e)}`));
  return true;
}

function randomPrefix() {
  const bytes = new Uint8Array(8);
  const crypto = globalThis.crypto;
  if (crypto && typeof crypto.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
