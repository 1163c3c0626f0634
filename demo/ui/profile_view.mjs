// What the runtime knows about the simulated visitor now (rt.profile()): the numbers that
// audiences and triggers read, so a marketer can see why a profile audience matched.

import { clear, h } from './dom.mjs';

export function renderProfile(root, profile, visitorId) {
  clear(root);
  if (!profile || profile.error) {
    root.append(h('p', { class: 'hint' }, profile ? profile.error : 'The runtime is loading…'));
    return;
  }
  const interests = Object.entries(profile.interests || {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`);
  const counts = (profile.behavior && profile.behavior.counts) || {};
  const lifetime = (type) => (counts[type] ? counts[type].lifetime : 0);
  const cart = profile.cart || {};
  const rfm = profile.rfm || {};
  const rows = [
    ['Visitor id', visitorId || '—'],
    ['Interests (inferred)', interests.length ? interests.join(', ') : 'none'],
    ['Declared interests', (profile.declaredInterests || []).join(', ') || 'none'],
    ['Page views / purchases', `${lifetime('page_view')} / ${lifetime('purchase')}`],
    ['Impressions / clicks / dismissals', `${lifetime('impression')} / ${lifetime('click')} / ${lifetime('dismiss')}`],
    ['Cart', `${cart.count || 0} items, ${Number(cart.value || 0).toFixed(2)}${cart.abandoned ? ' (abandoned)' : ''}`],
    ['Lifecycle', profile.lifecycle || '—'],
    ['RFM', `R${rfm.recency ?? '–'} F${rfm.frequency ?? '–'} M${rfm.monetary ?? '–'}, tier ${rfm.tier || 'none'}`],
  ];
  root.append(h('dl', { class: 'profile' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
}
