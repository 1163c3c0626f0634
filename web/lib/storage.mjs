// Where the browser runtime keeps the visitor's state blob, and how tabs share it.
//
// An adapter is synchronous on purpose: localStorage is, and a flush must read, merge and
// write without yielding so that no event of this tab can slip in between. Cross-tab
// exclusion comes from the adapter's optional `lock` (Web Locks for localStorage).
//
//   adapter.read(key)               -> string | null      (may throw)
//   adapter.write(key, text)        -> void               (may throw: quota, disabled)
//   adapter.remove?(key)            -> void               (erase; without it the runtime writes '')
//   adapter.subscribe?(key, onChange) -> unsubscribe      (another tab changed the value)
//   adapter.lock?(key, critical)    -> Promise            (runs `critical` exclusively)
//   adapter.close?()                                      (the runtime is done with it)

import { describeError } from './boundary.mjs';

export const STORAGE_MODES = Object.freeze(['local', 'memory', 'cookie']);

// Resolves the `storage` option to `{ adapter, status }`. `adapter` is null in memory mode;
// a storage that cannot be reached gives memory mode with `ok: false` and the reason,
// because personalization must keep working where storage is blocked.
export function openStorage(choice) {
  if (choice === 'memory') return memoryMode(true);
  if (choice === undefined || choice === 'local') return openLocalStorage();
  return { adapter: choice, status: { mode: 'custom', ok: true, sync: choice.lock ? 'locks' : 'best-effort' } };
}

// Tells a usable adapter from a typo before anything is stored; `null` when fine.
export function checkStorageOption(choice) {
  if (choice === undefined || STORAGE_MODES.includes(choice)) return null;
  if (typeof choice !== 'object' || choice === null) {
    return `storage: must be 'local', 'memory', 'cookie' or an adapter object, got ${JSON.stringify(String(choice))}`;
  }
  for (const method of ['read', 'write']) {
    if (typeof choice[method] !== 'function') return `storage: an adapter needs a ${method}(key) method`;
  }
  for (const method of ['subscribe', 'lock', 'remove']) {
    if (choice[method] !== undefined && typeof choice[method] !== 'function') {
      return `storage: adapter.${method} must be a function when given`;
    }
  }
  return null;
}

export function memoryMode(ok, reason) {
  const status = { mode: 'memory', ok, sync: 'none' };
  if (reason) status.reason = reason;
  return { adapter: null, status };
}

function openLocalStorage() {
  let storage;
  try {
    // Merely reading the property throws SecurityError where the site's storage is blocked
    // (third-party iframes with cookies off, sandboxed documents).
    storage = globalThis.localStorage;
  } catch (e) {
    return memoryMode(false, `localStorage is not accessible: ${describeFailure(e)}`);
  }
  if (!storage || typeof storage.getItem !== 'function') {
    return memoryMode(false, 'localStorage is not available on this host');
  }
  const locks = webLocks();
  return {
    adapter: localStorageAdapter(storage, locks),
    status: { mode: 'local', ok: true, sync: locks ? 'locks' : 'best-effort' },
  };
}

export function webLocks() {
  try {
    const locks = globalThis.navigator && globalThis.navigator.locks;
    return locks && typeof locks.request === 'function' ? locks : null;
  } catch {
    return null;
  }
}

