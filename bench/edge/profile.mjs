#!/usr/bin/env node
// Where the personalizing worker's per-request time goes: each piece of its work (cookie
// parsing, the visitor input, the decision split into its steps, the payload, the headers,
// the rewriter, the rewrite itself against the fixed-text baseline's handlers) run many
// times inside one workerd (bench/edge/stages_worker.mjs) over the load benchmark's request
// mix. Two measures, both minus the empty loop; nothing is asserted:
//   - default: workerd's CPU time per call (from /proc, so other processes do not count;
//     but on shared cores they still slow ours): --rounds interleaved runs, lowest kept;
//   - --instructions: instructions per call, counted by valgrind's callgrind around each run.
//     Slow (workerd runs ~50× slower) but unmoved by whatever else the machine does (runs
//     agree within ~1%, garbage collection varying): the measure to compare code changes by.
//
//   node bench/edge/profile.mjs                  every stage, CPU µs (≈ 3 min)
//   node bench/edge/profile.mjs --instructions --only worker   the three workers whole,
//                                                instructions (≈ 25 min under valgrind)
//   node bench/edge/profile.mjs --sizes          the personalizing worker's mean payload,
//                                                cookie and Attune-Tokens lengths over the mix
//                                                (what fixed_rewrite.mjs copies)
// --only takes stage-name prefixes (stages_worker.mjs lists the stages); --json prints the
// report as JSON. CPU mode: --rounds N runs of --ms M each per stage. Instructions mode:
// each stage is warmed with --warm calls (default 1,500 for whole workers and rewrites,
// 3,000 otherwise: the JIT must have settled), then counted twice over --calls calls
// (default 200 / 600), the lower count kept; --keep-dumps DIR keeps callgrind's dumps for
// callgrind_annotate.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { makeMix } from './mix.mjs';
import { killAllNow, startWorkerd, stopAll } from './processes.mjs';
import { writeWorkerdConfig } from './workerd_config.mjs';
import { environment, HEADER_NAMES, personalizingModules, STATE_COOKIE_DEFAULT } from './workers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const WORKERD = path.join(ROOT, 'node_modules', '.bin', 'workerd');
const BENCH_CONFIG = path.join(HERE, 'config.json');
const ORIGIN_PAGE = path.join(HERE, 'origin.html');
const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'public, max-age=300', 'X-Origin': 'bench' };

const USAGE = 'usage: node bench/edge/profile.mjs [--only P1,P2] [--json] [--rounds N] [--ms M]\n' +
  '       node bench/edge/profile.mjs --instructions [--only P1,P2] [--json] [--calls N] [--warm N] [--keep-dumps DIR]\n' +
  '       node bench/edge/profile.mjs --sizes\n' +
  '       (either mode: --compare GIT-REV adds worker.reference, the personalizing worker\'s JS as\n' +
  '        it was at GIT-REV with today\'s Wasm build; --v8-flags "FLAG …" runs workerd with\n' +
  '        those V8 flags, for experiments)';

function parseArgs(argv) {
  const opts = { rounds: 7, ms: 150, calls: 0, warm: 0, json: false, only: '', instructions: false, sizes: false, keepDumps: '', v8Flags: [], compare: '' };
  const numbers = { '--rounds': 'rounds', '--ms': 'ms', '--calls': 'calls', '--warm': 'warm' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in numbers) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1 || value > 1_000_000) usage(`${arg} needs a positive integer`);
      opts[numbers[arg]] = value;
    } else if (arg === '--only') opts.only = argv[++i] || '';
    else if (arg === '--keep-dumps') opts.keepDumps = argv[++i] || '';
    else if (arg === '--compare') opts.compare = argv[++i] || '';
    else if (arg === '--v8-flags') opts.v8Flags = (argv[++i] || '').split(' ').filter(Boolean);
    else if (arg === '--instructions') opts.instructions = true;
    else if (arg === '--sizes') opts.sizes = true;
    else if (arg === '--json') opts.json = true;
    else usage(arg === '--help' || arg === '-h' ? '' : `unknown argument ${arg}`);
  }
  return opts;
}

function usage(problem) {
  if (problem) console.error(`edge profile: ${problem}`);
  console.log(USAGE);
  process.exit(problem ? 2 : 0);
}

