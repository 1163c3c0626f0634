// Seeded generator of random conditions and attribute sets for the differential test
// against GrowthBook's evalCondition (tests/js/growthbook_diff.test.mjs).
//
// Every generated case stays inside the domain where Attune and GrowthBook agree by
// definition (docs/CONDITIONS.md, "Differences from GrowthBook"): operands always have
// the type of the attribute they are compared with, array attributes only meet operators
// whose GrowthBook meaning is already "any element" ($in, $nin, $all, $elemMatch, $size),
// and an attribute that may be missing or null only meets operators whose answer on a
// missing value is the same in both engines. The condition is generated after the
// attributes, so the generator knows which paths are present. Deterministic for a seed.

import { Rng, mulberry32 } from './prng.mjs';

export { mulberry32 };


export const DEFAULT_OPTIONS = {
  maxDepth: 4,
  // GrowthBook accepts {"$not": condition} at the top level of a condition (MongoDB does not).
  topLevelNot: true,
  // `{"$regex", "$options": "i"}` cases; the test translates them to GrowthBook's $regexi.
  regexOptions: true,
  // `$size` with an operator object ({"$size": {"$gt": 1}}), which GrowthBook accepts.
  sizeOperators: true,
};

// All characters are in the BMP below U+D800, where UTF-16 order equals code point order,
// and none is a line terminator (JavaScript's `.` excludes those). The alphabet cannot spell
// "null", so GrowthBook's String(null) never equals a generated string. Case pairs exercise
// `$options: "i"`; none has a special case mapping (ß, ſ, K, µ, ς, İ are left out on purpose).
const ALPHABET = [...'abcdxyzABXZ019 -_.', ...'éÉüÜñжЖΩω中日☃'];
const REGEX_SYNTAX = new Set([...'\\^$.|?*+()[]{}/']);
const COUNTRIES = ['DE', 'AT', 'US', 'FR', 'de', 'at', '中国'];
const TYPE_NAMES = ['string', 'number', 'boolean', 'array', 'object', 'null'];

// Paths the conditions read, with the kind of value stored there when present. Some are
// never present (`nope`, a path through a string, an index past any array's end).
const ROOT_PATHS = [
  ['name', 'string'],
  ['country', 'string'],
  ['prénom', 'string'],
  ['age', 'int'],
  ['score', 'decimal'],
  ['vip', 'bool'],
  ['beta', 'bool'],
  ['tags', 'strings'],
  ['nums', 'numbers'],
  ['items', 'items'],
  ['geo', 'object'],
  ['geo.city', 'string'],
  ['geo.loc', 'object'],
  ['geo.loc.lat', 'decimal'],
  ['a.b.c', 'string'],
  ['a.b.d', 'int'],
  ['app.version', 'version'],
  ['os.version', 'version'],
  ['tags.0', 'string'],
  ['tags.1', 'string'],
  ['nums.0', 'decimal'],
  ['nums.2', 'decimal'],
  ['items.0.sku', 'string'],
  ['items.1.qty', 'int'],
  ['nope', 'string'],
  ['geo.nope', 'int'],
  ['name.first', 'string'],
  ['tags.7', 'string'],
  // Listed twice more: versions and regexes need more cases than the rest.
  ['app.version', 'version'],
  ['os.version', 'version'],
  ['app.version', 'version'],
  ['name', 'string'],
  ['geo.city', 'string'],
];
const ITEM_PATHS = [
  ['sku', 'string'],
  ['qty', 'int'],
  ['price', 'decimal'],
  ['tag', 'string'],
  ['nope', 'int'],
];

// ---------------------------------------------------------------------------------------
// Values

function genString(r, maxLen = 6) {
  let s = '';
  const n = r.int(1, maxLen);
  for (let i = 0; i < n; i++) s += r.pick(ALPHABET);
  return s;
}

function genInt(r) {
  return r.chance(0.1) ? r.pick([1000000, -1000000, 2147483647, 9007199254740991]) : r.int(-50, 120);
}

function genDecimal(r) {
  if (r.chance(0.15)) return r.int(-100, 100); // integers are numbers too
  return r.pick([r.int(-400, 400) / 4, r.int(-1000, 1000) / 10, r.int(-99, 99) / 100]);
}

function genNonZero(r) {
  const n = r.chance(0.5) ? r.int(1, 20) * r.pick([1, -1]) : genDecimal(r);
  return n === 0 ? 7 : n;
}