// localStorage under Web Locks. The lock alone does not make a read-merge-write exact in
// Chromium: each renderer process reads localStorage from its own cache, which learns of
// another tab's write asynchronously, so the next lock holder can still read the value
// from before the previous holder's write (measured: two tabs doing 1,000 locked
// increments each ended at 1,732–1,960 instead of 2,000). So every locked write leaves a
// beacon: the writer holds a shared lock named `${key}@${seq}:${hash of the text}` (the
// lock manager is one per browser, hence consistent) until its next write. The next
// holder finds the newest beacon and waits until its own view has reached that value
// before it reads. With beacons, the same two tabs end at exactly 2,000.
//
// A write without the lock (the synchronous one on pagehide) leaves no beacon and is
// best-effort; so is everything when a tab dies in the instant after writing (its
// beacons die with it).
export function localStorageAdapter(storage, locks) {
  const seen = new Map();  // key -> recent value hashes this tab has observed, newest last
  const beacons = new Map();  // seq -> release function of the beacon this tab holds
  let lastWrite = null;

  const observe = (key, text) => {
    let hashes = seen.get(key);
    if (!hashes) seen.set(key, (hashes = []));
    const hash = hashText(text);
    if (hashes[hashes.length - 1] !== hash) hashes.push(hash);
    if (hashes.length > SEEN_LIMIT) hashes.shift();
  };
  // This tab's view has reached `hash` (views only move forward, in the order writes were
  // committed, so having seen a value once means having seen every write before it).
  const reached = (key, hash) => {
    observe(key, storage.getItem(key));
    return (seen.get(key) || []).includes(hash);
  };

  const adapter = {
    read(key) {
      const text = storage.getItem(key);
      observe(key, text);
      return text;
    },
    write(key, text) {
      storage.setItem(key, text);
      observe(key, text);
      lastWrite = { key, text };
    },
    // A removal is a write of "nothing" as far as beacons go (hashText(null)).
    remove(key) {
      storage.removeItem(key);
      observe(key, null);
      lastWrite = { key, text: null };
    },
    subscribe(key, onChange) {
      if (typeof globalThis.addEventListener !== 'function') return () => {};
      const listener = (event) => {
        if (event.storageArea !== storage) return;
        // key null: the whole area was cleared (localStorage.clear()).
        if (event.key === key) observe(key, event.newValue);
        if (event.key === key || event.key === null) onChange();
      };
      globalThis.addEventListener('storage', listener);
      return () => globalThis.removeEventListener('storage', listener);
    },
    close() {
      for (const release of beacons.values()) release();
      beacons.clear();
    },
  };

  if (locks) {
    adapter.lock = (key, critical) =>
      locks.request(key, async () => {
        const beacon = await newestBeacon(locks, key);
        if (beacon) await waitUntil(storage, () => reached(key, beacon.hash), CATCH_UP_MS);
        lastWrite = null;
        const result = critical();
        if (lastWrite && lastWrite.key === key) {
          await holdBeacon(locks, key, (beacon ? beacon.seq : 0) + 1, hashText(lastWrite.text), beacons);
        }
        return result;
      });
  }
  return adapter;
}

const SEEN_LIMIT = 64;
const CATCH_UP_MS = 2000;  // a view this late is not coming: proceed (best-effort)

async function newestBeacon(locks, key) {
  if (typeof locks.query !== 'function') return null;
  let held;
  try {
    ({ held } = await locks.query());
  } catch {
    return null;
  }
  let newest = null;
  for (const lock of held || []) {
    const name = typeof lock.name === 'string' ? lock.name : '';
    const at = name.lastIndexOf('@');
    if (at !== key.length || !name.startsWith(key)) continue;
    const [seqText, hash] = name.slice(at + 1).split(':');
    const seq = Number(seqText);
    if (Number.isSafeInteger(seq) && hash && (!newest || seq > newest.seq)) newest = { seq, hash };
  }
  return newest;
}

// Holds `${key}@${seq}:${hash}` until this tab writes again; resolves once granted, so the
// beacon exists before the main lock is released.
async function holdBeacon(locks, key, seq, hash, beacons) {
  try {
    await new Promise((granted, refused) => {
      locks
        .request(`${key}@${seq}:${hash}`, { mode: 'shared' }, () => {
          granted();
          return new Promise((release) => beacons.set(seq, release));
        })
        .catch(refused);
    });
  } catch {
    return;  // no beacon: the next holder falls back to its current view
  }
  for (const [older, release] of beacons) {
    if (older < seq) {
      release();
      beacons.delete(older);
    }
  }
}

// Resolves when `check()` holds or after `ms`. Woken by storage events (delivered promptly
// even in background tabs, whose timers are throttled) and by a short poll (the cache can
// change before its event is dispatched).
function waitUntil(storage, check, ms) {
  if (check()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const deadline = Date.now() + ms;
    let timer = null;
    const done = (value) => {
      globalThis.removeEventListener('storage', onStorage);
      clearTimeout(timer);
      resolve(value);
    };
    const poll = () => {
      if (check()) return done(true);
      if (Date.now() >= deadline) return done(false);
      timer = setTimeout(poll, 2);
    };
    const onStorage = (event) => {
      if (event.storageArea === storage && check()) done(true);
    };
    globalThis.addEventListener('storage', onStorage);
    timer = setTimeout(poll, 2);
  });
}

// Two 32-bit FNV-1a variants over UTF-16 code units plus the length: a 64-bit-ish
// fingerprint to recognise a stored value in a lock name.
export function hashText(text) {
  if (typeof text !== 'string') return 'none';
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return `${a.toString(36)}${b.toString(36)}.${text.length.toString(36)}`;
}

// "NameError: message" for DOMExceptions (QuotaExceededError, SecurityError) and errors.
export function describeFailure(e) {
  const message = describeError(e);
  const name = e && typeof e.name === 'string' ? e.name : '';
  return name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

// ---- base64url (RFC 4648 §5, no padding): the blob's text form in storage ----

const CHUNK = 0x8000;  // String.fromCharCode.apply argument limit, with margin

export function encodeBase64Url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

// Uint8Array, or null when `text` is not base64url (then the caller reports corruption).
export function decodeBase64Url(text) {
  if (typeof text !== 'string' || !BASE64URL.test(text) || text.length % 4 === 1) return null;
  let binary;
  try {
    binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
