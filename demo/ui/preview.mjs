// The live preview: a mock shop page with the config's placements filled from one page
// decision. Placements are laid out by what they look like (their id, channel and
// maxItems): hero, banner, a recommendations grid, a popup, other slots, and messages for
// channels that are not the page (email, push). Every text goes in through textContent; each
// placement carries its decision's lang and dir, the page the chosen locale's.

import { clear, h } from './dom.mjs';
import { shopCopy } from './shop_copy.mjs';

const HEADING_FIELDS = ['headline', 'title', 'heading'];
const ACTION_FIELDS = ['cta', 'button', 'action', 'link'];
const MESSAGE_CHANNELS = new Set(['email', 'push', 'sms']);

// What a placement looks like on the page.
export function placementKind(placement, decision) {
  const id = String(placement.id || '').toLowerCase();
  const channel = String(placement.channel || '').toLowerCase();
  if (channel === 'popup' || /popup|modal|overlay|interstitial/.test(id)) return 'popup';
  if (MESSAGE_CHANNELS.has(channel)) return 'message';
  if ((placement.maxItems || 1) > 1 || Array.isArray(decision && decision.items) || /recs|recommend/.test(id)) return 'grid';
  if (/hero/.test(id)) return 'hero';
  if (/banner|bar|strip|ribbon|notice/.test(id)) return 'banner';
  return 'slot';
}

// page: {decisions} from decidePage; handlers: onClick(token, decision), onDismiss(token, decision).
export function renderPreview(root, page, { config, locale, dir, cartCount = 0, onClick, onDismiss }) {
  const copy = shopCopy(locale);
  clear(root);
  root.lang = locale || 'en';
  root.dir = dir === 'rtl' ? 'rtl' : 'ltr';
  const header = h('header', { class: 'shop-header' },
    h('span', { class: 'shop-brand' }, copy.shop),
    h('nav', { 'aria-label': 'Mock shop navigation' }, copy.nav.map((item) => h('span', { class: 'shop-nav-item' }, item))),
    h('span', { class: 'shop-cart', dataset: { count: String(cartCount) } }, `${copy.cart} (${cartCount})`));
  root.append(header);
  if (!page || page.error) {
    root.append(h('p', { class: 'problem' }, page ? page.error : 'The runtime is loading…'));
    return;
  }
  const placements = new Map((config.placements || []).map((p) => [p.id, p]));
  const regions = { hero: [], banner: [], grid: [], slot: [], message: [], popup: [] };
  for (const decision of page.decisions) {
    const kind = placementKind(placements.get(decision.placement) || { id: decision.placement }, decision);
    regions[kind].push(decision);
  }
  const render = (decision, kind) => renderPlacement(decision, kind, copy, { onClick, onDismiss });
  const main = h('div', { class: 'shop-main' },
    regions.banner.map((d) => render(d, 'banner')),
    regions.hero.map((d) => render(d, 'hero')),
    regions.grid.map((d) => render(d, 'grid')),
    regions.slot.length ? h('div', { class: 'shop-slots', 'aria-label': copy.more, role: 'group' }, regions.slot.map((d) => render(d, 'slot'))) : null,
    regions.message.length ? h('div', { class: 'shop-messages', 'aria-label': copy.channels, role: 'group' }, regions.message.map((d) => render(d, 'message'))) : null);
  root.append(main);
  for (const decision of regions.popup) {
    if (decision.content) root.append(renderPopup(decision, copy, { onClick, onDismiss }));
    else main.append(render(decision, 'popup'));
  }
  root.append(h('footer', { class: 'shop-footer' }, copy.footer));
}

function tagText(decision) {
  if (decision.holdout) return `${decision.placement} · ${decision.campaign} · holdout (control)`;
  if (!decision.campaign) return `${decision.placement} · default`;
  return `${decision.placement} · ${decision.campaign}${decision.variant ? ` / ${decision.variant}` : ''}`;
}

function slotAttributes(decision, kind) {
  return {
    class: `slot slot-${kind}`,
    'aria-label': `${decision.placement} placement`,
    role: 'region',
    lang: decision.locale || undefined,
    dir: decision.dir || undefined,
    dataset: {
      placement: decision.placement,
      campaign: decision.campaign || '',
      variant: decision.variant || '',
      holdout: String(Boolean(decision.holdout)),
    },
  };
}

function renderPlacement(decision, kind, copy, handlers) {
  const node = h('section', slotAttributes(decision, kind), h('p', { class: 'slot-tag', dir: 'ltr', lang: 'en' }, tagText(decision)));
  if (kind === 'grid') {
    const items = Array.isArray(decision.items) ? decision.items
      : decision.campaign || decision.content ? [decision] : [];
    if (items.length === 0) {
      node.append(h('p', { class: 'slot-empty' }, copy.empty));
      return node;
    }
    node.append(h('h2', { class: 'grid-title' }, copy.recs));
    node.append(h('ul', { class: 'grid' }, items.map((item) => h('li', {
      class: 'card', lang: item.locale || undefined, dir: item.dir || undefined,
      dataset: { campaign: item.campaign || '', variant: item.variant || '' },
    }, renderContent(item.content, item.token, decision, handlers)))));
    return node;
  }
  if (!decision.content) {
    node.append(h('p', { class: 'slot-empty' }, copy.empty));
    return node;
  }
  node.append(renderContent(decision.content, decision.token, decision, handlers));
  return node;
}

function renderPopup(decision, copy, handlers) {
  const titleId = `popup-title-${decision.placement}`;
  const close = h('button', {
    type: 'button', class: 'popup-close', 'aria-label': `${copy.dismiss} (dismiss ${decision.placement})`,
    disabled: !decision.token, onclick: () => handlers.onDismiss(decision.token, decision),
  }, '×');
  const body = renderContent(decision.content, decision.token, decision, handlers, titleId);
  const labelled = body.querySelector('.content-heading') ? { 'aria-labelledby': titleId } : { 'aria-label': `${decision.placement} popup` };
  const dialog = h('div', { ...slotAttributes(decision, 'popup'), role: 'dialog', ...labelled, class: 'slot slot-popup popup' },
    close, h('p', { class: 'slot-tag', dir: 'ltr', lang: 'en' }, tagText(decision)), body);
  return h('div', { class: 'popup-backdrop' }, dialog);
}

// One content object ({field: text}) as a heading, paragraphs, a call-to-action button and
// a list of any other fields.
function renderContent(content, token, decision, handlers, headingId) {
  const box = h('div', { class: 'content' });
  if (!content || typeof content !== 'object') return box;
  const entries = Object.entries(content).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  const heading = entries.find(([k]) => HEADING_FIELDS.includes(k));
  const actions = entries.filter(([k]) => ACTION_FIELDS.includes(k));
  const rest = entries.filter((e) => e !== heading && !actions.includes(e));
  if (heading) box.append(h('p', { class: 'content-heading', id: headingId, dataset: { field: heading[0] } }, heading[1]));
  for (const [key, value] of rest) {
    box.append(h('p', { class: `content-${key === 'body' || key === 'text' ? 'text' : 'field'}`, dataset: { field: key } }, value));
  }
  for (const [key, value] of actions) {
    box.append(h('button', {
      type: 'button', class: 'content-action', dataset: { field: key }, disabled: !token,
      onclick: () => handlers.onClick(token, decision),
    }, value));
  }
  return box;
}
