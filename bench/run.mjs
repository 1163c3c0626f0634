#!/usr/bin/env node
// Page-decision benchmark: Attune (Wasm in this process, native as a child process) against
// GrowthBook's evalCondition, json-logic-js and hand-written JS closures, on one seeded
// scenario. Prints a table (or JSON with --json). Timings are reported, never asserted: the
// exit status is non-zero only when engines disagree or one fails to load.
//
//   node bench/run.mjs [--visitors N] [--campaigns N] [--placements N] [--rounds N]
//                      [--seed N] [--native PATH | --no-native] [--require-attune] [--json]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { ATTRIBUTE_SCHEMA, makeScenario, withContactRules } from './scenario.mjs';
import { prepareClosures, prepareGrowthBook, prepareJsonLogic } from './peers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = { vsGrowthBook: 10, vsClosures: 1, setupMs: 5, gzipKB: 40, rulesCostPct: 10 };
// Wall-clock budget per engine for the timed rounds; rounds stop early past it.
const ENGINE_BUDGET_MS = 6000;

// ---------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = {
    visitors: 10000, campaigns: 200, placements: 8, rounds: 5, seed: 20261125,
    native: path.join(ROOT, 'build', 'attune_bench'), useNative: true,
    requireAttune: false, json: false,
  };
  const ints = { '--visitors': 'visitors', '--campaigns': 'campaigns', '--placements': 'placements', '--rounds': 'rounds', '--seed': 'seed' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in ints) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) usage(`${arg} needs a positive integer, got ${argv[i]}`);
      opts[ints[arg]] = value;
    } else if (arg === '--native') {
      if (argv[i + 1] === undefined) usage('--native needs a path');
      opts.native = path.resolve(argv[++i]);
    } else if (arg === '--no-native') opts.useNative = false;
    else if (arg === '--require-attune') opts.requireAttune = true;
    else if (arg === '--json') opts.json = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  return opts;
}

