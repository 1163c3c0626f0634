// Keeps one live instance of the Wasm module behind an API object, and replaces it when a
// call traps. Every API call runs through `run`: if the instance trapped during the call
// (lib/traps.mjs saw it, whoever caught the error), a fresh instance is started from the
// same compiled module (lib/instantiate.mjs), every dependant (a compiled engine, the
// runtime's visitor) rebuilds itself on it from what it last knew to be good, and the call
// runs once more when the caller says that is safe. Then the host is told (`onTrap`).
//
// Bounded: more than MAX_RECOVERIES within WINDOW_MS, or a fresh instance that cannot be
// started or rebuilt, and the keeper gives up for good: every later call returns
// `{error}` without touching Wasm. A call is never run more than twice. Nothing here throws.

import { describeError } from './boundary.mjs';
import { instantiateAgain } from './instantiate.mjs';
import { armTestTraps, pauseTestTraps, trapOf } from './traps.mjs';

export const MAX_RECOVERIES = 3;
export const WINDOW_MS = 60_000;

// Test-only hook on API objects: `api[TEST_TRAP](n)` makes the next n Engine/Visitor
// crossings trap for real (lib/traps.mjs). Not part of the API; never reached by using it.
export const TEST_TRAP = Symbol.for('attune.test.trap');

// onTrap(report) is called once per trap, on a microtask (never inside the failing call):
// {error, recovered, recoveries, reason?}.
export function createKeeper(native, { onTrap } = {}) {
  let current = native;
  let recoveries = 0;
  let lastError = null;
  let gaveUp = null;  // the reason, once given up
  const recent = [];  // when the recoveries inside the window happened
  const dependants = new Set();
  let depth = 0;  // runs in progress (they nest: the runtime's show() decides and counts)

  function report(event) {
    if (typeof onTrap !== 'function') return;
    const deliver = () => {
      try {
        onTrap(Object.freeze(event));
      } catch {
        // the host's handler failing is its own business: never ours to throw
      }
    };
    if (typeof queueMicrotask === 'function') queueMicrotask(deliver);
    else Promise.resolve().then(deliver);
  }

  function giveUp(reason) {
    gaveUp = reason;
    return false;
  }

  // Replaces the trapped instance; false when the keeper gives up instead. Reports either way.
  // `bounded`: the recovery counts towards MAX_RECOVERIES (see run).
  function recover(trap, bounded = true) {
    const recovered = replace(trap, bounded);
    const event = { error: describeError(trap), recovered, recoveries };
    if (!recovered) event.reason = gaveUp;
    report(event);
    return recovered;
  }

  function replace(trap, bounded) {
    lastError = describeError(trap);
    if (gaveUp) return false;
    if (bounded) {
      const now = Date.now();
      while (recent.length > 0 && recent[0] <= now - WINDOW_MS) recent.shift();
      if (recent.length >= MAX_RECOVERIES) {
        return giveUp(`${MAX_RECOVERIES + 1} traps within ${WINDOW_MS / 1000} s`);
      }
      recent.push(now);
    }
    let fresh;
    try {
      fresh = instantiateAgain(current);
    } catch (e) {
      return giveUp(`a fresh instance could not be started: ${describeError(e)}`);
    }
    current = fresh;
    recoveries++;
    const problems = [];
    pauseTestTraps(fresh, true);
    for (const rebuild of [...dependants]) {
      try {
        rebuild(fresh);
      } catch (e) {
        problems.push(describeError(e));
      }
    }
    pauseTestTraps(fresh, false);
    if (trapOf(fresh)) return giveUp(`the fresh instance trapped while rebuilding: ${describeError(trapOf(fresh))}`);
    if (problems.length > 0) lastError = `${lastError}; rebuilding: ${problems.join('; ')}`;
    return true;
  }

  // One attempt: the call's value, or the trap it hit on the instance it started on. A trap
  // that a nested `run` already recovered from is that run's, not this one's.
  function attempt(call) {
    const on = current;
    let value;
    depth++;
    try {
      value = call();
    } catch (e) {
      value = { error: describeError(e) };
    } finally {
      depth--;
    }
    const trap = on === current ? trapOf(on) : null;
    return trap ? { trap } : { value };
  }

  // Runs `call` (which returns a value and should not throw). `retry`: the call may run again
  // on the fresh instance. `failed(message)` shapes the error value (default `{error}`).
  // `bounded: false` for a call whose traps come from its own input (a config that traps the
  // compiler does so every time): its recoveries do not count towards giving up, so hostile
  // input cannot switch the module off for everyone; it still runs at most twice.
  function run(call, { retry = false, failed = asError, bounded = true } = {}) {
    if (gaveUp) return failed(`${lastError} (not recovered: ${gaveUp})`);
    const first = attempt(call);
    if (!first.trap) return first.value;
    const message = describeError(first.trap);
    if (!recover(first.trap, bounded)) return failed(`${message} (not recovered: ${gaveUp})`);
    if (!retry) return failed(`${message} (recovered; the call was not retried)`);
    const second = attempt(call);
    if (!second.trap) return second.value;
    // The same call trapped twice: it is not run a third time, but the instance is replaced
    // again so that other calls go on working.
    const again = describeError(second.trap);
    const recovered = recover(second.trap, bounded);
    return failed(`${again} (the call trapped again${recovered ? '; recovered, not retried' : ` and was not recovered: ${gaveUp}`})`);
  }

  // For work outside `run` (timers, storage events): replaces the instance if it trapped.
  // Inside a run, the run does it (and may retry its call).
  function settle() {
    const trap = trapOf(current);
    if (!trap || depth > 0) return;
    recover(trap);
  }

  return Object.freeze({
    get native() {
      return current;
    },
    get trapped() {
      return trapOf(current) !== null;
    },
    run,
    settle,
    // rebuild(freshNative) is called after each recovery; returns a function that stops that.
    depend(rebuild) {
      dependants.add(rebuild);
      return () => dependants.delete(rebuild);
    },
    health() {
      const out = { status: gaveUp ? 'failed' : 'ok', recoveries };
      if (lastError) out.lastError = lastError;
      if (gaveUp) out.reason = gaveUp;
      return Object.freeze(out);
    },
    armTestTraps(count) {
      armTestTraps(current, count);
    },
  });
}

function asError(message) {
  return { error: message };
}

// Adds the test-only hook to an API object before it is frozen: non-enumerable, keyed by a
// symbol, so no normal use of the API can reach it.
export function withTestHook(api, keeper) {
  Object.defineProperty(api, TEST_TRAP, { value: (count = 1) => keeper.armTestTraps(count) });
  return api;
}
