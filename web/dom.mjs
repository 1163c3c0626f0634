// The DOM helper: fills a page's declarative placements from a browser runtime
// (createAttune), with the markup rules the edge worker uses (web/lib/markup.mjs):
//
//   <section data-attune-placement="hero">              lang, dir, data-attune-campaign/-variant
//     <h1 data-attune-field="headline">Default</h1>       textContent = the field
//     <a data-attune-attr="href:url" data-attune-field="cta">…</a>   attributes from fields
//     <button data-attune-dismiss>×</button>              dismisses (hides the placement)
//   </section>
//   <ul data-attune-placement="recs"><li data-attune-item>…fields…</li></ul>   one per item
//
//   const view = await renderPlacements(rt, { impressions: 'visible' });
//
// Text goes in through textContent and attributes through setAttribute, never as markup; a
// field that cannot be written safely (into a <script>, an event handler, a javascript: URL)
// leaves the page's own markup and is listed in view.problems. A placement without decided
// content keeps its markup: that markup is the default. Nothing here throws.

import { LOCALE, NO_TEXT_ELEMENTS, attributeText, cleanText, clip, fieldValue, parsePairs } from './lib/markup.mjs';

const PLACEMENT = 'data-attune-placement';
const MAX_PROBLEMS = 100;
const VISIBLE_SHARE = 0.5;  // an impression: half of the placement on screen

// Per element, whichever view rendered it last: its markup before any view touched it (the
// default), and what its click listener reports on. Module-wide, so a second
// renderPlacements() on the same page restores the page's own markup, not the first view's.
const originals = new WeakMap();
const reportsTo = new WeakMap();  // element → {rt, token}
const listening = new WeakSet();

// rt: a createAttune runtime. options: {root = document, impressions = 'visible' | 'render' |
// 'none', overrides} — 'visible' reports the impression when half the placement is on screen
// (IntersectionObserver; at once where there is none), 'render' counts it as the content is
// written (rt.show: exact caps across tabs), 'none' leaves reporting to the page.
// Resolves to {decisions, problems, refresh(), disconnect()} or {error}.
export async function renderPlacements(rt, options = {}) {
  const settings = readOptions(rt, options);
  if (settings.error) return { error: settings.error };
  const view = new PlacementView(rt, settings);
  await view.refresh();
  return view.api;
}

function readOptions(rt, options) {
  if (!rt || typeof rt.decidePage !== 'function' || typeof rt.show !== 'function') {
    return { error: 'rt: must be a runtime from createAttune' };
  }
  if (!options || typeof options !== 'object') return { error: 'options: must be an object' };
  const root = options.root === undefined ? globalThis.document : options.root;
  if (!root || typeof root.querySelectorAll !== 'function') return { error: 'root: must be a document or an element' };
  const impressions = options.impressions === undefined ? 'visible' : options.impressions;
  if (!['visible', 'render', 'none'].includes(impressions)) {
    return { error: "impressions: must be 'visible', 'render' or 'none'" };
  }
  return { root, impressions, overrides: options.overrides };
}

class PlacementView {
  constructor(rt, settings) {
    this.rt = rt;
    this.settings = settings;
    this.decisions = new Map();
    this.problems = [];
    this.observer = null;
    this.api = Object.freeze({
      decisions: this.decisions,
      problems: this.problems,
      refresh: () => this.refresh(),
      disconnect: () => this.disconnect(),
    });
  }

  // Decides again (after a consent change, a tracked event…) and re-renders from each
  // placement's original markup, so withdrawn personalisation disappears.
  async refresh() {
    try {
      this.stopObserving();
      this.problems.length = 0;
      const elements = [...this.settings.root.querySelectorAll(`[${PLACEMENT}]`)];
      const ids = [...new Set(elements.map((el) => el.getAttribute(PLACEMENT)))];
      this.decisions.clear();
      for (const [id, decision] of await this.decide(ids)) this.decisions.set(id, decision);
      for (const el of elements) this.render(el, this.decisions.get(el.getAttribute(PLACEMENT)));
      return { ok: true };
    } catch (e) {
      return { error: `renderPlacements: ${e && e.message ? e.message : String(e)}` };
    }
  }

  async decide(ids) {
    const out = new Map();
    const { rt, settings } = this;
    if (settings.impressions === 'render') {
      // One at a time under the runtime's cross-tab lock: each shown campaign is counted
      // before the next placement is decided.
      for (const id of ids) {
        const decision = await rt.show(id, settings.overrides);
        // show() counts the decision's own token, which is the first item's; the rest here.
        for (const item of Array.isArray(decision.items) ? decision.items : []) {
          if (typeof item.token === 'string' && item.token !== decision.token) rt.impression(item.token);
        }
        out.set(id, decision);
      }
      return out;
    }
    const page = rt.decidePage(settings.overrides);
    const byId = new Map(Array.isArray(page.decisions) ? page.decisions.map((d) => [d.placement, d]) : []);
    for (const id of ids) out.set(id, byId.get(id) || { error: page.error || `unknown placement "${clip(id)}"` });
    return out;
  }

  render(el, decision) {
    if (!originals.has(el)) originals.set(el, el.cloneNode(true));
    else restore(el, originals.get(el));
    reportsTo.delete(el);
    if (!decision || decision.error) {
      if (decision && decision.error) this.problem(`${el.getAttribute(PLACEMENT)}: ${decision.error}`);
      return;
    }
    const placement = decision.placement;
    if (Array.isArray(decision.items)) {
      this.renderItems(el, decision);
    } else if (decision.content && typeof decision.content === 'object') {
      this.markPlacement(el, decision);
      this.fill(el, decision.content, placement);
    } else {
      return;  // nothing decided: the page's own markup is the default
    }
    this.listen(el, decision.token);
    if (this.settings.impressions === 'visible') this.observe(el, decision);
  }

