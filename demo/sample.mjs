// A Node example (the demo page is scripts/demo.sh): the Wasm runtime, loaded in Node,
// decides the sample page for two sample visitors and explains why.
import { readFile } from 'node:fs/promises';
import { loadAttune } from '../web/attune.mjs';

const here = (p) => new URL(p, import.meta.url);
const attune = await loadAttune({ wasmBinary: await readFile(here('../web/dist/attune.wasm')) });
const config = await readFile(here('./sample-config.json'), 'utf8');
const visitors = JSON.parse(await readFile(here('./sample-visitors.json'), 'utf8'));

const compiled = attune.compile(config);
if (!compiled.ok) {
  for (const e of compiled.errors) console.error(`${e.path}: ${e.message}`);
  process.exit(1);
}

for (const { label, visitor } of visitors) {
  console.log(`\n== ${label}`);
  const page = compiled.engine.decidePage(visitor, { reasons: true });
  if (page.error) {
    console.error(page.error);
    process.exit(1);
  }
  for (const d of page.decisions) {
    const shown = d.campaign ? `${d.campaign}/${d.variant ?? 'holdout'}` : '(placement default)';
    console.log(`  ${d.placement.padEnd(7)} ${shown}  [${d.locale}, ${d.dir}]  ${JSON.stringify(d.content)}`);
    for (const r of d.reasons) console.log(`          - ${r.campaign}: ${r.result}${r.reason ? ` (${r.reason})` : ''}`);
  }
}
console.log(`\nAttune ${attune.version}: decided in the Wasm runtime (web/dist/attune.wasm).`);
compiled.engine.free();
