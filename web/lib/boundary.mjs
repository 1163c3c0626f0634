// The JS <-> Wasm boundary: one JSON string in, one JSON string out per call, and nothing
// thrown across it. Wasm traps, binding errors, unserialisable inputs and
// malformed outputs all come back as `{ error }` values, because a personalization call
// must never take a page or an edge worker down with it.

// Turns an API argument into the JSON text the Wasm module takes. Strings are taken as
// JSON text already; objects are serialised. Returns `{ json }` or `{ error }`.
export function toJson(value, what) {
  if (typeof value === 'string') return { json: wellFormed(value) };
  if (typeof value !== 'object' || value === null) {
    return { error: `${what}: must be an object or a JSON string, got ${typeName(value)}` };
  }
  try {
    const json = JSON.stringify(value);
    if (typeof json !== 'string') return { error: `${what}: cannot be serialised to JSON` };
    return { json: wellFormed(json) };
  } catch (e) {
    return { error: `${what}: cannot be serialised to JSON (${describeError(e)})` };
  }
}

// Every string is made well-formed before it crosses: lone surrogates become U+FFFD, as the
// engine's JSON parser does for \uD800 escapes. (The bindings' TextEncoder does the same
// since they stopped using Embind, whose encoder paired a lone surrogate with the next code
// unit and corrupted the text; the boundary keeps the promise explicit.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormed(text) {
  if (typeof text.isWellFormed === 'function') return text.isWellFormed() ? text : text.toWellFormed();
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

// Runs one native call that returns JSON text and parses it; any failure becomes `{ error }`.
export function callJson(call) {
  let text;
  try {
    text = call();
  } catch (e) {
    return { error: describeError(e) };
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return { error: `engine returned invalid JSON (${describeError(e)})` };
  }
}

// A one-line message for anything thrown, including values whose toString throws.
export function describeError(e) {
  try {
    if (typeof WebAssembly === 'object' && e instanceof WebAssembly.RuntimeError) {
      return `engine crashed: ${e.message}`;
    }
    if (e instanceof Error) return e.message || e.name;
    return String(e);
  } catch {
    return 'unknown error';
  }
}

export function typeName(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function isObject(value) {
  return typeof value === 'object' && value !== null;
}
