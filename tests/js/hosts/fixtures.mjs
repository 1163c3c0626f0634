// Configs and visitors shared by the API and bad-input tests, in the shapes of
// docs/FORMATS.md. One campaign targets DACH visitors; everyone else sees the default.

export const SHOP_CONFIG = {
  version: 1,
  consent: { policy: 'optOut' },
  defaultLocale: 'en',
  placements: [
    { id: 'hero', channel: 'web', default: { en: { headline: 'Welcome' }, de: { headline: 'Willkommen' } } },
    { id: 'banner', channel: 'web' },
  ],
  segments: { dach: { 'geo.country': { $in: ['DE', 'AT', 'CH'] } } },
  campaigns: [
    {
      id: 'winter-sale',
      placement: 'hero',
      priority: 10,
      audience: { segments: 'dach' },
      variants: [
        {
          id: 'a',
          weight: 1,
          content: { en: { headline: 'Hi {{name|there}}!' }, de: { headline: 'Hallo {{name|du}}!' } },
        },
      ],
    },
  ],
};

export const AUSTRIAN_VISITOR = {
  id: 'visitor-42',
  now: '2026-11-25T10:00:00Z',
  utcOffsetMinutes: 60,
  acceptLanguage: 'de-AT,de;q=0.9,en;q=0.5',
  geo: { country: 'AT', city: 'Wien' },
  name: 'Ada',
};

export const AMERICAN_VISITOR = {
  id: 'visitor-7',
  now: '2026-11-25T10:00:00Z',
  utcOffsetMinutes: -300,
  acceptLanguage: 'en-US,en;q=0.9',
  geo: { country: 'US' },
};

// The decision fields a caller relies on (token and reasons are checked separately).
export function essentials(decision) {
  const { campaign, variant, content, locale, dir, holdout } = decision;
  return { campaign, variant, content, locale, dir, holdout };
}

export const AUSTRIAN_HERO = {
  campaign: 'winter-sale',
  variant: 'a',
  content: { headline: 'Hallo Ada!' },
  locale: 'de',
  dir: 'ltr',
  holdout: false,
};

export const AMERICAN_HERO = {
  campaign: null,
  variant: null,
  content: { headline: 'Welcome' },
  locale: 'en',
  dir: 'ltr',
  holdout: false,
};
