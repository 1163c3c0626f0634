// The KPI table as CSV (RFC 4180: comma-separated, CRLF line ends, quotes doubled), safe to
// open in a spreadsheet: a text cell that a spreadsheet would run as a formula (it starts
// with = + - @, a tab or a carriage return — campaign and variant ids are the marketer's
// free text) gets a leading apostrophe. Numbers are written as plain numbers, so a negative
// uplift stays a number. Pure functions, no DOM.

export const CSV_COLUMNS = [
  ['campaign', (r) => r.campaign],
  ['variant', (r) => (r.holdout ? 'holdout' : r.variant)],
  ['holdout', (r) => r.holdout],
  ['impressions', (r) => r.impressions],
  ['clicks', (r) => r.clicks],
  ['dismissals', (r) => r.dismissals],
  ['conversions', (r) => r.conversions],
  ['exposed_visitors', (r) => r.exposedVisitors],
  ['converted_visitors', (r) => r.convertedVisitors],
  ['ctr', (r) => r.ctr],
  ['conversion_rate', (r) => r.conversionRate],
  ['revenue', (r) => r.revenue],
  ['revenue_per_visitor', (r) => r.revenuePerVisitor],
  ['uplift_cr_abs', (r) => r.uplift && r.uplift.cr.absolute],
  ['uplift_cr_low95', (r) => r.uplift && r.uplift.cr.low],
  ['uplift_cr_high95', (r) => r.uplift && r.uplift.cr.high],
  ['uplift_cr_relative', (r) => r.uplift && r.uplift.cr.relative],
  ['uplift_rpv_abs', (r) => r.uplift && r.uplift.rpv.absolute],
  ['uplift_rpv_low95', (r) => r.uplift && r.uplift.rpv.low],
  ['uplift_rpv_high95', (r) => r.uplift && r.uplift.rpv.high],
  ['approximate', (r) => r.approximate],
];

const FORMULA_START = /^[=+\-@\t\r]/;

// One cell: numbers as numbers, null/undefined as empty, text neutralised and quoted when
// it holds a comma, a quote or a line break.
export function csvCell(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function rowsToCsv(rows, columns = CSV_COLUMNS) {
  const lines = [columns.map(([name]) => csvCell(name)).join(',')];
  for (const row of rows) lines.push(columns.map(([, read]) => csvCell(read(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
