// The stateful runtime (createAttune) on Node: events reach decisions at once, the injected
// clock drives time, bad events change nothing, forget() erases, storage failures and
// corrupted state degrade to memory with a reason, and state written by one runtime is read
// by the next. Two runtimes over one shared fake storage stand in for two tabs.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import { DIST_DIR, WEB_DIR, assertBuilt } from './hosts/node_host.mjs';
import { decodeBase64Url, encodeBase64Url, hashText } from '../../web/lib/storage.mjs';
import { mergeContext, utcOffsetAt } from '../../web/lib/context.mjs';
import { manualClock as clockFrom, sharedStore } from './hosts/fakes.mjs';

const DAY = 86_400_000;
const START = Date.parse('2026-11-25T10:00:00Z');

// hero: a "returning" campaign for visitors with 3+ page views, a "ski" campaign for ski
// fans; everyone else sees the default.
const CONFIG = {
  version: 1,
  consent: { policy: 'optOut' },
  defaultLocale: 'en',
  placements: [
    { id: 'hero', default: { en: { headline: 'Welcome' } } },
    { id: 'banner', default: { en: { text: 'Hello' } } },
  ],
  campaigns: [
    {
      id: 'ski',
      placement: 'hero',
      priority: 20,
      audience: { topInterests: 'ski' },
      variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Fresh snow' } } }],
    },
    {
      id: 'returning',
      placement: 'hero',
      priority: 10,
      audience: { 'behavior.counts.page_view.lifetime': { $gte: 3 } },
      variants: [{ id: 'a', weight: 1, content: { en: { headline: 'Welcome back' } } }],
    },
    {
      id: 'ski-pages',
      placement: 'banner',
      audience: { 'page.path': { $regex: '^/ski' } },
      variants: [{ id: 'a', weight: 1, content: { en: { text: 'Ski' }, de: { text: 'Ski' } } }],
    },
  ],
};

let createAttune;
let wasmBinary;

before(async () => {
  assertBuilt();
  ({ createAttune } = await import(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href));
  wasmBinary = readFileSync(join(DIST_DIR, 'attune.wasm'));
});

const manualClock = (start = START) => clockFrom(start);

function open(options = {}) {
  return createAttune({ config: CONFIG, wasmBinary, storage: 'memory', clock: manualClock(), ...options });
}


function headline(rt, overrides) {
  const d = rt.decide('hero', overrides);
  assert.equal(d.error, undefined, d.error);
  return d.content.headline;
}

// Counts list every built-in type (zeros included): an erased profile has no event left.
function eventTotal(rt) {
  const p = rt.profile();
  assert.equal(p.error, undefined, p.error);
  return Object.values(p.behavior.counts).reduce((sum, c) => sum + c.lifetime, 0);
}

function pageViews(rt) {
  const p = rt.profile();
  assert.equal(p.error, undefined, p.error);
  return p.behavior.counts.page_view;
}

