// Test doubles for the browser runtime, shared by the Node runtime and consent tests.

import assert from 'node:assert/strict';
import { decodeBase64Url } from '../../../web/lib/storage.mjs';

// A clock the test moves by hand: days and years pass without sleeping.
export function manualClock(start) {
  let t = start;
  const clock = () => t;
  clock.advance = (ms) => {
    t += ms;
  };
  return clock;
}

// One shared "localStorage" for several runtimes (tabs), counting every call: writes notify
// the other subscribers asynchronously (as the storage event does) and `lock` serialises
// critical sections (as Web Locks do; `adapter({lock: false})` leaves it out).
export function sharedStore(key = 'attune:state') {
  const values = new Map();
  const subscribers = new Set();
  let lockTail = Promise.resolve();
  const store = {
    values,
    reads: 0,
    writes: 0,
    removes: 0,
    text: () => values.get(key) ?? null,
    // The stored bytes as one latin1 string: what a grep of the device would find.
    bytes() {
      const text = values.get(key);
      if (text === undefined) return '';
      const bytes = decodeBase64Url(text);
      assert.ok(bytes, `stored value is base64url: ${text.slice(0, 40)}`);
      return Buffer.from(bytes).toString('latin1');
    },
    adapter(options = {}) {
      const self = {};
      const notify = (k) => {
        for (const s of subscribers) if (s.owner !== self && s.key === k) setImmediate(s.onChange);
      };
      const adapter = {
        read(k) {
          store.reads++;
          return values.has(k) ? values.get(k) : null;
        },
        write(k, text) {
          store.writes++;
          values.set(k, text);
          notify(k);
        },
        remove(k) {
          store.removes++;
          values.delete(k);
          notify(k);
        },
        subscribe(k, onChange) {
          const entry = { owner: self, key: k, onChange };
          subscribers.add(entry);
          return () => subscribers.delete(entry);
        },
      };
      if (options.lock !== false) {
        adapter.lock = (k, critical) => {
          const run = lockTail.then(() => critical());
          lockTail = run.catch(() => {});
          return run;
        };
      }
      return adapter;
    },
  };
  return store;
}
