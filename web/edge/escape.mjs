// Escaping for each place the edge writes decided content into HTML. Content is text
// (SPEC §5): a marketer's template filled with visitor values (a name, a trait, a city), and
// any of those may be hostile. Each context gets its own rule:
//   text        setInnerContent(cleanText(v), {html: false}): HTMLRewriter escapes & < >
//   attribute   escapeAttribute(cleanText(v)) — HTMLRewriter's setAttribute escapes only
//               the double quote and writes the rest verbatim, so & (and < > ') are ours
//   URL attr    urlAttributeValue(): http(s), mailto, tel and relative only; null = refuse
//   script data scriptJson(): JSON whose every non-ASCII and < > & is a \u escape

// C0/C1 controls (tab and line breaks stay), bidi embeddings, overrides and isolates: a
// visitor's name must not reverse or hide the marketer's text around it. Direction is set
// on the placement element (dir) instead.
const UNSAFE_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source);  // not global: no lastIndex state
// Anything either rule above could change (every surrogate, paired or not): one scan of a
// value that needs no cleaning — nearly every value — instead of two replacing passes.
const MAY_NEED_CLEANING = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/;

export function cleanText(value) {
  const text = typeof value === 'string' ? value : String(value);
  if (!MAY_NEED_CLEANING.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(UNSAFE_TEXT, '');
}

const ATTRIBUTE_ESCAPES = { '&': '&amp;', '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };
const ATTRIBUTE_SPECIAL = /[&"'<>]/;

export function escapeAttribute(text) {
  return ATTRIBUTE_SPECIAL.test(text) ? text.replace(/[&"'<>]/g, (c) => ATTRIBUTE_ESCAPES[c]) : text;
}

// Attributes whose value the browser resolves as a URL (a fetch, a navigation, a form
// target). Lower-case names, as HTMLRewriter reports them.
export const URL_ATTRIBUTES = new Set([
  'href', 'src', 'action', 'formaction', 'poster', 'cite', 'background', 'longdesc', 'data',
  'codebase', 'manifest', 'icon', 'lowsrc', 'dynsrc', 'usemap', 'archive', 'classid',
  'profile', 'xlink:href', 'ping', 'srcset', 'imagesrcset', 'itemtype', 'itemid',
]);
const URL_LISTS = new Set(['srcset', 'imagesrcset']);  // "url descriptor, url descriptor"
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);

// Characters a URL must not carry once its ends are trimmed: controls, any whitespace (the
// URL parser drops tabs and newlines, which is how "java\tscript:" works), zero-width and
// bidi format characters (which make a URL read as something else), and the replacement
// character left by broken encodings.
const URL_TRICKS = /[\u0000-\u001F\u007F-\u009F\s\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\uFFFD]/;
const ASCII_EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;

// The value to write, or null when the URL is refused (the attribute then keeps what the
// origin had).
export function urlAttributeValue(name, raw) {
  const value = cleanTextForUrl(raw);
  if (value === null) return null;
  if (URL_LISTS.has(name)) {
    const candidates = value.split(',');
    for (const candidate of candidates) {
      const url = candidate.trim().split(/[ \t\n\f\r]+/)[0];
      if (!safeUrl(url)) return null;
    }
    return value;
  }
  if (name === 'ping') {
    for (const url of value.split(/[ \t\n\f\r]+/)) if (!safeUrl(url)) return null;
    return value;
  }
  return safeUrl(value) ? value : null;
}

function cleanTextForUrl(raw) {
  const value = String(raw).replace(ASCII_EDGES, '');
  return value === '' || HAS_LONE_SURROGATE.test(value) ? null : value;
}

function safeUrl(url) {
  if (url === '' || URL_TRICKS.test(url)) return false;
  // A scheme is whatever precedes the first ':' if no '/', '?' or '#' comes before it.
  const end = url.search(/[/?#]/);
  const head = end < 0 ? url : url.slice(0, end);
  const colon = head.indexOf(':');
  if (colon < 0) return true;  // relative: same site
  const scheme = head.slice(0, colon);
  return /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme) && SAFE_SCHEMES.has(scheme.toLowerCase());
}

// JSON for a <script type="application/json"> element: nothing in it can end the element
// (</script>), open a comment (<!--) or depend on the page's charset.
export function scriptJson(value) {
  return scriptSafe(JSON.stringify(value));
}

// Runs of characters to escape; within a run, each UTF-16 unit becomes its \uXXXX escape
// (kept once made: a page's payloads use the same few hundred characters over and over).
const SCRIPT_UNSAFE_RUN = /[^\u0020-\u007E]+|[<>&]/g;
const unitEscapes = new Map();
const MAX_UNIT_ESCAPES = 4096;

function escapeRun(run) {
  let out = '';
  for (let i = 0; i < run.length; i++) {
    const unit = run.charCodeAt(i);
    let escaped = unitEscapes.get(unit);
    if (escaped === undefined) {
      escaped = `\\u${unit.toString(16).padStart(4, '0')}`;
      if (unitEscapes.size < MAX_UNIT_ESCAPES) unitEscapes.set(unit, escaped);
    }
    out += escaped;
  }
  return out;
}

// Compact JSON text (no whitespace between tokens, as JSON.stringify and the engine write it)
// with every character outside printable ASCII, and < > &, as a \uXXXX escape: such
// characters can only be inside its strings, where the escape means the same character.
export function scriptSafe(json) {
  return json.replace(SCRIPT_UNSAFE_RUN, escapeRun);
}
