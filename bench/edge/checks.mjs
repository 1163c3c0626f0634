// What the edge benchmark checks before it times anything: each worker answers the way it
// should (so a fast wrong answer never counts), and every request of the mix, garbage cookies
// included, gets a 200. Returns named checks {name, ok, detail}; nothing here throws on a
// wrong answer.

const FIXED_TEXT = 'Fixed bench text';
const ORIGIN_MARKER = 'data-bench-origin="peak-and-pine"';
const ORIGIN_HERO_HEADLINE = 'Gear up for the season';
const PAYLOAD_MARKER = '<script type="application/json" id="attune-edge">';
const HOSTILE_NAME = '<script>alert(1)</script>';

/** The text of the first `data-attune-field="field"` element inside placement `id`, or null. */
export function fieldText(html, placement, field) {
  const start = html.indexOf(`data-attune-placement="${placement}"`);
  if (start < 0) return null;
  const rest = html.slice(start);
  const match = rest.match(new RegExp(`<(\\w+)[^>]*data-attune-field="${field}"[^>]*>([\\s\\S]*?)</\\1>`));
  return match ? match[2].trim() : null;
}

// A failed connection is an answer too (a failed check), not an exception.
async function get(url, headers = {}) {
  try {
    const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    return { status: res.status, headers: res.headers, body };
  } catch (e) {
    return { status: `error: ${e.cause?.message || e.message}`, headers: new Headers(), body: '' };
  }
}

// What a personalized or rewritten page must not be: cacheable by a shared cache.
function privateHeaders(res) {
  const cacheControl = res.headers.get('cache-control') || '';
  const vary = (res.headers.get('vary') || '').toLowerCase();
  const problems = [];
  if (!/\bprivate\b/.test(cacheControl) || !/\bno-store\b/.test(cacheControl)) problems.push(`Cache-Control "${cacheControl}"`);
  if (!vary.includes('cookie') || !vary.includes('accept-language')) problems.push(`Vary "${vary}"`);
  return problems;
}

/**
 * Probes each available worker with a German visitor from Germany on /ski/boots.
 * urls: {id: baseUrl}; originPage: the origin's bytes (string); headerNames: the workers' env.
 * Returns {checks, stateCookie: {name, values} | null}.
 */
export async function probeWorkers({ urls, originPage, headerNames, stateCookieDefault, germanHeadlines }) {
  const checks = [];
  const check = (name, ok, detail = '') => checks.push({ name, ok: Boolean(ok), detail });
  const visitor = { 'Accept-Language': 'de-DE,de;q=0.9', [headerNames.geo]: 'DE' };
  let stateCookie = null;

  if (urls.passthrough) {
    const res = await get(`${urls.passthrough}/ski/boots`, visitor);
    check('pass-through answers 200 with the origin page unchanged', res.status === 200 && res.body === originPage,
      `status ${res.status}, ${res.body.length} bytes (origin ${originPage.length})`);
  }
  if (urls.fixed) {
    const res = await get(`${urls.fixed}/ski/boots`, visitor);
    const hero = fieldText(res.body, 'hero', 'headline');
    const problems = privateHeaders(res);
    check('fixed-text answers 200 with fixed text in the placements, the hand-off script and private headers',
      res.status === 200 && hero === FIXED_TEXT && res.body.includes(ORIGIN_MARKER) && res.body.includes(PAYLOAD_MARKER) &&
        problems.length === 0,
      `status ${res.status}, hero "${hero}"${problems.length ? `, ${problems.join(', ')}` : ''}`);
  }
  if (urls.attune) {
    const res = await get(`${urls.attune}/ski/boots`, visitor);
    const hero = fieldText(res.body, 'hero', 'headline');
    const problems = privateHeaders(res);
    const setCookies = res.headers.getSetCookie();
    check('personalizing answers 200 with German content in the hero, the hand-off script and private headers',
      res.status === 200 && germanHeadlines.includes(hero) && hero !== ORIGIN_HERO_HEADLINE &&
        res.body.includes(ORIGIN_MARKER) && res.body.includes(PAYLOAD_MARKER) && res.body.includes('</html>') &&
        problems.length === 0,
      `status ${res.status}, hero "${hero}"${problems.length ? `, ${problems.join(', ')}` : ''}`);
    const named = await get(`${urls.attune}/ski/boots`, { ...visitor, Cookie: `attune_name=${encodeURIComponent(HOSTILE_NAME)}` });
    const namedHero = fieldText(named.body, 'hero', 'headline');
    check('personalizing templates a hostile name as text (escaped)',
      named.status === 200 && !named.body.includes(HOSTILE_NAME) && Boolean(namedHero) && namedHero.includes('&lt;script&gt;'),
      `status ${named.status}, hero "${namedHero}"`);
    const parsed = setCookies.map((c) => c.split(';')[0]).map((pair) => {
      const eq = pair.indexOf('=');
      return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() };
    }).filter((c) => c.name && c.value);
    const state = parsed.find((c) => c.name === stateCookieDefault) || parsed[0];
    check('personalizing writes a state cookie (consent policy optOut)', Boolean(state),
      `Set-Cookie: ${setCookies.map((c) => c.slice(0, 80)).join(' | ') || 'none'}`);
    if (state) {
      // A fresh cookie and a seasoned one (five page views carried forward: caps and history
      // have something to read).
      const values = [state.value];
      let current = state.value;
      for (let i = 0; i < 5; i++) {
        const next = await get(`${urls.attune}/sale`, { ...visitor, Cookie: `${state.name}=${current}` });
        const again = next.headers.getSetCookie().map((c) => c.split(';')[0]).find((p) => p.startsWith(`${state.name}=`));
        if (next.status !== 200 || !again) break;
        current = again.slice(state.name.length + 1);
      }
      if (current !== state.value) values.push(current);
      check('personalizing reads its own cookie back and writes it again', values.length === 2,
        `${values.length} cookie values, ${values.map((v) => v.length).join(' and ')} bytes`);
      stateCookie = { name: state.name, values };
    }
  }
  return { checks, stateCookie };
}