function genVersion(r) {
  const part = () => String(r.chance(0.8) ? r.int(0, 12) : r.int(13, 999));
  const shape = r.int(0, 9);
  let core;
  if (shape === 0) core = part();
  else if (shape === 1) core = `${part()}.${part()}`;
  else if (shape === 2) core = `${part()}.${part()}.${part()}.${part()}`;
  else core = `${part()}.${part()}.${part()}`;
  let v = (r.chance(0.25) ? 'v' : '') + core;
  if (r.chance(0.35)) {
    const tag = r.pick(['rc', 'beta', 'alpha', 'RC', 'pre']);
    v += `-${tag}${r.chance(0.6) ? `.${r.int(0, 12)}` : ''}`;
  }
  if (r.chance(0.1)) v += `+build.${r.int(1, 99)}`;
  return v;
}

// A version near `base`, so equalities and close orderings actually occur.
function nearVersion(r, base) {
  if (base === undefined || r.chance(0.3)) return genVersion(r);
  const roll = r.int(0, 5);
  if (roll === 0) return base;
  if (roll === 1) return base.startsWith('v') ? base.slice(1) : `v${base}`;
  if (roll === 2) return base.replace(/[-+].*$/, '');
  if (roll === 3) return `${base.replace(/[-+].*$/, '')}-rc.${r.int(0, 3)}`;
  if (roll === 4) return base.replace(/\d+/, (d) => String(Math.max(0, Number(d) + r.pick([-1, 1]))));
  return base.replace(/(\d+)(?!.*\d)/, (d) => String(Number(d) + r.pick([0, 1, 10])));
}

function maybe(r, object, key, make) {
  const roll = r.next();
  if (roll < 0.12) return; // missing
  object[key] = roll < 0.15 ? null : make();
}

function genItems(r) {
  const items = [];
  const n = r.int(0, 3);
  for (let i = 0; i < n; i++) {
    const sku = r.pick(['sku-1', 'sku-2', 'SKU-3', genString(r, 4)]);
    const item = { sku, qty: r.int(1, 5), price: genDecimal(r) };
    if (r.chance(0.5)) item.tag = genString(r, 3);
    items.push(item);
  }
  return items;
}

export function generateAttributes(r) {
  const attrs = {};
  maybe(r, attrs, 'name', () => genString(r));
  maybe(r, attrs, 'country', () => r.pick(COUNTRIES));
  maybe(r, attrs, 'prénom', () => genString(r));
  maybe(r, attrs, 'age', () => genInt(r));
  maybe(r, attrs, 'score', () => genDecimal(r));
  maybe(r, attrs, 'vip', () => r.chance(0.5));
  maybe(r, attrs, 'beta', () => r.chance(0.5));
  maybe(r, attrs, 'tags', () => Array.from({ length: r.int(0, 4) }, () => genString(r, 3)));
  maybe(r, attrs, 'nums', () => Array.from({ length: r.int(0, 4) }, () => genNonZero(r)));
  maybe(r, attrs, 'items', () => genItems(r));
  maybe(r, attrs, 'geo', () => {
    const geo = {};
    maybe(r, geo, 'city', () => r.pick(['Wien', 'Berlin', 'Zürich', 'Köln', genString(r)]));
    maybe(r, geo, 'loc', () => {
      const loc = {};
      maybe(r, loc, 'lat', () => genDecimal(r));
      return loc;
    });
    return geo;
  });
  maybe(r, attrs, 'a', () => ({ b: { c: genString(r), d: genInt(r) } }));
  maybe(r, attrs, 'app', () => ({ version: genVersion(r) }));
  maybe(r, attrs, 'os', () => ({ version: genVersion(r) }));
  return attrs;
}

// ---------------------------------------------------------------------------------------
// Path lookup with Attune's rules: object members, decimal indexes into arrays.

const MISSING = Symbol('missing');

export function lookup(doc, path) {
  let current = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(part) || Number(part) >= current.length) return MISSING;
      current = current[Number(part)];
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, part)) {
      current = current[part];
    } else {
      return MISSING;
    }
  }
  return current;
}

