#!/usr/bin/env node
// Scale matrix (issue 9): the page-decision benchmark of bench/run.mjs over a grid of
// campaigns × placements (200 / 1,000 / 10,000 × 1 / 8 / 32), printed as one table, with a
// linearity check (does time per page grow at most linearly with campaigns per placement?)
// and the issue's targets with the measured figures. Timings are reported, never asserted:
// the exit status is 1 only when engines disagree or one fails to load, 2 for bad arguments.
//
//   node bench/matrix.mjs [--quick] [--campaigns 200,1000,10000] [--placements 1,8,32]
//                         [--seed N] [--native PATH | --no-native] [--no-wasm] [--json]
//
// Same scenario generator, engines, timing and cross-check as run.mjs (imported from it);
// bounded in time: fewer visitors and rounds for the big cells (printed per cell), a 2.5 s
// budget of timed rounds per engine, no latency passes (the matrix reports pages/s only).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeScenario } from './scenario.mjs';
import { prepareClosures, prepareGrowthBook } from './peers.mjs';
import {
  choicesOfPage, crossCheck, fmt, fmtInt, mark, peerEngine, runNative, table, timeDecisions, timeSetup, workPerPage,
} from './run.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = { vsGrowthBook: 10, vsClosures: 1, nativePagesPerSec: 1e6, setupMs: 5, memoryBytes: 2 * 1024 * 1024, atCampaigns: 200 };
const FULL_GRID = { campaigns: [200, 1000, 10000], placements: [1, 8, 32] };
const QUICK_GRID = { campaigns: [20, 100], placements: [1, 4] };

// ---------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = {
    quick: false, seed: 20261125, campaigns: null, placements: null,
    native: path.join(ROOT, 'build', 'attune_bench'), useNative: true, useWasm: true, json: false,
  };
  const list = (arg, text) => {
    const values = String(text).split(',').map(Number);
    if (!values.length || values.some((v) => !Number.isInteger(v) || v < 1)) usage(`${arg} needs positive integers separated by commas, got ${text}`);
    return values;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') opts.quick = true;
    else if (arg === '--campaigns' || arg === '--placements') opts[arg.slice(2)] = list(arg, argv[++i]);
    else if (arg === '--seed') {
      opts.seed = Number(argv[++i]);
      if (!Number.isInteger(opts.seed) || opts.seed < 1) usage(`--seed needs a positive integer, got ${argv[i]}`);
    } else if (arg === '--native') {
      if (argv[i + 1] === undefined) usage('--native needs a path');
      opts.native = path.resolve(argv[++i]);
    } else if (arg === '--no-native') opts.useNative = false;
    else if (arg === '--no-wasm') opts.useWasm = false;
    else if (arg === '--json') opts.json = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  const grid = opts.quick ? QUICK_GRID : FULL_GRID;
  opts.campaigns = opts.campaigns || grid.campaigns;
  opts.placements = opts.placements || grid.placements;
  for (const c of opts.campaigns) {
    for (const p of opts.placements) if (c < p) usage(`a cell needs campaigns >= placements (${c} < ${p})`);
  }
  return opts;
}

