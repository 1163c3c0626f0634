// Notices Wasm traps on one instance of the module, whoever catches them. A trap (an
// out-of-bounds access, `unreachable`, Emscripten's abort) leaves the instance's memory and
// stack pointer wherever the trap found them, so after the first one the instance is dead:
// every later call into it throws at once instead of computing on poisoned memory (a
// merge must never write what a half-updated heap says to storage). lib/recovery.mjs
// replaces a dead instance.
//
// The facade (bindings/facade.js) reaches every export through `Module['_attune_…']` at
// call time, so wrapping those properties covers every crossing.

const watches = new WeakMap();  // native module → {trap: Error | null, test: {armed}}

// A handle no instance holds: at the 2 GiB top of any memory this module can grow to (and
// low enough that adding a member offset cannot wrap around to small addresses).
const BAD_HANDLE = 0x7ffffff0;
// Exports whose first argument is an Engine or Visitor handle (not their constructors).
const HANDLE_EXPORT = /^_attune_(engine|visitor)_(?!new$)/;

export function isTrap(e) {
  return typeof WebAssembly === 'object' && e instanceof WebAssembly.RuntimeError;
}

// `test` is shared by the instances that replace one another, so traps armed for tests
// (armTestTraps) outlive a recovery.
export function watchTraps(native, test = { armed: 0 }) {
  const watch = { trap: null, test };
  watches.set(native, watch);
  for (const name of Object.keys(native)) {
    if (name.startsWith('_attune_') && typeof native[name] === 'function') wrapExport(native, name, watch);
  }
  return native;
}

// The first trap this instance hit, or null while it is healthy.
export function trapOf(native) {
  const watch = watches.get(native);
  return watch ? watch.trap : null;
}

export function testTrapsOf(native) {
  const watch = watches.get(native);
  return watch ? watch.test : { armed: 0 };
}

// Test-only: the next `count` calls into an Engine or Visitor export get a handle outside
// Wasm memory, so the real export traps where the call was running. Not while a recovery
// rebuilds (pauseTestTraps): tests aim at API calls.
export function armTestTraps(native, count) {
  const watch = watches.get(native);
  if (watch) watch.test.armed = Math.max(0, Math.floor(Number(count) || 0));
}

export function pauseTestTraps(native, paused) {
  const watch = watches.get(native);
  if (watch) watch.test.paused = paused;
}

function wrapExport(native, name, watch) {
  let target = native[name];
  const handleFirst = HANDLE_EXPORT.test(name);
  const wrapped = function () {
    if (watch.trap) throw deadError(watch.trap);
    let args = arguments;
    if (handleFirst && watch.test.armed > 0 && !watch.test.paused) {
      watch.test.armed--;
      args = Array.prototype.slice.call(arguments);
      args[0] = BAD_HANDLE;
    }
    const callee = target;
    try {
      return callee.apply(null, args);
    } catch (e) {
      if (isTrap(e)) watch.trap = e;
      throw e;
    } finally {
      // Emscripten's export stubs replace themselves with the raw export on their first
      // call: call that from now on, and keep this wrapper in place.
      if (native[name] !== wrapped) {
        target = native[name];
        native[name] = wrapped;
      }
    }
  };
  native[name] = wrapped;
}

// Thrown by every call into an instance that trapped before: itself a RuntimeError, so
// every layer treats it as the crash it is.
function deadError(trap) {
  return new WebAssembly.RuntimeError(`${trap.message} (earlier; the instance is no longer used)`);
}