/**
 * Sends every request of the mix once to every worker; all must answer 200. When the fixed-text
 * and personalizing workers both ran, also checks that the baseline's hand-off payload,
 * Set-Cookie value and Attune-Tokens header are the personalizing worker's typical sizes
 * (`typical`: fixed_rewrite.mjs TYPICAL), so the twin stays a twin when either changes.
 */
export async function checkMix({ urls, mix, typical }) {
  const checks = [];
  const sizes = { payload: [], cookie: [], tokens: [] };
  for (const [id, base] of Object.entries(urls)) {
    const failures = [];
    const statusCounts = {};
    for (const request of mix) {
      let status;
      try {
        const res = await fetch(`${base}${request.path}`, { headers: request.headers, signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        status = res.status;
        if (id === 'attune' && status === 200) collectSizes(sizes, res, body);
      } catch (e) {
        status = `error: ${e.cause?.message || e.message}`;
      }
      statusCounts[status] = (statusCounts[status] || 0) + 1;
      if (status !== 200 && failures.length < 3) failures.push(`${status} for ${request.cookieKind} cookie ${JSON.stringify(request.headers).slice(0, 160)}`);
    }
    const ok = statusCounts[200] === mix.length;
    checks.push({
      name: `${id}: every request of the mix (garbage cookies included) answers 200`,
      ok,
      detail: ok ? `${mix.length}/${mix.length}` : `${JSON.stringify(statusCounts)}; ${failures.join('; ')}`,
    });
  }
  if (typical && urls.fixed && urls.attune) checks.push(twinSizeCheck(sizes, typical));
  return checks;
}

const PAYLOAD_ELEMENT = /<script type="application\/json" id="attune-edge">[^<]*<\/script>/;

function collectSizes(sizes, res, body) {
  const payload = PAYLOAD_ELEMENT.exec(body);
  if (payload) sizes.payload.push(payload[0].length);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('attune='));
  if (cookie) sizes.cookie.push(cookie.length - 'attune='.length);
  const tokens = res.headers.get('attune-tokens');
  if (tokens) sizes.tokens.push(tokens.length);
}

// Within a quarter of the personalizing worker's mean: the baseline's fixed sizes were taken
// from it (node bench/edge/profile.mjs --sizes) and must follow when it changes.
function twinSizeCheck(sizes, typical) {
  const problems = [];
  const shown = [];
  for (const key of ['payload', 'cookie', 'tokens']) {
    const values = sizes[key];
    const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
    shown.push(`${key} ${Math.round(mean)} vs ${typical[key]}`);
    if (!(Math.abs(mean - typical[key]) <= 0.25 * mean)) problems.push(key);
  }
  return {
    name: "fixed-text's payload, cookie and tokens are the personalizing worker's typical sizes (±25%)",
    ok: problems.length === 0,
    detail: `mean vs fixed: ${shown.join(', ')}${problems.length ? `; off: ${problems.join(', ')} (update TYPICAL in fixed_rewrite.mjs)` : ''}`,
  };
}