// What a path holds across the documents a condition is evaluated over (one attribute set,
// or every element of an array for $elemMatch).
function pathStatus(docs, path) {
  const status = { values: [], anyMissing: false, anyNull: false };
  for (const doc of docs) {
    const v = lookup(doc, path);
    if (v === MISSING) status.anyMissing = true;
    else if (v === null) status.anyNull = true;
    else status.values.push(v);
  }
  status.present = !status.anyMissing && !status.anyNull;
  return status;
}

// ---------------------------------------------------------------------------------------
// Regex patterns: JavaScript-valid (with and without the `u` flag), linear, under 256 bytes.

function escapeRegexChar(c) {
  return REGEX_SYNTAX.has(c) ? `\\${c}` : c;
}

function genRegexAtom(r, subject) {
  const roll = r.int(0, 9);
  if (roll <= 3 && subject) {
    // A piece of the subject, so patterns match often enough to be interesting.
    const chars = [...subject];
    const start = r.int(0, chars.length - 1);
    const piece = chars.slice(start, start + r.int(1, 3));
    return { text: piece.map(escapeRegexChar).join(''), single: piece.length === 1 };
  }
  if (roll <= 4) return { text: escapeRegexChar(r.pick(ALPHABET)), single: true };
  if (roll === 5) {
    if (r.chance(0.5)) return { text: r.pick(['\\d', '\\w', '\\s', '\\D', '\\W', '\\S']), single: true };
    if (r.chance(0.5)) return { text: r.pick(['\\b', '\\B']), single: true, assertion: true };
    const n = r.int(0, 2);
    const text = `${escapeRegexChar(r.pick(ALPHABET))}{${n},${n + r.int(0, 2)}}`;
    return { text, single: false, quantified: true };
  }
  if (roll === 6) return { text: '.', single: true };
  if (roll === 7) {
    const classChars = ALPHABET.filter((c) => c !== '-' && c !== '.' && c !== ' ');
    const inner = r.sample(classChars, r.int(1, 4)).join('');
    return { text: `[${r.chance(0.25) ? '^' : ''}${inner}]`, single: true };
  }
  if (roll === 8) {
    // No range holds a character whose case folding differs with and without the `u` flag
    // on the subjects' alphabet (Ā-ӿ would: /[Ā-ӿ]/iu matches "s" through U+017F ſ).
    const range = r.pick(['a-z', 'A-Z', '0-9', 'a-c', 'à-ÿ', 'Ѐ-ӿ', '一-龥', 'x-z0-9']);
    return { text: `[${r.chance(0.2) ? '^' : ''}${range}]`, single: true };
  }
  const left = genRegexSequence(r, subject, 2);
  const right = genRegexSequence(r, subject, 2);
  return { text: `(${left}|${right})`, single: true };
}

function genRegexSequence(r, subject, maxAtoms) {
  let out = '';
  const n = r.int(1, maxAtoms);
  for (let i = 0; i < n; i++) {
    const atom = genRegexAtom(r, subject);
    // Assertions and counted repetitions take no further quantifier (`\b*` is invalid with `u`).
    const quantifier = atom.assertion || atom.quantified ? '' : r.pick(['', '', '', '*', '+', '?']);
    // A quantifier binds to one character or group; wrap longer literal pieces.
    out += quantifier && !atom.single ? `(${atom.text})${quantifier}` : atom.text + quantifier;
  }
  return out;
}

function genRegex(r, subject) {
  let pattern = genRegexSequence(r, subject, 3);
  if (r.chance(0.15)) pattern += `|${genRegexSequence(r, subject, 2)}`;
  else {
    if (r.chance(0.3)) pattern = `^${pattern}`;
    if (r.chance(0.3)) pattern += '$';
  }
  return pattern;
}

// ---------------------------------------------------------------------------------------
// Operands

function scalarKind(kind) {
  if (kind === 'int' || kind === 'decimal') return 'number';
  if (kind === 'version') return 'string';
  return kind;
}

// A value of the path's kind, biased toward the values actually present.
function operandFor(r, kind, status) {
  const seen = status.values.filter((v) => typeof v !== 'object');
  if (seen.length && r.chance(0.45)) {
    const v = r.pick(seen);
    if (typeof v === 'number' && r.chance(0.3)) return v + r.pick([-1, 1, 0.5, -0.25]);
    return v;
  }
  if (kind === 'string') return r.chance(0.3) ? r.pick(COUNTRIES) : genString(r);
  if (kind === 'version') return nearVersion(r, seen[0]);
  if (kind === 'int') return genInt(r);
  if (kind === 'decimal') return genDecimal(r);
  if (kind === 'bool') return r.chance(0.5);
  throw new Error(`no scalar operand for kind ${kind}`);
}

