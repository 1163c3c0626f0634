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

import { LOCALE, NO_TEXT_ELEMENTS, attributeText, cleanText, clip, fieldValue, parsePairs } from '../lib/markup.mjs';
import { escapeAttribute } from './escape.mjs';

// Which elements and attributes may be written, and how a URL is checked, are the DOM
// helper's rules (web/lib/markup.mjs): the edge and the browser write a page alike.

// What depends only on the page's markup (a data-attune-attr value, a field name) is the same
// on every request for that page: it is worked out once per isolate and kept, bounded in
// entries and in key length.
const MAX_CACHED = 512;
const MAX_CACHED_KEY = 256;
const attributeSpecs = new Map();  // data-attune-attr value → [[name, field], ...]
const selectors = new Map();  // placement id → its three selectors

function remember(cache, key, value) {
  if (typeof key === 'string' && key.length > MAX_CACHED_KEY) return value;
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, value);
  return value;
}

// The rewriter for one response: rewriter.transform(response) streams it.
export function htmlRewriter(decisions, payloadMarkup) {
  const report = { refused: [] };
  const rewriter = new HTMLRewriter();
  for (const d of decisions) {
    if (!d.content || typeof d.content !== 'object') continue;  // nothing decided: origin markup stays
    const scoped = selectorsFor(d.placement);
    try {
      const placement = new Placement(d, report);
      rewriter.on(scoped.placement, { element: (el) => placement.placementElement(el) });
      rewriter.on(scoped.field, { element: (el) => placement.fieldElement(el) });
      rewriter.on(scoped.attr, { element: (el) => placement.attributeElement(el) });
    } catch (e) {
      report.refused.push(`${d.placement}: no selector for this id (${message(e)})`);
    }
  }
  injectPayload(rewriter, payloadMarkup, report);
  return rewriter;
}

function selectorsFor(id) {
  const known = selectors.get(id);
  if (known !== undefined) return known;
  const scope = `[data-attune-placement="${cssString(id)}"]`;
  return remember(selectors, id, { placement: scope, field: `${scope} [data-attune-field]`, attr: `${scope} [data-attune-attr]` });
}

// One placement's decision as the handlers write it. Each handler catches everything: an
// exception inside one would cut the page off mid-stream.
class Placement {
  constructor(d, report) {
    this.d = d;
    this.report = report;
  }

  placementElement(el) {
    try {
      const d = this.d;
      if (typeof d.campaign === 'string') el.setAttribute('data-attune-campaign', escapeAttribute(cleanText(d.campaign)));
      if (typeof d.variant === 'string') el.setAttribute('data-attune-variant', escapeAttribute(cleanText(d.variant)));
      if (d.holdout === true) el.setAttribute('data-attune-holdout', 'true');
      if (typeof d.locale === 'string' && LOCALE.test(d.locale)) el.setAttribute('lang', d.locale);
      if (d.dir === 'rtl' || d.dir === 'ltr') el.setAttribute('dir', d.dir);
      // hasAttribute first: a placement element is rarely a field itself, and asking is
      // cheaper than reading.
      if (el.hasAttribute('data-attune-field')) this.fill(el, el.getAttribute('data-attune-field'));
      if (el.hasAttribute('data-attune-attr')) this.setAttributes(el, el.getAttribute('data-attune-attr'));
    } catch (e) {
      this.refuse(message(e));
    }
  }

  fieldElement(el) {
    try {
      this.fill(el, el.getAttribute('data-attune-field'));
    } catch (e) {
      this.refuse(message(e));
    }
  }

  attributeElement(el) {
    try {
      this.setAttributes(el, el.getAttribute('data-attune-attr'));
    } catch (e) {
      this.refuse(message(e));
    }
  }

  fill(el, field) {
    const value = fieldValue(this.d.content, field);
    if (value === null) return;  // no such field in this content: the origin's text stays
    const tag = el.tagName.toLowerCase();
    if (NO_TEXT_ELEMENTS.has(tag)) {
      this.refuse(`field "${clip(field)}" not written into <${tag}>`);
      return;
    }
    el.setInnerContent(cleanText(value), { html: false });
  }

  setAttributes(el, spec) {
    let tag = null;
    for (const [name, field] of attributePairs(spec)) {
      const value = fieldValue(this.d.content, field);
      if (value === null) continue;
      tag ??= el.tagName.toLowerCase();
      const written = attributeText(tag, name, value);
      if (written.refused !== undefined) {
        this.refuse(`${written.refused} (field "${clip(field)}")`);
        continue;
      }
      el.setAttribute(name, escapeAttribute(written.text));
    }
  }

  refuse(why) {
    this.report.refused.push(`${this.d.placement}: ${why}`);
  }
}

// parsePairs of a data-attune-attr value, kept per value (pages repeat them on every request).
function attributePairs(spec) {
  const known = attributeSpecs.get(spec);
  if (known !== undefined) return known;
  return remember(attributeSpecs, spec, Object.freeze(parsePairs(spec)));
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

// A CSS string body: placement ids come from the config, but a quote or backslash in one
// must not break the selector.
function cssString(text) {
  return String(text).replace(/["\\]/g, '\\$&').replace(/[\n\r\f]/g, ' ');
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}
