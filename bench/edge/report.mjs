// Figures of the edge load benchmark: per-worker summaries of the timed runs, the ratios the
// issue asks for with ✓/✗ against the targets, and the printed table. Nothing is asserted.
import { percentile } from './load.mjs';

export const TARGETS = { rpsVsFixed: 0.9, addedP50Ms: 1 };

/** Sums a worker's runs (one per round) into one summary. */
export function summarize(runs) {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const status = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.status)) status[code] = (status[code] || 0) + n;
  const cpuMs = runs.reduce((n, r) => n + r.workerdCpuMs, 0);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    roundRps: runs.map((r) => r.rps),
    ...latencyPercentiles(runs),
    status5xx: runs.reduce((n, r) => n + r.status5xx, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
    status,
    // workerd's own CPU time per request, and how busy its (single) request thread was:
    // near 100% means workerd, not the client, set the pace.
    workerdCpuUsPerRequest: requests > 0 ? (cpuMs * 1000) / requests : NaN,
    workerdBusyPct: seconds > 0 ? (cpuMs / (seconds * 1000)) * 100 : NaN,
  };
}

/** p50/p99 (ms) over every response of the runs. */
export function latencyPercentiles(runs) {
  const total = runs.reduce((n, r) => n + r.latenciesMs.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const r of runs) {
    all.set(r.latenciesMs, at);
    at += r.latenciesMs.length;
  }
  all.sort();
  return { p50Ms: percentile(all, 0.5), p99Ms: percentile(all, 0.99) };
}

/** The issue's ratios (personalizing against fixed-text and pass-through) and the targets. */
export function comparisons(results) {
  const by = Object.fromEntries(results.filter((r) => r.summary).map((r) => [r.id, r]));
  const out = {};
  const attune = by.attune && by.attune.summary;
  const fixed = by.fixed && by.fixed.summary;
  const pass = by.passthrough && by.passthrough.summary;
  if (attune && fixed) {
    out.rpsAttuneVsFixed = attune.rps / fixed.rps;
    out.addedP50MsVsFixed = attune.p50Ms - fixed.p50Ms;
    out.meetsRps = out.rpsAttuneVsFixed >= TARGETS.rpsVsFixed;
    out.meetsP50 = out.addedP50MsVsFixed <= TARGETS.addedP50Ms;
    out.attuneOwnCpuUs = attune.workerdCpuUsPerRequest - fixed.workerdCpuUsPerRequest;
    // Requests per workerd CPU-second, the ratio req/s would show on a core of its own.
    out.cpuRatioAttuneVsFixed = fixed.workerdCpuUsPerRequest / attune.workerdCpuUsPerRequest;
    if (by.attune.single && by.fixed.single) out.addedSingleP50MsVsFixed = by.attune.single.p50Ms - by.fixed.single.p50Ms;
  }
  if (attune && pass) {
    out.rpsAttuneVsPassthrough = attune.rps / pass.rps;
    out.addedP50MsVsPassthrough = attune.p50Ms - pass.p50Ms;
  }
  const reference = by.attuneref && by.attuneref.summary;
  if (reference && fixed) {
    out.reference = by.attuneref.label;
    out.rpsReferenceVsFixed = reference.rps / fixed.rps;
    out.cpuRatioReferenceVsFixed = fixed.workerdCpuUsPerRequest / reference.workerdCpuUsPerRequest;
    out.addedP50MsReferenceVsFixed = reference.p50Ms - fixed.p50Ms;
    out.referenceOwnCpuUs = reference.workerdCpuUsPerRequest - fixed.workerdCpuUsPerRequest;
    if (by.attuneref.single && by.fixed.single) out.addedSingleP50MsReferenceVsFixed = by.attuneref.single.p50Ms - by.fixed.single.p50Ms;
  }
  if (fixed && pass) {
    out.rpsFixedVsPassthrough = fixed.rps / pass.rps;
    out.rewriteCpuUs = fixed.workerdCpuUsPerRequest - pass.workerdCpuUsPerRequest;
  }
  return out;
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const signed = (n, digits = 2) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '–');
const mark = (ok) => (ok === undefined ? ' ' : ok ? '✓' : '✗');