describe('events and decisions', () => {
  test('a tracked event is seen by the very next decision', async () => {
    const rt = await open();
    assert.equal(headline(rt), 'Welcome');
    assert.deepEqual(rt.track('page_view'), { ok: true });
    assert.deepEqual(rt.track('page_view', { path: '/a' }), { ok: true });
    assert.equal(headline(rt), 'Welcome');
    assert.deepEqual(rt.track('page_view', JSON.stringify({ path: '/b' })), { ok: true });
    assert.equal(headline(rt), 'Welcome back');
    assert.deepEqual(rt.track('page_view', { categories: ['ski'] }), { ok: true });
    assert.equal(headline(rt), 'Fresh snow');
    const page = rt.decidePage(undefined, { reasons: true });
    assert.deepEqual(page.decisions.map((d) => d.campaign), ['ski', null]);
    assert.ok(Array.isArray(page.decisions[0].reasons), JSON.stringify(page.decisions[0]));
    await rt.close();
  });

  test('the clock drives windows, recency and lifecycle without sleeping', async () => {
    const clock = manualClock();
    const rt = await open({ clock });
    rt.track('page_view');
    assert.deepEqual(pageViews(rt), { d1: 1, d7: 1, d30: 1, d90: 1, lifetime: 1 });
    assert.equal(rt.profile().lifecycle, 'new');
    clock.advance(2 * DAY);
    assert.deepEqual(pageViews(rt), { d1: 0, d7: 1, d30: 1, d90: 1, lifetime: 1 });
    assert.equal(rt.profile().behavior.daysSinceLastVisit, 2);
    rt.track('page_view');  // stamped with the moved clock: a second session
    assert.deepEqual(pageViews(rt), { d1: 1, d7: 2, d30: 2, d90: 2, lifetime: 2 });
    assert.equal(rt.profile().behavior.sessions, 2);
    assert.equal(rt.profile().lifecycle, 'active');
    clock.advance(60 * DAY);
    assert.equal(rt.profile().lifecycle, 'lapsed');
    clock.advance(365 * DAY);
    assert.deepEqual(pageViews(rt), { d1: 0, d7: 0, d30: 0, d90: 0, lifetime: 2 });
    assert.equal(rt.profile().behavior.daysSinceLastVisit, 425);
    assert.equal(rt.profile().lifecycle, 'dormant');
    await rt.close();
  });

  test('the decision context: clock time, overrides merged one level deep, a context function', async () => {
    const clock = manualClock();
    const seen = [];
    const rt = await open({
      clock,
      context: (defaults) => {
        seen.push(defaults);
        return { ...defaults, locales: ['de-AT'], page: { path: '/ski/boots', url: 'https://shop.example/ski/boots' } };
      },
    });
    assert.equal(rt.decide('banner').content.text, 'Ski');
    assert.equal(seen[0].now, START);
    assert.ok(Number.isInteger(seen[0].utcOffsetMinutes), JSON.stringify(seen[0]));
    assert.equal(seen[0].page, undefined, 'Node has no location');
    assert.equal(rt.decide('banner').locale, 'de');
    assert.equal(rt.decide('banner', { locales: ['en-US'] }).locale, 'en');
    // One level deep: adding categories keeps the path; replacing the path changes the decision.
    assert.equal(rt.decide('banner', { page: { categories: ['x'] } }).content.text, 'Ski');
    assert.equal(rt.decide('banner', { page: { path: '/home' } }).content.text, 'Hello');
    // The clock is the decision's time unless an override says otherwise.
    clock.advance(DAY);
    rt.decide('banner');
    assert.equal(seen.at(-1).now, START + DAY);
    // A key the visitor input does not have is the engine's error; bad overrides are ours.
    assert.match(rt.decide('banner', { colour: 'red' }).error, /colour/);
    assert.match(rt.decide('banner', 'text').error, /context/);
    assert.match(rt.decide('banner', [1]).error, /context/);
    assert.match(rt.decide(7).error, /placementId/);
    assert.ok(rt.decide('nowhere').error, 'an unknown placement is an error');
    const broken = await open({
      context: () => {
        throw new Error('no page here');
      },
    });
    assert.match(broken.decide('banner').error, /context: no page here/);
    assert.match(broken.decidePage().error, /context: no page here/);
    const notObject = await open({ context: () => 'x' });
    assert.match(notObject.decide('banner').error, /context/);
    await rt.close();
    await broken.close();
    await notObject.close();
  });

  test('bad events come back as {error} and change nothing', async () => {
    const rt = await open();
    rt.track('page_view', { categories: ['ski'] });
    rt.track('add_to_cart', { sku: 'boot-1', price: 120 });
    const before = rt.profile();
    const cases = [
      [42, undefined, /type/],
      [null, undefined, /type/],
      ['purchase', { amount: -1 }, /purchase\.amount/],
      ['purchase', { amount: '12' }, /purchase\.amount/],
      ['purchase', {}, /amount/],
      ['page_view', { categories: 'ski' }, /categories/],
      ['page_view', { colour: 'red' }, /colour/],
      ['add_to_cart', { quantity: 2 }, /sku/],
      ['add_to_cart', { sku: 'x', quantity: 0 }, /quantity/],
      ['search', { query: 'q'.repeat(600) }, /query/],
      ['page_view', null, /props/],
      ['page_view', 7, /props/],
      ['page_view', '{"categories": [', /./],
      ['no spaces allowed', {}, /./],
      ['x'.repeat(65), {}, /./],
      ['\uD800page_view', {}, /./],
      ['page_view', { categories: Array.from({ length: 17 }, (_, i) => `c${i}`) }, /categories/],
      ['page_view', { categories: ['\uDC00'.repeat(100)] }, /./],
    ];
    for (const [type, props, pattern] of cases) {
      const result = rt.track(type, props);
      assert.equal(typeof result.error, 'string', `${String(type).slice(0, 20)} ${JSON.stringify(props)?.slice(0, 40)}`);
      assert.match(result.error, pattern);
    }
    const circular = {};
    circular.self = circular;
    assert.match(rt.track('page_view', circular).error, /props/);
    assert.deepEqual(rt.profile(), before);
    await rt.close();
  });

  test('profile() has the documented shape and is a copy', async () => {
    const rt = await open();
    rt.track('page_view', { categories: ['ski', 'snow'] });
    rt.track('add_to_cart', { sku: 'boot-1', quantity: 2, price: 50 });
    rt.track('purchase', { amount: 80, items: [{ sku: 'pole', categories: ['ski'] }] });
    const p = rt.profile();
    for (const key of ['interests', 'topInterests', 'behavior', 'cart', 'rfm', 'lifecycle']) {
      assert.ok(key in p, `profile has ${key}: ${JSON.stringify(p)}`);
    }
    assert.ok(p.interests.ski > p.interests.snow, JSON.stringify(p.interests));
    assert.equal(p.topInterests[0], 'ski');
    assert.equal(p.behavior.counts.purchase.lifetime, 1);
    assert.equal(p.rfm.purchases, 1);
    assert.equal(p.rfm.spend, 80);
    assert.ok(['new', 'active'].includes(p.lifecycle), p.lifecycle);
    p.behavior.counts.page_view.lifetime = 999;
    assert.equal(pageViews(rt).lifetime, 1);
    await rt.close();
  });

  test('a clock that returns garbage gives {error}, not a throw', async () => {
    let value = START;
    const rt = await open({ clock: () => value });
    value = NaN;
    assert.match(rt.track('page_view').error, /clock/);
    assert.match(rt.profile().error, /clock/);
    assert.match(rt.decide('hero').error, /clock/);
    value = START;
    assert.deepEqual(rt.track('page_view'), { ok: true });
    const throwing = await open({
      clock: () => {
        throw new Error('clock is broken');
      },
    });
    assert.match(throwing.track('page_view').error, /clock is broken/);
    assert.match(throwing.decide('hero').error, /clock is broken/);
    await rt.close();
    await throwing.close();
  });

  test('after close() every call gives {error} and close() is idempotent', async () => {
    const rt = await open();
    await rt.close();
    await rt.close();
    assert.equal(rt.closed, true);
    assert.deepEqual(rt.track('page_view'), { error: 'runtime closed' });
    assert.deepEqual(rt.decide('hero'), { error: 'runtime closed' });
    assert.deepEqual(rt.decidePage(), { error: 'runtime closed' });
    assert.deepEqual(rt.profile(), { error: 'runtime closed' });
    assert.deepEqual(rt.forget(), { error: 'runtime closed' });
    assert.equal(rt.visitorId, undefined);
  });
});

