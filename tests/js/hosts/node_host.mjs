// Node-side helpers shared by the JS tests: where things are, the build check, loading the
// package the way a Node user would (wasm bytes in hand) and reading the shared vectors.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WEB_DIR = join(REPO_ROOT, 'web');
export const DIST_DIR = join(WEB_DIR, 'dist');
export const VECTOR_DIR = join(REPO_ROOT, 'tests', 'vectors');
export const VECTOR_FILES = ['conditions', 'locale', 'templates', 'hash', 'decisions', 'profile', 'tcf', 'contacts', 'regex'];

// The Wasm build is a separate step (emsdk, ~1 min); say so rather than fail on an import.
export function assertBuilt() {
  const missing = ['attune.mjs', 'attune.wasm'].filter((f) => !existsSync(join(DIST_DIR, f)));
  if (missing.length > 0) {
    throw new Error(
      `web/dist/${missing.join(', web/dist/')} missing: run scripts/build-wasm.sh first`,
    );
  }
}

export async function loadNodeAttune() {
  assertBuilt();
  const { loadAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href);
  return loadAttune({ wasmBinary: readFileSync(join(DIST_DIR, 'attune.wasm')) });
}

// The module's own classes (Engine, Visitor, Kpi; bindings/facade.js), below the package API:
// for suites that stand where the edge worker or the demo's Web Worker stands.
export async function loadNativeModule() {
  assertBuilt();
  const { default: createAttuneModule } = await import(pathToFileURL(join(DIST_DIR, 'attune.mjs')).href);
  const { instantiateModule } = await import(pathToFileURL(join(WEB_DIR, 'lib', 'instantiate.mjs')).href);
  return instantiateModule(createAttuneModule, { wasmBinary: readFileSync(join(DIST_DIR, 'attune.wasm')) }, () => undefined);
}

// `{conditions: [...], ...}`; a file that does not exist is left out.
export function readVectorFiles() {
  const files = {};
  for (const name of VECTOR_FILES) {
    const path = join(VECTOR_DIR, `${name}.json`);
    if (existsSync(path)) files[name] = JSON.parse(readFileSync(path, 'utf8'));
  }
  return files;
}

// The case list in the order runVectors reports it, so tests can be declared up front.
export function listVectorCases(files) {
  const cases = [];
  for (const name of VECTOR_FILES) {
    if (!Array.isArray(files[name]) || files[name].length === 0) {
      if (name !== 'regex') cases.push({ file: name, name: '(file)' });
      continue;
    }
    for (const c of files[name]) cases.push({ file: name, name: c.name });
  }
  return cases;
}

// A JSON-compact rendering short enough for an assertion message.
export function brief(value, limit = 400) {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
