// The decision trace: for every placement, every candidate campaign in the order the engine
// tried them, with the result and the reason in plain words (reasons.mjs), the raw reason
// code for developers, and the consent purposes the decision relied on.

import { clear, h } from './dom.mjs';
import { describePurposes, explainCandidate } from './reasons.mjs';

export function renderTrace(root, page, { config, offsetMinutes }) {
  clear(root);
  if (!page || page.error) {
    root.append(h('p', { class: 'problem' }, `No decision: ${page ? page.error : 'the runtime is not ready'}`));
    return;
  }
  for (const decision of page.decisions) {
    const titleId = `trace-${decision.placement}`;
    const outcome = decision.campaign === null
      ? (decision.content ? 'default content' : 'nothing')
      : decision.holdout ? `${decision.campaign} (holdout)`
        : `${shownCampaigns(decision).join(', ')}`;
    const list = h('ol', { class: 'candidates' });
    for (const entry of decision.reasons || []) {
      const { text } = explainCandidate(entry, decision, config, offsetMinutes);
      list.append(h('li', { dataset: { result: entry.result, campaign: entry.campaign } },
        h('strong', null, entry.campaign), ' ',
        h('span', { class: 'verdict' }, text),
        entry.reason ? [' ', h('code', { title: 'reason code' }, entry.reason)] : null));
    }
    if (!decision.reasons || decision.reasons.length === 0) {
      list.append(h('li', { dataset: { result: 'none' } }, 'No campaign targets this placement.'));
    }
    root.append(h('section', { class: 'trace-placement', 'aria-labelledby': titleId, dataset: { placement: decision.placement } },
      h('h3', { id: titleId }, decision.placement, ' → ', h('span', { class: 'outcome' }, outcome)),
      list,
      h('p', { class: 'purposes' }, describePurposes(decision.purposes))));
  }
}

function shownCampaigns(decision) {
  if (Array.isArray(decision.items)) return decision.items.map((i) => `${i.campaign}${i.variant ? `/${i.variant}` : ''}`);
  return [`${decision.campaign}${decision.variant ? `/${decision.variant}` : ''}`];
}
