// A form over the JSON for the common edits of one campaign: priority and holdout, audience
// (a condition in JSON), schedule (dates, days, hours), its own caps, its variants (weights,
// add, remove) and each locale's copy of a variant. The JSON stays the source of truth:
// every change is written back into the text (re-formatted) and goes through the same
// validation as typing, so a bad value shows up as a problem with its path.

import { clear, field, h, select } from './dom.mjs';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const PERIODS = ['day', 'week', 'session', 'lifetime', '12h', '7d'];

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

    const campaignSelect = select('form-campaign', campaigns.map((c) => [c.id, `${c.id} (${c.placement})`]), campaignId);
    campaignSelect.addEventListener('change', () => {
      campaignId = campaignSelect.value;
      refresh();
    });
    root.append(
      field('Campaign', campaignSelect),
      basics(campaign),
      audience(campaign),
      schedule(campaign),
      caps(campaign),
      variantsPart(campaign, variants, variant),
    );
    const again = focusedId && document.getElementById(focusedId);
    if (again && root.contains(again)) again.focus();
  }

  function basics(campaign) {
    const priority = h('input', { id: 'form-priority', type: 'number', step: 1, value: campaign.priority ?? 0 });
    priority.addEventListener('change', () => edit((c) => {
      c.priority = Number(priority.value);
    }));
    const holdout = h('input', { id: 'form-holdout', type: 'number', min: 0, max: 0.95, step: 0.05, value: campaign.holdout ?? 0 });
    holdout.addEventListener('change', () => edit((c) => {
      if (Number(holdout.value) > 0) c.holdout = Number(holdout.value);
      else delete c.holdout;
    }));
    return h('div', { class: 'row' }, field('Priority (higher wins)', priority), field('Holdout (0 to under 1)', holdout));
  }

  // The condition as JSON text; invalid JSON is flagged here and not written back.
  function audience(campaign) {
    const text = campaign.audience === undefined ? '' : JSON.stringify(campaign.audience);
    const input = h('textarea', { id: 'form-audience', rows: 2, spellcheck: false, value: text });
    const note = h('small', { id: 'form-audience-note', class: 'hint' }, 'A condition such as {"geo.country": {"$in": ["DE", "AT"]}}; empty: everyone.');
    input.setAttribute('aria-describedby', note.id);
    input.addEventListener('change', () => {
      const source = input.value.trim();
      if (source === '') {
        edit((c) => {
          delete c.audience;
        });
        return;
      }
      let parsed;
      try {
        parsed = JSON.parse(source);
      } catch (e) {
        input.setAttribute('aria-invalid', 'true');
        note.textContent = `Not JSON: ${e.message}`;
        note.classList.add('problem');
        return;
      }
      edit((c) => {
        c.audience = parsed;
      });
    });
    return h('div', { class: 'field' }, h('label', { for: input.id }, 'Audience (condition)'), input, note);
  }

  function schedule(campaign) {
    const s = campaign.schedule && typeof campaign.schedule === 'object' ? campaign.schedule : {};
    const text = (id, label, value, placeholder, write) => {
      const input = h('input', { id, type: 'text', value: value ?? '', placeholder, spellcheck: false });
      input.addEventListener('change', () => editSchedule((sched) => write(sched, input.value.trim())));
      return field(label, input);
    };
    const days = DAYS.map((day) => {
      const box = h('input', { id: `form-day-${day}`, type: 'checkbox', checked: Array.isArray(s.daysOfWeek) && s.daysOfWeek.includes(day) });
      box.addEventListener('change', () => editSchedule((sched) => {
        const chosen = DAYS.filter((d) => document.getElementById(`form-day-${d}`).checked);
        if (chosen.length) sched.daysOfWeek = chosen;
        else delete sched.daysOfWeek;
      }));
      return h('span', { class: 'check' }, box, h('label', { for: box.id }, day));
    });
    const hours = s.hours && typeof s.hours === 'object' ? s.hours : {};
    const setHours = (key) => (sched, value) => {
      const next = { ...(sched.hours || {}) };
      if (value) next[key] = value;
      else delete next[key];
      if (Object.keys(next).length) sched.hours = next;
      else delete sched.hours;
    };
    const setInstant = (key) => (sched, value) => {
      if (value) sched[key] = value;
      else delete sched[key];
    };
    return h('fieldset', { class: 'form-schedule' }, h('legend', null, 'Schedule (empty: always)'),
      h('div', { class: 'row' },
        text('form-start', 'Start (ISO 8601)', s.start, '2026-11-01T00:00:00Z', setInstant('start')),
        text('form-end', 'End (ISO 8601)', s.end, '2027-01-01T00:00:00Z', setInstant('end'))),
      h('fieldset', { class: 'days' }, h('legend', null, 'Days (visitor\'s local time; none: every day)'), days),
      h('div', { class: 'row' },
        text('form-hours-from', 'From (HH:MM)', hours.from, '08:00', setHours('from')),
        text('form-hours-to', 'To (HH:MM)', hours.to, '22:00', setHours('to'))));
  }

  // The campaign's own caps: max per period, counting impressions or clicks.
  function caps(campaign) {
    const list = Array.isArray(campaign.caps) ? campaign.caps : [];
    const rows = list.map((cap, i) => {
      const max = h('input', { id: `form-cap-${i}-max`, type: 'number', min: 1, step: 1, value: cap && cap.max !== undefined ? cap.max : '' });
      max.addEventListener('change', () => edit((c) => {
        c.caps[i].max = Number(max.value);
      }));
      const per = h('input', { id: `form-cap-${i}-per`, type: 'text', list: 'form-periods', value: cap && cap.per ? cap.per : '', spellcheck: false });
      per.addEventListener('change', () => edit((c) => {
        c.caps[i].per = per.value.trim();
      }));
      const count = select(`form-cap-${i}-count`, [['impression', 'impressions'], ['click', 'clicks']], cap && cap.count === 'click' ? 'click' : 'impression');
      count.addEventListener('change', () => edit((c) => {
        if (count.value === 'click') c.caps[i].count = 'click';
        else delete c.caps[i].count;
      }));
      const remove = h('button', { type: 'button', id: `form-cap-${i}-remove`, 'aria-label': `Remove cap ${i + 1}` }, 'Remove');
      remove.addEventListener('click', () => edit((c) => {
        c.caps.splice(i, 1);
        if (c.caps.length === 0) delete c.caps;
      }));
      return h('div', { class: 'row cap-row' }, field('Max', max), field('Per', per), field('Counting', count), h('div', { class: 'buttons align-end' }, remove));
    });
    const add = h('button', { type: 'button', id: 'form-cap-add' }, 'Add a cap');
    add.addEventListener('click', () => edit((c) => {
      c.caps = [...(Array.isArray(c.caps) ? c.caps : []), { max: 3, per: 'week' }];
    }));
    const periods = h('datalist', { id: 'form-periods' }, PERIODS.map((p) => h('option', { value: p })));
    return h('fieldset', { class: 'form-caps' }, h('legend', null, 'This campaign\'s caps (shared caps are at the top of the JSON)'),
      rows.length ? rows : h('p', { class: 'hint' }, 'No caps of its own.'), periods, h('div', { class: 'buttons' }, add));
  }

  function variantsPart(campaign, variants, variant) {
    const weights = variants.map((v, i) => {
      const input = h('input', { id: `form-weight-${i}`, type: 'number', min: 0, step: 'any', value: v.weight ?? 1 });
      input.addEventListener('change', () => edit((c) => {
        c.variants[i].weight = Number(input.value);
      }));
      return field(`Weight of ${v.id}`, input);
    });
    const parts = [h('legend', null, 'Variants'), h('div', { class: 'row wrap' }, weights)];
    if (variant) {
      const variantSelect = select('form-variant', variants.map((v) => v.id), variantId);
      variantSelect.addEventListener('change', () => {
        variantId = variantSelect.value;
        refresh();
      });
      const add = h('button', { type: 'button', id: 'form-variant-add' }, `Add a variant (copy of ${variant.id})`);
      add.addEventListener('click', () => edit((c) => {
        const ids = new Set(c.variants.map((v) => v.id));
        let n = c.variants.length + 1;
        while (ids.has(`v${n}`)) n++;
        const copy = JSON.parse(JSON.stringify(c.variants.find((v) => v.id === variantId)));
        copy.id = `v${n}`;
        c.variants.push(copy);
        variantId = copy.id;
      }));
      const remove = h('button', { type: 'button', id: 'form-variant-remove', disabled: variants.length < 2 }, `Remove ${variant.id}`);
      remove.addEventListener('click', () => edit((c) => {
        if (c.variants.length < 2) return;
        c.variants = c.variants.filter((v) => v.id !== variantId);
      }));
      parts.push(field('Copy of variant', variantSelect), h('div', { class: 'buttons' }, add, remove));
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
          const budget = isObject && value.maxLength ? ` — at most ${value.maxLength} characters` : '';
          return field(`${name} (${locale})${budget}`, input);
        });
        parts.push(h('fieldset', { class: 'copy' }, h('legend', null, `Copy in ${locale}`), inputs));
      }
    }
    return h('fieldset', { class: 'form-variants' }, parts);
  }

  function edit(mutate) {
    applyEdit((config) => {
      const campaign = config.campaigns.find((c) => c && c.id === campaignId);
      if (campaign) mutate(campaign);
    });
  }

  function editSchedule(mutate) {
    edit((c) => {
      const sched = c.schedule && typeof c.schedule === 'object' ? c.schedule : {};
      mutate(sched);
      if (Object.keys(sched).length) c.schedule = sched;
      else delete c.schedule;
    });
  }

  return { refresh };
}