export function printReport(report) {
  const { setup, results, ratios, checks, notes } = report;
  const m = setup.mix;
  console.log(`Edge load: ${setup.rounds} round(s) × ${setup.seconds} s per worker at ${setup.connections} connections ` +
    `(interleaved)${setup.singleSeconds ? `, then ${setup.singleSeconds} s at 1 connection` : ''}; warm-up ${setup.warmup} s each; ${setup.load}`);
  console.log(`Mix of ${m.size} requests: ${m.none} without state cookie, ${m.valid} with a valid one, ` +
    `${m.garbage} with garbage cookies; ${m.name} with a name cookie, ${m.traits} with a traits cookie, ` +
    `${m.gpc} with Sec-GPC. Origin page ${(setup.pageBytes / 1024).toFixed(1)} KB, ` +
    `${setup.campaigns} campaigns on ${setup.placements} placements.`);
  console.log(`${setup.topology}; client, origin and workerd share ${setup.cpus} core(s).\n`);

  const header = ['worker', 'req/s', 'p50 ms', 'p99 ms', 'cpu µs/req', 'busy', '1-conn p50', '5xx', 'non-2xx', 'errors', 'req/s per round'];
  const rows = results.map((r) => {
    const s = r.summary;
    if (!s) return [r.label, 'skipped', '', '', '', '', '', '', '', '', ''];
    return [r.label, int(s.rps), fmt(s.p50Ms), fmt(s.p99Ms), fmt(s.workerdCpuUsPerRequest, 0),
      `${fmt(s.workerdBusyPct, 0)}%`, r.single ? fmt(r.single.p50Ms) : '–', String(s.status5xx), String(s.non2xx),
      String(s.errors + s.timeouts), s.roundRps.map(int).join(' ')];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
    .join('  ').trimEnd();
  console.log(line(header));
  for (const row of rows) console.log(line(row));

  console.log('');
  const target = (label, value, goal, ok) => console.log(`${mark(ok)} ${label.padEnd(46)} ${value.padStart(10)}   ${goal}`);
  if (ratios.rpsAttuneVsFixed !== undefined) {
    target('personalizing / fixed-text req/s', `${fmt(ratios.rpsAttuneVsFixed)}×`, `target ≥ ${TARGETS.rpsVsFixed}×`, ratios.meetsRps);
    target('  same by workerd CPU per request', `${fmt(ratios.cpuRatioAttuneVsFixed)}×`, 'reported', undefined);
    target('personalizing p50 − fixed-text p50', `${signed(ratios.addedP50MsVsFixed)} ms`,
      `target ≤ +${TARGETS.addedP50Ms} ms`, ratios.meetsP50);
    if (ratios.addedSingleP50MsVsFixed !== undefined) {
      target('  same at 1 connection (no queueing)', `${signed(ratios.addedSingleP50MsVsFixed)} ms`, 'reported', undefined);
    }
    target("Attune's own work: cpu µs/req over fixed-text", `${signed(ratios.attuneOwnCpuUs, 0)} µs`, 'reported', undefined);
  }
  if (ratios.rpsReferenceVsFixed !== undefined) {
    target(`${ratios.reference} / fixed-text req/s`.slice(0, 46), `${fmt(ratios.rpsReferenceVsFixed)}×`, 'before/after', undefined);
    target('  same by workerd CPU per request', `${fmt(ratios.cpuRatioReferenceVsFixed)}×`, 'before/after', undefined);
    target('  p50 − fixed-text p50', `${signed(ratios.addedP50MsReferenceVsFixed)} ms`, 'before/after', undefined);
    if (ratios.addedSingleP50MsReferenceVsFixed !== undefined) {
      target('  same at 1 connection (no queueing)', `${signed(ratios.addedSingleP50MsReferenceVsFixed)} ms`, 'before/after', undefined);
    }
    target('  its own work: cpu µs/req over fixed-text', `${signed(ratios.referenceOwnCpuUs, 0)} µs`, 'before/after', undefined);
  }
  if (ratios.rpsAttuneVsPassthrough !== undefined) {
    target('personalizing / pass-through req/s', `${fmt(ratios.rpsAttuneVsPassthrough)}×`, 'reported', undefined);
    target('personalizing p50 − pass-through p50', `${signed(ratios.addedP50MsVsPassthrough)} ms`, 'reported', undefined);
  }
  if (ratios.rpsFixedVsPassthrough !== undefined) {
    target('fixed-text / pass-through req/s', `${fmt(ratios.rpsFixedVsPassthrough)}×`, 'reported', undefined);
    target('the rewrite: cpu µs/req over pass-through', `${signed(ratios.rewriteCpuUs, 0)} µs`, 'reported', undefined);
  }
  const total5xx = results.reduce((n, r) => n + (r.summary ? r.summary.status5xx : 0), 0);
  target('5xx under the mix (all workers)', String(total5xx), 'target 0', total5xx === 0);

  console.log('\nChecks:');
  for (const c of checks) console.log(`  ${mark(c.ok)} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
  for (const note of notes) console.log(`note: ${note}`);
}
