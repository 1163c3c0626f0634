// Simulated traffic through the real engine: each synthetic visitor (model.mjs) is tracked,
// decided and reported exactly as a site would do it, and every report the engine accepts
// becomes a KPI event for the Wasm KPI accumulator. Host-agnostic (the Web Worker drives it
// in chunks; the Node tests call it directly) and bounded in memory: events are streamed
// to the accumulator in batches, visitors are freed one by one.

import { planVisitor, popupPlacements, respondToDecision, visitOutcome, vocabulary } from './model.mjs';

export const MAX_VISITORS = 100_000;
const BATCH_EVENTS = 2000;

// `options`: {configJson, visitors, seed, consentShare, startMs, days}. Returns
// {ok: false, error, errors?} or {ok: true, run} where `run.step(n)` simulates up to n more
// visitors, `run.kpiReport()` gives the KPI report so far and `run.free()` releases the Wasm
// objects. Never throws for bad input.
export function startSimulation(Module, options) {
  const checked = checkOptions(options);
  if (checked.error) return { ok: false, error: checked.error };
  let config;
  try {
    config = JSON.parse(checked.configJson);
  } catch (e) {
    return { ok: false, error: `config: invalid JSON: ${e.message}` };
  }
  let engine;
  try {
    engine = new Module.Engine(checked.configJson);
    if (!engine.ok()) {
      const errors = parseErrors(engine.errorsJson());
      engine.delete();
      return { ok: false, error: 'the config does not compile', errors };
    }
  } catch (e) {
    if (engine) safeDelete(engine);
    return { ok: false, error: `the engine failed: ${describe(e)}` };
  }
  engine.seedTokenEntropy(checked.seed >>> 0);
  return { ok: true, run: new TrafficRun(Module, engine, config, checked) };
}

