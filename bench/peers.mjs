// The peer engines of the page-decision benchmark. Each peer prepares a config once and
// returns `decidePage(attributes)` → one campaign id (or null for the default) per
// placement, in config order: the first campaign of the placement, by priority (highest
// first, ties in config order), whose audience matches.
import { evalCondition } from '@growthbook/growthbook';
import jsonLogic from 'json-logic-js';

/** Campaigns of each placement in decision order. Shared by every peer. */
export function orderCampaigns(config) {
  const byPlacement = new Map(config.placements.map((p) => [p.id, []]));
  config.campaigns.forEach((c, index) => {
    const list = byPlacement.get(c.placement);
    if (!list) throw new Error(`campaign ${c.id}: unknown placement ${c.placement}`);
    list.push({ campaign: c, index });
  });
  // Array.prototype.sort is stable, but compare the index anyway: the tie rule is the point.
  return config.placements.map((p) => byPlacement.get(p.id)
    .sort((a, b) => b.campaign.priority - a.campaign.priority || a.index - b.index)
    .map((entry) => entry.campaign));
}

// Each peer has its own copy of the page loop (same code, different function literals) so
// V8's call-site feedback is not shared between peers: one peer's polymorphism must not
// slow another down when they run in the same process.
function slotsOf(ordered, compile) {
  return ordered.map((list) => list.map((c) => ({ id: c.id, test: compile(c.audience) })));
}

// ---------------------------------------------------------------------------------------
// GrowthBook: the reference Mongo-condition evaluator most targeting SDKs copy.

