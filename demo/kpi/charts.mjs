// Chart geometry for the KPI dashboard: where each bar, whisker, tick and label goes, as
// plain numbers and strings. Pure functions, no DOM (ui/svg_chart.mjs draws the result), so
// the layout is tested in Node: scales, negative intervals, empty and degenerate data.

const ROW = 24;
const TOP = 28;     // room for the axis labels
const BOTTOM = 10;

// Round tick values covering [low, high]: about `count` steps of 1, 2 or 5 × 10^k.
export function niceTicks(low, high, count = 5) {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [0];
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.5;
    low -= pad;
    high += pad;
  }
  if (low > high) [low, high] = [high, low];
  const raw = (high - low) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
  const ticks = [];
  const first = Math.floor(low / step + 1e-9) * step;  // -0.07 / 0.01 is -7.000000000000001
  for (let t = first; t <= high + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
    if (ticks.length > 50) break;
  }
  if (ticks[ticks.length - 1] < high) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function linear(domainLow, domainHigh, rangeLow, rangeHigh) {
  const span = domainHigh - domainLow || 1;
  return (v) => rangeLow + ((v - domainLow) / span) * (rangeHigh - rangeLow);
}

// Horizontal bars from 0. items: [{label, value (null = no data), kind}]; format(value) → the
// bar's text, tickFormat(value) → the axis's (shorter: the unit is in the chart's title).
// Returns {width, height, plot: {x0, x1}, ticks: [{x, text}], bars: [{y, x, w, h, label,
// valueText, kind, missing}]}.
export function barLayout(items, { width = 640, labelWidth = 230, valueWidth = 74, format = String, tickFormat = format } = {}) {
  const values = items.map((i) => i.value).filter((v) => v !== null && Number.isFinite(v));
  const max = values.length ? Math.max(...values) : 0;
  const ticks = niceTicks(0, max > 0 ? max : 1, 4).filter((t) => t >= 0);
  const top = ticks[ticks.length - 1];
  const x0 = labelWidth;
  const x1 = width - valueWidth;
  const scale = linear(0, top, x0, x1);
  const bars = items.map((item, i) => {
    const missing = item.value === null || !Number.isFinite(item.value);
    const value = missing ? 0 : Math.max(0, item.value);
    return {
      y: TOP + i * ROW,
      x: x0,
      w: Math.max(0, scale(value) - x0),
      h: ROW - 8,
      label: item.label,
      valueText: missing ? 'no data' : format(item.value),
      kind: item.kind || 'variant',
      missing,
    };
  });
  return {
    width,
    height: TOP + items.length * ROW + BOTTOM,
    plot: { x0, x1 },
    ticks: ticks.map((t) => ({ x: scale(t), text: tickFormat(t) })),
    bars,
  };
}

// Estimates with 95% intervals around a zero line (uplift vs holdout). items: [{label,
// estimate, low, high}] (nulls allowed: a row without an interval shows its estimate only,
// a row without an estimate says "no data"). Returns {width, height, plot, zeroX, ticks,
// rows: [{y, cx, x1, x2, label, text, verdict, missing}]}.
export function intervalLayout(items, { width = 640, labelWidth = 230, valueWidth = 150, format = String, tickFormat = format } = {}) {
  const points = [];
  for (const i of items) for (const v of [i.estimate, i.low, i.high]) if (v !== null && Number.isFinite(v)) points.push(v);
  const low = Math.min(0, ...points);
  const high = Math.max(0, ...points);
  const ticks = niceTicks(low, high, 4);
  const domainLow = Math.min(ticks[0], low);
  const domainHigh = Math.max(ticks[ticks.length - 1], high);
  const x0 = labelWidth;
  const x1 = width - valueWidth;
  const scale = linear(domainLow, domainHigh, x0 + 6, x1 - 6);
  const rows = items.map((item, i) => {
    const missing = item.estimate === null || !Number.isFinite(item.estimate);
    const hasInterval = !missing && item.low !== null && item.high !== null && Number.isFinite(item.low) && Number.isFinite(item.high);
    const verdict = !hasInterval ? 'unclear' : item.low > 0 ? 'better' : item.high < 0 ? 'worse' : 'unclear';
    return {
      y: TOP + i * ROW + (ROW - 8) / 2,
      cx: missing ? null : scale(item.estimate),
      x1: hasInterval ? scale(item.low) : null,
      x2: hasInterval ? scale(item.high) : null,
      label: item.label,
      text: missing ? 'no data' : hasInterval ? `${format(item.estimate)} [${format(item.low)}, ${format(item.high)}]` : format(item.estimate),
      verdict,
      missing,
    };
  });
  return {
    width,
    height: TOP + items.length * ROW + BOTTOM,
    plot: { x0, x1 },
    zeroX: scale(0),
    ticks: ticks.filter((t) => t >= domainLow && t <= domainHigh).map((t) => ({ x: scale(t), text: tickFormat(t) })),
    rows,
  };
}
