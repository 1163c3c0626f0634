// The behaviour timeline: buttons that send the visitor's events (page views by category,
// cart, purchase, email click, and reports on the shown decisions: dismiss, click) and the
// list of what happened, at the simulated time. The app performs the events on the runtime
// (actions.*) and returns a line for the list.

import { clear, field, h, select } from './dom.mjs';
import { formatLocal } from './reasons.mjs';
import { PAGES } from '../visitor_context.mjs';

export function mountBehaviour(root, state, actions) {
  // The page the visitor is on: its category is context for every decision at once; "Page
  // view" records a visit to it in the profile.
  const categorySelect = select('beh-category', PAGES, state.page);
  categorySelect.addEventListener('change', () => actions.setPage(categorySelect.value));
  const priceInput = h('input', { id: 'beh-price', type: 'number', min: 0, step: '0.01', value: '120' });
  const countBox = h('input', { id: 'beh-count', type: 'checkbox', checked: true });
  const placementSelect = select('beh-placement', []);
  const list = h('ol', { id: 'timeline', class: 'timeline', 'aria-live': 'polite' });
  const empty = h('p', { class: 'hint', id: 'timeline-empty' }, 'No events yet.');

  const run = (action) => async () => {
    const line = await action();
    if (line) log(line);
  };
  const button = (id, label, action) => h('button', { type: 'button', id, onclick: run(action) }, label);

  function log(line) {
    empty.hidden = true;
    const { text, detail, problem } = typeof line === 'string' ? { text: line } : line;
    list.append(h('li', { class: problem ? 'problem' : undefined },
      h('time', { dateTime: new Date(state.now).toISOString() }, formatLocal(state.now, state.offsetMinutes)), ' ',
      text, detail ? h('small', null, ` — ${detail}`) : null));
    list.lastElementChild.scrollIntoView({ block: 'nearest' });
  }

  root.append(
    h('div', { class: 'row' },
      field('Current page', categorySelect),
      field('Item price', priceInput)),
    h('div', { class: 'check' }, countBox, h('label', { for: countBox.id }, 'Count the impressions a page view shows (caps, fatigue)')),
    h('div', { class: 'buttons' },
      button('beh-page-view', 'Page view', () => actions.pageView(categorySelect.value, countBox.checked)),
      button('beh-add-to-cart', 'Add to cart', () => actions.addToCart(categorySelect.value, Number(priceInput.value))),
      button('beh-purchase', 'Purchase', () => actions.purchase(categorySelect.value, Number(priceInput.value))),
      button('beh-email-click', 'Email click', () => actions.emailClick())),
    h('div', { class: 'row' },
      field('Report on placement', placementSelect),
      h('div', { class: 'buttons align-end' },
        button('beh-click', 'Click', () => actions.report('click', placementSelect.value)),
        button('beh-dismiss', 'Dismiss', () => actions.report('dismiss', placementSelect.value)))),
    h('h3', null, 'Timeline'),
    empty,
    list,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'beh-clear', onclick: () => {
        actions.clear();
        clear(list);
        empty.hidden = false;
      } }, 'Clear timeline and forget the profile')),
  );

  // The placements to report on, popups first (dismissing a popup is the common case).
  function setPlacements(placements) {
    const previous = placementSelect.value;
    clear(placementSelect);
    const sorted = [...placements].sort((a, b) => Number(b.channel === 'popup') - Number(a.channel === 'popup'));
    for (const p of sorted) placementSelect.append(h('option', { value: p.id, selected: p.id === previous }, p.id));
  }

  return { log, setPlacements, categorySelect };
}
