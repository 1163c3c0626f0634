#!/usr/bin/env node
// Edge load benchmark (issue 7): three workers side by side in one workerd on loopback, in
// front of the same origin page — pass-through, a fixed-text HTMLRewriter baseline and the
// personalizing Attune worker — under the same request mix (languages, geo, time zones,
// Sec-GPC, state, name and traits cookies, garbage cookies), loaded with autocannon for a
// bounded time, rounds interleaved. Prints req/s, p50/p99, 5xx and the ratios against the
// targets (✓/✗). Timings are never asserted: the exit status is 1 only when a worker answers
// wrongly (a failed check, a 5xx, any non-2xx, a connection error), 2 for bad arguments.
//
//   node bench/edge/run.mjs [--quick] [--selfcheck] [--rounds N] [--seconds S]
//                           [--connections C] [--single-seconds S] [--warmup S] [--json]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkMix, probeWorkers } from './checks.mjs';
import { TYPICAL } from './fixed_rewrite.mjs';
import { runLoad } from './load.mjs';
import { describeMix, makeMix } from './mix.mjs';
import { killAllNow, startOrigin, startWorkerd, stopAll } from './processes.mjs';
import { comparisons, latencyPercentiles, printReport, summarize, TARGETS } from './report.mjs';
import { writeWorkerdConfig } from './workerd_config.mjs';
import { environment, HEADER_NAMES, personalizingModules, STATE_COOKIE_DEFAULT, workerDefinitions } from './workers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const WORKERD = path.join(ROOT, 'node_modules', '.bin', 'workerd');
const BENCH_CONFIG = path.join(HERE, 'config.json');
const ORIGIN_PAGE = path.join(HERE, 'origin.html');
let tmpDir;  // the generated workerd bundle; removed on every way out

// ---------------------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = {
    rounds: 3, seconds: 5, connections: 10, singleSeconds: 1, warmup: 2,
    json: false, selfcheck: false, quick: false, compare: '',
  };
  const numbers = {
    '--rounds': 'rounds', '--seconds': 'seconds', '--connections': 'connections',
    '--single-seconds': 'singleSeconds', '--warmup': 'warmup',
  };
  const given = new Set();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in numbers) {
      const value = Number(argv[++i]);
      const min = arg === '--warmup' || arg === '--single-seconds' ? 0 : 1;
      const max = arg === '--connections' ? 1000 : 600;
      if (!Number.isInteger(value) || value < min || value > max) usage(`${arg} needs an integer ${min}–${max}, got ${argv[i]}`);
      opts[numbers[arg]] = value;
      given.add(numbers[arg]);
    } else if (arg === '--quick') opts.quick = true;
    else if (arg === '--selfcheck') opts.selfcheck = true;
    else if (arg === '--json') opts.json = true;
    else if (arg === '--compare') {
      opts.compare = argv[++i] || '';
      if (!/^[\w./~^-]{1,100}$/.test(opts.compare)) usage(`--compare needs a git revision, got ${opts.compare}`);
    }
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  // --selfcheck is about answers, not figures: one short loaded run per worker is enough to
  // catch a 5xx under concurrency. It wins over --quick.
  const defaults = opts.selfcheck ? { rounds: 1, seconds: 1, singleSeconds: 0, warmup: 0 }
    : opts.quick ? { rounds: 1, seconds: 2, singleSeconds: 1, warmup: 1 } : {};
  for (const [key, value] of Object.entries(defaults)) if (!given.has(key)) opts[key] = value;
  return opts;
}

