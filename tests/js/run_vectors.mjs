// Runs the shared vectors (tests/vectors/*.json) against a loaded Attune object. Host
// neutral: Node, the Chromium page and the workerd worker each load the JSON their own way
// and call this, so every host runs exactly the same checks.

const REQUIRED_FILES = ['conditions', 'locale', 'templates', 'hash', 'decisions', 'profile', 'tcf', 'contacts'];
const OPTIONAL_FILES = ['regex'];

// The decision fields compared when a case does not list its own (as the native runner,
// a case may pin any subset of a decision's fields).
const DECISION_FIELDS = ['campaign', 'variant', 'content', 'locale', 'dir', 'holdout'];

const RUNNERS = {
  conditions: runCondition,
  regex: runRegex,
  locale: (attune, c) => attune.negotiateLocale(c.request),
  templates: (attune, c) => attune.renderTemplate(c.request),
  hash: (attune, c) => attune.hashBucket(c.seed, c.id),
  decisions: runDecision,
  profile: runTimeline,
  tcf: runTcf,
  contacts: runTimeline,
};

export async function runVectors(attune, files) {
  const results = [];
  for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES]) {
    const cases = files[file];
    const absent = cases === undefined || (Array.isArray(cases) && cases.length === 0);
    if (absent && OPTIONAL_FILES.includes(file)) continue;
    if (!Array.isArray(cases) || cases.length === 0) {
      results.push({ file, name: '(file)', pass: false, got: 'missing or empty', expected: 'cases' });
      continue;
    }
    for (const c of cases) results.push(runCase(attune, file, c));
  }
  return results;
}

function runCase(attune, file, c) {
  const name = typeof c.name === 'string' ? c.name : JSON.stringify(c).slice(0, 80);
  let got;
  try {
    got = RUNNERS[file](attune, c);
  } catch (e) {
    got = { thrown: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  // Results cross host boundaries as JSON, so compare what survives serialisation.
  got = got === undefined ? null : JSON.parse(JSON.stringify(got));
  const expected = expectation(file, c);
  return { file, name, pass: matches(got, expected), got, expected };
}

// regex.json marks a pattern that must be rejected with `"error": true` beside no `expected`.
function expectation(file, c) {
  if (file === 'regex' && c.error === true) return { error: true };
  if (file === 'profile' || file === 'contacts') return c.expect;
  return c.expected;
}

function runCondition(attune, c) {
  return attune.evalCondition(c.condition, c.attributes === undefined ? {} : c.attributes);
}

// A regex case `{pattern, flags, subject}` runs as the condition that carries it.
function runRegex(attune, c) {
  const operators = { $regex: c.pattern };
  if (c.flags) operators.$options = c.flags;
  const attributes = typeof c.subject === 'string' ? { s: c.subject } : {};
  return attune.evalCondition({ s: operators }, attributes);
}

function runDecision(attune, c) {
  const compiled = attune.compile(c.config);
  if (!compiled.ok) return { error: 'config rejected', errors: compiled.errors };
  try {
    const page = compiled.engine.decidePage(c.visitor);
    if (!Array.isArray(page.decisions)) return page;
    const got = {};
    for (const decision of page.decisions) {
      const want = isObject(c.expected) ? c.expected[decision.placement] : undefined;
      got[decision.placement] = project(decision, isObject(want) ? Object.keys(want) : DECISION_FIELDS);
    }
    return got;
  } finally {
    compiled.engine.free();
  }
}

// A timeline case replays steps through simulate(); `expect` maps "<step>.<dotted path>" to
// the value found in that step's result, and "<member>.<dotted path>" to one found in the
// answer's top level ("kpi.campaigns.0.variants.0.impressions"); "*": present with any value.
// The result is the map of what was found, so a failure shows every checked value.
function runTimeline(attune, c) {
  const answer = attune.simulate(c.request);
  if (!Array.isArray(answer.steps)) return answer;
  const got = {};
  for (const key of Object.keys(c.expect)) {
    const parts = key.split('.');
    let value = /^[0-9]/.test(parts[0]) ? answer.steps : answer;
    for (const part of parts) {
      value = value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, part) ? value[part] : undefined;
    }
    got[key] = c.expect[key] === '*' && value !== undefined ? '*' : value === undefined ? '(missing)' : value;
  }
  return got;
}

// A TC string decoded and mapped (for the case's vendor id); only the fields the case pins.
function runTcf(attune, c) {
  const decoded = attune.tcf(c.tcString, c.vendorId ?? 0);
  if (isErrorExpectation(c.expected) || typeof decoded.error === 'string') return decoded.error ? { error: decoded.error } : decoded;
  return Object.fromEntries(Object.keys(c.expected).map((key) => [key, decoded[key]]));
}

// `{"error": true}` expects any error message; everything else must match exactly.
function matches(got, expected) {
  if (isErrorExpectation(expected)) {
    return isObject(got) && typeof got.error === 'string' && got.error.length > 0;
  }
  return deepEqual(got, expected);
}

function isErrorExpectation(expected) {
  return isObject(expected) && expected.error === true && Object.keys(expected).length === 1;
}

// The fields a case pins down; `items` are compared as the shown campaigns' ids.
function project(decision, keys) {
  const out = {};
  for (const key of keys) {
    out[key] =
      key === 'items' && Array.isArray(decision.items) ? decision.items.map((i) => i.campaign) : decision[key];
  }
  return out;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual(a[key], b[key]));
}