describe('options', () => {
  test('wrong option types and invalid configs reject createAttune with a precise message', async () => {
    await assert.rejects(createAttune(null), /options must be an object/);
    await assert.rejects(open({ storage: 'session' }), /storage: must be 'local', 'memory', 'cookie' or an adapter/);
    await assert.rejects(open({ storage: { read() {} } }), /write/);
    await assert.rejects(open({ clock: 5 }), /clock/);
    await assert.rejects(open({ key: '' }), /key/);
    await assert.rejects(open({ flushIntervalMs: -1 }), /flushIntervalMs/);
    await assert.rejects(open({ context: {} }), /context/);
    await assert.rejects(open({ config: 7 }), /config/);
    const bad = { ...CONFIG, campaigns: [{ ...CONFIG.campaigns[0], priority: 'high' }] };
    await assert.rejects(open({ config: bad }), (e) => {
      assert.match(e.message, /campaigns\[0\]\.priority/);
      assert.ok(Array.isArray(e.errors) && e.errors.some((x) => x.path === 'campaigns[0].priority'));
      return true;
    });
  });

  test("default storage on Node (no localStorage): memory, ok false, with the reason", async () => {
    const rt = await open({ storage: undefined });
    assert.deepEqual({ ...rt.storageStatus }, {
      mode: 'memory',
      ok: false,
      sync: 'none',
      reason: 'localStorage is not available on this host',
    });
    assert.deepEqual(rt.track('page_view'), { ok: true });
    assert.equal(pageViews(rt).lifetime, 1);
    await rt.close();
  });

  test('each visitor gets a fresh UUID', async () => {
    const a = await open();
    const b = await open();
    assert.match(a.visitorId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a.visitorId, b.visitorId);
    await a.close();
    await b.close();
  });
});

