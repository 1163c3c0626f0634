// The browser side of tests/js/chromium_dom.test.mjs and chromium_hostile.test.mjs: the
// shipped runtime and DOM helper (web/dom.mjs) filling dom_page.html's declarative
// placements, driven through window.attuneDom by page.evaluate. Every call returns plain
// JSON: what the page's markup looks like now, so the suites can check it from outside.

import { createAttune } from '/web/attune.mjs';
import { renderPlacements } from '/web/dom.mjs';

// optOut: every purpose but sensitive is in force, so campaigns, tokens and counts all
// work without a consent step (the consent suites cover optIn).
export const CONFIG = {
  version: 1,
  defaultLocale: 'en',
  consent: { policy: 'optOut' },
  placements: [
    { id: 'hero', channel: 'web' },
    { id: 'banner', channel: 'inline' },
    { id: 'picture', channel: 'web' },
    { id: 'recs', channel: 'web', maxItems: 3 },
    { id: 'popup', channel: 'popup' },
    { id: 'below', channel: 'web' },
    { id: 'nothing', channel: 'web' },
  ],
  campaigns: [
    {
      id: 'hero-hello',
      placement: 'hero',
      variants: [{
        id: 'a',
        weight: 1,
        content: {
          en: {
            headline: 'Hello {{name|there}}',
            body: 'From {{geo.city|somewhere}} via {{page.utm.source|direct}} on {{page.path|/}}',
            cta: '{{traits.cta|Shop now}}',
            url: '{{traits.link|/shop}}',
          },
          ar: { headline: 'مرحبا {{name|بك}}', body: 'عروض اليوم', cta: 'تسوّق', url: '/ar/shop' },
        },
      }],
    },
    {
      id: 'banner-tier',
      placement: 'banner',
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Tier {{traits.tier|none}} <img src=x onerror=attuneOwned()>' } } }],
    },
    {
      id: 'picture-a',
      placement: 'picture',
      variants: [{ id: 'a', weight: 1, content: { en: { image: '{{traits.image|/pic.png}}', text: '{{traits.alt|A picture}}' } } }],
    },
    ...[1, 2, 3].map((n) => ({
      id: `rec-${n}`,
      placement: 'recs',
      priority: 10 - n,
      variants: [{ id: 'a', weight: 1, content: { en: { title: `{{traits.rec|Item}} ${n}`, link: `{{traits.link|/p/${n}}}` } } }],
    })),
    {
      id: 'popup-offer',
      placement: 'popup',
      cooldownAfterDismiss: '1d',
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Offer for {{name|you}}', cta: 'Get it' } } }],
    },
    {
      id: 'below-fan',
      placement: 'below',
      priority: 5,
      audience: { topInterests: 'ski' },
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'For ski fans' } } }],
    },
    {
      id: 'below-seen',
      placement: 'below',
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Seen below' } } }],
    },
  ],
};

const PLACEMENTS = ['hero', 'banner', 'picture', 'recs', 'popup', 'below'];
const URL_ATTRIBUTES = ['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'data', 'poster'];

let rt = null;
let view = null;
let clockMs = Date.UTC(2026, 11, 7, 12, 0, 0);

document.getElementById('spacer').style.height = '3000px';

window.attuneDom = {
  async open({ impressions = 'none', locales = ['en'] } = {}) {
    if (view) view.disconnect();
    if (rt) await rt.close();
    view = null;
    rt = await createAttune({
      config: CONFIG,
      storage: 'memory',
      clock: () => clockMs,
      context: (defaults) => ({ ...defaults, locales }),
    });
    this.impressions = impressions;
    return { visitorId: rt.visitorId };
  },

  async render(overrides) {
    if (view) view.disconnect();
    view = await renderPlacements(rt, { impressions: this.impressions, overrides });
    if (view.error) return { error: view.error };
    await settle();
    return snapshot();
  },

  async refresh() {
    const result = await view.refresh();
    await settle();
    return { result, ...snapshot() };
  },

  track(type, props) {
    return rt.track(type, props);
  },

  advance(ms) {
    clockMs += ms;
  },

  withdraw() {
    return rt.setConsent({ storage: false, personalization: false, measurement: false, marketing: false });
  },

  counts() {
    const profile = rt.profile();
    const counts = (profile.behavior && profile.behavior.counts) || {};
    const lifetime = (type) => (counts[type] ? counts[type].lifetime : 0);
    return { impression: lifetime('impression'), click: lifetime('click'), dismiss: lifetime('dismiss') };
  },

  click(selector) {
    document.querySelector(selector).click();
  },

  async scrollTo(selector) {
    document.querySelector(selector).scrollIntoView();
    await settle();
  },

  async badCalls() {
    return {
      noRuntime: await renderPlacements(null),
      badImpressions: await renderPlacements(rt, { impressions: 'sometimes' }),
      badRoot: await renderPlacements(rt, { root: 42 }),
    };
  },

  traps: () => JSON.parse(JSON.stringify(window.attuneTraps)),

  snapshot: () => snapshot(),
};

// Two frames and a macrotask: long enough for an injected <img onerror> or an
// IntersectionObserver callback to have fired.
async function settle() {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => requestAnimationFrame(resolve));
  await new Promise((resolve) => setTimeout(resolve, 30));
}

function snapshot() {
  const placements = {};
  for (const id of PLACEMENTS) {
    const el = document.querySelector(`[data-attune-placement="${id}"]`);
    placements[id] = {
      campaign: el.getAttribute('data-attune-campaign'),
      variant: el.getAttribute('data-attune-variant'),
      lang: el.getAttribute('lang'),
      dir: el.getAttribute('dir'),
      hidden: el.hidden,
      text: el.textContent.replace(/\s+/g, ' ').trim(),
      fields: [...el.querySelectorAll('[data-attune-field]')].map((f) => f.textContent),
      elements: el.querySelectorAll('*').length,
      attributes: Object.fromEntries(el.getAttributeNames().map((n) => [n, el.getAttribute(n)])),
    };
  }
  const all = [...document.querySelectorAll('*')];
  const handlers = [];
  const urls = [];
  for (const el of all) {
    for (const name of el.getAttributeNames()) {
      if (/^on/i.test(name)) handlers.push(`${el.localName}[${name}]`);
      if (URL_ATTRIBUTES.includes(name.toLowerCase())) urls.push({ element: el.localName, name, value: el.getAttribute(name) });
    }
  }
  return {
    placements,
    problems: view ? [...view.problems] : [],
    decisions: view ? Object.fromEntries([...view.decisions].map(([k, d]) => [k, { campaign: d.campaign ?? null, error: d.error }])) : {},
    heroLink: { href: document.getElementById('hero-link').getAttribute('href'), title: document.getElementById('hero-link').getAttribute('title') },
    pictureSrc: document.getElementById('picture-img').getAttribute('src'),
    svgHref: document.getElementById('svg-link').getAttribute('href'),
    bannerTitle: document.getElementById('banner').getAttribute('title'),
    scripts: document.querySelectorAll('script').length,
    iframes: document.querySelectorAll('iframe, object, embed, frame, base, meta[http-equiv="refresh"]').length,
    elements: all.length,
    handlers,
    urls,
    traps: JSON.parse(JSON.stringify(window.attuneTraps)),
  };
}

document.getElementById('status').textContent = 'ready';
