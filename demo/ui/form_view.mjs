// A small form over the JSON for the most common edits: pick a campaign, change its
// priority and holdout, and edit each locale's copy of one variant. The JSON stays the
// source of truth: every change is written back into the text (re-formatted) and goes
// through the same validation as typing.

import { clear, field, h, select } from './dom.mjs';

export function mountFormView(root, { readConfig, applyEdit }) {
  let campaignId = '';
  let variantId = '';

  function refresh() {
    const config = readConfig();
    const focusedId = root.contains(document.activeElement) ? document.activeElement.id : '';
    clear(root);
    if (!config || !Array.isArray(config.campaigns) || config.campaigns.length === 0) {
      root.append(h('p', { class: 'hint' }, config ? 'The config has no campaigns to edit.' : 'Fix the JSON syntax to use the form.'));
      return;
    }
    const campaigns = config.campaigns.filter((c) => c && typeof c.id === 'string');
    if (!campaigns.some((c) => c.id === campaignId)) campaignId = campaigns[0] ? campaigns[0].id : '';
    const campaign = campaigns.find((c) => c.id === campaignId);
    if (!campaign) return;
    const variants = Array.isArray(campaign.variants) ? campaign.variants.filter((v) => v && typeof v.id === 'string') : [];
    if (!variants.some((v) => v.id === variantId)) variantId = variants[0] ? variants[0].id : '';
    const variant = variants.find((v) => v.id === variantId);

    const campaignSelect = select('form-campaign', campaigns.map((c) => c.id), campaignId);
    campaignSelect.addEventListener('change', () => {
      campaignId = campaignSelect.value;
      refresh();
    });
    const priority = h('input', { id: 'form-priority', type: 'number', step: 1, value: campaign.priority ?? 0 });
    priority.addEventListener('change', () => edit((c) => {
      c.priority = Number(priority.value);
    }));
    const holdout = h('input', { id: 'form-holdout', type: 'number', min: 0, max: 1, step: 0.05, value: campaign.holdout ?? 0 });
    holdout.addEventListener('change', () => edit((c) => {
      if (Number(holdout.value) > 0) c.holdout = Number(holdout.value);
      else delete c.holdout;
    }));
    const parts = [
      field('Campaign', campaignSelect),
      h('div', { class: 'row' }, field('Priority (higher wins)', priority), field('Holdout (0–1)', holdout)),
    ];
    if (variant) {
      const variantSelect = select('form-variant', variants.map((v) => v.id), variantId);
      variantSelect.addEventListener('change', () => {
        variantId = variantSelect.value;
        refresh();
      });
      parts.push(field('Variant', variantSelect));
      for (const [locale, fields] of Object.entries(variant.content || {})) {
        if (!fields || typeof fields !== 'object') continue;
        const inputs = Object.entries(fields).map(([name, value]) => {
          const isObject = value && typeof value === 'object';
          const input = h('input', {
            id: `form-copy-${locale}-${name}`, type: 'text', lang: locale,
            dir: 'auto', value: isObject ? String(value.text ?? '') : String(value),
          });
          input.addEventListener('change', () => edit((c) => {
            const target = c.variants.find((v) => v.id === variantId).content[locale];
            if (target[name] && typeof target[name] === 'object') target[name].text = input.value;
            else target[name] = input.value;
          }));
          return field(`${name} (${locale})`, input);
        });
        parts.push(h('fieldset', { class: 'copy' }, h('legend', null, `Copy in ${locale}`), inputs));
      }
    }
    root.append(...parts);
    const again = focusedId && document.getElementById(focusedId);
    if (again && root.contains(again)) again.focus();
  }

  function edit(mutate) {
    applyEdit((config) => {
      const campaign = config.campaigns.find((c) => c && c.id === campaignId);
      if (campaign) mutate(campaign);
    });
  }

  return { refresh };
}