export function prepareGrowthBook(config) {
  const slots = slotsOf(orderCampaigns(config), (audience) => (attrs) => evalCondition(attrs, audience));
  return function decidePageGrowthBook(attributes) {
    const out = new Array(slots.length);
    for (let p = 0; p < slots.length; p++) {
      const candidates = slots[p];
      let chosen = null;
      for (let i = 0; i < candidates.length; i++) {
        if (candidates[i].test(attributes)) {
          chosen = candidates[i].id;
          break;
        }
      }
      out[p] = chosen;
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------
// json-logic-js: the same audiences translated to JsonLogic rules.

const regexCache = new Map();
let regexOperationAdded = false;

function addRegexOperation() {
  if (regexOperationAdded) return;
  // JsonLogic has no regex operator; this is the usual extension. Patterns are compiled
  // once and cached, as a production integration would.
  jsonLogic.add_operation('regex', (value, pattern) => {
    if (typeof value !== 'string') return false;
    let re = regexCache.get(pattern);
    if (!re) {
      re = new RegExp(pattern);
      regexCache.set(pattern, re);
    }
    return re.test(value);
  });
  regexOperationAdded = true;
}

const COMPARISONS = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

function translateOperator(path, op, arg, schema) {
  const v = { var: path };
  const isArray = schema[path] === 'array';
  switch (op) {
    case '$eq': return { '===': [v, arg] };
    case '$ne': return { '!==': [v, arg] };
    case '$in':
      return isArray ? { some: [v, { in: [{ var: '' }, arg] }] } : { in: [v, arg] };
    case '$nin':
      return isArray ? { none: [v, { in: [{ var: '' }, arg] }] } : { '!': { in: [v, arg] } };
    case '$exists': return arg ? { '!==': [v, null] } : { '===': [v, null] };
    case '$gt': case '$gte': case '$lt': case '$lte':
      // JsonLogic reads a missing value as null and `null < 5` is true in JS: guard it.
      return { and: [{ '!==': [v, null] }, { [COMPARISONS[op]]: [v, arg] }] };
    case '$regex':
      return isArray ? { some: [v, { regex: [{ var: '' }, arg] }] } : { regex: [v, arg] };
    default:
      throw new Error(`json-logic translator: operator ${op} is not supported (path ${path})`);
  }
}

function translatePath(path, cond, schema) {
  if (!(path in schema)) throw new Error(`json-logic translator: unknown attribute ${path}`);
  if (cond === null || typeof cond !== 'object' || Array.isArray(cond)) {
    if (schema[path] === 'array') {
      throw new Error(`json-logic translator: plain equality on array attribute ${path}`);
    }
    return { '===': [{ var: path }, cond] };
  }
  const parts = Object.entries(cond).map(([op, arg]) => translateOperator(path, op, arg, schema));
  return parts.length === 1 ? parts[0] : { and: parts };
}

/** Mongo condition → JsonLogic rule. `schema` maps attribute paths to kinds (scenario). */
export function toJsonLogic(condition, schema) {
  addRegexOperation();  // the rules may use it
  const parts = Object.entries(condition).map(([key, value]) => {
    if (key === '$or') return { or: value.map((c) => toJsonLogic(c, schema)) };
    if (key === '$and') return { and: value.map((c) => toJsonLogic(c, schema)) };
    if (key.startsWith('$')) throw new Error(`json-logic translator: top-level ${key} is not supported`);
    return translatePath(key, value, schema);
  });
  if (parts.length === 0) return true;
  return parts.length === 1 ? parts[0] : { and: parts };
}

export function prepareJsonLogic(config, schema) {
  addRegexOperation();
  const slots = slotsOf(orderCampaigns(config), (audience) => {
    const rule = toJsonLogic(audience, schema);
    return (attrs) => jsonLogic.truthy(jsonLogic.apply(rule, attrs));
  });
  return function decidePageJsonLogic(attributes) {
    const out = new Array(slots.length);
    for (let p = 0; p < slots.length; p++) {
      const candidates = slots[p];
      let chosen = null;
      for (let i = 0; i < candidates.length; i++) {
        if (candidates[i].test(attributes)) {
          chosen = candidates[i].id;
          break;
        }
      }
      out[p] = chosen;
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------
// Hand-written closures: each condition compiled to a tree of JS closures with Mongo
// semantics (array attributes match if any element does, missing never compares). The
// strongest plain-JS baseline: no interpretation of the condition document per call.

// Reads a dotted path; missing (or a non-object on the way) gives undefined. Paths have at
// most a few steps, so the walk is unrolled for the common lengths.
function compileGetter(path) {
  const keys = path.split('.');
  const [a, b, c] = keys;
  if (keys.length === 1) return (o) => o[a];
  if (keys.length === 2) {
    return (o) => {
      const x = o[a];
      return x !== null && typeof x === 'object' ? x[b] : undefined;
    };
  }
  if (keys.length === 3) {
    return (o) => {
      const x = o[a];
      if (x === null || typeof x !== 'object') return undefined;
      const y = x[b];
      return y !== null && typeof y === 'object' ? y[c] : undefined;
    };
  }
  return (o) => keys.reduce((x, k) => (x !== null && typeof x === 'object' ? x[k] : undefined), o);
}

// A scalar predicate for one operator. Comparisons need the same type on both sides
// (Mongo: type mismatches never match).
function scalarTest(op, arg) {
  const kind = typeof arg;
  switch (op) {
    case '$eq': return (x) => x === arg;
    case '$in': { const set = new Set(arg); return (x) => set.has(x); }
    case '$gt': return (x) => typeof x === kind && x > arg;
    case '$gte': return (x) => typeof x === kind && x >= arg;
    case '$lt': return (x) => typeof x === kind && x < arg;
    case '$lte': return (x) => typeof x === kind && x <= arg;
    case '$regex': { const re = new RegExp(arg); return (x) => typeof x === 'string' && re.test(x); }
    default: return null;
  }
}

// One value operator as a predicate over the attribute value, with Mongo's rule that an
// array attribute matches if any element does ($ne/$nin: if no element does).
function compileOperator(op, arg) {
  if (op === '$exists') return arg ? (v) => v !== undefined : (v) => v === undefined;
  const negated = op === '$ne' || op === '$nin';
  const test = scalarTest(negated ? (op === '$ne' ? '$eq' : '$in') : op, arg);
  if (!test) throw new Error(`closure compiler: operator ${op} is not supported`);
  const any = (v) => {
    if (!Array.isArray(v)) return test(v);
    for (let i = 0; i < v.length; i++) if (test(v[i])) return true;
    return false;
  };
  return negated ? (v) => !any(v) : any;
}

// One `path: condition` clause fused into a single closure (read, then test): fewer
// megamorphic calls per clause than separate getter and operator closures.
function compileClause(path, cond) {
  const get = compileGetter(path);
  const isOperators = cond !== null && typeof cond === 'object' && !Array.isArray(cond);
  const tests = isOperators ? Object.entries(cond).map(([op, arg]) => compileOperator(op, arg)) : [compileOperator('$eq', cond)];
  if (tests.length === 1) {
    const [t] = tests;
    return (o) => t(get(o));
  }
  return (o) => {
    const v = get(o);
    for (let i = 0; i < tests.length; i++) if (!tests[i](v)) return false;
    return true;
  };
}

function allOf(tests) {
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  if (tests.length === 2) { const [a, b] = tests; return (o) => a(o) && b(o); }
  return (o) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](o)) return false;
    return true;
  };
}

/** Mongo condition → predicate over an attribute object. */
export function compileClosure(condition) {
  const tests = Object.entries(condition).map(([key, value]) => {
    if (key === '$or') {
      const alts = value.map(compileClosure);
      return (o) => {
        for (let i = 0; i < alts.length; i++) if (alts[i](o)) return true;
        return false;
      };
    }
    if (key === '$and') return allOf(value.map(compileClosure));
    if (key.startsWith('$')) throw new Error(`closure compiler: top-level ${key} is not supported`);
    return compileClause(key, value);
  });
  return allOf(tests);
}

export function prepareClosures(config) {
  const slots = slotsOf(orderCampaigns(config), compileClosure);
  return function decidePageClosures(attributes) {
    const out = new Array(slots.length);
    for (let p = 0; p < slots.length; p++) {
      const candidates = slots[p];
      let chosen = null;
      for (let i = 0; i < candidates.length; i++) {
        if (candidates[i].test(attributes)) {
          chosen = candidates[i].id;
          break;
        }
      }
      out[p] = chosen;
    }
    return out;
  };
}