function checkOptions(options) {
  if (!options || typeof options !== 'object') return { error: 'options: must be an object' };
  const { configJson, visitors, seed = 1, consentShare = 0.8, startMs, days = 3 } = options;
  if (typeof configJson !== 'string') return { error: 'configJson: must be a string' };
  if (!Number.isInteger(visitors) || visitors < 1 || visitors > MAX_VISITORS) {
    return { error: `visitors: must be a whole number from 1 to ${MAX_VISITORS.toLocaleString('en-US')}` };
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return { error: 'seed: must be a whole number from 0 to 4294967295' };
  if (typeof consentShare !== 'number' || !(consentShare >= 0 && consentShare <= 1)) {
    return { error: 'consentShare: must be a number from 0 to 1' };
  }
  if (!Number.isFinite(startMs)) return { error: 'startMs: must be a time in milliseconds' };
  if (!Number.isInteger(days) || days < 1 || days > 90) return { error: 'days: must be a whole number from 1 to 90' };
  return { configJson, visitors, seed, consentShare, startMs, days };
}

function parseErrors(text) {
  try {
    const list = JSON.parse(text);
    if (Array.isArray(list)) return list.map((e) => ({ path: String(e?.path ?? ''), message: String(e?.message ?? e) }));
  } catch {
    // fall through: the raw text is still the best message we have
  }
  return [{ path: '', message: String(text) }];
}

function describe(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function safeDelete(object) {
  try {
    object.delete();
  } catch {
    // already deleted, or the module trapped: nothing more to free
  }
}

class TrafficRun {
  constructor(Module, engine, config, options) {
    this.Module = Module;
    this.engine = engine;
    this.kpi = new Module.Kpi();
    this.options = options;
    this.vocab = vocabulary(config);
    this.popups = popupPlacements(config);
    this.total = options.visitors;
    this.processed = 0;
    this.batch = [];
    this.stats = {
      visitors: 0,
      consentedVisitors: 0,
      measuredVisitors: 0,
      pageViews: 0,
      decisionsShown: 0,
      reportsAccepted: 0,
      reportsRefused: 0,
      trackRefused: 0,
      kpiBatchErrors: 0,
      firstRefusal: '',
    };
  }

  get done() {
    return this.processed >= this.total;
  }

  // Simulates up to `count` more visitors and flushes their events.
  step(count) {
    const end = Math.min(this.total, this.processed + Math.max(0, count | 0));
    while (this.processed < end) {
      this.simulateVisitor(this.processed);
      this.processed++;
    }
    this.flush();
    return this.processed;
  }

  simulateVisitor(index) {
    const { engine, options } = this;
    const plan = planVisitor({ ...options, index, vocab: this.vocab });
    const visitor = new this.Module.Visitor();
    try {
      visitor.setId(plan.id);
      this.visitorId = plan.id;
      this.stats.visitors++;
      if (plan.consent) {
        engine.setConsentJson(visitor, JSON.stringify(plan.purposes), 'demo', plan.consentAt);
        this.stats.consentedVisitors++;
      }
      for (const event of plan.history) this.track(visitor, event.type, event.props, event.at);
      // A site sends measurement events only with the measurement purpose in force.
      const measured = JSON.parse(engine.purposesJson(visitor, false)).measurement === true;
      if (measured) this.stats.measuredVisitors++;
      this.visit(visitor, plan, measured);
    } finally {
      visitor.delete();
    }
  }

  visit(visitor, plan, measured) {
    const { engine } = this;
    const lastByCampaign = new Map();
    let clicked = false;
    let lastAt = plan.pages[0].at;
    for (const page of plan.pages) {
      lastAt = page.at;
      this.stats.pageViews++;
      this.track(visitor, 'page_view', { categories: page.categories, path: page.path }, page.at);
      const context = { ...plan.context, now: page.at, page: { path: page.path, categories: page.categories } };
      const result = JSON.parse(engine.decidePageForJson(visitor, JSON.stringify(context), false));
      if (result.error) throw new Error(`decidePage: ${result.error}`);
      for (const decision of result.decisions) {
        const items = Array.isArray(decision.items) ? decision.items : [decision];
        for (const item of items) {
          if (item.campaign === null || item.campaign === undefined || !item.token) continue;
          const shown = {
            campaign: item.campaign,
            variant: item.holdout ? null : item.variant,
            holdout: item.holdout === true,
            token: item.token,
            content: item.content,
            popup: this.popups.has(decision.placement),
          };
          this.stats.decisionsShown++;
          if (!this.report(visitor, 'impression', shown, page.at + 500, measured)) continue;
          lastByCampaign.set(shown.campaign, shown);
          const response = respondToDecision(plan.rng, plan.rates, shown);
          if (response.click) {
            clicked = true;
            this.report(visitor, 'click', shown, page.at + 5000, measured);
          } else if (response.dismiss) {
            this.report(visitor, 'dismiss', shown, page.at + 3000, measured);
          }
        }
      }
    }
    const outcome = visitOutcome(plan.rng, plan.rates, [...lastByCampaign.values()], clicked);
    if (!outcome.converted) return;
    const at = lastAt + 60_000;
    this.track(visitor, 'purchase', { amount: outcome.value }, at);
    // The purchase is attributed to each campaign the visit saw, on its last token.
    for (const shown of lastByCampaign.values()) this.report(visitor, 'conversion', shown, at + 1, measured, outcome.value);
  }

  track(visitor, type, props, at) {
    const error = this.engine.trackJson(visitor, type, JSON.stringify(props), at);
    if (error !== '') this.stats.trackRefused++;
  }

  // One report on a decision token; true when the engine accepted it.
  report(visitor, type, shown, at, measured, value) {
    const props = value === undefined ? { token: shown.token } : { token: shown.token, value };
    const error = this.engine.trackJson(visitor, type, JSON.stringify(props), at);
    if (error !== '') {
      this.stats.reportsRefused++;
      if (!this.stats.firstRefusal) this.stats.firstRefusal = `${type}: ${error}`;
      return false;
    }
    this.stats.reportsAccepted++;
    if (measured) {
      const event = { visitor: this.visitorId, campaign: shown.campaign, type };
      if (shown.holdout) event.holdout = true;
      else event.variant = shown.variant;
      if (value !== undefined) event.value = value;
      this.batch.push(event);
      if (this.batch.length >= BATCH_EVENTS) this.flush();
    }
    return true;
  }

  flush() {
    if (this.batch.length === 0) return;
    const error = this.kpi.addJson(JSON.stringify(this.batch));
    this.batch.length = 0;
    if (error !== '') this.stats.kpiBatchErrors++;
  }

  kpiReport() {
    this.flush();
    return JSON.parse(this.kpi.reportJson());
  }

  free() {
    safeDelete(this.kpi);
    safeDelete(this.engine);
  }
}