function usage(problem) {
  const text = 'usage: node bench/run.mjs [--visitors N] [--campaigns N] [--placements N] ' +
    '[--rounds N] [--seed N] [--native PATH | --no-native] [--require-attune] [--json]';
  if (problem) {
    console.error(`bench: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------
// Timing

const now = () => Number(process.hrtime.bigint()) / 1e3;  // µs
const cpuNow = () => {  // µs of CPU time used by this process (all threads)
  const { user, system } = process.cpuUsage();
  return user + system;
};
let sink;  // results land here so no engine's work can be optimised away

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function median(values) {
  return percentile(values.slice().sort((a, b) => a - b), 0.5);
}

// Median CPU time of a few fresh preparations (the first one also pays for lazy JIT and
// compile work, so it is reported on its own).
export function timeSetup(prepare, times) {
  const ms = [];
  let prepared;
  for (let i = 0; i < times; i++) {
    const t0 = cpuNow();
    const candidate = prepare();
    ms.push((cpuNow() - t0) / 1e3);
    if (prepared && prepared.dispose) prepared.dispose();
    prepared = candidate;
  }
  return { prepared, setupMs: median(ms), firstSetupMs: ms[0] };
}

// One warm-up pass, then rounds of [a throughput pass without per-call timers, a latency
// pass with one timer pair per page], so timer overhead never inflates pages/s.
// pages/s counts the CPU time of the fastest throughput pass: on a machine shared with other
// processes a pass can spend half its wall time preempted (4 ms scheduler slices), which
// CPU time leaves out. Wall-clock pages/s is reported too; on a quiet machine they agree.
// `budgetMs` bounds the rounds (bench/matrix.mjs uses less); `latency: false` skips the
// latency passes (p50/p99 come out NaN) for a run that only needs pages/s.
export function timeDecisions(decide, count, rounds, { budgetMs = ENGINE_BUDGET_MS, latency = true } = {}) {
  for (let i = 0; i < count; i++) sink = decide(i);
  const passUs = [];
  const passCpuUs = [];
  const latencies = new Float64Array(count * rounds);
  let filled = 0;
  const started = now();
  for (let r = 0; r < rounds; r++) {
    const c0 = cpuNow();
    const t0 = now();
    for (let i = 0; i < count; i++) sink = decide(i);
    passUs.push(now() - t0);
    passCpuUs.push(cpuNow() - c0);
    for (let i = 0; latency && i < count; i++) {
      const a = now();
      sink = decide(i);
      latencies[filled++] = now() - a;
    }
    if ((now() - started) / 1e3 > budgetMs) break;
  }
  const sorted = latencies.subarray(0, filled).sort();
  return {
    rounds: passUs.length,
    pagesPerSec: count / (Math.min(...passCpuUs) / 1e6),
    wallPagesPerSec: count / (Math.min(...passUs) / 1e6),
    p50Us: percentile(sorted, 0.5),
    p99Us: percentile(sorted, 0.99),
  };
}

// ---------------------------------------------------------------------------------------
// Engines. Each returns { prepare() → { decide(i), choices(i), dispose? } }; `decide` is
// what is timed, `choices` (untimed) gives the campaign id per placement for the cross-check.

export function peerEngine(name, note, prepareFn, attributes) {
  return {
    name, note,
    prepare() {
      const decidePage = prepareFn();
      return { decide: (i) => decidePage(attributes[i]), choices: (i) => decidePage(attributes[i]) };
    },
  };
}

export function choicesOfPage(page, placementIds) {
  if (!page || !Array.isArray(page.decisions)) {
    throw new Error(`page decision failed: ${JSON.stringify(page).slice(0, 300)}`);
  }
  if (page.decisions.length !== placementIds.length) {
    throw new Error(`page decision has ${page.decisions.length} decisions, expected ${placementIds.length}`);
  }
  return page.decisions.map((d, p) => {
    if (d.placement !== placementIds[p]) {
      throw new Error(`decision ${p} is for placement ${d.placement}, expected ${placementIds[p]}`);
    }
    // The scenario's content names its campaign, so rendering is checked along the way.
    const headline = d.content && d.content.headline;
    if (headline !== (d.campaign === null ? 'Welcome' : d.campaign)) {
      throw new Error(`decision for ${d.placement} chose ${d.campaign} but rendered ${JSON.stringify(d.content)}`);
    }
    return d.campaign;
  });
}

async function loadAttuneEngines(scenario, visitorJson, placementIds, opts, notes) {
  const wasmPath = path.join(ROOT, 'web', 'dist', 'attune.wasm');
  const entry = path.join(ROOT, 'web', 'attune.mjs');
  if (!fs.existsSync(wasmPath) || !fs.existsSync(path.join(ROOT, 'web', 'dist', 'attune.mjs'))) {
    const message = 'Attune Wasm rows skipped: web/dist/attune.{wasm,mjs} not built (scripts/build-wasm.sh)';
    if (opts.requireAttune) throw new Error(message);
    notes.push(message);
    return [];
  }
  const wasmBinary = fs.readFileSync(wasmPath);
  const { loadAttune } = await import(pathToFileURL(entry).href);
  const attune = await loadAttune({ wasmBinary });
  const { config, visitors } = scenario;

  const compile = () => {
    const result = attune.compile(config);
    if (!result.ok) throw new Error(`Attune rejected the config: ${JSON.stringify(result.errors).slice(0, 500)}`);
    return result.engine;
  };
  compile().free();  // fail now, not after the peers have run
  const wrapped = (name, note, decideWith) => ({
    name, note,
    prepare() {
      const engine = compile();
      return {
        decide: (i) => decideWith(engine, i),
        choices: (i) => choicesOfPage(engine.decidePage(visitorJson[i]), placementIds),
        dispose: () => engine.free(),
      };
    },
  });
  const engines = [
    wrapped('attune-wasm', 'engine.decidePage(visitor object): stringify + decide + parse',
      (engine, i) => engine.decidePage(visitors[i])),
    wrapped('attune-wasm json-in', 'engine.decidePage(pre-stringified visitor): decide + parse',
      (engine, i) => engine.decidePage(visitorJson[i])),
  ];

  // The raw module object, without the JS wrapper: string in, string out, nothing parsed.
  // Shows what the boundary itself costs versus the wrapper's JSON work.
  const { default: createAttuneModule } = await import(pathToFileURL(path.join(ROOT, 'web', 'dist', 'attune.mjs')).href);
  const wasmModule = await WebAssembly.compile(wasmBinary);
  const native = await createAttuneModule({
    locateFile: (p) => p,
    instantiateWasm(imports, receive) {
      WebAssembly.instantiate(wasmModule, imports).then((instance) => receive(instance, wasmModule));
      return {};
    },
  });
  const configJson = JSON.stringify(config);
  if (typeof native.Engine === 'function') {
    engines.push({
      name: 'attune-wasm raw',
      note: 'module Engine.decidePageJson(visitor JSON) → JSON string, not parsed',
      prepare() {
        const engine = new native.Engine(configJson);
        if (!engine.ok()) throw new Error(`raw Engine rejected the config: ${engine.errorsJson().slice(0, 500)}`);
        return {
          decide: (i) => engine.decidePageJson(visitorJson[i], false),
          choices: (i) => choicesOfPage(JSON.parse(engine.decidePageJson(visitorJson[i], false)), placementIds),
          dispose: () => engine.delete(),
        };
      },
    });
  }
  // Alternatives for crossing the boundary (issue 3 asks to choose by measurement):
  // the visitor JSON encoded straight into Wasm memory and the result decoded from it, and
  // the visitor kept inside the engine with one call per placement.
  if (typeof native.Engine === 'function' && typeof native.Engine.prototype.inputView === 'function') {
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const viaMemory = (engine, json) => {
      const view = engine.inputView(json.length * 3);
      const { written } = encoder.encodeInto(json, view);
      engine.decidePageFromInput(written, false);
      return decoder.decode(engine.outputView());
    };
    engines.push({
      name: 'attune-wasm memory',
      note: 'visitor JSON encoded into Wasm memory, result decoded from it, then parsed',
      prepare() {
        const engine = new native.Engine(configJson);
        return {
          decide: (i) => JSON.parse(viaMemory(engine, visitorJson[i])),
          choices: (i) => choicesOfPage(JSON.parse(viaMemory(engine, visitorJson[i])), placementIds),
          dispose: () => engine.delete(),
        };
      },
    });
    // Issue 6's before/after: the same route with contact rules on every campaign (the
    // visitor has no history here; the native row below adds one).
    const rulesJson = JSON.stringify(withContactRules(config));
    engines.push({
      name: 'attune-wasm memory +rules',
      note: 'the memory route with caps, fatigue, cooldown and quiet hours on every campaign',
      prepare() {
        const engine = new native.Engine(rulesJson);
        if (!engine.ok()) throw new Error(`Engine rejected the rules config: ${engine.errorsJson().slice(0, 500)}`);
        return {
          decide: (i) => JSON.parse(viaMemory(engine, visitorJson[i])),
          choices: (i) => choicesOfPage(JSON.parse(viaMemory(engine, visitorJson[i])), placementIds),
          dispose: () => engine.delete(),
        };
      },
    });
    engines.push({
      name: 'attune-wasm in-engine',
      note: 'setVisitorJson once, then decideCurrentJson per placement, each parsed',
      prepare() {
        const engine = new native.Engine(configJson);
        const page = (i) => {
          engine.setVisitorJson(visitorJson[i]);
          return { decisions: placementIds.map((p) => JSON.parse(engine.decideCurrentJson(p, false))) };
        };
        return {
          decide: page,
          choices: (i) => choicesOfPage(page(i), placementIds),
          dispose: () => engine.delete(),
        };
      },
    });
  }
  return engines;
}

// ---------------------------------------------------------------------------------------
// Native: the same scenario through build/attune_bench (a child process).

// `rules`: the config with contact rules and a visitor history of 40 campaigns.
export function runNative(scenario, opts, workDir, notes, rules = false) {
  if (!opts.useNative) return null;
  if (!fs.existsSync(opts.native)) {
    const message = `attune-native row skipped: ${path.relative(ROOT, opts.native)} not built (cmake --build build)`;
    if (opts.requireAttune) throw new Error(message);
    notes.push(message);
    return null;
  }
  const configPath = path.join(workDir, 'config.json');
  const visitorsPath = path.join(workDir, 'visitors.jsonl');
  const choicesPath = path.join(workDir, 'native-choices.jsonl');
  fs.writeFileSync(configPath, JSON.stringify(rules ? withContactRules(scenario.config) : scenario.config));
  fs.writeFileSync(visitorsPath, scenario.visitors.map((v) => JSON.stringify(v)).join('\n') + '\n');
  const child = spawnSync(opts.native, [
    '--config', configPath, '--visitors', visitorsPath, '--rounds', String(opts.rounds),
    '--choices', choicesPath, ...(rules ? ['--history', '40'] : []),
  ], { encoding: 'utf8', timeout: 120000, maxBuffer: 1 << 20 });
  if (child.error) throw new Error(`attune_bench failed to run: ${child.error.message}`);
  if (child.status !== 0) {
    throw new Error(`attune_bench exited with ${child.status}: ${(child.stderr || child.stdout).trim().slice(0, 1000)}`);
  }
  const lines = child.stdout.trim().split('\n');
  let figures;
  try {
    figures = JSON.parse(lines[lines.length - 1]);
  } catch {
    throw new Error(`attune_bench printed no JSON figures: ${child.stdout.slice(0, 500)}`);
  }
  if (typeof figures.pagesPerSec !== 'number' || typeof figures.p50Us !== 'number') {
    throw new Error(`attune_bench figures lack pagesPerSec/p50Us (stale build?): ${lines[lines.length - 1]}`);
  }
  const choices = fs.readFileSync(choicesPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  return { figures, choices };
}

// ---------------------------------------------------------------------------------------
// Cross-check and sizes

// Compares every engine's choices with the reference's, cell by cell (visitor × placement).
// Keeps a few diffs per engine so a wrong reference shows up as "everyone disagrees".
export function crossCheck(reference, others, scenario, placementIds) {
  const diffs = [];
  const perEngine = {};
  let disagreements = 0;
  for (const { name, choices } of others) {
    let count = 0;
    if (choices.length !== reference.choices.length) {
      count = reference.choices.length * placementIds.length;
      diffs.push(`${name}: ${choices.length} pages, expected ${reference.choices.length}`);
    } else {
      for (let i = 0; i < choices.length; i++) {
        for (let p = 0; p < placementIds.length; p++) {
          const want = reference.choices[i][p];
          const got = choices[i][p] === undefined ? '(missing)' : choices[i][p];
          if (got === want) continue;
          if (count++ < 3) {
            diffs.push(`${name}: visitor ${scenario.visitors[i].id} placement ${placementIds[p]}: ` +
              `${reference.name} chose ${want}, ${name} chose ${got}\n    attributes ${JSON.stringify(scenario.attributes[i])}`);
          }
        }
      }
    }
    perEngine[name] = count;
    disagreements += count;
  }
  return { disagreements, perEngine, diffs };
}

function gzipSize(file) {
  return zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
}

function measureSizes() {
  const dist = path.join(ROOT, 'web', 'dist');
  const builds = [];
  for (const base of ['attune', 'attune-lean']) {
    const files = ['.wasm', '.mjs'].map((ext) => path.join(dist, base + ext));
    if (!files.every((f) => fs.existsSync(f))) continue;
    const [wasm, js] = files.map((f) => ({ raw: fs.statSync(f).size, gzip: gzipSize(f) }));
    builds.push({ build: base, wasm, js, totalGzip: wasm.gzip + js.gzip });
  }
  // The hand-written JS wrapper shipped next to the module, reported on its own.
  const wrapper = [path.join(ROOT, 'web', 'attune.mjs')];
  const lib = path.join(ROOT, 'web', 'lib');
  if (fs.existsSync(lib)) for (const f of fs.readdirSync(lib)) if (f.endsWith('.mjs')) wrapper.push(path.join(lib, f));
  const present = wrapper.filter((f) => fs.existsSync(f));
  const wrapperGzip = present.length ? zlib.gzipSync(Buffer.concat(present.map((f) => fs.readFileSync(f))), { level: 9 }).length : 0;
  // The per-part breakdown of `node bench/size.mjs`, when it was made from these builds.
  let breakdown = null;
  const reportFile = path.join(ROOT, 'build-size', 'size-report.json');
  if (fs.existsSync(reportFile)) {
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    const fresh = report.every((r) => builds.some((b) => b.build === r.build && r.shipped.wasm && b.wasm.raw === r.shipped.wasm.raw));
    if (fresh) breakdown = report;
  }
  return { builds, wrapperGzip, breakdown };
}

// ---------------------------------------------------------------------------------------
// Report

export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

export function table(headers, rows) {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function ratioRows(rows) {
  const by = Object.fromEntries(rows.map((r) => [r.name, r]));
  const ratio = (a, b) => (by[a] && by[b] ? by[a].pagesPerSec / by[b].pagesPerSec : NaN);
  const out = [];
  for (const r of rows.filter((row) => row.name.startsWith('attune'))) {
    out.push({
      engine: r.name,
      vsGrowthBook: ratio(r.name, 'growthbook'),
      vsClosures: ratio(r.name, 'js-closures'),
      vsJsonLogic: ratio(r.name, 'json-logic'),
    });
  }
  return out;
}

function printReport(report) {
  const { scenario, rows, ratios, sizes, crossCheck: check, notes } = report;
  console.log(`Attune page-decision benchmark — ${scenario.visitors} visitors × ${scenario.placements} placements, ` +
    `${scenario.campaigns} campaigns, seed ${scenario.seed}, node ${process.version}`);
  console.log(`(${scenario.conditionsPerPage.toFixed(1)} audience evaluations per page on average; ` +
    `${(scenario.defaultShare * 100).toFixed(1)}% of placements fall back to their default)\n`);
  console.log(table(['engine', 'pages/s cpu', 'pages/s wall', 'p50 µs', 'p99 µs', 'setup ms', 'rounds'],
    rows.map((r) => [r.name, fmtInt(r.pagesPerSec), fmtInt(r.wallPagesPerSec), fmt(r.p50Us, 2), fmt(r.p99Us, 2), fmt(r.setupMs, 2), r.rounds])));
  console.log('');
  for (const r of rows) console.log(`  ${r.name.padEnd(20)} ${r.note}`);

  if (ratios.length) {
    console.log('\nRatios (pages/s cpu), target ≥ 10× GrowthBook, ≥ 1× closures:');
    console.log(table(['engine', '÷ growthbook', '÷ closures', '÷ json-logic'], ratios.map((r) => [
      r.engine,
      `${fmt(r.vsGrowthBook, 2)}× ${mark(r.vsGrowthBook >= TARGETS.vsGrowthBook)}`,
      `${fmt(r.vsClosures, 2)}× ${mark(r.vsClosures >= TARGETS.vsClosures)}`,
      `${fmt(r.vsJsonLogic, 2)}×`,
    ])));
  }
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  const pairs = [['attune-wasm memory', 'attune-wasm memory +rules'], ['attune-native', 'attune-native +rules']]
    .filter(([a, b]) => byName[a] && byName[b]);
  if (pairs.length) {
    console.log(`\nContact rules before/after (pages/s cpu; target: within ${TARGETS.rulesCostPct}%):`);
    console.log(table(['route', 'without rules', 'with rules', 'change', 'p50 µs before → after'], pairs.map(([a, b]) => {
      const change = (byName[b].pagesPerSec / byName[a].pagesPerSec - 1) * 100;
      return [a, fmtInt(byName[a].pagesPerSec), fmtInt(byName[b].pagesPerSec),
        `${change >= 0 ? '+' : ''}${fmt(change, 1)}% ${mark(change >= -TARGETS.rulesCostPct)}`,
        `${fmt(byName[a].p50Us, 2)} → ${fmt(byName[b].p50Us, 2)}`];
    })));
  }
  const attuneSetup = rows.filter((r) => r.name.startsWith('attune'));
  if (attuneSetup.length) {
    console.log(`\nSetup at ${scenario.campaigns} campaigns (target ≤ ${TARGETS.setupMs} ms): ` +
      attuneSetup.map((r) => `${r.name} ${fmt(r.setupMs, 2)} ms ${mark(r.setupMs <= TARGETS.setupMs)}`).join(', '));
  }

  console.log('\nSizes (gzip -9), target Wasm + JS ≤ 40 KB:');
  if (!sizes.builds.length) console.log('  web/dist not built');
  for (const b of sizes.builds) {
    console.log(`  ${b.build}.wasm ${kb(b.wasm.raw)} → ${kb(b.wasm.gzip)};  ${b.build}.mjs ${kb(b.js.raw)} → ${kb(b.js.gzip)};  ` +
      `total ${kb(b.totalGzip)} ${mark(b.totalGzip <= TARGETS.gzipKB * 1024)}`);
  }
  if (sizes.wrapperGzip) console.log(`  JS wrapper (web/attune.mjs + web/lib/*.mjs): ${kb(sizes.wrapperGzip)} (not in the total)`);
  for (const b of sizes.breakdown || []) {
    console.log(`  ${b.build}.wasm largest parts (gzip saved if removed): ` +
      b.parts.slice(0, 8).map((p) => `${p.part} ${kb(p.gzipMarginal)}`).join(', '));
  }
  if (!sizes.breakdown) console.log('  per-part breakdown: node bench/size.mjs (bench/README.md, "Size")');

  console.log(`\nCross-check against ${check.reference}: ${check.engines.length} engines, ` +
    `${check.disagreements} disagreements${check.disagreements ? '' : ' ✓'}`);
  if (check.disagreements) {
    console.log(`  per engine: ${Object.entries(check.perEngine).map(([n, c]) => `${n} ${c}`).join(', ')}`);
  }
  for (const d of check.diffs) console.log(`  ${d}`);
  for (const n of notes) console.log(`note: ${n}`);
}

export function mark(ok) {
  return ok ? '✓' : '✗';
}

// Work per page, from the reference's choices: how far down each placement's list decisions
// go (audience evaluations per page), and the share of placements left to their default.
export function workPerPage(config, pages) {
  const rank = new Map();
  for (const list of config.placements.map((p) => config.campaigns.filter((c) => c.placement === p.id))) {
    const ordered = list.map((c, index) => ({ c, index })).sort((a, b) => b.c.priority - a.c.priority || a.index - b.index);
    ordered.forEach(({ c }, r) => rank.set(c.id, r + 1));
  }
  const perPlacement = new Map(config.placements.map((p) => [p.id, 0]));
  for (const c of config.campaigns) perPlacement.set(c.placement, perPlacement.get(c.placement) + 1);
  const sizes = config.placements.map((p) => perPlacement.get(p.id));
  let evaluations = 0;
  let defaults = 0;
  for (const page of pages) {
    page.forEach((id, p) => {
      if (id === null) {
        defaults++;
        evaluations += sizes[p];
      } else evaluations += rank.get(id);
    });
  }
  return { conditionsPerPage: evaluations / pages.length, defaultShare: defaults / (pages.length * sizes.length) };
}

// ---------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const notes = [];
  const scenario = makeScenario({ campaigns: opts.campaigns, placements: opts.placements, visitors: opts.visitors, seed: opts.seed });
  const { config, attributes, visitors } = scenario;
  const count = visitors.length;
  const placementIds = config.placements.map((p) => p.id);
  const visitorJson = visitors.map((v) => JSON.stringify(v));

  const engines = [
    peerEngine('js-closures', 'each audience compiled to a JS closure tree (Mongo semantics)', () => prepareClosures(config), attributes),
    peerEngine('growthbook', '@growthbook/growthbook evalCondition per campaign', () => prepareGrowthBook(config), attributes),
    peerEngine('json-logic', 'json-logic-js apply() on the audiences translated to JsonLogic', () => prepareJsonLogic(config, ATTRIBUTE_SCHEMA), attributes),
    ...(await loadAttuneEngines(scenario, visitorJson, placementIds, opts, notes)),
  ];

  const rows = [];
  const checked = [];
  for (const engine of engines) {
    const { prepared, setupMs, firstSetupMs } = timeSetup(() => engine.prepare(), 5);
    const choices = [];
    for (let i = 0; i < count; i++) choices.push(prepared.choices(i));
    checked.push({ name: engine.name, choices });
    const timing = timeDecisions(prepared.decide, count, opts.rounds);
    if (prepared.dispose) prepared.dispose();
    rows.push({ name: engine.name, note: engine.note, setupMs, firstSetupMs, ...timing });
  }

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attune-bench-'));
  try {
    for (const rules of [false, true]) {
      const native = runNative(scenario, opts, workDir, notes, rules);
      if (!native) break;
      const f = native.figures;
      const name = rules ? 'attune-native +rules' : 'attune-native';
      rows.push({
        name,
        note: rules
          ? 'the same with contact rules on every campaign and a visitor history of 40 campaigns'
          : 'C++ engine in build/attune_bench (same scenario, child process)',
        setupMs: f.setupMs, firstSetupMs: f.firstSetupMs, rounds: f.rounds,
        pagesPerSec: f.pagesPerSec, wallPagesPerSec: f.wallPagesPerSec, p50Us: f.p50Us, p99Us: f.p99Us,
      });
      checked.push({ name, choices: native.choices });
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const reference = checked[0];
  const check = crossCheck(reference, checked.slice(1), scenario, placementIds);
  const work = workPerPage(config, reference.choices);

  const ratios = ratioRows(rows);
  const report = {
    scenario: {
      visitors: count, placements: placementIds.length, campaigns: config.campaigns.length, seed: opts.seed,
      conditionsPerPage: work.conditionsPerPage, defaultShare: work.defaultShare,
    },
    node: process.version,
    rows,
    ratios,
    targets: TARGETS,
    sizes: measureSizes(),
    crossCheck: { reference: reference.name, engines: checked.slice(1).map((c) => c.name), ...check },
    notes,
  };
  if (sink === undefined) notes.push('no engine produced a result');  // keeps `sink` observable
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  if (check.disagreements > 0) process.exitCode = 1;
}

// Run only as a script: bench/matrix.mjs imports the timing, native and report helpers.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`bench: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  });
}
