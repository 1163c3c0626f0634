// Streams the origin's HTML through HTMLRewriter, putting each decision into the page's
// markup (docs/EDGE.md "Page markup"):
//
//   <section data-attune-placement="hero">          gets data-attune-campaign/-variant, lang, dir
//     <h1 data-attune-field="headline">Default</h1>   its text becomes the field, escaped
//     <a data-attune-attr="href:url,title:cta" …>     attributes from fields, escaped; URLs checked
//   </section>
//
// A placement whose decision has no content keeps the origin's markup. A field or attribute
// that cannot be written safely (a raw-text element, an event-handler attribute, a
// javascript: URL) is left as the origin had it and reported once per response. Handlers
// never throw: an exception inside one would cut the page off mid-stream.

import { URL_ATTRIBUTES, cleanText, escapeAttribute, urlAttributeValue } from './escape.mjs';

// Elements whose content is not parsed as text (escaping would not mean what it says) or
// that have no content at all.
const NO_TEXT_ELEMENTS = new Set([
  'script', 'style', 'iframe', 'noembed', 'noframes', 'noscript', 'xmp', 'plaintext', 'template',
  'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track',
  'wbr', 'param', 'keygen', 'frame', 'object', 'svg', 'math',
]);
// Elements whose attributes load or run something beyond a link or an image.
const NO_ATTRIBUTE_ELEMENTS = new Set([
  'script', 'style', 'base', 'meta', 'link', 'object', 'embed', 'applet', 'iframe', 'frame',
  'frameset', 'template',
]);
const ATTRIBUTE_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;
const FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_ATTRIBUTE_PAIRS = 16;
const LOCALE = /^[A-Za-z0-9-]{1,35}$/;

// The rewriter for one response: rewriter.transform(response) streams it.
export function htmlRewriter(decisions, payloadMarkup) {
  const report = { refused: [] };
  const rewriter = new HTMLRewriter();
  for (const d of decisions) {
    if (!d.content || typeof d.content !== 'object') continue;  // nothing decided: origin markup stays
    const scope = `[data-attune-placement="${cssString(d.placement)}"]`;
    try {
      rewriter.on(scope, { element: guarded(report, d, (el) => placementElement(el, d, report)) });
      rewriter.on(`${scope} [data-attune-field]`, { element: guarded(report, d, (el) => fillField(el, d, report)) });
      rewriter.on(`${scope} [data-attune-attr]`, { element: guarded(report, d, (el) => setAttributes(el, d, report)) });
    } catch (e) {
      report.refused.push(`${d.placement}: no selector for this id (${message(e)})`);
    }
  }
  injectPayload(rewriter, payloadMarkup, report);
  return rewriter;
}

function placementElement(el, d, report) {
  if (typeof d.campaign === 'string') el.setAttribute('data-attune-campaign', escapeAttribute(cleanText(d.campaign)));
  if (typeof d.variant === 'string') el.setAttribute('data-attune-variant', escapeAttribute(cleanText(d.variant)));
  if (d.holdout === true) el.setAttribute('data-attune-holdout', 'true');
  if (typeof d.locale === 'string' && LOCALE.test(d.locale)) el.setAttribute('lang', d.locale);
  if (d.dir === 'rtl' || d.dir === 'ltr') el.setAttribute('dir', d.dir);
  if (el.hasAttribute('data-attune-field')) fillField(el, d, report);
  if (el.hasAttribute('data-attune-attr')) setAttributes(el, d, report);
}

function fillField(el, d, report) {
  const field = el.getAttribute('data-attune-field');
  const value = fieldValue(d, field);
  if (value === null) return;  // no such field in this content: the origin's text stays
  const tag = el.tagName.toLowerCase();
  if (NO_TEXT_ELEMENTS.has(tag)) {
    report.refused.push(`${d.placement}: field "${clip(field)}" not written into <${tag}>`);
    return;
  }
  el.setInnerContent(cleanText(value), { html: false });
}

function setAttributes(el, d, report) {
  const tag = el.tagName.toLowerCase();
  const pairs = parsePairs(el.getAttribute('data-attune-attr'));
  for (const [name, field] of pairs) {
    const value = fieldValue(d, field);
    if (value === null) continue;
    const why = refusedAttribute(tag, name);
    if (why) {
      report.refused.push(`${d.placement}: ${why}`);
      continue;
    }
    // A URL is checked as given: a control or format character inside it is a reason to
    // refuse, not something to clean away into a different URL.
    const text = URL_ATTRIBUTES.has(name) ? urlAttributeValue(name, value) : cleanText(value);
    if (text === null) {
      report.refused.push(`${d.placement}: ${name} from "${clip(field)}" is not an http(s), mailto, tel or relative URL`);
      continue;
    }
    el.setAttribute(name, escapeAttribute(text));
  }
}

function refusedAttribute(tag, name) {
  if (!ATTRIBUTE_NAME.test(name)) return `attribute name "${clip(name)}" refused`;
  if (NO_ATTRIBUTE_ELEMENTS.has(tag)) return `attributes of <${tag}> are not written`;
  if (name.startsWith('on')) return `event handler attribute ${name} refused`;
  if (name === 'style' || name === 'srcdoc' || name === 'http-equiv' || name.startsWith('data-attune-')) {
    return `attribute ${name} refused`;
  }
  return '';
}

// "href:url, title:headline" → [["href", "url"], ["title", "headline"]]; the last ':' splits,
// so "xlink:href:url" names xlink:href.
function parsePairs(spec) {
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

function fieldValue(d, field) {
  if (typeof field !== 'string' || !FIELD_NAME.test(field)) return null;
  if (!Object.hasOwn(d.content, field)) return null;
  const value = d.content[field];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

// The payload goes at the end of <head> (after any <meta charset>, which must stay within the
// first 1,024 bytes, and before the page's own scripts in <body>); without an explicit
// </head>, at the start of <body>; without either, at the end of the document.
function injectPayload(rewriter, markup, report) {
  let placed = false;
  const place = (target, how) => {
    if (placed) return;
    placed = true;
    target[how](markup, { html: true });
  };
  rewriter.on('head', {
    element(el) {
      try {
        el.onEndTag((end) => {
          try {
            place(end, 'before');
          } catch (e) {
            report.refused.push(`payload not injected: ${message(e)}`);
          }
        });
      } catch {
        // No end tag possible: the body or the document end takes it.
      }
    },
  });
  rewriter.on('body', {
    element(el) {
      try {
        place(el, 'prepend');
      } catch (e) {
        report.refused.push(`payload not injected: ${message(e)}`);
      }
    },
  });
  rewriter.onDocument({
    end(end) {
      try {
        place(end, 'append');
      } catch (e) {
        report.refused.push(`payload not injected: ${message(e)}`);
      }
      if (report.refused.length) {
        const shown = report.refused.slice(0, 5).join('; ');
        const more = report.refused.length > 5 ? `; and ${report.refused.length - 5} more` : '';
        console.warn(`attune-edge: kept the origin's markup: ${shown}${more}`);
      }
    },
  });
}

function guarded(report, d, handle) {
  return (el) => {
    try {
      handle(el);
    } catch (e) {
      report.refused.push(`${d.placement}: ${message(e)}`);
    }
  };
}

// A CSS string body: placement ids come from the config, but a quote or backslash in one
// must not break the selector.
function cssString(text) {
  return String(text).replace(/["\\]/g, '\\$&').replace(/[\n\r\f]/g, ' ');
}

function clip(text) {
  const s = String(text);
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}
