// The consent controls: one switch per purpose (a banner's flags), a TCF v2.2 TC string
// field (as a CMP would hand it over) and Global Privacy Control. The app applies them to
// the runtime; show() reflects what is in force and what is stored on the device.

import { field, h } from './dom.mjs';

export const PURPOSES = ['storage', 'personalization', 'measurement', 'marketing', 'sensitive'];
// Two TC strings from tests/vectors/tcf.json, so a marketer without a CMP at hand can try
// the TCF path: every purpose consented (1–11), and nothing consented.
export const SAMPLE_TC_STRINGS = {
  all: 'CP99dOAP-ARZQEsACAENDIEAAP_gAAAAAAYgAAAAAAAA',
  none: 'CP99dOAP-ARZQEsACAENDIEAAAAAAAAAAAYgAAAAAAAA',
};
const PURPOSE_HINTS = {
  storage: 'keep the visitor\'s state in this browser (localStorage)',
  personalization: 'build and use a profile from behaviour and traits',
  measurement: 'send impression, click and conversion events',
  marketing: 'cross-channel use',
  sensitive: 'use interests the config marks as sensitive',
};

export function mountConsent(root, actions) {
  const boxes = new Map();
  const rows = PURPOSES.map((purpose) => {
    const box = h('input', { id: `consent-${purpose}`, type: 'checkbox', 'aria-describedby': `consent-${purpose}-hint` });
    box.addEventListener('change', () => actions.setFlags(readFlags()));
    boxes.set(purpose, box);
    return h('div', { class: 'consent-row' }, box, h('label', { for: box.id }, purpose),
      h('small', { id: `consent-${purpose}-hint`, class: 'hint' }, PURPOSE_HINTS[purpose]));
  });
  const tcInput = h('input', { id: 'consent-tcf', type: 'text', spellcheck: false, autocomplete: 'off', placeholder: 'CQ…' });
  const tcApply = h('button', { type: 'button', id: 'consent-tcf-apply', onclick: () => actions.applyTcString(tcInput.value.trim()) }, 'Apply TC string');
  const sample = (id, label, text) => h('button', {
    type: 'button', id, onclick: () => {
      tcInput.value = text;
      tcInput.focus();
    },
  }, label);
  tcInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') tcApply.click();
  });
  const gpc = h('input', { id: 'consent-gpc', type: 'checkbox', role: 'switch' });
  gpc.addEventListener('change', () => actions.setGpc(gpc.checked));
  const status = h('p', { id: 'consent-status', class: 'status', 'aria-live': 'polite' });
  const inForce = h('p', { id: 'consent-in-force' });
  const stored = h('p', { id: 'storage-status' });

  root.append(
    h('fieldset', null, h('legend', null, 'Consent per purpose (the site\'s banner)'), rows),
    h('fieldset', null, h('legend', null, 'From a CMP (IAB TCF v2.2)'),
      field('TC string', tcInput, 'sets storage, personalization, measurement and marketing; never sensitive'),
      h('div', { class: 'buttons' }, tcApply,
        sample('consent-tcf-sample-all', 'Sample: all purposes', SAMPLE_TC_STRINGS.all),
        sample('consent-tcf-sample-none', 'Sample: nothing', SAMPLE_TC_STRINGS.none))),
    h('div', { class: 'check' }, gpc, h('label', { for: gpc.id }, 'Global Privacy Control (GPC: denies marketing)')),
    h('div', { class: 'buttons' }, h('button', { type: 'button', id: 'consent-forget', onclick: () => actions.forget() }, 'Forget this visitor')),
    status, inForce, stored,
  );

  function readFlags() {
    return Object.fromEntries(PURPOSES.map((p) => [p, boxes.get(p).checked]));
  }

  // record: rt.consentRecord(); purposes: rt.purposes(); storedText: what the key holds.
  function show({ record, purposes, storedText, key, storageStatus }) {
    const recorded = record && record.present ? record.purposes : {};
    for (const [p, box] of boxes) box.checked = recorded[p] === true;
    const granted = PURPOSES.filter((p) => purposes && purposes[p]);
    inForce.textContent = `In force now: ${granted.length ? granted.join(', ') : 'nothing (contextual decisions only)'}`
      + `${record && record.present ? ` — recorded from ${record.source}` : ' — the visitor has not chosen yet'}.`;
    const where = storageStatus && storageStatus.mode !== 'local' ? ` (storage: ${storageStatus.mode}${storageStatus.reason ? `, ${storageStatus.reason}` : ''})` : '';
    stored.textContent = storedText
      ? `Stored on this device: ${storedText.length} characters under "${key}" — ${purposes && purposes.storage ? 'the visitor\'s state' : 'only the consent record (no id, no profile)'}${where}.`
      : `Nothing stored on this device under "${key}"${where}.`;
  }

  function say(text, problem = false) {
    status.textContent = text;
    status.classList.toggle('problem', problem);
  }

  return { show, say, gpcChecked: () => gpc.checked };
}