describe('storage', () => {
  test('state written by one runtime is read by the next (persistence)', async () => {
    const store = sharedStore();
    const clock = manualClock();
    const first = await open({ storage: store.adapter(), clock });
    assert.deepEqual({ ...first.storageStatus }, { mode: 'custom', ok: true, sync: 'locks' });
    const id = first.visitorId;
    assert.ok(store.values.get('attune:state'), 'a new visitor is stored at once (its id)');
    for (let i = 0; i < 5; i++) first.track('page_view', { categories: ['ski'] });
    await first.close();
    const text = store.values.get('attune:state');
    assert.match(text, /^[A-Za-z0-9_-]+$/, 'base64url text');

    clock.advance(DAY);
    const second = await open({ storage: store.adapter(), clock });
    assert.equal(second.visitorId, id);
    assert.equal(second.loadReport.status, 'ok');
    assert.deepEqual(pageViews(second), { d1: 0, d7: 5, d30: 5, d90: 5, lifetime: 5 });
    assert.equal(headline(second), 'Fresh snow');
    await second.close();
  });

  test('a custom key keeps separate visitors apart', async () => {
    const store = sharedStore();
    const a = await open({ storage: store.adapter(), key: 'site-a' });
    const b = await open({ storage: store.adapter(), key: 'site-b' });
    a.track('page_view');
    await a.flush();
    await b.flush();
    assert.equal(pageViews(b).lifetime, 0);
    assert.deepEqual([...store.values.keys()].sort(), ['site-a', 'site-b']);
    await a.close();
    await b.close();
  });

  test('forget() erases the profile in memory and in storage now', async () => {
    const store = sharedStore();
    const rt = await open({ storage: store.adapter() });
    rt.track('page_view', { categories: ['ski'] });
    rt.track('purchase', { amount: 20 });
    await rt.flush();
    const id = rt.visitorId;
    const storedBefore = store.values.get('attune:state');
    rt.track('page_view');  // queued, not yet flushed: must not come back after forget
    assert.deepEqual(rt.forget(), { ok: true });
    assert.notEqual(store.values.get('attune:state'), storedBefore, 'storage rewritten synchronously');
    const p = rt.profile();
    assert.equal(eventTotal(rt), 0);
    assert.deepEqual(p.interests, {});
    assert.equal(p.rfm.purchases, 0);
    assert.equal(headline(rt), 'Welcome');
    assert.notEqual(rt.visitorId, id, 'forget() drops the id too: the visitor starts over as someone new');
    const fresh = rt.visitorId;
    await rt.close();
    const next = await open({ storage: store.adapter() });
    assert.equal(eventTotal(next), 0);
    assert.equal(next.visitorId, fresh);
    await next.close();
  });

  test('a throwing adapter: memory mode with the reason, decisions keep working', async () => {
    const quota = Object.assign(new Error('the quota has been exceeded'), { name: 'QuotaExceededError' });
    const writeFails = {
      read: () => null,
      write: () => {
        throw quota;
      },
    };
    const rt = await open({ storage: writeFails });
    assert.equal(rt.storageStatus.mode, 'memory');
    assert.equal(rt.storageStatus.ok, false);
    assert.match(rt.storageStatus.reason, /writing storage failed: QuotaExceededError: the quota has been exceeded/);
    for (let i = 0; i < 3; i++) assert.deepEqual(rt.track('page_view'), { ok: true });
    assert.equal(headline(rt), 'Welcome back');
    assert.equal((await rt.flush()).ok, false);
    await rt.close();

    const readFails = {
      read: () => {
        throw new TypeError('storage is disabled');
      },
      write: () => {},
    };
    const other = await open({ storage: readFails });
    assert.deepEqual({ ...other.storageStatus }, {
      mode: 'memory',
      ok: false,
      sync: 'none',
      reason: 'reading storage failed: TypeError: storage is disabled',
    });
    assert.deepEqual(other.track('signup'), { ok: true });
    assert.equal(other.profile().behavior.counts.signup.lifetime, 1);
    await other.close();
  });

  test('a lock manager that refuses: flushes still persist, best-effort, and say why', async () => {
    const store = sharedStore();
    const adapter = { ...store.adapter(), lock: () => Promise.reject(new Error('no locks here')) };
    const rt = await open({ storage: adapter });
    rt.track('page_view');
    const status = await rt.flush();
    assert.equal(status.ok, true);
    assert.equal(status.sync, 'best-effort');
    assert.match(status.lockError, /no locks here/);
    await rt.close();
    const next = await open({ storage: store.adapter() });
    assert.equal(pageViews(next).lifetime, 1);
    await next.close();
  });

  test('a corrupted stored value: a fresh profile, a report, the value replaced, no throw', async () => {
    const valid = sharedStore();
    const seed = await open({ storage: valid.adapter() });
    seed.track('page_view');
    await seed.close();
    const good = valid.values.get('attune:state');
    const flipped = good.slice(0, -3) + (good.at(-3) === 'A' ? 'B' : 'A') + good.slice(-2);
    const hostile = [
      ['not base64url', '{"profile": 1}', 'corrupt'],
      ['empty text', '', null],
      ['foreign bytes', 'SGVsbG8sIHdvcmxkIQ', null],
      ['a flipped byte', flipped, null],
      ['truncated', good.slice(0, Math.floor(good.length / 2)), null],
      ['huge garbage', 'A'.repeat(1 << 20), null],
    ];
    for (const [name, text, status] of hostile) {
      const store = sharedStore();
      store.values.set('attune:state', text);
      const rt = await open({ storage: store.adapter() });
      const report = rt.loadReport;
      assert.ok(!['ok', 'migrated'].includes(report.status), `${name}: ${JSON.stringify(report)}`);
      if (status) assert.equal(report.status, status, name);
      assert.ok(report.reason.length > 0 || report.status === 'empty', `${name}: a reason`);
      assert.equal(eventTotal(rt), 0, name);
      assert.equal(rt.storageStatus.ok, true, name);
      assert.deepEqual(rt.track('page_view'), { ok: true }, name);
      await rt.close();
      const replaced = store.values.get('attune:state');
      assert.notEqual(replaced, text, `${name}: the bad value is replaced`);
      const reread = await open({ storage: store.adapter() });
      assert.equal(reread.loadReport.status, 'ok', name);
      assert.equal(pageViews(reread).lifetime, 1, name);
      await reread.close();
    }
  });
});