  markPlacement(el, d) {
    if (typeof d.campaign === 'string') el.setAttribute('data-attune-campaign', cleanText(d.campaign));
    if (typeof d.variant === 'string') el.setAttribute('data-attune-variant', cleanText(d.variant));
    if (d.holdout === true) el.setAttribute('data-attune-holdout', 'true');
    if (typeof d.locale === 'string' && LOCALE.test(d.locale)) el.setAttribute('lang', d.locale);
    if (d.dir === 'rtl' || d.dir === 'ltr') el.setAttribute('dir', d.dir);
  }

  // Fields and attributes inside `scope` (and on it) from one content object.
  fill(scope, content, placement) {
    const withField = [...scope.querySelectorAll('[data-attune-field]')];
    const withAttr = [...scope.querySelectorAll('[data-attune-attr]')];
    if (scope.hasAttribute('data-attune-field')) withField.unshift(scope);
    if (scope.hasAttribute('data-attune-attr')) withAttr.unshift(scope);
    for (const el of withAttr) this.setAttributes(el, content, placement);
    for (const el of withField) this.fillField(el, content, placement);
  }

  fillField(el, content, placement) {
    const field = el.getAttribute('data-attune-field');
    const value = fieldValue(content, field);
    if (value === null) return;  // no such field in this content: the page's text stays
    const tag = el.localName.toLowerCase();
    if (NO_TEXT_ELEMENTS.has(tag) || el.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
      this.problem(`${placement}: field "${clip(field)}" not written into <${tag}>`);
      return;
    }
    el.textContent = cleanText(value);
  }

  setAttributes(el, content, placement) {
    const tag = el.localName.toLowerCase();
    for (const [name, field] of parsePairs(el.getAttribute('data-attune-attr'))) {
      const value = fieldValue(content, field);
      if (value === null) continue;
      const out = el.namespaceURI === 'http://www.w3.org/1999/xhtml' ? attributeText(tag, name, value)
        : { refused: `attributes of <${tag}> outside HTML are not written` };
      if (out.refused) this.problem(`${placement}: ${out.refused}`);
      else el.setAttribute(name, out.text);
    }
  }

  // Multi-item placements: the first [data-attune-item] is the template of every item.
  renderItems(el, decision) {
    const template = el.querySelector('[data-attune-item]');
    if (!template) {
      this.problem(`${decision.placement}: ${decision.items.length} items but no [data-attune-item] element`);
      return;
    }
    this.markPlacement(el, decision);
    const parent = template.parentNode;
    for (const sibling of [...parent.querySelectorAll(':scope > [data-attune-item]')]) sibling.remove();
    for (const item of decision.items) {
      const node = template.cloneNode(true);
      if (typeof item.campaign === 'string') node.setAttribute('data-attune-campaign', cleanText(item.campaign));
      if (typeof item.locale === 'string' && LOCALE.test(item.locale)) node.setAttribute('lang', item.locale);
      if (item.dir === 'rtl' || item.dir === 'ltr') node.setAttribute('dir', item.dir);
      this.fill(node, item.content, decision.placement);
      this.listen(node, item.token);
      parent.append(node);
    }
  }

  // Clicks on a link, a button or [data-attune-click] report a click; [data-attune-dismiss]
  // reports a dismissal and hides the placement. One listener per element, reporting on the
  // decision rendered there last.
  listen(el, token) {
    if (typeof token !== 'string') return;
    reportsTo.set(el, { rt: this.rt, token });
    if (listening.has(el)) return;
    listening.add(el);
    el.addEventListener('click', (event) => {
      const to = reportsTo.get(el);
      const target = event.target && typeof event.target.closest === 'function' ? event.target : null;
      if (!to || !target) return;
      if (target.closest('[data-attune-dismiss]')) {
        to.rt.dismiss(to.token);
        el.hidden = true;
      } else if (target.closest('a, button, [data-attune-click]')) {
        to.rt.click(to.token);
      }
    });
  }

  observe(el, decision) {
    const tokens = Array.isArray(decision.items) ? decision.items.map((i) => i.token) : [decision.token];
    const report = () => {
      for (const token of tokens) if (typeof token === 'string') this.rt.impression(token);
    };
    const Observer = globalThis.IntersectionObserver;
    if (typeof Observer !== 'function') {
      report();
      return;
    }
    if (!this.observer) {
      this.pending = new Map();
      this.observer = new Observer((entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting || entry.intersectionRatio < VISIBLE_SHARE) continue;
          const fire = this.pending.get(entry.target);
          this.pending.delete(entry.target);
          this.observer.unobserve(entry.target);
          if (fire) fire();
        }
      }, { threshold: [VISIBLE_SHARE] });
    }
    this.pending.set(el, report);
    this.observer.observe(el);
  }

  stopObserving() {
    if (this.observer) this.observer.disconnect();
    this.observer = null;
  }

  disconnect() {
    this.stopObserving();
  }

  problem(text) {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }
}

// Back to the page's own markup: children and attributes as before the first render.
function restore(el, original) {
  el.replaceChildren(...[...original.cloneNode(true).childNodes]);
  for (const name of el.getAttributeNames()) if (!original.hasAttribute(name)) el.removeAttribute(name);
  for (const name of original.getAttributeNames()) el.setAttribute(name, original.getAttribute(name));
  el.hidden = original.hidden;
}