// CPU time (ms, ns resolution) of every thread of a process: the first field of each
// thread's schedstat is its time on a CPU. /proc/PID/stat counts in 10 ms ticks, too coarse
// for short runs.
function cpuMs(pid) {
  let ns = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

async function call(url, init) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// How many calls of `stage` take about `ms` of workerd CPU.
async function calibrate(base, pid, stage, ms) {
  let n = 10;
  for (;;) {
    const c0 = cpuMs(pid);
    await call(`${base}/run?stage=${encodeURIComponent(stage)}&n=${n}`);
    const spent = cpuMs(pid) - c0;
    if (spent >= ms / 4 || n >= 5_000_000) return Math.max(1, Math.round((n * ms) / Math.max(spent, 0.01)));
    n *= 4;
  }
}

// Minor page faults and kernel CPU ticks of a process so far (/proc/PID/stat): work the
// kernel does for workerd (a fault per fresh page touched) shows up in CPU time too.
function kernelCounters(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { minorFaults: Number(fields[7]), userTicks: Number(fields[11]), systemTicks: Number(fields[12]) };
}

// One timed run: µs of workerd CPU per call, µs by workerd's own clock, page faults per call
// and the kernel's share of the CPU time.
async function timeRun(base, pid, stage, n) {
  const k0 = kernelCounters(pid);
  const c0 = cpuMs(pid);
  const out = await call(`${base}/run?stage=${encodeURIComponent(stage)}&n=${n}`);
  const cpu = cpuMs(pid) - c0;
  const k1 = kernelCounters(pid);
  const ticks = k1.userTicks - k0.userTicks + k1.systemTicks - k0.systemTicks;
  return {
    cpuUs: (cpu * 1000) / n,
    clockUs: (out.ms * 1000) / n,
    faults: (k1.minorFaults - k0.minorFaults) / n,
    systemShare: ticks > 0 ? (k1.systemTicks - k0.systemTicks) / ticks : NaN,
  };
}

// callgrind: counts are zeroed before a run and dumped after it; the dump's "summary:" line
// is the instructions executed in between (every thread).
function callgrindControl(pid, ...args) {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

async function instructionsRun(base, pid, dumpDir, stage, n) {
  callgrindControl(pid, '-z');
  await call(`${base}/run?stage=${encodeURIComponent(stage)}&n=${n}`);
  const before = new Set(fs.readdirSync(dumpDir));
  callgrindControl(pid, '-d');
  for (let waited = 0; waited < 60_000; waited += 100) {
    for (const file of fs.readdirSync(dumpDir)) {
      if (before.has(file) || !file.startsWith('callgrind.out')) continue;
      const m = /^summary:\s*(\d+)/m.exec(fs.readFileSync(path.join(dumpDir, file), 'utf8'));
      if (m) return Number(m[1]) / n;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('callgrind wrote no dump');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const benchConfig = JSON.parse(fs.readFileSync(BENCH_CONFIG, 'utf8'));
  const webDir = path.join(ROOT, 'web');
  const worker = personalizingModules(webDir, BENCH_CONFIG, { name: 'profile/stages_worker.mjs', source: path.join(HERE, 'stages_worker.mjs') });
  for (const file of ['fixed_text.mjs', 'fixed_rewrite.mjs', 'passthrough.mjs']) worker.modules.push({ name: `profile/${file}`, kind: 'esModule', source: path.join(HERE, file) });
  if (worker.missing.length) throw new Error(`missing ${worker.missing.join(', ')} (bash scripts/build-wasm.sh)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attune-edge-profile-'));
  try {
    if (opts.compare) worker.modules.push(...referenceModules(opts.compare, path.join(tmp, 'reference')));
    // No origin: the stages never fetch (the page is handed over in /setup).
    const configPath = writeWorkerdConfig(tmp, {
      workers: [{ id: 'stages', modules: worker.modules }],
      env: environment({ originUrl: 'http://127.0.0.1:9', benchConfig }),
      originAddress: '127.0.0.1:9',
      v8Flags: opts.v8Flags,
    });
    // --keep-dumps DIR: callgrind's dumps stay there (callgrind_annotate shows where the
    // instructions went, function by function).
    const dumpDir = opts.keepDumps ? path.resolve(opts.keepDumps) : path.join(tmp, 'callgrind');
    fs.mkdirSync(dumpDir, { recursive: true });
    // Instrumentation starts off (workerd's start-up is not counted) and is switched on once.
    const wrapper = opts.instructions
      ? ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file',
        `--callgrind-out-file=${path.join(dumpDir, 'callgrind.out')}`]
      : [];
    if (opts.instructions) {
      try {
        execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
      } catch {
        throw new Error('--instructions needs valgrind (apt-get install valgrind)');
      }
    }
    const workerd = await startWorkerd(WORKERD, configPath, ['stages'], { wrapper, timeoutMs: opts.instructions ? 300_000 : 30_000 });
    if (opts.instructions) callgrindControl(workerd.pid, '-i', 'on');
    const base = `http://127.0.0.1:${workerd.ports.stages}`;

    // A state cookie the worker wrote (and one carried forward five times), for the mix's
    // returning visitors, as the load benchmark does.
    const validCookies = await seedCookies(workerd, base);
    const mix = makeMix({ headerNames: HEADER_NAMES, stateName: STATE_COOKIE_DEFAULT, validCookies });
    const setup = await call(`${base}/setup`, {
      method: 'POST',
      body: JSON.stringify({ requests: mix.map(({ path: p, headers }) => ({ path: p, headers })), page: fs.readFileSync(ORIGIN_PAGE, 'utf8'), pageHeaders: PAGE_HEADERS }),
    });
    // What the fixed-text baseline copies (fixed_rewrite.mjs TYPICAL): the personalizing
    // worker's mean output sizes over the mix.
    const sizes = Object.fromEntries(Object.entries(setup.sizes).map(([k, v]) => [k, Math.round(v)]));
    if (opts.sizes) {
      console.log(JSON.stringify(sizes));
      return;
    }
    const prefixes = opts.only.split(',');
    const names = (await call(`${base}/stages`)).filter((s) => s === 'noop' || prefixes.some((p) => s.startsWith(p)));
    if (opts.instructions) {
      const rows = [];
      for (const stage of names) {
        if (!opts.json) process.stderr.write(`edge profile: ${stage}\n`);
        const whole = /^(worker|transform|selectors)\./.test(stage);
        const n = opts.calls || (whole ? 200 : 600);
        await call(`${base}/run?stage=${encodeURIComponent(stage)}&n=${opts.warm || (whole ? 1500 : 3000)}`);
        const runs = [];
        for (let r = 0; r < 2; r++) runs.push(await instructionsRun(base, workerd.pid, dumpDir, stage, n));
        rows.push({ stage, n, instructions: Math.min(...runs) });
      }
      const noop = rows.find((r) => r.stage === 'noop');
      for (const r of rows) r.net = r.stage === 'noop' ? r.instructions : r.instructions - noop.instructions;
      const report = { measure: 'instructions', mixSize: mix.length, sizes, stages: rows };
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else printInstructions(report);
      return;
    }
    const rows = [];
    for (const stage of names) rows.push({ stage, n: await calibrate(base, workerd.pid, stage, opts.ms), runs: [] });
    // Rounds interleave the stages: a busy spell on the machine (other processes on shared
    // cores inflate CPU time too) spreads over all of them; the lowest run is kept.
    for (let round = 0; round < opts.rounds; round++) {
      if (!opts.json) process.stderr.write(`edge profile: round ${round + 1}/${opts.rounds}\n`);
      for (const row of rows) row.runs.push(await timeRun(base, workerd.pid, row.stage, row.n));
    }
    for (const row of rows) {
      row.cpuUs = Math.min(...row.runs.map((r) => r.cpuUs));
      row.medianUs = median(row.runs.map((r) => r.cpuUs));
      row.clockUs = Math.min(...row.runs.map((r) => r.clockUs));
      row.faults = median(row.runs.map((r) => r.faults));
      row.systemShare = median(row.runs.map((r) => r.systemShare).filter(Number.isFinite));
      delete row.runs;
    }
    const noop = rows.find((r) => r.stage === 'noop');
    for (const r of rows) {
      r.netUs = r.stage === 'noop' ? r.cpuUs : r.cpuUs - noop.cpuUs;
      r.netMedianUs = r.stage === 'noop' ? r.medianUs : r.medianUs - noop.medianUs;
    }
    const report = { measure: 'cpu', mixSize: mix.length, sizes, rounds: opts.rounds, msPerRun: opts.ms, stages: rows };
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else print(report);
  } finally {
    await stopAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The personalizing worker's package (web/edge, web/lib) as it was at `revision`, with
// today's web/dist, under the module prefix "ref/": stages_worker.mjs imports
// ref/edge/worker.mjs for the worker.reference stage when it is there.
function referenceModules(revision, dir) {
  if (!/^[\w./~^-]{1,100}$/.test(revision)) throw new Error(`--compare needs a git revision, got ${revision}`);
  fs.mkdirSync(dir, { recursive: true });
  const tar = execFileSync('git', ['-C', ROOT, 'archive', '--format=tar', revision, 'web/edge', 'web/lib'], { maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  const webDir = path.join(dir, 'web');
  fs.cpSync(path.join(ROOT, 'web', 'dist'), path.join(webDir, 'dist'), { recursive: true });
  const { modules, missing } = personalizingModules(webDir, BENCH_CONFIG);
  if (missing.length) throw new Error(`--compare ${revision}: missing ${missing.join(', ')}`);
  return modules.map((m) => ({ ...m, name: `ref/${m.name}` }));
}

// The stage worker cannot reach an origin, so the state cookies come from its own decisions
// (/setup answers the cookie each prepared request would get): a German visitor's first
// cookie and the one carried forward five times, as the load benchmark's probe takes them.
async function seedCookies(workerd, base) {
  const probe = makeMix({ headerNames: HEADER_NAMES, stateName: STATE_COOKIE_DEFAULT, validCookies: [] }).slice(0, 1);
  probe[0].headers = { 'Accept-Language': 'de-DE,de;q=0.9', [HEADER_NAMES.geo]: 'DE' };
  const values = [];
  let cookie = null;
  for (let i = 0; i < 6; i++) {
    if (cookie) probe[0].headers.Cookie = `${STATE_COOKIE_DEFAULT}=${cookie}`;
    const out = await call(`${base}/setup`, {
      method: 'POST',
      body: JSON.stringify({ requests: probe.map(({ path: p, headers }) => ({ path: p, headers })), page: '', pageHeaders: PAGE_HEADERS }),
    });
    cookie = out.cookies[0];
    if (!cookie) break;
    if (i === 0 || i === 5) values.push(cookie);
  }
  return values;
}

function printInstructions(report) {
  console.log(`Per-request work inside workerd: instructions per call (callgrind), over a mix of ${report.mixSize} requests; ` +
    '"net" = minus the empty loop');
  const width = Math.max(...report.stages.map((r) => r.stage.length));
  console.log(`${'stage'.padEnd(width)}  ${'net instr.'.padStart(12)}  ${'calls'.padStart(6)}`);
  for (const r of report.stages) {
    console.log(`${r.stage.padEnd(width)}  ${Math.round(r.net).toLocaleString('en-US').padStart(12)}  ${String(r.n).padStart(6)}`);
  }
}

function print(report) {
  console.log(`Per-request cost inside workerd: CPU µs per call over a mix of ${report.mixSize} requests, ` +
    `${report.rounds} interleaved runs of ≈ ${report.msPerRun} ms each; "net" = minus the empty loop`);
  const width = Math.max(...report.stages.map((r) => r.stage.length));
  const cells = ['net µs (min)', 'net µs (median)', 'clock µs', 'faults/call', 'kernel', 'calls/run'];
  console.log(`${'stage'.padEnd(width)}  ${cells.join('  ')}`);
  for (const r of report.stages) {
    const kernel = Number.isFinite(r.systemShare) ? `${Math.round(r.systemShare * 100)}%` : '–';
    const values = [r.netUs.toFixed(1), r.netMedianUs.toFixed(1), r.clockUs.toFixed(1), r.faults.toFixed(1), kernel, String(r.n)];
    console.log(`${r.stage.padEnd(width)}  ${values.map((v, i) => v.padStart(cells[i].length)).join('  ')}`);
  }
}

process.once('exit', killAllNow);
main().catch(async (e) => {
  console.error(`edge profile: ${e.stack || e.message}`);
  await stopAll();
  process.exitCode = 1;
});
