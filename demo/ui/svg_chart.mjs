// Draws the layouts of kpi/charts.mjs as inline SVG: no chart library, every label through
// textContent. Each chart is a <figure> whose <svg role="img"> has a title and a text
// description, so a screen reader gets the figures the bars show (the table has them all).

import { h } from './dom.mjs';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(id, title, description, layout) {
  const svg = s('svg', {
    id, class: 'chart', role: 'img', viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width, height: layout.height, 'aria-labelledby': `${id}-title ${id}-desc`,
  });
  svg.append(s('title', { id: `${id}-title` }, title), s('desc', { id: `${id}-desc` }, description));
  return svg;
}

function axis(svg, layout, baseline) {
  const g = s('g', { class: 'axis' });
  for (const tick of layout.ticks) {
    g.append(s('line', { x1: tick.x, x2: tick.x, y1: 20, y2: layout.height - 6, class: 'grid' }));
    g.append(s('text', { x: tick.x, y: 14, 'text-anchor': 'middle' }, tick.text));
  }
  if (baseline !== undefined) g.append(s('line', { x1: baseline, x2: baseline, y1: 20, y2: layout.height - 6, class: 'zero' }));
  svg.append(g);
}

// layout: barLayout(); returns a <figure>.
export function barChart(id, title, layout) {
  const description = layout.bars.map((b) => `${b.label}: ${b.valueText}`).join('; ');
  const svg = frame(id, title, description, layout);
  axis(svg, layout, layout.plot.x0);
  for (const bar of layout.bars) {
    const g = s('g', { class: `bar bar-${bar.kind}`, 'data-label': bar.label });
    g.append(s('text', { x: bar.x - 8, y: bar.y + bar.h - 3, 'text-anchor': 'end', class: 'label' }, bar.label));
    if (!bar.missing) g.append(s('rect', { x: bar.x, y: bar.y, width: Math.max(bar.w, 1), height: bar.h, rx: 2 }));
    g.append(s('text', { x: bar.x + bar.w + 6, y: bar.y + bar.h - 3, class: 'value' }, bar.valueText));
    svg.append(g);
  }
  return h('figure', { class: 'chart-figure' }, h('figcaption', null, title), svg);
}

// layout: intervalLayout(); returns a <figure>.
export function intervalChart(id, title, layout) {
  const description = layout.rows.map((r) => `${r.label}: ${r.text} (${verdictWords(r.verdict)})`).join('; ');
  const svg = frame(id, title, description, layout);
  axis(svg, layout, layout.zeroX);
  for (const row of layout.rows) {
    const g = s('g', { class: `interval verdict-${row.verdict}`, 'data-label': row.label });
    g.append(s('text', { x: layout.plot.x0 - 8, y: row.y + 4, 'text-anchor': 'end', class: 'label' }, row.label));
    if (row.x1 !== null) {
      g.append(s('line', { x1: row.x1, x2: row.x2, y1: row.y, y2: row.y, class: 'whisker' }));
      g.append(s('line', { x1: row.x1, x2: row.x1, y1: row.y - 5, y2: row.y + 5, class: 'whisker' }));
      g.append(s('line', { x1: row.x2, x2: row.x2, y1: row.y - 5, y2: row.y + 5, class: 'whisker' }));
    }
    if (row.cx !== null) g.append(s('circle', { cx: row.cx, cy: row.y, r: 4.5, class: 'estimate' }));
    g.append(s('text', { x: layout.plot.x1 + 8, y: row.y + 4, class: 'value' }, row.text));
    svg.append(g);
  }
  return h('figure', { class: 'chart-figure' }, h('figcaption', null, title), svg);
}

export function verdictWords(verdict) {
  if (verdict === 'better') return 'better than the holdout';
  if (verdict === 'worse') return 'worse than the holdout';
  return 'not clearly different from the holdout';
}