function usage(problem) {
  const text = 'usage: node bench/matrix.mjs [--quick] [--campaigns A,B,..] [--placements A,B,..] ' +
    '[--seed N] [--native PATH | --no-native] [--no-wasm] [--json]';
  if (problem) {
    console.error(`matrix: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// Visitors, timed rounds and setups per cell: bounded so the full grid takes a few minutes
// on two shared cores. The peers' work per page grows with placements (one audience list
// each); the big configs cost more to compile, so they get fewer setups and rounds.
function cellPlan(campaigns, placements, quick) {
  if (quick) return { visitors: 40, rounds: 1, budgetMs: 100, setups: 1 };
  let visitors = placements <= 1 ? 4000 : placements <= 8 ? 2000 : 1000;
  if (campaigns >= 10000) visitors /= 2;
  return {
    visitors,
    rounds: campaigns <= 200 ? 5 : campaigns <= 1000 ? 4 : 3,
    budgetMs: 2500,
    setups: campaigns <= 1000 ? 5 : 3,
  };
}

// ---------------------------------------------------------------------------------------
// Wasm: a fresh instance per cell (and per route), so one cell's memory never counts for
// another. Module.Engine/raw routes as in run.mjs.

async function loadWasm(notes) {
  const dist = path.join(ROOT, 'web', 'dist');
  const have = (base) => fs.existsSync(path.join(dist, `${base}.wasm`)) && fs.existsSync(path.join(dist, `${base}.mjs`));
  if (!have('attune')) {
    notes.push('Attune Wasm columns empty: web/dist/attune.{wasm,mjs} not built (scripts/build-wasm.sh)');
    return null;
  }
  const load = async (base) => ({
    module: await WebAssembly.compile(fs.readFileSync(path.join(dist, `${base}.wasm`))),
    create: (await import(pathToFileURL(path.join(dist, `${base}.mjs`)).href)).default,
  });
  const full = await load('attune');
  const lean = have('attune-lean') ? await load('attune-lean') : null;
  if (!lean) notes.push('lean memory column empty: web/dist/attune-lean.{wasm,mjs} not built');
  const { loadAttune } = await import(pathToFileURL(path.join(ROOT, 'web', 'attune.mjs')).href);
  // V8 runs fresh Wasm code in its baseline tier and moves hot functions to the optimizing
  // tier in the background; instances share the module's code, so one warm-up here keeps the
  // first cell's setup from being timed in baseline code (run.mjs's first Wasm row pays it).
  const warm = makeScenario({ campaigns: 200, placements: 8, visitors: 500, seed: 7 });
  const { mod } = await instantiateRaw(full);
  const warmJson = JSON.stringify(warm.config);
  for (let round = 0; round < 20; round++) {
    const engine = new mod.Engine(warmJson);
    for (const v of warm.visitors) viaMemory(engine, JSON.stringify(v));
    engine.delete();
  }
  return { full, lean, loadAttune };
}

// The Emscripten module with its linear memory captured (exported, or imported as env.memory).
async function instantiateRaw({ module, create }) {
  let memory = null;
  const mod = await create({
    locateFile: (p) => p,
    instantiateWasm(imports, receive) {
      for (const ns of Object.values(imports)) {
        for (const v of Object.values(ns)) if (v instanceof WebAssembly.Memory) memory = v;
      }
      WebAssembly.instantiate(module, imports).then((instance) => {
        for (const v of Object.values(instance.exports)) if (v instanceof WebAssembly.Memory) memory = v;
        receive(instance, module);
      });
      return {};
    },
  });
  if (!memory) throw new Error('cannot find the Wasm module\'s linear memory');
  return { mod, memory };
}

// Linear memory never shrinks, so its size after the work is its peak: what the host has
// reserved for the instance. Emscripten 3.1.6's defaults make that at least 16 MB
// (INITIAL_MEMORY) with a 5 MB stack between the static data and the heap, so two more
// figures say what the engine actually used: "touched" counts the 4 KiB blocks holding a
// non-zero byte (fresh memory is zero; only the part of the stack that was reached counts;
// what a host would have to commit), "extent" is the offset of the highest non-zero byte
// (the heap's high-water mark, stack reservation included).
function memoryFigures(memory) {
  const words = new Uint32Array(memory.buffer);
  const BLOCK = 1024;  // words: 4 KiB
  let touched = 0;
  let top = -1;
  for (let b = 0; b < words.length; b += BLOCK) {
    const end = Math.min(words.length, b + BLOCK);
    for (let i = b; i < end; i++) {
      if (words[i] !== 0) {
        touched++;
        top = b;
        break;
      }
    }
  }
  if (top >= 0) {
    let i = Math.min(words.length, top + BLOCK) - 1;
    while (words[i] === 0) i--;
    top = i;
  }
  return { linearBytes: memory.buffer.byteLength, touchedBytes: touched * BLOCK * 4, extentBytes: (top + 1) * 4 };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
function viaMemory(engine, json) {
  const view = engine.inputView(json.length * 3);
  const { written } = encoder.encodeInto(json, view);
  engine.decidePageFromInput(written, false);
  return decoder.decode(engine.outputView());
}

async function wasmEngines(wasm, scenario, visitorJson, placementIds) {
  const attune = await wasm.loadAttune({ wasmModule: wasm.full.module });
  const compile = () => {
    const result = attune.compile(scenario.config);
    if (!result.ok) throw new Error(`Attune rejected the config: ${JSON.stringify(result.errors).slice(0, 500)}`);
    return result.engine;
  };
  const { mod } = await instantiateRaw(wasm.full);
  const configJson = JSON.stringify(scenario.config);
  return [
    {
      name: 'attune-wasm', note: 'engine.decidePage(visitor object): stringify + decide + parse',
      prepare() {
        const engine = compile();
        return {
          decide: (i) => engine.decidePage(scenario.visitors[i]),
          choices: (i) => choicesOfPage(engine.decidePage(visitorJson[i]), placementIds),
          dispose: () => engine.free(),
        };
      },
    },
    {
      name: 'attune-wasm memory', note: 'visitor JSON encoded into Wasm memory, result decoded and parsed',
      prepare() {
        const engine = new mod.Engine(configJson);
        if (!engine.ok()) throw new Error(`Engine rejected the config: ${engine.errorsJson().slice(0, 500)}`);
        return {
          decide: (i) => JSON.parse(viaMemory(engine, visitorJson[i])),
          choices: (i) => choicesOfPage(JSON.parse(viaMemory(engine, visitorJson[i])), placementIds),
          dispose: () => engine.delete(),
        };
      },
    },
  ];
}

// One engine in a fresh instance, compiled once and deciding every visitor of the cell:
// what a page (lean: the binary config) or a server (full: JSON config) keeps in memory.
async function probeMemory(wasm, scenario, visitorJson) {
  const out = {};
  const full = await instantiateRaw(wasm.full);
  const engine = new full.mod.Engine(JSON.stringify(scenario.config));
  for (const json of visitorJson) viaMemory(engine, json);
  out.full = memoryFigures(full.memory);
  if (wasm.lean) {
    const compiled = engine.compiledView().slice();
    const lean = await instantiateRaw(wasm.lean);
    const leanEngine = new lean.mod.Engine(compiled);
    if (!leanEngine.ok()) throw new Error(`lean Engine rejected the compiled config: ${leanEngine.errorsJson().slice(0, 300)}`);
    for (const json of visitorJson) viaMemory(leanEngine, json);
    out.lean = memoryFigures(lean.memory);
    out.compiledBytes = compiled.length;
    leanEngine.delete();
  }
  engine.delete();
  return out;
}

// ---------------------------------------------------------------------------------------
// One cell

async function runCell(campaigns, placements, opts, wasm, notes) {
  const plan = cellPlan(campaigns, placements, opts.quick);
  const scenario = makeScenario({ campaigns, placements, visitors: plan.visitors, seed: opts.seed });
  const { config, attributes, visitors } = scenario;
  const placementIds = config.placements.map((p) => p.id);
  const visitorJson = visitors.map((v) => JSON.stringify(v));
  const engines = [
    peerEngine('js-closures', '', () => prepareClosures(config), attributes),
    peerEngine('growthbook', '', () => prepareGrowthBook(config), attributes),
    ...(wasm ? await wasmEngines(wasm, scenario, visitorJson, placementIds) : []),
  ];
  const rows = {};
  const checked = [];
  for (const engine of engines) {
    const { prepared, setupMs } = timeSetup(() => engine.prepare(), plan.setups);
    const choices = [];
    for (let i = 0; i < visitors.length; i++) choices.push(prepared.choices(i));
    checked.push({ name: engine.name, choices });
    const timing = timeDecisions(prepared.decide, visitors.length, plan.rounds, { budgetMs: plan.budgetMs, latency: false });
    if (prepared.dispose) prepared.dispose();
    rows[engine.name] = { setupMs, pagesPerSec: timing.pagesPerSec, rounds: timing.rounds };
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attune-matrix-'));
  try {
    const native = runNative(scenario, { useNative: opts.useNative, native: opts.native, rounds: plan.rounds, requireAttune: false }, workDir, notes);
    if (native) {
      rows['attune-native'] = { setupMs: native.figures.setupMs, pagesPerSec: native.figures.pagesPerSec, rounds: native.figures.rounds };
      checked.push({ name: 'attune-native', choices: native.choices });
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const memory = wasm ? await probeMemory(wasm, scenario, visitorJson) : null;
  const check = crossCheck(checked[0], checked.slice(1), scenario, placementIds);
  const work = workPerPage(config, checked[0].choices);
  const wasmRoutes = ['attune-wasm', 'attune-wasm memory'].filter((n) => rows[n]);
  const best = wasmRoutes.length ? wasmRoutes.reduce((a, b) => (rows[b].pagesPerSec > rows[a].pagesPerSec ? b : a)) : null;
  return {
    campaigns, placements, plan, work, memory, rows,
    wasmBest: best ? { route: best, ...rows[best] } : null,
    crossCheck: { reference: checked[0].name, ...check },
  };
}

// ---------------------------------------------------------------------------------------
// Report

const MB = 1024 * 1024;
const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(2)}` : '–');
const pps = (cell, name) => (cell.rows[name] ? cell.rows[name].pagesPerSec : NaN);
const wasmPps = (cell) => (cell.wasmBest ? cell.wasmBest.pagesPerSec : NaN);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? `${fmt(a / b, 2)}×` : '–');
const shortRoute = (cell) => (cell.wasmBest ? (cell.wasmBest.route === 'attune-wasm' ? 'obj' : 'mem') : '');

// µs per page of an engine's series along the campaigns axis, for one placement count.
const ENGINES = [
  ['js-closures', (c) => pps(c, 'js-closures')],
  ['growthbook', (c) => pps(c, 'growthbook')],
  ['attune-wasm', wasmPps],
  ['attune-native', (c) => pps(c, 'attune-native')],
];

function linearity(cells, opts) {
  const out = [];
  for (const p of opts.placements) {
    const series = opts.campaigns.map((c) => cells.find((x) => x.campaigns === c && x.placements === p));
    const base = series[0];
    for (const [name, get] of ENGINES) {
      const us = series.map((cell) => 1e6 / get(cell));
      if (!us.every(Number.isFinite)) continue;
      const growth = us.map((u) => u / us[0]);
      const factor = series.map((cell) => (cell.campaigns / cell.placements) / (base.campaigns / base.placements));
      const nsPerCip = series.map((cell, i) => (us[i] * 1e3) / (cell.campaigns / cell.placements));
      const linear = growth.every((g, i) => g <= factor[i]);
      out.push({ placements: p, engine: name, usPerPage: us, growth, factor, nsPerCampaignInPlacement: nsPerCip, linear });
    }
    // Setup must grow at most linearly with the campaigns too (all of them, not per placement).
    for (const name of ['attune-wasm', 'attune-native']) {
      const ms = series.map((cell) => (cell.rows[name] || {}).setupMs);
      if (!ms.every(Number.isFinite)) continue;
      const growth = ms.map((m) => m / ms[0]);
      const factor = series.map((cell) => cell.campaigns / base.campaigns);
      out.push({
        placements: p, engine: `setup ${name}`, setupMs: ms, growth, factor,
        usPerCampaign: series.map((cell, i) => (ms[i] * 1e3) / cell.campaigns), linear: growth.every((g, i) => g <= factor[i]),
      });
    }
  }
  return out;
}

function targets(cells, lin, opts) {
  const at = cells.filter((c) => c.campaigns === TARGETS.atCampaigns);
  const list = [];
  // A figure the run could not measure (no build) is shown as – and neither passes nor fails.
  const per = (label, value, ok, show) => list.push({
    label,
    figures: at.map((c) => value(c)).map((v, i) => ({
      placements: at[i].placements, value: v, ok: Number.isFinite(v) ? ok(v) : null, text: Number.isFinite(v) ? show(v) : '–',
    })).filter((f) => f.ok !== null),
  });
  if (at.length) {
    per(`attune-wasm ≥ ${TARGETS.vsGrowthBook}× GrowthBook at ${TARGETS.atCampaigns} campaigns`, (c) => wasmPps(c) / pps(c, 'growthbook'),
      (v) => v >= TARGETS.vsGrowthBook, (v) => `${fmt(v, 2)}×`);
    per(`attune-wasm ≥ ${TARGETS.vsClosures}× hand-written JS closures at ${TARGETS.atCampaigns} campaigns`, (c) => wasmPps(c) / pps(c, 'js-closures'),
      (v) => v >= TARGETS.vsClosures, (v) => `${fmt(v, 2)}×`);
    per(`attune-native ≥ ${fmtInt(TARGETS.nativePagesPerSec)} pages/s on one core at ${TARGETS.atCampaigns} campaigns`, (c) => pps(c, 'attune-native'),
      (v) => v >= TARGETS.nativePagesPerSec, (v) => `${fmtInt(v)}/s`);
    per(`setup ≤ ${TARGETS.setupMs} ms at ${TARGETS.atCampaigns} campaigns, Wasm (JSON config → engine)`, (c) => (c.rows['attune-wasm'] || {}).setupMs,
      (v) => v <= TARGETS.setupMs, (v) => `${fmt(v, 2)} ms`);
    per(`setup ≤ ${TARGETS.setupMs} ms at ${TARGETS.atCampaigns} campaigns, native`, (c) => (c.rows['attune-native'] || {}).setupMs,
      (v) => v <= TARGETS.setupMs, (v) => `${fmt(v, 2)} ms`);
    per(`Wasm memory ≤ 2 MB at ${TARGETS.atCampaigns} campaigns: peak linear memory, full build`, (c) => (c.memory ? c.memory.full.linearBytes : NaN),
      (v) => v <= TARGETS.memoryBytes, (v) => `${mb(v)} MB`);
    per(`Wasm memory ≤ 2 MB at ${TARGETS.atCampaigns} campaigns: peak linear memory, lean build`, (c) => (c.memory && c.memory.lean ? c.memory.lean.linearBytes : NaN),
      (v) => v <= TARGETS.memoryBytes, (v) => `${mb(v)} MB`);
    per(`Wasm memory ≤ 2 MB at ${TARGETS.atCampaigns} campaigns: touched, full build`, (c) => (c.memory ? c.memory.full.touchedBytes : NaN),
      (v) => v <= TARGETS.memoryBytes, (v) => `${mb(v)} MB`);
    per(`Wasm memory ≤ 2 MB at ${TARGETS.atCampaigns} campaigns: touched, lean build`, (c) => (c.memory && c.memory.lean ? c.memory.lean.touchedBytes : NaN),
      (v) => v <= TARGETS.memoryBytes, (v) => `${mb(v)} MB`);
  }
  const attune = lin.filter((l) => l.engine.startsWith('attune') || l.engine.startsWith('setup'));
  const growth = {
    label: 'Attune cost grows at most linearly with campaigns (time per page, per placement count; and setup)',
    figures: attune.map((l) => ({ placements: l.placements, engine: l.engine, ok: l.linear,
      text: `${l.engine.replace('attune-', '')} ${l.growth.slice(1).map((g) => `${fmt(g, 2)}×`).join('/')}` })),
    note: `growth at campaigns ×${opts.campaigns.slice(1).map((c) => fmt(c / opts.campaigns[0], 0)).join('/×')}`,
  };
  list.push(growth);
  return list;
}

function printReport(report) {
  const { cells, linearity: lin, goals, opts, notes } = report;
  console.log(`Attune scale matrix — campaigns ${opts.campaigns.join(', ')} × placements ${opts.placements.join(', ')}, ` +
    `seed ${opts.seed}, node ${process.version}${opts.quick ? ' (--quick: tiny grid, figures meaningless)' : ''}`);
  console.log(`${report.date}, ${os.cpus().length} cores, load average at start ${report.loadStart.map((l) => l.toFixed(2)).join(' ')}, ` +
    `at end ${report.loadEnd.map((l) => l.toFixed(2)).join(' ')}.`);
  console.log('Shared machine: other jobs compete for the cores, so figures are noisy. pages/s = visitors ÷ CPU time of the ' +
    'fastest timed pass (preemption left out, cache and memory-bus contention not); compare ratios within a row.\n');
  const headers = ['campaigns', 'plc', 'camp/plc', 'visitors×rounds', 'evals/page', 'closures /s', 'growthbook /s',
    'wasm best /s', 'native /s', 'wasm÷GB', 'wasm÷clos', 'native÷GB', 'setup ms wasm', 'setup ms native', 'MB full lin/touch', 'MB lean lin/touch/ext'];
  console.log(table(headers, cells.map((c) => [
    fmtInt(c.campaigns), c.placements, fmtInt(c.campaigns / c.placements), `${fmtInt(c.plan.visitors)}×${c.plan.rounds}`,
    fmt(c.work.conditionsPerPage, 1),
    fmtInt(pps(c, 'js-closures')), fmtInt(pps(c, 'growthbook')),
    c.wasmBest ? `${fmtInt(wasmPps(c))} ${shortRoute(c)}` : '–', fmtInt(pps(c, 'attune-native')),
    ratio(wasmPps(c), pps(c, 'growthbook')), ratio(wasmPps(c), pps(c, 'js-closures')), ratio(pps(c, 'attune-native'), pps(c, 'growthbook')),
    fmt((c.rows['attune-wasm'] || {}).setupMs, 2), fmt((c.rows['attune-native'] || {}).setupMs, 2),
    c.memory ? `${mb(c.memory.full.linearBytes)}/${mb(c.memory.full.touchedBytes)}` : '–',
    c.memory && c.memory.lean ? `${mb(c.memory.lean.linearBytes)}/${mb(c.memory.lean.touchedBytes)}/${mb(c.memory.lean.extentBytes)}` : '–',
  ])));
  console.log('\n  visitors×rounds: visitors per pass × timed rounds (the best pass counts; an engine stops after 2.5 s of rounds)');
  console.log('  evals/page: audience evaluations a page needs (first match per placement, by priority), from js-closures');
  console.log('  wasm best: the faster Wasm route — obj = engine.decidePage(visitor object) through web/attune.mjs, ' +
    'mem = visitor JSON encoded into Wasm memory, result decoded + parsed (module Engine, no wrapper)');
  console.log('  setup: median CPU ms to turn the config into a ready engine — Wasm: JSON.stringify + compile + decider ' +
    '(web/attune.mjs compile); native: compileConfig + Decider');
  console.log('  mem: Wasm linear memory after one engine decided every visitor of the cell in a fresh instance (it never ' +
    'shrinks, so this is its peak); full = JSON config compiled in Wasm, lean = binary config (what pages load); ' +
    'lin = linear memory size (reserved; Emscripten 3.1.6 defaults: 16 MB initial, 5 MB stack), touch = 4 KiB blocks ' +
    'written (what the engine used), ext = highest written byte (heap high-water, stack reservation included)');

  console.log('\nLinearity: µs per page as campaigns per placement grow (growth allowed: the campaign factor; ' +
    'ns/page/cip = ns per page per campaign in a placement):');
  const cs = opts.campaigns;
  console.log(table(['plc', 'engine', ...cs.map((c) => `µs/page @${fmtInt(c)}`), ...cs.slice(1).map((c, i) => `growth ×${fmt(c / cs[0], 0)}`),
    ...cs.map((c) => `ns/page/cip @${fmtInt(c)}`), '≤ linear'],
  lin.filter((l) => l.usPerPage).map((l) => [l.placements, l.engine, ...l.usPerPage.map((u) => fmt(u, 2)), ...l.growth.slice(1).map((g) => `${fmt(g, 2)}×`),
    ...l.nsPerCampaignInPlacement.map((n) => fmt(n, 1)), mark(l.linear)])));

  const setups = lin.filter((l) => l.setupMs);
  if (setups.length) {
    console.log('\nSetup growth (ms to compile the JSON config and create the decider; growth allowed: the campaign factor):');
    console.log(table(['plc', 'engine', ...cs.map((c) => `ms @${fmtInt(c)}`), ...cs.slice(1).map((c) => `growth ×${fmt(c / cs[0], 0)}`),
      ...cs.map((c) => `µs/campaign @${fmtInt(c)}`), '≤ linear'],
    setups.map((l) => [l.placements, l.engine.replace('setup ', ''), ...l.setupMs.map((m) => fmt(m, 2)),
      ...l.growth.slice(1).map((g) => `${fmt(g, 2)}×`), ...l.usPerCampaign.map((u) => fmt(u, 2)), mark(l.linear)])));
  }

  console.log('\nTargets (issue 9), measured in this run (per placement count: plc=…):');
  if (!cells.some((c) => c.campaigns === TARGETS.atCampaigns)) console.log(`  (no ${TARGETS.atCampaigns}-campaign cell in this grid)`);
  for (const g of goals) {
    if (!g.figures.length) {
      console.log(`  – ${g.label}: not measured (no Attune build or one campaign count)`);
      continue;
    }
    const all = g.figures.every((f) => f.ok);
    console.log(`  ${mark(all)} ${g.label}${g.note ? ` (${g.note})` : ''}: ` +
      g.figures.map((f) => `plc=${f.placements} ${f.text} ${mark(f.ok)}`).join(', '));
  }
  const disagreements = cells.reduce((n, c) => n + c.crossCheck.disagreements, 0);
  console.log(`\nCross-check against js-closures in every cell: ${disagreements} disagreements${disagreements ? '' : ' ✓'}`);
  for (const c of cells) for (const d of c.crossCheck.diffs) console.log(`  [${c.campaigns}×${c.placements}] ${d}`);
  for (const n of [...new Set(notes)]) console.log(`note: ${n}`);
}

// ---------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const notes = [];
  const loadStart = os.loadavg();
  const wasm = opts.useWasm ? await loadWasm(notes) : null;
  const cells = [];
  for (const campaigns of opts.campaigns) {
    for (const placements of opts.placements) {
      const started = Date.now();
      cells.push(await runCell(campaigns, placements, opts, wasm, notes));
      if (!opts.json) process.stderr.write(`matrix: ${campaigns} campaigns × ${placements} placements done in ${((Date.now() - started) / 1e3).toFixed(1)} s\n`);
    }
  }
  const lin = linearity(cells, opts);
  const report = {
    date: new Date().toISOString(), loadStart, loadEnd: os.loadavg(), node: process.version,
    opts: { quick: opts.quick, seed: opts.seed, campaigns: opts.campaigns, placements: opts.placements },
    targets: TARGETS, cells, linearity: lin, goals: targets(cells, lin, opts), notes,
  };
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  if (cells.some((c) => c.crossCheck.disagreements > 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`matrix: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
