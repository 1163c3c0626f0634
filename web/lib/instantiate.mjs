// Loads the Emscripten module on any host. Each host forbids something different:
// Node's fetch cannot read file: URLs, workerd forbids compiling Wasm from bytes and has no
// import.meta.url, browsers should stream. So we always supply `instantiateWasm` and pick
// the source the caller gave: a compiled module, bytes, or a URL to stream.
//
// The compiled WebAssembly.Module is kept, so that after a trap (lib/recovery.mjs) a fresh
// instance starts synchronously from it: no refetch, no recompile, no await in the call
// that trapped.

import { testTrapsOf, watchTraps } from './traps.mjs';

const origins = new WeakMap();  // native module → {createModule, module}

export async function instantiateModule(createModule, options, defaultWasmUrl) {
  const source = pickSource(options, defaultWasmUrl);
  let compiled;
  // Emscripten never settles its ready promise when instantiateWasm fails, so a failure is
  // reported through this second promise and raced against it.
  let fail;
  const failed = new Promise((_, reject) => {
    fail = reject;
  });
  const ready = createModule({
    locateFile: (path) => path,
    instantiateWasm(imports, receive) {
      instantiate(source, imports)
        .then(({ instance, module }) => {
          compiled = module;
          receive(instance, module);
        })
        .catch((e) => fail(asLoadError(e)));
      return {};
    },
  });
  const native = await Promise.race([ready, failed]);
  origins.set(native, { createModule, module: compiled });
  return watchTraps(native);
}

// A fresh instance of the module `native` came from, ready when this returns, or a throw.
// Emscripten's loader runs synchronously when instantiateWasm hands it the instance at once
// (it sets Module.calledRun when its runtime has started); new WebAssembly.Instance is
// allowed on every host we run on, including a browser's main thread for a module this size.
export function instantiateAgain(native) {
  const origin = origins.get(native);
  if (!origin || !(origin.module instanceof WebAssembly.Module)) {
    throw new Error('no compiled module kept to instantiate again');
  }
  let failure = null;
  const fresh = {
    locateFile: (path) => path,
    instantiateWasm(imports, receive) {
      try {
        receive(new WebAssembly.Instance(origin.module, imports), origin.module);
      } catch (e) {
        failure = e;
      }
      return {};
    },
  };
  const ready = origin.createModule(fresh);
  if (ready && typeof ready.catch === 'function') ready.catch(() => {});  // failures are thrown below
  if (failure) throw failure;
  if (fresh.calledRun !== true || typeof fresh.Engine !== 'function') {
    throw new Error('the fresh instance did not start synchronously');
  }
  origins.set(fresh, origin);
  return watchTraps(fresh, testTrapsOf(native));
}

function asLoadError(e) {
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith('loadAttune:')) return e;
  return new Error(`loadAttune: cannot instantiate the Wasm module: ${message}`);
}

function pickSource(options, defaultWasmUrl) {
  const { wasmModule, wasmBinary, wasmUrl } = options;
  if (wasmModule !== undefined) {
    if (!(wasmModule instanceof WebAssembly.Module)) {
      throw new TypeError('loadAttune: wasmModule must be a WebAssembly.Module');
    }
    return { module: wasmModule };
  }
  if (wasmBinary !== undefined) {
    if (!(wasmBinary instanceof ArrayBuffer) && !ArrayBuffer.isView(wasmBinary)) {
      throw new TypeError('loadAttune: wasmBinary must be an ArrayBuffer or a Uint8Array');
    }
    return { bytes: wasmBinary };
  }
  const url = wasmUrl !== undefined ? wasmUrl : defaultWasmUrl();
  if (url === undefined) {
    throw new TypeError(
      'loadAttune: no wasm location known on this host; pass wasmModule (workerd), ' +
        'wasmBinary (Node) or wasmUrl (browser)',
    );
  }
  return { url: String(url) };
}

async function instantiate(source, imports) {
  if (source.module) {
    const instance = await WebAssembly.instantiate(source.module, imports);
    return { instance, module: source.module };
  }
  if (source.bytes) return WebAssembly.instantiate(source.bytes, imports);
  if (source.url.startsWith('file:')) {
    throw new TypeError(
      `loadAttune: cannot fetch ${source.url}; in Node pass { wasmBinary } (the file's bytes)`,
    );
  }
  const response = await fetch(source.url);
  if (!response.ok) {
    throw new Error(`loadAttune: fetching ${source.url} failed with HTTP ${response.status}`);
  }
  const type = response.headers.get('content-type') || '';
  if (typeof WebAssembly.instantiateStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.instantiateStreaming(response, imports);
  }
  // A server without the application/wasm MIME type: slower, but still works.
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}