describe('two runtimes over one storage (two tabs)', () => {
  test('interleaved tracking from both loses no event', async () => {
    const store = sharedStore();
    const clock = manualClock();
    const a = await open({ storage: store.adapter(), clock, flushIntervalMs: 5 });
    const b = await open({ storage: store.adapter(), clock, flushIntervalMs: 5 });
    assert.equal(a.visitorId, b.visitorId, 'both tabs settle on one visitor id');
    const run = async (rt) => {
      for (let i = 0; i < 300; i++) {
        assert.deepEqual(rt.track('page_view'), { ok: true });
        if (i % 7 === 0) await new Promise((r) => setImmediate(r));  // let flushes and sync interleave
      }
    };
    await Promise.all([run(a), run(b)]);
    await a.flush();
    await b.flush();
    await new Promise((r) => setTimeout(r, 20));  // the other side's change notification
    assert.equal(pageViews(a).lifetime, 600);
    assert.equal(pageViews(b).lifetime, 600);
    assert.ok(store.writes > 2, `flushes ran during the loops (${store.writes} writes)`);
    await a.close();
    await b.close();
    const reread = await open({ storage: store.adapter() });
    assert.equal(pageViews(reread).lifetime, 600);
    await reread.close();
  });

  test('forget() in one tab is not undone by the other tab', async () => {
    const store = sharedStore();
    const a = await open({ storage: store.adapter() });
    const b = await open({ storage: store.adapter() });
    a.track('page_view');
    b.track('page_view');
    await a.flush();
    await b.flush();
    a.forget();
    await a.flush();
    await new Promise((r) => setTimeout(r, 20));
    await b.flush();
    assert.equal(eventTotal(a), 0);
    assert.equal(eventTotal(b), 0);
    await a.close();
    await b.close();
  });

  test("events a tab queued before another tab's forget() are not replayed onto the erased state", async () => {
    const store = sharedStore();
    const a = await open({ storage: store.adapter(), flushIntervalMs: 600_000 });
    const b = await open({ storage: store.adapter(), flushIntervalMs: 600_000 });
    a.track('page_view', { categories: ['ski'] });
    await a.flush();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pageViews(b).lifetime, 1);
    b.track('page_view');  // queued in b under the old identity
    a.forget();            // b hears of it only through storage (no BroadcastChannel here)
    await b.flush();       // b's merge finds the new identity in storage
    assert.equal(eventTotal(b), 0);
    assert.equal(b.visitorId, a.visitorId);
    await a.flush();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(eventTotal(a), 0);
    b.track('page_view');  // after the forget: kept
    await b.flush();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pageViews(a).lifetime, 1);
    await a.close();
    await b.close();
  });
});

