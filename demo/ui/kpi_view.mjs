// The KPI dashboard: "Simulate traffic" runs N synthetic visitors (kpi/model.mjs) through
// the real Wasm engine in a Web Worker (kpi/traffic_worker.mjs), with a progress bar and
// cancel, then shows per campaign × variant (holdout included) impressions, CTR, conversion
// rate, revenue per visitor and uplift vs holdout with 95% intervals, as SVG charts and a
// table, exportable as CSV.

import { barLayout, intervalLayout } from '../kpi/charts.mjs';
import { rowsToCsv } from '../kpi/csv.mjs';
import { interval, money, percent, points, reportRows, signedMoney, verdict, whole } from '../kpi/report_rows.mjs';
import { MAX_VISITORS } from '../kpi/simulation.mjs';
import { clear, field, h } from './dom.mjs';
import { barChart, intervalChart, verdictWords } from './svg_chart.mjs';

const CANCEL_GRACE_MS = 3000;  // a worker that does not answer a cancel by then is stopped

// deps: {getConfigText() → the live config's JSON, getStartMs() → the simulated day,
// wasmModule (compiled once by the page), wasmUrl}.
export function mountKpiView(root, deps) {
  const visitorsInput = h('input', { id: 'kpi-visitors', type: 'number', min: 1, max: MAX_VISITORS, step: 1, value: 10000, required: true });
  const seedInput = h('input', { id: 'kpi-seed', type: 'number', min: 0, max: 4294967295, step: 1, value: 1, required: true });
  const consentInput = h('input', { id: 'kpi-consent', type: 'number', min: 0, max: 1, step: 0.05, value: 0.8, required: true });
  const runButton = h('button', { type: 'button', id: 'kpi-run', class: 'primary' }, 'Simulate traffic');
  const cancelButton = h('button', { type: 'button', id: 'kpi-cancel', disabled: true }, 'Cancel');
  const csvButton = h('button', { type: 'button', id: 'kpi-csv', disabled: true }, 'Export CSV');
  const progress = h('progress', { id: 'kpi-progress', max: 1, value: 0, 'aria-label': 'Simulation progress' });
  const status = h('p', { id: 'kpi-status', class: 'status', role: 'status' }, 'No simulation yet.');
  const summary = h('p', { id: 'kpi-summary' });
  const charts = h('div', { id: 'kpi-charts', class: 'charts' });
  const tableBox = h('div', { id: 'kpi-table-box', class: 'table-box' });

  let worker = null;
  let current = null;  // {total, started}
  let lastRows = [];
  let cancelTimer = null;

  root.append(
    h('div', { class: 'row kpi-form' },
      field(`Visitors (1–${MAX_VISITORS.toLocaleString('en-US')})`, visitorsInput),
      field('Seed', seedInput, 'same seed, same traffic'),
      field('Share who consent (0–1)', consentInput)),
    h('div', { class: 'buttons' }, runButton, cancelButton, csvButton),
    progress,
    status,
    summary,
    charts,
    tableBox,
  );

  runButton.addEventListener('click', start);
  cancelButton.addEventListener('click', cancel);
  csvButton.addEventListener('click', exportCsv);

  // The worker loads the runtime at once, so a later run needs no network (offline).
  function ensureWorker() {
    if (worker) return worker;
    worker = new Worker(new URL('../kpi/traffic_worker.mjs', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (event) => onMessage(event.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      fail(`the simulation worker failed: ${event.message || 'could not start'}`);
      dropWorker();
    });
    worker.postMessage({ type: 'load', ...wasmSource() });
    return worker;
  }

  function wasmSource() {
    return deps.wasmModule ? { wasmModule: deps.wasmModule } : { wasmUrl: deps.wasmUrl };
  }

  function dropWorker() {
    if (worker) worker.terminate();
    worker = null;
  }

  function readOptions() {
    const visitors = Number(visitorsInput.value);
    const seed = Number(seedInput.value);
    const consentShare = Number(consentInput.value);
    if (!Number.isInteger(visitors) || visitors < 1 || visitors > MAX_VISITORS) {
      return { error: `Visitors must be a whole number from 1 to ${MAX_VISITORS.toLocaleString('en-US')}.`, input: visitorsInput };
    }
    if (!Number.isInteger(seed) || seed < 0 || seed > 4294967295) return { error: 'The seed must be a whole number from 0 to 4294967295.', input: seedInput };
    if (!(consentShare >= 0 && consentShare <= 1)) return { error: 'The share who consent must be a number from 0 to 1.', input: consentInput };
    return { visitors, seed, consentShare };
  }

  function start() {
    if (current) return;
    const options = readOptions();
    for (const input of [visitorsInput, seedInput, consentInput]) input.removeAttribute('aria-invalid');
    if (options.error) {
      options.input.setAttribute('aria-invalid', 'true');
      fail(options.error);
      return;
    }
    current = { total: options.visitors, started: performance.now() };
    progress.max = options.visitors;
    progress.value = 0;
    root.dataset.state = 'running';
    runButton.disabled = true;
    cancelButton.disabled = false;
    say(`Simulating ${whole(options.visitors)} visitors in a Web Worker…`);
    ensureWorker().postMessage({
      type: 'run', ...wasmSource(), configJson: deps.getConfigText(), startMs: deps.getStartMs(), ...options,
    });
  }

  function cancel() {
    if (!current || !worker) return;
    worker.postMessage({ type: 'cancel' });
    cancelButton.disabled = true;
    say('Cancelling…');
    cancelTimer = setTimeout(() => {
      dropWorker();
      finish();
      say('Cancelled (the worker was stopped).');
      root.dataset.state = 'cancelled';
    }, CANCEL_GRACE_MS);
  }

  function onMessage(message) {
    if (!message || typeof message !== 'object') return;
    if (message.type === 'loaded') {
      root.dataset.loadMs = String(Math.round(message.loadMs));
    } else if (message.type === 'progress' && current) {
      progress.value = message.done;
      say(`${whole(message.done)} of ${whole(message.total)} visitors — ${whole(message.rate)} visitors/s`);
    } else if (message.type === 'done' && current) {
      finish();
      progress.value = message.done;
      const rate = Math.round(message.rate);
      root.dataset.rate = String(rate);
      root.dataset.visitors = String(message.done);
      root.dataset.state = message.cancelled ? 'cancelled' : 'done';
      const seconds = (message.elapsedMs / 1000).toFixed(1);
      say(message.cancelled
        ? `Cancelled after ${whole(message.done)} of ${whole(message.total)} visitors (${seconds} s); the figures below cover those.`
        : `Done: ${whole(message.done)} visitors in ${seconds} s — ${whole(rate)} visitors/s in the Web Worker.`);
      const stats = message.stats || {};
      summary.textContent = `${whole(stats.visitors)} visitors, ${whole(stats.measuredVisitors)} measured (consent), `
        + `${whole(stats.pageViews)} page views, ${whole(stats.decisionsShown)} decisions shown, `
        + `${whole(message.report && message.report.acceptedEvents)} KPI events.`;
      render(reportRows(message.report));
    } else if (message.type === 'error') {
      const detail = Array.isArray(message.errors) && message.errors.length
        ? `: ${message.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ')}` : '';
      if (current) finish();
      fail(`${message.message}${detail}`);
    }
  }

  function finish() {
    clearTimeout(cancelTimer);
    cancelTimer = null;
    current = null;
    runButton.disabled = false;
    cancelButton.disabled = true;
  }

  function say(text) {
    status.textContent = text;
    status.classList.remove('problem');
  }

  function fail(text) {
    status.textContent = text;
    status.classList.add('problem');
    root.dataset.state = 'error';
  }

  function render(rows) {
    lastRows = rows;
    csvButton.disabled = rows.length === 0;
    clear(charts);
    clear(tableBox);
    if (rows.length === 0) {
      charts.append(h('p', { class: 'hint' }, 'No campaign was shown to a measured visitor.'));
      return;
    }
    const kind = (r) => (r.holdout ? 'holdout' : 'variant');
    charts.append(
      barChart('chart-ctr', 'Click-through rate per variant (grey: holdout)', barLayout(
        rows.map((r) => ({ label: r.label, value: r.ctr, kind: kind(r) })), { format: (v) => percent(v), tickFormat: (v) => percent(v, 0) })),
      barChart('chart-cr', 'Conversion rate per variant (grey: holdout)', barLayout(
        rows.map((r) => ({ label: r.label, value: r.conversionRate, kind: kind(r) })), { format: (v) => percent(v), tickFormat: (v) => percent(v, 0) })),
    );
    const withUplift = rows.filter((r) => r.uplift);
    if (withUplift.length > 0) {
      charts.append(
        intervalChart('chart-uplift-cr', 'Conversion-rate uplift vs holdout, percentage points (95% CI)', intervalLayout(
          withUplift.map((r) => ({ label: r.label, estimate: r.uplift.cr.absolute, low: r.uplift.cr.low, high: r.uplift.cr.high })),
          { format: (v) => points(v), tickFormat: (v) => signedWhole(v * 100), valueWidth: 215 })),
        intervalChart('chart-uplift-rpv', 'Revenue-per-visitor uplift vs holdout (95% CI)', intervalLayout(
          withUplift.map((r) => ({ label: r.label, estimate: r.uplift.rpv.absolute, low: r.uplift.rpv.low, high: r.uplift.rpv.high })),
          { format: (v) => signedMoney(v), tickFormat: (v) => signedWhole(v), valueWidth: 190 })),
      );
    } else {
      charts.append(h('p', { class: 'hint' }, 'No campaign has a holdout, so there is no uplift to show.'));
    }
    tableBox.append(table(rows));
  }

  function exportCsv() {
    if (lastRows.length === 0) return;
    const url = URL.createObjectURL(new Blob([rowsToCsv(lastRows)], { type: 'text/csv;charset=utf-8' }));
    const link = h('a', { href: url, download: 'attune-kpis.csv', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  ensureWorker();
  return { start, cancel, rows: () => lastRows };
}

const COLUMNS = [
  ['Campaign', (r) => r.campaign],
  ['Variant', (r) => (r.holdout ? 'holdout (control)' : r.variant)],
  ['Impressions', (r) => whole(r.impressions)],
  ['Clicks', (r) => whole(r.clicks)],
  ['CTR', (r) => percent(r.ctr)],
  ['Visitors', (r) => `${whole(r.exposedVisitors)}${r.approximate ? ' ≈' : ''}`],
  ['Conversion rate', (r) => percent(r.conversionRate)],
  ['Revenue / visitor', (r) => money(r.revenuePerVisitor)],
  ['Uplift: conversion (95% CI)', (r) => (r.uplift ? `${points(r.uplift.cr.absolute)} ${interval(r.uplift.cr.low, r.uplift.cr.high, points)}` : '–')],
  ['Uplift: revenue / visitor (95% CI)', (r) => (r.uplift ? `${signedMoney(r.uplift.rpv.absolute)} ${interval(r.uplift.rpv.low, r.uplift.rpv.high, signedMoney)}` : '–')],
  ['Verdict', (r) => (r.uplift ? verdictWords(verdict(r.uplift.cr)) : r.holdout ? 'baseline' : 'no holdout')],
];

function signedWhole(value) {
  const n = Math.round(value);
  return n > 0 ? `+${n}` : String(n === 0 ? 0 : n);
}

function table(rows) {
  return h('table', { id: 'kpi-table' },
    h('caption', null, 'KPIs per campaign and variant (holdout rows are the control group)'),
    h('thead', null, h('tr', null, COLUMNS.map(([name]) => h('th', { scope: 'col' }, name)))),
    h('tbody', null, rows.map((r) => h('tr', { class: r.holdout ? 'holdout' : undefined, dataset: { campaign: r.campaign, variant: r.holdout ? 'holdout' : r.variant } },
      COLUMNS.map(([, read], i) => (i === 0 ? h('th', { scope: 'row' }, read(r)) : h('td', null, read(r))))))));
}