// Never 0, "" or false as an equality operand (Attune: a missing value never equals them).
function safeEqOperand(r, kind, status) {
  for (let i = 0; i < 10; i++) {
    const v = operandFor(r, kind, status);
    if (v !== 0 && v !== '' && (kind !== 'bool' || status.present || v !== false)) return v;
  }
  return kind === 'bool' ? true : kind === 'string' || kind === 'version' ? 'zz' : 42;
}

function operandList(r, kind, status, maxLen = 4) {
  const list = [];
  const n = r.chance(0.08) ? 0 : r.int(1, maxLen);
  for (let i = 0; i < n; i++) list.push(safeEqOperand(r, kind, status));
  // A value of another type never matches, in either engine ($in compares strictly).
  if (r.chance(0.1)) list.push(scalarKind(kind) === 'number' ? 'x' : 5);
  return list;
}

function elementKind(kind) {
  return kind === 'strings' ? 'string' : 'decimal';
}

// Element values of an array path, for $in/$all operands that actually hit.
function arrayStatus(status) {
  const values = status.values.filter(Array.isArray).flat();
  return { values, present: true, anyMissing: false, anyNull: false };
}

// ---------------------------------------------------------------------------------------
// Operator objects

// Operator names usable for a path of `kind` given what the path holds.
function operatorsFor(kind, status, options) {
  const common = ['$exists', '$type', '$in', '$nin', '$not'];
  if (kind === 'strings' || kind === 'numbers') return [...common, '$all', '$size', '$elemMatch'];
  if (kind === 'items') return ['$exists', '$type', '$size', '$elemMatch', '$not'];
  if (kind === 'object') return ['$exists', '$type', '$not'];
  const ops = [...common, '$eq', '$ne'];
  // Ordering, regexes and versions on a missing value: GrowthBook compares null (null < 5,
  // /nu/.test(null), "0" as a version); Attune says false. Only where the value is there.
  if (status.present) {
    if (kind !== 'bool') ops.push('$lt', '$lte', '$gt', '$gte');
    if (kind === 'string' || kind === 'version') ops.push('$regex', '$regex');
    if (kind === 'version') ops.push('$veq', '$vne', '$vgt', '$vgte', '$vlt', '$vlte', '$vgt', '$vlt');
  }
  // $size of something that is not an array is false in both engines.
  if (kind === 'string') ops.push('$size');
  return ops;
}

