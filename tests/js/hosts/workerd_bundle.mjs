// Lays out a self-contained workerd bundle in a temp dir: the shipped package (its .mjs
// files as ES modules, the .wasm as a `wasm` module), the vector runner, the worker, and
// each vector file as a `json` module re-exported by a generated vectors.mjs. Files are
// copied so every `embed` path is local to the .capnp (capnp resolves embeds itself).

import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { DIST_DIR, REPO_ROOT, VECTOR_DIR, WEB_DIR } from './node_host.mjs';

const COMPATIBILITY_DATE = '2026-11-01';

export function writeWorkerdBundle(dir, vectorNames) {
  const modules = [];
  const add = (name, kind, source) => {
    const target = join(dir, name);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target);
    modules.push(`    (name = ${JSON.stringify(name)}, ${kind} = embed ${JSON.stringify(name)}),`);
  };

  add('worker.mjs', 'esModule', join(REPO_ROOT, 'tests/js/hosts/worker.mjs'));
  for (const file of listMjs(WEB_DIR)) add(relative(WEB_DIR, file), 'esModule', file);
  add('dist/attune.wasm', 'wasm', join(DIST_DIR, 'attune.wasm'));
  add('run_vectors.mjs', 'esModule', join(REPO_ROOT, 'tests/js/run_vectors.mjs'));
  for (const name of vectorNames) add(`vectors/${name}.json`, 'json', join(VECTOR_DIR, `${name}.json`));

  const imports = vectorNames.map((n) => `import ${n} from './vectors/${n}.json';`).join('\n');
  writeFileSync(join(dir, 'vectors.mjs'), `${imports}\nexport default { ${vectorNames.join(', ')} };\n`);
  modules.push('    (name = "vectors.mjs", esModule = embed "vectors.mjs"),');

  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .vectorsWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const vectorsWorker :Workerd.Worker = (
  modules = [
${modules.join('\n')}
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`;
  const configPath = join(dir, 'config.capnp');
  writeFileSync(configPath, config);
  return configPath;
}

// Every .mjs of the package (web/attune.mjs, web/lib/*, web/dist/*), skipping node_modules.
function listMjs(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...listMjs(path));
    else if (entry.isFile() && entry.name.endsWith('.mjs')) out.push(path);
  }
  return out;
}
