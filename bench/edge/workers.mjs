// The three workers the edge load benchmark compares, and — in this one place — what each is
// made of: its modules (the first is the main module) and its environment. The personalizing
// worker is web/edge/worker.mjs exactly as shipped; only its config module is swapped for the
// bench config and its environment points at the bench origin.
import fs from 'node:fs';
import path from 'node:path';

// Header names the bench tells the personalizing worker to read (its env), and that the
// request mix fills. The baselines get the same env and ignore it.
export const HEADER_NAMES = { geo: 'CF-IPCountry', timeZone: 'X-Time-Zone' };
export const TOKEN_SECRET = 'edge-bench-token-secret-0123456789abcdef';
export const STATE_COOKIE_DEFAULT = 'attune';

// Module name under which the personalizing worker imports its config (bundled JSON).
const CONFIG_MODULE = 'edge/config.json';
const PERSONALIZING_MAIN = 'edge/worker.mjs';

/** The placements of the bench page, in page order (ATTUNE_PLACEMENTS). */
export function placementIds(benchConfig) {
  return benchConfig.placements.map((p) => p.id);
}

/** Environment bindings (all text) every worker gets. */
export function environment({ originUrl, benchConfig }) {
  return {
    ATTUNE_ORIGIN: originUrl,
    ATTUNE_GEO_HEADER: HEADER_NAMES.geo,
    ATTUNE_TZ_HEADER: HEADER_NAMES.timeZone,
    ATTUNE_TOKEN_SECRET: TOKEN_SECRET,
    ATTUNE_PLACEMENTS: placementIds(benchConfig).join(','),
  };
}

/**
 * [{id, label, modules: [{name, kind: 'esModule'|'wasm'|'json'|'text', source}]}] for the three
 * workers. `available` is false (with `missing`) when a worker's files do not exist yet.
 */
export function workerDefinitions({ root, benchConfigPath }) {
  const benchDir = path.join(root, 'bench', 'edge');
  const webDir = path.join(root, 'web');
  const personalizing = personalizingModules(webDir, benchConfigPath);
  return [
    {
      id: 'passthrough', label: 'pass-through',
      modules: [{ name: 'passthrough.mjs', kind: 'esModule', source: path.join(benchDir, 'passthrough.mjs') }],
    },
    {
      id: 'fixed', label: 'fixed-text rewrite',
      modules: [
        { name: 'fixed_text.mjs', kind: 'esModule', source: path.join(benchDir, 'fixed_text.mjs') },
        { name: 'fixed_rewrite.mjs', kind: 'esModule', source: path.join(benchDir, 'fixed_rewrite.mjs') },
      ],
    },
    { id: 'attune', label: 'personalizing (Attune)', ...personalizing },
  ].map((w) => {
    const missing = w.missing || w.modules.filter((m) => !fs.existsSync(m.source)).map((m) => m.source);
    return { ...w, available: missing.length === 0, missing };
  });
}

// The shipped package laid out as in web/ (so every relative import resolves as it does on
// disk): all .mjs files as ES modules, the built .wasm files as wasm modules, and the bench
// config under the name the worker imports.
// `main` (optional): another main module {name, source} — the stage profiler's worker, laid out
// next to the package so it imports the shipped modules by their package names.
export function personalizingModules(webDir, benchConfigPath, main = { name: PERSONALIZING_MAIN, source: path.join(webDir, PERSONALIZING_MAIN) }) {
  const required = [main.source, path.join(webDir, 'dist', 'attune.wasm'), path.join(webDir, 'dist', 'attune.mjs')];
  const missing = required.filter((f) => !fs.existsSync(f));
  if (missing.length > 0) return { modules: [], missing };
  const modules = [{ name: main.name, kind: 'esModule', source: main.source }];
  for (const file of listFiles(webDir)) {
    const name = path.relative(webDir, file).split(path.sep).join('/');
    if (name === main.name || name === CONFIG_MODULE) continue;
    if (name.endsWith('.mjs')) modules.push({ name, kind: 'esModule', source: file });
    else if (name.startsWith('dist/') && name.endsWith('.wasm')) modules.push({ name, kind: 'wasm', source: file });
  }
  modules.push({ name: CONFIG_MODULE, kind: 'json', source: benchConfigPath });
  return { modules, missing: [] };
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}
