// The Wasm KPI report (docs/KPI.md) as flat rows, one per campaign × variant with the
// holdout as its own row, and the number formats the table, the charts and the CSV share.
// Pure functions, no DOM.

// [{campaign, variant, holdout, label, impressions, clicks, dismissals, conversions,
//   exposedVisitors, convertedVisitors, ctr, conversionRate, revenue, revenuePerVisitor,
//   approximate, uplift: null | {cr: {absolute, low, high, relative}, rpv: {absolute, low, high}}}]
// in the report's order (campaigns by id; holdout first, then variants by id).
export function reportRows(report) {
  const rows = [];
  if (!report || !Array.isArray(report.campaigns)) return rows;
  for (const campaign of report.campaigns) {
    if (!campaign || !Array.isArray(campaign.variants)) continue;
    for (const v of campaign.variants) {
      const holdout = v.holdout === true;
      const variant = holdout ? null : String(v.variant);
      rows.push({
        campaign: String(campaign.campaign),
        variant,
        holdout,
        label: `${campaign.campaign} / ${holdout ? 'holdout' : variant}`,
        impressions: count(v.impressions),
        clicks: count(v.clicks),
        dismissals: count(v.dismissals),
        conversions: count(v.conversions),
        exposedVisitors: count(v.exposedVisitors),
        convertedVisitors: count(v.convertedVisitors),
        ctr: figure(v.ctr),
        conversionRate: figure(v.conversionRate),
        revenue: figure(v.revenue) ?? 0,
        revenuePerVisitor: figure(v.revenuePerVisitor),
        approximate: v.approximate === true,
        uplift: readUplift(v.uplift),
      });
    }
  }
  return rows;
}

function readUplift(u) {
  if (!u || typeof u !== 'object') return null;
  const cr = u.conversionRate || {};
  const rpv = u.revenuePerVisitor || {};
  return {
    cr: { absolute: figure(cr.absolute), low: figure(cr.low), high: figure(cr.high), relative: figure(cr.relative) },
    rpv: { absolute: figure(rpv.absolute), low: figure(rpv.low), high: figure(rpv.high) },
  };
}

function count(value) {
  return Number.isFinite(value) ? value : 0;
}

// null stays null: the report writes null where a figure is undefined.
function figure(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

// Whether an uplift interval excludes zero: 'better', 'worse' or 'unclear'.
export function verdict(interval) {
  if (!interval || interval.low === null || interval.high === null) return 'unclear';
  if (interval.low > 0) return 'better';
  if (interval.high < 0) return 'worse';
  return 'unclear';
}

const DASH = '–';

export function percent(value, digits = 1) {
  return value === null || value === undefined ? DASH : `${(value * 100).toFixed(digits)}%`;
}

// Percentage points, signed: "+1.6 pp".
export function points(value, digits = 1) {
  if (value === null || value === undefined) return DASH;
  const text = (value * 100).toFixed(digits);
  return `${value > 0 ? '+' : ''}${text === '-0.0' ? '0.0' : text} pp`;
}

export function money(value, digits = 2) {
  return value === null || value === undefined ? DASH : value.toFixed(digits);
}

export function signedMoney(value, digits = 2) {
  if (value === null || value === undefined) return DASH;
  return `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;
}

export function whole(value) {
  return value === null || value === undefined ? DASH : Math.round(value).toLocaleString('en-US');
}

// "[−1.4, +3.5] pp" for a conversion-rate interval; "[−2.10, +4.00]" for revenue.
export function interval(low, high, format) {
  if (low === null || high === null || low === undefined || high === undefined) return DASH;
  return `[${format(low)}, ${format(high)}]`;
}
