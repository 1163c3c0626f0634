// What may be written where, when decided content goes into a page's markup: the rules the
// browser's DOM helper (web/dom.mjs) follows, the same ones the edge worker applies while
// rewriting (docs/EDGE.md "Page markup"). Content is text (SPEC §5): a marketer's template
// filled with visitor values, any of which may be hostile. Pure functions, no DOM.
//
//   <section data-attune-placement="hero">          gets data-attune-campaign/-variant, lang, dir
//     <h1 data-attune-field="headline">Default</h1>   its text becomes the field
//     <a data-attune-attr="href:url,title:cta" …>     attributes from fields; URLs checked

// Elements whose content is not parsed as text (writing into them would not mean what it
// says: a <script>'s text runs) or that have no content at all.
export const NO_TEXT_ELEMENTS = new Set([
  'script', 'style', 'iframe', 'noembed', 'noframes', 'noscript', 'xmp', 'plaintext', 'template',
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track',
  'wbr', 'param', 'keygen', 'frame', 'object', 'svg', 'math',
]);

// Elements whose attributes load or run something beyond a link or an image, and SVG
// elements that can rewrite another element's attributes (an <animate> or <set> turning an
// href into javascript:) or pull in foreign markup (<use>, <foreignObject>).
const NO_ATTRIBUTE_ELEMENTS = new Set([
  'script', 'style', 'base', 'meta', 'link', 'object', 'embed', 'applet', 'iframe', 'frame',
  'frameset', 'template', 'animate', 'set', 'animatetransform', 'animatemotion', 'use',
  'foreignobject', 'handler', 'listener', 'svg', 'math',
]);

const ATTRIBUTE_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_ATTRIBUTE_PAIRS = 16;
export const LOCALE = /^[A-Za-z0-9-]{1,35}$/;

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

// Attributes whose value the browser resolves as a URL (a fetch, a navigation, a form
// target). Lower-case names.
export const URL_ATTRIBUTES = new Set([
  'href', 'src', 'action', 'formaction', 'poster', 'cite', 'background', 'longdesc', 'data',
  'codebase', 'manifest', 'icon', 'lowsrc', 'dynsrc', 'usemap', 'archive', 'classid',
  'profile', 'xlink:href', 'ping', 'srcset', 'imagesrcset', 'itemtype', 'itemid',
]);
const URL_LISTS = new Set(['srcset', 'imagesrcset']);  // "url descriptor, url descriptor"
const SAFE_SCHEMES = new Set(['http', 'https', 'mailto', 'tel']);
const SRCSET_DESCRIPTOR = /^(?:\d+w|\d+(?:\.\d+)?x)$/;

// Characters a URL must not carry once its ends are trimmed: controls, any whitespace (the
// URL parser drops tabs and newlines, which is how "java\tscript:" works), zero-width and
// bidi format characters (which make a URL read as something else), and the replacement
// character left by broken encodings.
const URL_TRICKS = /[\u0000-\u001F\u007F-\u009F\s\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\uFFFD]/;
const ASCII_EDGES = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;

// The value to write, or null when the URL is refused (the attribute then keeps what the
// page had). A URL is checked as given: a control or format character inside it is a reason
// to refuse, not something to clean away into a different URL.
export function urlAttributeValue(name, raw) {
  const value = String(raw).replace(ASCII_EDGES, '');
  if (value === '' || HAS_LONE_SURROGATE.test(value)) return null;
  if (URL_LISTS.has(name)) {
    // "url [descriptor], url [descriptor]": each URL checked, each descriptor a width or a
    // density, so no text can hide after a whitespace the URL check does not see.
    for (const candidate of value.split(',')) {
      const [url, descriptor, extra] = candidate.trim().split(/[ \t\n\f\r]+/);
      if (!safeUrl(url) || extra !== undefined) return null;
      if (descriptor !== undefined && !SRCSET_DESCRIPTOR.test(descriptor)) return null;
    }
    return value;
  }
  if (name === 'ping') {
    for (const url of value.split(/[ \t\n\f\r]+/)) if (!safeUrl(url)) return null;
    return value;
  }
  return safeUrl(value) ? value : null;
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

// Why an attribute may not be written on an element ('' when it may).
export function refusedAttribute(tag, name) {
  if (!ATTRIBUTE_NAME.test(name)) return `attribute name "${clip(name)}" refused`;
  if (NO_ATTRIBUTE_ELEMENTS.has(tag)) return `attributes of <${tag}> are not written`;
  if (name.startsWith('on')) return `event handler attribute ${name} refused`;
  if (name === 'style' || name === 'srcdoc' || name === 'http-equiv' || name === 'is'
    || name === 'attributename' || name.startsWith('data-attune-')) {
    return `attribute ${name} refused`;
  }
  return '';
}

// "href:url, title:headline" → [["href", "url"], ["title", "headline"]]; the last ':' splits,
// so "xlink:href:url" names xlink:href.
export function parsePairs(spec) {
  const pairs = [];
  if (typeof spec !== 'string') return pairs;
  for (const part of spec.split(',')) {
    const at = part.lastIndexOf(':');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim().toLowerCase();
    const field = part.slice(at + 1).trim();
    if (name && FIELD_NAME.test(field)) pairs.push([name, field]);
    if (pairs.length === MAX_ATTRIBUTE_PAIRS) break;
  }
  return pairs;
}

// A content field as text, or null when the content has no such text field.
export function fieldValue(content, field) {
  if (!content || typeof content !== 'object') return null;
  if (typeof field !== 'string' || !FIELD_NAME.test(field)) return null;
  if (!Object.hasOwn(content, field)) return null;
  const value = content[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

// The text an attribute gets from a field's value, or {refused} with the reason.
export function attributeText(tag, name, value) {
  const why = refusedAttribute(tag, name);
  if (why) return { refused: why };
  if (!URL_ATTRIBUTES.has(name)) return { text: cleanText(value) };
  const url = urlAttributeValue(name, value);
  return url === null ? { refused: `${name} is not an http(s), mailto, tel or relative URL` } : { text: url };
}

export function clip(text) {
  const s = String(text);
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
