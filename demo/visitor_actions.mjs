// What the behaviour buttons do to the runtime (createAttune's API), as a site would do it:
// track the event at the simulated time, decide the page, count what it shows, report a
// click, a dismissal or a conversion on a decision's token. Each returns a line for the
// timeline ({text, detail?, problem?}) and, where it decided, the page decision. No DOM: the
// Node tests replay the documented scenarios through these same functions.

import { contextOverrides, pageContext } from './visitor_context.mjs';

// The page decision the preview shows, with every candidate's reason.
export function decide(rt, state) {
  return rt.decidePage(contextOverrides(state), { reasons: true });
}

// The decisions of a page that show a campaign (or a holdout's default) and carry a token;
// a placement with several items gives one entry per item.
export function shownItems(page) {
  const items = [];
  for (const decision of page && Array.isArray(page.decisions) ? page.decisions : []) {
    const list = Array.isArray(decision.items) ? decision.items : [decision];
    for (const item of list) {
      if (item.campaign && typeof item.token === 'string') items.push({ placement: decision.placement, ...item });
    }
  }
  return items;
}

function problem(text, error) {
  return { text, detail: error, problem: true };
}

// The visitor opens `page`: a page_view, then the page decision; with `count` every shown
// campaign's impression is reported (what caps, fatigue and KPIs count).
export function pageView(rt, state, { page = state.page, count = true } = {}) {
  state.page = page;
  const context = pageContext(page);
  const tracked = rt.track('page_view', { categories: context.categories, path: context.path });
  if (tracked.error) return problem(`Page view ${context.path} refused`, tracked.error);
  const decided = decide(rt, state);
  if (decided.error) return { ...problem(`Page view ${context.path}: no decision`, decided.error), page: decided };
  const shown = shownItems(decided);
  let counted = 0;
  const refused = [];
  if (count) {
    for (const item of shown) {
      const r = rt.impression(item.token);
      if (r.ok) counted++;
      else refused.push(`${item.campaign}: ${r.error}`);
    }
  }
  const names = shown.map((i) => (i.holdout ? `${i.campaign} (holdout)` : i.campaign));
  const detail = count
    ? `${counted} ${counted === 1 ? 'impression' : 'impressions'} counted${names.length ? `: ${names.join(', ')}` : ''}${refused.length ? `; refused ${refused.join('; ')}` : ''}`
    : `shown, not counted${names.length ? `: ${names.join(', ')}` : ''}`;
  return { text: `Page view ${context.path}`, detail, page: decided, counted };
}

export function addToCart(rt, state, { category, price }) {
  const categories = pageContext(category).categories;
  const sku = `${categories[0] || 'item'}-1`;
  const r = rt.track('add_to_cart', { sku, price, ...(categories.length ? { categories } : {}) });
  if (r.error) return problem('Add to cart refused', r.error);
  return { text: `Add to cart: ${sku}`, detail: `price ${price.toFixed(2)}` };
}

// A purchase of one item of `category`; the shown decisions of `page` (the page the visitor
// bought from) get a conversion with the order value, as a site attributes its orders.
export function purchase(rt, state, { category, price, page }) {
  const categories = pageContext(category).categories;
  const sku = `${categories[0] || 'item'}-1`;
  const item = { sku, price, ...(categories.length ? { categories } : {}) };
  const r = rt.track('purchase', { amount: price, items: [item] });
  if (r.error) return problem('Purchase refused', r.error);
  let conversions = 0;
  for (const shown of shownItems(page)) if (rt.conversion(shown.token, price).ok) conversions++;
  return {
    text: `Purchase: ${sku}`,
    detail: `${price.toFixed(2)}${categories.length ? ` in ${categories[0]}` : ''}; ${conversions} ${conversions === 1 ? 'conversion' : 'conversions'} reported`,
  };
}

export function emailClick(rt) {
  const r = rt.track('email_click', { campaign: 'newsletter' });
  if (r.error) return problem('Email click refused', r.error);
  return { text: 'Email click', detail: 'from the newsletter' };
}

// A click or a dismissal on the decision shown in `placement` of `page` (its first item).
export function report(rt, page, kind, placement) {
  const decision = page && Array.isArray(page.decisions) ? page.decisions.find((d) => d.placement === placement) : undefined;
  return reportItem(rt, kind, decision ? { ...decision, placement } : { placement });
}

// A click or a dismissal on one shown item ({placement, campaign, variant, holdout, token}):
// what the preview's buttons report, so a click on the second recommendation counts for it.
export function reportItem(rt, kind, item) {
  const what = `${kind === 'click' ? 'Click' : 'Dismiss'} on ${item.placement}`;
  if (!item.campaign || typeof item.token !== 'string') return problem(what, 'no campaign is shown there');
  const r = kind === 'click' ? rt.click(item.token) : rt.dismiss(item.token);
  if (r.error) return problem(what, r.error);
  return { text: what, detail: item.holdout ? `${item.campaign} (holdout)` : `${item.campaign}${item.variant ? ` / ${item.variant}` : ''}` };
}

// The shown item of `page` that carries `token` (a preview button names its token).
export function itemByToken(page, token) {
  return shownItems(page).find((item) => item.token === token);
}
