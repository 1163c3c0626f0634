// The visitor simulator's "who and when": locale and Accept-Language, name, geo, time zone,
// traits (tier, birthday, declared interests) and a clock the marketer moves. It edits the
// plain state object of visitor_context.mjs and calls onChange after every edit; the app
// turns the state into the context overrides of each decision (contextOverrides).

import { field, h, select } from './dom.mjs';
import { formatLocal } from './reasons.mjs';
import { INTERESTS, LOCALES, localMonthDay } from '../visitor_context.mjs';

const COUNTRIES = [['', '(unknown)'], 'AT', 'DE', 'CH', 'FR', 'GB', 'US', 'CA', 'ES', 'IT', 'NL', 'EG', 'SA', 'AE', 'IL', 'JP'];
const ZONES = [
  [-480, 'UTC−08:00 (Los Angeles, winter)'], [-300, 'UTC−05:00 (New York, winter)'],
  [0, 'UTC+00:00 (London, winter)'], [60, 'UTC+01:00 (Berlin, Paris, Vienna, winter)'],
  [120, 'UTC+02:00 (Cairo, Athens, Berlin in summer)'], [180, 'UTC+03:00 (Riyadh, Istanbul)'],
  [240, 'UTC+04:00 (Dubai)'], [330, 'UTC+05:30 (Mumbai)'], [540, 'UTC+09:00 (Tokyo)'],
  [600, 'UTC+10:00 (Sydney, winter)'],
];
const TIERS = [['', '(none)'], 'bronze', 'silver', 'gold', 'platinum'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function mountSimulator(root, state, onChange) {
  const changed = () => onChange(state);
  const bind = (node, read) => {
    node.addEventListener(node.tagName === 'SELECT' || node.type === 'checkbox' ? 'change' : 'input', () => {
      read(node);
      changed();
    });
    return node;
  };

  const localeSelect = bind(select('sim-locale', [['', 'From Accept-Language'], ...LOCALES], state.locale), (n) => {
    state.locale = n.value;
    acceptInput.disabled = n.value !== '';
  });
  const acceptInput = bind(h('input', { id: 'sim-accept-language', type: 'text', value: state.acceptLanguage, disabled: state.locale !== '', spellcheck: false }), (n) => {
    state.acceptLanguage = n.value;
  });
  const nameInput = bind(h('input', { id: 'sim-name', type: 'text', value: state.name, autocomplete: 'off' }), (n) => {
    state.name = n.value;
  });
  const countrySelect = bind(select('sim-country', COUNTRIES, state.country), (n) => {
    state.country = n.value;
  });
  const cityInput = bind(h('input', { id: 'sim-city', type: 'text', value: state.city, autocomplete: 'off' }), (n) => {
    state.city = n.value;
  });
  const zoneSelect = bind(select('sim-zone', ZONES, state.offsetMinutes), (n) => {
    state.offsetMinutes = Number(n.value);
    refreshClock();
  });
  const tierSelect = bind(select('sim-tier', TIERS, state.tier), (n) => {
    state.tier = n.value;
  });
  const birthdayInput = bind(h('input', { id: 'sim-birthday', type: 'text', value: state.birthday, placeholder: 'MM-DD', pattern: '\\d\\d-\\d\\d', inputMode: 'numeric', size: 6 }), (n) => {
    state.birthday = /^\d\d-\d\d$/.test(n.value.trim()) ? n.value.trim() : '';
  });
  const birthdayToday = h('button', {
    type: 'button', id: 'sim-birthday-today', onclick: () => {
      birthdayInput.value = localMonthDay(state.now, state.offsetMinutes);
      state.birthday = birthdayInput.value;
      changed();
    },
  }, 'Birthday today');
  const interestBoxes = INTERESTS.map((interest) => {
    const box = bind(h('input', { id: `sim-interest-${interest}`, type: 'checkbox', value: interest, checked: state.interests.has(interest) }), (n) => {
      if (n.checked) state.interests.add(interest);
      else state.interests.delete(interest);
    });
    return h('span', { class: 'check' }, box, h('label', { for: box.id }, interest));
  });

  // The clock: shown in the visitor's local time; moved by buttons or set directly.
  const clockOutput = h('output', { id: 'sim-clock', 'aria-live': 'polite', for: 'sim-clock-set' });
  const clockInput = h('input', { id: 'sim-clock-set', type: 'datetime-local', step: 60 });
  clockInput.addEventListener('change', () => {
    const local = Date.parse(`${clockInput.value}:00Z`);
    if (!Number.isFinite(local)) return;
    state.now = local - state.offsetMinutes * 60_000;
    refreshClock();
    changed();
  });
  const move = (label, id, ms) => h('button', {
    type: 'button', id, onclick: () => {
      state.now = ms === null ? state.startNow : state.now + ms;
      refreshClock();
      changed();
    },
  }, label);
  function refreshClock() {
    const local = new Date(state.now + state.offsetMinutes * 60_000);
    const weekday = local.toLocaleDateString('en-GB', { weekday: 'long', timeZone: 'UTC' });
    clockOutput.value = `${weekday} ${formatLocal(state.now, state.offsetMinutes)} (${zoneName(state.offsetMinutes)})`;
    clockInput.value = local.toISOString().slice(0, 16);
  }
  refreshClock();

  root.append(
    h('fieldset', null, h('legend', null, 'Language'),
      field('Locale', localeSelect, 'ar or he show the page right-to-left'),
      field('Accept-Language header', acceptInput, 'used when the locale is "From Accept-Language"')),
    h('fieldset', null, h('legend', null, 'Who and where'),
      field('First name', nameInput),
      h('div', { class: 'row' }, field('Country (geo)', countrySelect), field('City', cityInput)),
      field('Time zone', zoneSelect),
      h('div', { class: 'row' }, field('Tier (trait)', tierSelect), field('Birthday (MM-DD)', birthdayInput)),
      h('div', { class: 'buttons' }, birthdayToday)),
    h('fieldset', { class: 'interests' }, h('legend', null, 'Declared interests (traits.interests)'), interestBoxes),
    h('fieldset', { class: 'clock' }, h('legend', null, 'Clock (visitor\'s local time)'),
      h('p', { class: 'clock-now' }, clockOutput),
      field('Set date and time', clockInput),
      h('div', { class: 'buttons' },
        move('+1 hour', 'sim-clock-hour', HOUR), move('+1 day', 'sim-clock-day', DAY),
        move('+7 days', 'sim-clock-week', 7 * DAY), move('+30 days', 'sim-clock-month', 30 * DAY),
        move('Reset clock', 'sim-clock-reset', null))),
  );
  return { refreshClock, controls: { localeSelect, acceptInput, nameInput, countrySelect, cityInput, zoneSelect, tierSelect, birthdayInput } };
}

function zoneName(offset) {
  const sign = offset < 0 ? '−' : '+';
  const abs = Math.abs(offset);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