function genOperator(r, op, kind, status, depth, options) {
  switch (op) {
    case '$exists':
      return { $exists: r.chance(0.5) };
    case '$type': {
      // GrowthBook reports a missing value as "null"; Attune's $type matches nothing there.
      const names = status.anyMissing ? TYPE_NAMES.filter((t) => t !== 'null') : TYPE_NAMES;
      const natural = {
        strings: 'array',
        numbers: 'array',
        items: 'array',
        object: 'object',
        bool: 'boolean',
      };
      return { $type: r.chance(0.5) ? natural[kind] || scalarKind(kind) : r.pick(names) };
    }
    case '$eq':
    case '$ne':
      return { [op]: safeEqOperand(r, kind, status) };
    case '$lt':
    case '$lte':
    case '$gt':
    case '$gte':
      return { [op]: operandFor(r, kind, status) };
    case '$in':
    case '$nin': {
      if (kind === 'strings' || kind === 'numbers') {
        return { [op]: operandList(r, elementKind(kind), arrayStatus(status)) };
      }
      return { [op]: operandList(r, kind, status) };
    }
    case '$all': {
      const list = operandList(r, elementKind(kind), arrayStatus(status), 3);
      if (list.length === 0) list.push(safeEqOperand(r, elementKind(kind), arrayStatus(status)));
      return { $all: list };
    }
    case '$size': {
      const lengths = status.values.filter(Array.isArray).map((a) => a.length);
      const n = lengths.length && r.chance(0.6) ? r.pick(lengths) : r.int(0, 4);
      if (options.sizeOperators && r.chance(0.3)) return { $size: { [r.pick(['$gt', '$lte'])]: n } };
      return { $size: n };
    }
    case '$elemMatch': {
      if (kind === 'items') {
        const elements = status.values.filter(Array.isArray).flat();
        return { $elemMatch: genCondition(r, elements, ITEM_PATHS, depth + 1, options, true) };
      }
      const element = arrayStatus(status);
      const ek = elementKind(kind);
      const ops = ['$eq', '$ne', '$in', '$nin', '$lt', '$lte', '$gt', '$gte', '$type'];
      if (ek === 'string') ops.push('$regex');
      if (depth + 1 < options.maxDepth) ops.push('$not');
      return { $elemMatch: genOperatorObject(r, ops, ek, element, depth + 1, options) };
    }
    case '$regex': {
      const subject = status.values.length ? r.pick(status.values) : undefined;
      const pattern = genRegex(r, typeof subject === 'string' ? subject : undefined);
      if (options.regexOptions && r.chance(0.3)) return { $regex: pattern, $options: 'i' };
      return { $regex: pattern };
    }
    case '$veq':
    case '$vne':
    case '$vgt':
    case '$vgte':
    case '$vlt':
    case '$vlte':
      return { [op]: nearVersion(r, status.values[0]) };
    case '$not': {
      const nested = depth + 1 < options.maxDepth;
      const ops = operatorsFor(kind, status, options).filter((o) => o !== '$not' || nested);
      return { $not: genOperatorObject(r, ops, kind, status, depth + 1, options) };
    }
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

// One to three operators in one object (all must hold).
function genOperatorObject(r, ops, kind, status, depth, options) {
  const out = {};
  const n = r.chance(0.7) ? 1 : r.int(2, 3);
  for (let i = 0; i < n; i++) {
    const op = r.pick(ops);
    if (op in out || (op === '$not' && depth >= options.maxDepth)) continue;
    Object.assign(out, genOperator(r, op, kind, status, depth, options));
  }
  if (Object.keys(out).length === 0) {
    Object.assign(out, genOperator(r, '$exists', kind, status, depth, options));
  }
  return out;
}

// The value for one path: a direct value (equality) or an operator object.
function genPathValue(r, kind, status, depth, options) {
  const scalar = !['strings', 'numbers', 'items', 'object'].includes(kind);
  if (scalar && r.chance(0.25)) return safeEqOperand(r, kind, status);
  return genOperatorObject(r, operatorsFor(kind, status, options), kind, status, depth, options);
}

// ---------------------------------------------------------------------------------------
// Conditions

// An implicit AND of paths and logical operators over `docs` (all evaluated the same way).
// `needsPath`: the condition must contain a path key, because GrowthBook reads an
// $elemMatch object made only of `$` keys as an operator object, not as a condition.
function genCondition(r, docs, paths, depth, options, needsPath = false) {
  const cond = {};
  const n = r.chance(0.5) ? 1 : r.int(2, depth >= 3 ? 2 : 3);
  for (let i = 0; i < n; i++) {
    const logical = depth < options.maxDepth && r.chance(0.25) && !(needsPath && i === 0);
    if (logical) {
      const ops = ['$and', '$or', '$nor'];
      if (options.topLevelNot) ops.push('$not');
      const op = r.pick(ops);
      if (op in cond) continue;
      if (op === '$not') {
        cond.$not = genCondition(r, docs, paths, depth + 1, options);
      } else {
        const length = r.int(1, 3);
        cond[op] = Array.from({ length }, () => genCondition(r, docs, paths, depth + 1, options));
      }
      continue;
    }
    const [path, kind] = r.pick(paths);
    if (path in cond) continue;
    cond[path] = genPathValue(r, kind, pathStatus(docs, path), depth, options);
  }
  if (needsPath && !Object.keys(cond).some((k) => !k.startsWith('$'))) {
    const [path, kind] = paths[0];
    cond[path] = genPathValue(r, kind, pathStatus(docs, path), depth, options);
  }
  return cond;
}

export function generateCase(r, options = DEFAULT_OPTIONS) {
  const attributes = generateAttributes(r);
  const condition = genCondition(r, [attributes], ROOT_PATHS, 0, { ...DEFAULT_OPTIONS, ...options });
  return { condition, attributes };
}

export function generateCases(seed, count, options = DEFAULT_OPTIONS) {
  const r = new Rng(seed);
  return Array.from({ length: count }, () => generateCase(r, options));
}