function usage(problem) {
  const text = 'usage: node bench/edge/run.mjs [--quick] [--selfcheck] [--rounds N] [--seconds S] ' +
    '[--connections C] [--single-seconds S] [--warmup S] [--compare GIT-REV] [--json]';
  if (problem) {
    console.error(`edge bench: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------
// Measuring

// CPU time (ms) a process has used so far: utime + stime from /proc (Linux), or NaN.
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;  // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

async function measure(url, mix, seconds, connections, workerdPid) {
  const cpu0 = processCpuMs(workerdPid);
  const run = await runLoad({ url, mix, seconds, connections });
  return { ...run, workerdCpuMs: processCpuMs(workerdPid) - cpu0 };
}

// German hero headlines the personalizing worker may render for the probe visitor (no name
// known, so the template's fallback): any hero campaign's German headline or the default.
function germanHeroHeadlines(config) {
  const unnamed = (t) => (typeof t === 'string' ? t : t.text).replace(/\{\{\s*name\s*\|([^}]*)\}\}/g, '$1');
  const out = [];
  const hero = config.placements.find((p) => p.id === 'hero');
  if (hero && hero.default && hero.default.de) out.push(unnamed(hero.default.de.headline));
  for (const c of config.campaigns) {
    if (c.placement !== 'hero') continue;
    for (const v of c.variants) if (v.content.de) out.push(unnamed(v.content.de.headline));
  }
  return out;
}

// --compare REV: the personalizing worker's JS (web/edge, web/lib) as it was at REV, with
// today's Wasm build, as a fourth worker in the same workerd: a before/after measured under
// the same machine load, rounds interleaved. (The Wasm module keeps its older entry points.)
function referenceWorker(revision, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', revision, 'web/edge', 'web/lib'], { maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  const webDir = path.join(dir, 'web');
  fs.cpSync(path.join(ROOT, 'web', 'dist'), path.join(webDir, 'dist'), { recursive: true });
  const modules = personalizingModules(webDir, BENCH_CONFIG);
  const missing = modules.missing || [];
  return { id: 'attuneref', label: `personalizing @${revision}`, ...modules, available: missing.length === 0, missing };
}

// ---------------------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const notes = [];
  const checks = [];
  const progress = (text) => {
    if (!opts.json) process.stderr.write(`edge bench: ${text}\n`);
  };
  const benchConfig = JSON.parse(fs.readFileSync(BENCH_CONFIG, 'utf8'));
  const originPage = fs.readFileSync(ORIGIN_PAGE, 'utf8');
  if (!fs.existsSync(WORKERD)) throw new Error(`workerd not found at ${WORKERD} (npm install)`);

  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attune-edge-bench-'));
  const definitions = workerDefinitions({ root: ROOT, benchConfigPath: BENCH_CONFIG });
  if (opts.compare) definitions.push(referenceWorker(opts.compare, path.join(tmpDir, 'reference')));
  for (const d of definitions.filter((w) => !w.available)) {
    const message = `${d.label} not run: missing ${d.missing.map((f) => path.relative(ROOT, f)).join(', ')}`;
    if (opts.selfcheck) checks.push({ name: `${d.label} is available`, ok: false, detail: message });
    else notes.push(message);
  }
  const workers = definitions.filter((w) => w.available);

  const origin = await startOrigin();
  const originUrl = `http://127.0.0.1:${origin.port}`;
  const configPath = writeWorkerdConfig(tmpDir, {
    workers, env: environment({ originUrl, benchConfig }), originAddress: `127.0.0.1:${origin.port}`,
  });
  const workerd = await startWorkerd(WORKERD, configPath, workers.map((w) => w.id));
  const urls = Object.fromEntries(workers.map((w) => [w.id, `http://127.0.0.1:${workerd.ports[w.id]}`]));

  // Correctness first: nothing is timed if a worker answers wrongly.
  const probe = await probeWorkers({
    urls, originPage, headerNames: HEADER_NAMES, stateCookieDefault: STATE_COOKIE_DEFAULT,
    germanHeadlines: germanHeroHeadlines(benchConfig),
  });
  checks.push(...probe.checks);
  const mix = makeMix({
    headerNames: HEADER_NAMES,
    stateName: probe.stateCookie ? probe.stateCookie.name : STATE_COOKIE_DEFAULT,
    validCookies: probe.stateCookie ? probe.stateCookie.values : [],
  });
  if (urls.attune && !probe.stateCookie) notes.push('no state cookie known: the mix has no valid-cookie requests');
  checks.push(...await checkMix({ urls, mix, typical: TYPICAL }));

  const results = workers.map((w) => ({ id: w.id, label: w.label, runs: [], singleRuns: [] }));
  if (checks.every((c) => c.ok)) {
    if (opts.warmup > 0) {
      progress(`warming up ${workers.length} worker(s)…`);
      for (const w of workers) await runLoad({ url: urls[w.id], mix, seconds: opts.warmup, connections: opts.connections });
    }
    // Rounds interleave the workers and rotate their order, so drift in the machine's load
    // (other processes on the 2 shared cores) spreads over all of them.
    for (let round = 0; round < opts.rounds; round++) {
      for (let k = 0; k < results.length; k++) {
        const result = results[(k + round) % results.length];
        progress(`round ${round + 1}/${opts.rounds}: ${result.label}`);
        result.runs.push(await measure(urls[result.id], mix, opts.seconds, opts.connections, workerd.pid));
        // One connection: no queueing, so p50 is the time one request takes through the worker.
        if (opts.singleSeconds > 0) result.singleRuns.push(await measure(urls[result.id], mix, opts.singleSeconds, 1, workerd.pid));
      }
    }
    for (const r of results) {
      r.summary = summarize(r.runs);
      if (r.singleRuns.length) r.single = { ...latencyPercentiles(r.singleRuns), rps: summarize(r.singleRuns).rps };
      const all = summarize([...r.runs, ...r.singleRuns]);
      checks.push({
        name: `${r.label}: no 5xx, no other non-2xx, no connection errors under load`,
        ok: all.status5xx === 0 && all.non2xx === 0 && all.errors === 0 && all.timeouts === 0,
        detail: `${all.requests} requests, status ${JSON.stringify(all.status)}, ${all.errors} errors, ${all.timeouts} timeouts`,
      });
    }
  } else {
    notes.push('load not run: a check failed');
  }
  for (const r of results) {
    delete r.runs;
    delete r.singleRuns;
  }

  // What the workers logged (warnings, errors): a worker that logs on every request pays for it.
  const logged = workerd.output().split('\n').filter((l) => l.trim());
  if (logged.length) {
    notes.push(`workerd logged ${logged.length} line(s) (last 20 KB kept); the last: ${logged.slice(-3).join(' | ').slice(0, 600)}`);
  }

  const report = {
    setup: {
      rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections,
      singleSeconds: opts.singleSeconds, warmup: opts.warmup,
      load: 'autocannon in the harness process (programmatic API)',
      topology: 'One workerd process (a service and a socket per worker), the origin a separate Node process',
      cpus: os.cpus().length,
      pageBytes: Buffer.byteLength(originPage),
      campaigns: benchConfig.campaigns.length,
      placements: benchConfig.placements.length,
      mix: describeMix(mix),
    },
    targets: TARGETS,
    results,
    ratios: comparisons(results),
    checks,
    notes,
  };
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  return checks.every((c) => c.ok) ? 0 : 1;
}

async function cleanUp() {
  await stopAll();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  tmpDir = undefined;
}

process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`edge bench: ${signal}, stopping workerd and the origin\n`);
    cleanUp().finally(() => process.exit(130));
  });
}

main().then(async (code) => {
  await cleanUp();
  process.exitCode = code;
}, async (error) => {
  console.error(`edge bench: ${error.stack || error.message}`);
  await cleanUp();
  process.exitCode = 1;
});