test('a pending write-behind does not keep Node alive', async () => {
  const script = `
    import { readFileSync } from 'node:fs';
    import { createAttune } from ${JSON.stringify(pathToFileURL(join(WEB_DIR, 'attune.mjs')).href)};
    const values = new Map();
    const rt = await createAttune({
      config: ${JSON.stringify(JSON.stringify(CONFIG))},
      wasmBinary: readFileSync(${JSON.stringify(join(DIST_DIR, 'attune.wasm'))}),
      storage: { read: (k) => values.get(k) ?? null, write: (k, v) => values.set(k, v) },
      flushIntervalMs: 600000,
    });
    rt.track('page_view');
    rt.track('page_view');
    console.log('tracked');
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  assert.equal(code, 0, err);
  assert.equal(out.trim(), 'tracked');
  assert.ok(Date.now() - started < 15_000, 'exited on its own');
});

describe('building blocks', () => {
  test('base64url: round trips any bytes, refuses anything else', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 255, 256, 0x8000 + 7, 100_000]) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = (i * 131 + length) & 0xff;
      const text = encodeBase64Url(bytes);
      assert.match(text, /^[A-Za-z0-9_-]*$/);
      assert.equal(text.length, Math.ceil((length * 4) / 3));
      assert.deepEqual(decodeBase64Url(text), bytes);
    }
    assert.deepEqual(decodeBase64Url('_-8'), new Uint8Array([0xff, 0xef]));
    for (const bad of ['A', 'AB=C', 'a+b/', 'ab cd', 'ä', '\uD800', null, 42, undefined]) {
      assert.equal(decodeBase64Url(bad), null, String(bad));
    }
  });

  test('hashText: equal texts hash equal, a one-character change does not', () => {
    const text = 'QVRTAAEA'.repeat(500);
    assert.equal(hashText(text), hashText(`${text}`));
    assert.notEqual(hashText(text), hashText(`${text.slice(0, -1)}B`));
    assert.notEqual(hashText('ab'), hashText('ba'));
    assert.equal(hashText(null), 'none');
    assert.doesNotMatch(hashText(text), /[@:]/, 'safe inside a lock name');
  });

  test('context: offsets are whole minutes within ±840, overrides merge one level deep', () => {
    for (const at of [0, START, Date.parse('1900-01-01T00:00:00Z'), -8.64e15, 8.64e15]) {
      const offset = utcOffsetAt(at);
      assert.ok(Number.isInteger(offset) && Math.abs(offset) <= 840 && !Object.is(offset, -0), `${at}: ${offset}`);
    }
    assert.equal(utcOffsetAt(NaN), 0);
    const base = { now: 1, page: { path: '/a', url: 'u' }, locales: ['de'] };
    assert.deepEqual(mergeContext(base, { page: { categories: ['x'] }, locales: ['en'] }), {
      now: 1,
      page: { path: '/a', url: 'u', categories: ['x'] },
      locales: ['en'],
    });
    assert.deepEqual(mergeContext(base, { page: null }), { now: 1, page: null, locales: ['de'] });
    assert.equal(mergeContext(base, undefined), base);
  });
});
