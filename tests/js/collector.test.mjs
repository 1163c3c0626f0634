// The browser event collector on its own (web/lib/collector.mjs, docs/COLLECTOR.md), with
// a fake timer, a fake transport, a fake sessionStorage outbox and a fake page: retries with
// bounded backoff, exactly-once ids, the drop policy at the bound, the outbox only with
// storage consent, a withdrawal that empties everything, and hostile input that never
// throws out of it.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';

import {
  MAX_ATTEMPTS,
  MAX_BATCH,
  MAX_BODY_BYTES,
  MAX_EVENT_BYTES,
  MAX_OUTBOX_CHARS,
  MAX_QUEUE,
  OUTBOX_VERSION,
  REQUEST_TIMEOUT_MS,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
  WIRE_VERSION,
  createCollector,
  eventId,
  outboxOwner,
} from '../../web/lib/collector.mjs';

const URL = '/collect';
const INTERVAL = 100;
const T0 = Date.UTC(2026, 10, 25, 10);
const OWNER = outboxOwner('v-1');  // the fake envelope's visitor

// ---- fakes ----

// Timers the test moves by hand; due callbacks run in time order, new ones included.
function fakeTimer() {
  let now = 0;
  let nextId = 1;
  const due = new Map();  // id -> {at, fn}
  return {
    set(fn, ms) {
      const id = nextId++;
      due.set(id, { at: now + Math.max(0, Number(ms) || 0), fn });
      return id;
    },
    clear(id) {
      due.delete(id);
    },
    get now() {
      return now;
    },
    pending: () => Array.from(due.values(), (d) => d.at - now).sort((a, b) => a - b),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let next = null;
        for (const [id, d] of due) if (d.at <= end && (next === null || d.at < next[1].at)) next = [id, d];
        if (next === null) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

// Records every request; `fetch` requests wait for the test's answer unless `auto` answers.
// An answer: a status number, 'error' (the network failed), a Response-like object, or
// 'hang' (never answered).
function fakeTransport() {
  const requests = [];
  const t = {
    requests,
    auto: null,  // (request) -> answer
    beaconResult: true,
    fetches: () => requests.filter((r) => r.how === 'fetch'),
    beacons: () => requests.filter((r) => r.how === 'beacon'),
    open: () => requests.filter((r) => r.how === 'fetch' && !r.answered),
    transport(url, text, how) {
      const request = { url, how, text, body: JSON.parse(text), answered: false };
      requests.push(request);
      if (how === 'beacon') return t.beaconResult;
      return new Promise((resolve, reject) => {
        request.answer = (answer) => {
          request.answered = true;
          if (answer === 'error') reject(new TypeError('Failed to fetch'));
          else if (answer !== 'hang') resolve(typeof answer === 'number' ? { ok: answer >= 200 && answer < 300, status: answer } : answer);
        };
        if (t.auto) request.answer(t.auto(request));
      });
    },
    // Answers the oldest open request.
    answer(answer) {
      const open = t.open();
      assert.ok(open.length > 0, 'no open request to answer');
      open[0].answer(answer);
    },
  };
  return t;
}

// sessionStorage for one key, counting every call.
function fakeOutbox(canPersist = true) {
  const box = {
    text: null,
    canPersist,
    calls: { read: 0, write: 0, remove: 0 },
    adapter: {
      canPersist: () => box.canPersist,
      read() {
        box.calls.read++;
        return box.text;
      },
      write(text) {
        box.calls.write++;
        box.text = text;
      },
      remove() {
        box.calls.remove++;
        box.text = null;
      },
    },
    events: () => (box.text === null ? [] : JSON.parse(box.text).events),
  };
  return box;
}

// A window with a document whose visibility the test changes.
function fakePage() {
  const win = new EventTarget();
  win.document = new EventTarget();
  win.document.visibilityState = 'visible';
  win.hide = () => {
    win.document.visibilityState = 'hidden';
    win.document.dispatchEvent(new Event('visibilitychange'));
  };
  win.show = () => {
    win.document.visibilityState = 'visible';
    win.document.dispatchEvent(new Event('visibilitychange'));
  };
  win.pagehide = () => win.dispatchEvent(new Event('pagehide'));
  win.pageshow = (persisted) => win.dispatchEvent(Object.assign(new Event('pageshow'), { persisted }));
  return win;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

// A collector wired to fakes; `consent` is changed by the test.
function setup(overrides = {}) {
  const timer = fakeTimer();
  const net = fakeTransport();
  const box = overrides.box || fakeOutbox();
  const page = overrides.page || fakePage();
  const consent = { measurement: true };
  const collector = createCollector({
    url: URL,
    intervalMs: INTERVAL,
    allowed: () => consent.measurement,
    envelope: () => ({ visitor: 'v-1' }),
    clock: () => T0 + timer.now,
    timer,
    transport: net.transport,
    outbox: box.adapter,
    page,
    random: () => 0.5,  // no jitter: exact delays
    ...overrides.options,
  });
  return { collector, timer, net, box, page, consent };
}

const impression = (token, at = T0) => ({ type: 'impression', token, at });
const tokens = (n, prefix = 't1.0.0.') => Array.from({ length: n }, (_, i) => `${prefix}${i.toString(16).padStart(8, '0')}`);
const ids = (requests) => requests.flatMap((r) => r.body.events.map((e) => e.id));

let unhandled;
const onUnhandled = (reason) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await settle();
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(unhandled, [], 'no unhandled rejections');
});

// ---- tests ----

describe('wire format and exactly-once ids', () => {
  test('every event carries `${token}:${type}`; v2 envelope; one batch per interval', async () => {
    const { collector, timer, net } = setup();
    const [a, b] = tokens(2);
    assert.deepEqual(collector.enqueue(impression(a)), { queued: true });
    collector.enqueue({ type: 'click', token: a, at: T0 + 1 });
    collector.enqueue({ type: 'conversion', token: b, at: T0 + 2, value: 12.5 });
    assert.equal(net.requests.length, 0, 'nothing before the interval');
    timer.advance(INTERVAL);
    assert.equal(net.requests.length, 1);
    const [{ url, how, body }] = net.requests;
    assert.equal(url, URL);
    assert.equal(how, 'fetch');
    assert.equal(body.v, WIRE_VERSION);
    assert.equal(WIRE_VERSION, 2);
    assert.match(body.batch, /^[0-9a-f]{16}:1$/);
    assert.equal(body.visitor, 'v-1');
    assert.equal(body.sentAt, T0 + INTERVAL);
    assert.deepEqual(body.events, [
      { id: `${a}:impression`, type: 'impression', token: a, at: T0 },
      { id: `${a}:click`, type: 'click', token: a, at: T0 + 1 },
      { id: `${b}:conversion`, type: 'conversion', token: b, at: T0 + 2, value: 12.5 },
    ]);
    assert.deepEqual(collector.stats(), {
      queued: 0, inFlight: 3, sent: 0, retried: 0, failed: 0, dropped: 0, discarded: 0, beacons: 0, batches: 1, errors: 0,
    });
    net.answer(204);
    await settle();
    assert.equal(collector.stats().sent, 3, 'sent counts events confirmed by a 2xx');
    assert.equal(collector.stats().inFlight, 0);
    assert.equal(eventId(a, 'click'), `${a}:click`);
  });

  test('an event already waiting is not queued twice; a confirmed one is not sent again', async () => {
    const { collector, timer, net } = setup();
    const [a] = tokens(1);
    collector.enqueue(impression(a));
    assert.deepEqual(collector.enqueue(impression(a, T0 + 5)), { queued: true }, 'the same event, already waiting');
    assert.equal(collector.stats().queued, 1);
    timer.advance(INTERVAL);
    net.answer(200);
    await settle();
    assert.deepEqual(collector.enqueue(impression(a)), { queued: false, reason: 'already sent' });
    timer.advance(10 * INTERVAL);
    assert.deepEqual(ids(net.requests), [`${a}:impression`]);
  });

  test('one request at a time; the next batch follows the confirmation at once', async () => {
    const { collector, timer, net } = setup();
    const all = tokens(MAX_BATCH * 2 + 5);
    for (const t of all) collector.enqueue(impression(t));
    timer.advance(INTERVAL);
    assert.equal(net.requests.length, 1);
    assert.equal(net.requests[0].body.events.length, MAX_BATCH);
    timer.advance(INTERVAL * 10);
    assert.equal(net.requests.length, 1, 'no second request while the first is unanswered');
    net.answer(204);
    await settle();
    assert.equal(net.requests.length, 2);
    net.answer(204);
    await settle();
    net.answer(204);
    await settle();
    assert.deepEqual(ids(net.requests), all.map((t) => `${t}:impression`), 'every event once, in order');
    assert.equal(collector.stats().sent, all.length);
    assert.deepEqual(timer.pending(), [], 'nothing left to do: no timer');
  });

  test(`bodies stay within ${MAX_BODY_BYTES} bytes whatever the tokens`, async () => {
    const { collector, timer, net } = setup();
    net.auto = () => 204;
    const long = tokens(MAX_BATCH, `${'x'.repeat((MAX_EVENT_BYTES - 100) / 2)}.`);  // the id repeats the token
    for (const t of long) assert.equal(collector.enqueue(impression(t)).queued, true);
    timer.advance(INTERVAL);
    for (let i = 0; i < 10; i++) await settle();
    assert.ok(net.requests.length > 1, 'split by size, not only by count');
    for (const r of net.requests) assert.ok(Buffer.byteLength(r.text) <= MAX_BODY_BYTES, `${Buffer.byteLength(r.text)} bytes`);
    assert.equal(new Set(ids(net.requests)).size, MAX_BATCH);
    assert.equal(ids(net.requests).length, MAX_BATCH);
  });
});

describe('retries', () => {
  test('500, network error, 503: retried after 1 s, 2 s, 4 s, then delivered once', async () => {
    const { collector, timer, net } = setup();
    const events = tokens(3).map((t) => impression(t));
    for (const e of events) collector.enqueue(e);
    timer.advance(INTERVAL);
    const delays = [];
    for (const answer of [500, 'error', 503]) {
      net.answer(answer);
      await settle();
      assert.equal(collector.stats().queued, 3, 'back in the queue');
      const before = net.requests.length;
      const start = timer.now;
      while (net.requests.length === before) timer.advance(50);
      delays.push(timer.now - start);
    }
    assert.deepEqual(delays, [RETRY_BASE_MS, 2 * RETRY_BASE_MS, 4 * RETRY_BASE_MS]);
    net.answer(204);
    await settle();
    const s = collector.stats();
    assert.equal(s.sent, 3);
    assert.equal(s.retried, 9, 'three events, each sent again three times');
    assert.equal(s.errors, 3);
    assert.equal(s.failed, 0);
    assert.match(s.lastError, /503/);
    assert.equal(net.requests.length, 4);
    const sentIds = net.requests.map((r) => ids([r]));
    assert.ok(sentIds.every((list) => JSON.stringify(list) === JSON.stringify(sentIds[0])), 'the same events each time');
    assert.equal(new Set(net.requests.map((r) => r.body.batch)).size, 4, 'a new batch id per request');
  });

  test(`the backoff doubles up to ${RETRY_MAX_MS} ms and resets after a success`, async () => {
    const { collector, timer, net } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    const delays = [];
    for (let i = 0; i < MAX_ATTEMPTS - 1; i++) {
      net.answer(500);
      await settle();
      delays.push(timer.pending()[0]);
      timer.advance(timer.pending()[0]);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000, 60000]);
    net.answer(204);
    await settle();
    collector.enqueue(impression('t1.0.0.bb'));
    timer.advance(INTERVAL);
    net.answer(500);
    await settle();
    assert.deepEqual(timer.pending(), [RETRY_BASE_MS], 'back to the first delay');
  });

  test('jitter stays within ±25% and never beyond the cap', async () => {
    for (const r of [0, 0.999999]) {
      const { collector, timer, net } = setup({ options: { random: () => r } });
      net.auto = () => 500;
      collector.enqueue(impression('t1.0.0.aa'));
      timer.advance(INTERVAL);
      const delays = [];
      for (let i = 0; i < 9; i++) {
        await settle();
        delays.push(timer.pending()[0]);
        timer.advance(timer.pending()[0]);
      }
      const expected = r === 0 ? [750, 1500, 3000, 6000, 12000, 24000, 45000, 45000, 45000] : [1250, 2500, 5000, 10000, 20000, 40000, 60000, 60000, 60000];
      assert.deepEqual(delays, expected);
    }
  });

  test('a random() that lies cannot break the schedule', async () => {
    for (const bad of [() => Number.NaN, () => 7, () => -1, () => { throw new Error('no entropy'); }]) {
      const { collector, timer, net } = setup({ options: { random: bad } });
      net.auto = () => 500;
      collector.enqueue(impression('t1.0.0.aa'));
      timer.advance(INTERVAL);
      await settle();
      assert.deepEqual(timer.pending(), [RETRY_BASE_MS]);
    }
  });

  test('429 with Retry-After waits as asked (capped)', async () => {
    const { collector, timer, net } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    net.answer({ ok: false, status: 429, headers: { get: (h) => (h === 'retry-after' ? '5' : null) } });
    await settle();
    assert.deepEqual(timer.pending(), [5000]);
    timer.advance(5000);
    net.answer({ ok: false, status: 503, headers: { get: () => '86400' } });
    await settle();
    assert.deepEqual(timer.pending(), [RETRY_MAX_MS]);
  });

  test('a 4xx refusal is final: given up and counted, the rest goes on', async () => {
    const { collector, timer, net } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    collector.enqueue(impression('t1.0.0.bb'));
    net.answer(400);
    await settle();
    assert.equal(net.requests.length, 2, 'the next batch at once: no backoff for a refusal');
    assert.deepEqual(ids([net.requests[1]]), ['t1.0.0.bb:impression']);
    net.answer(204);
    await settle();
    const s = collector.stats();
    assert.deepEqual([s.sent, s.failed, s.retried, s.queued], [1, 1, 0, 0]);
    assert.match(s.lastError, /400/);
  });

  test(`an event is given up after ${MAX_ATTEMPTS} sends`, async () => {
    const { collector, timer, net } = setup();
    net.auto = () => 500;
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    for (let i = 0; i < 40; i++) {
      await settle();
      timer.advance(RETRY_MAX_MS);
    }
    assert.equal(net.requests.length, MAX_ATTEMPTS);
    const s = collector.stats();
    assert.deepEqual([s.queued, s.failed, s.retried, s.errors], [0, 1, MAX_ATTEMPTS - 1, MAX_ATTEMPTS]);
    assert.deepEqual(timer.pending(), []);
  });

  test(`an unanswered request is retried after ${REQUEST_TIMEOUT_MS} ms; its late answer is ignored`, async () => {
    const { collector, timer, net } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    const first = net.requests[0];
    timer.advance(REQUEST_TIMEOUT_MS);
    assert.match(collector.stats().lastError, /no answer/);
    timer.advance(RETRY_BASE_MS);
    assert.equal(net.requests.length, 2);
    first.answer(204);
    await settle();
    assert.equal(collector.stats().sent, 0, 'the stale answer does not count');
    net.requests[1].answer(204);
    await settle();
    assert.equal(collector.stats().sent, 1);
  });

  test('a transport returning true is final (sent); false or a throw is retried', async () => {
    let result = true;
    const bodies = [];
    const { collector, timer } = setup({
      options: {
        transport: (url, body) => {
          bodies.push(body);
          if (result === 'throw') throw new Error('boom');
          return result;
        },
      },
    });
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    assert.equal(collector.stats().sent, 1);
    result = false;
    collector.enqueue(impression('t1.0.0.bb'));
    timer.advance(INTERVAL);
    assert.deepEqual([collector.stats().queued, collector.stats().errors], [1, 1]);
    result = 'throw';
    timer.advance(RETRY_BASE_MS);
    assert.match(collector.stats().lastError, /boom/);
    result = true;
    timer.advance(2 * RETRY_BASE_MS);
    assert.deepEqual([collector.stats().sent, collector.stats().queued, bodies.length], [2, 0, 4]);
  });
});

describe('the bounded queue', () => {
  test(`beyond ${MAX_QUEUE}: the oldest not on the wire are dropped and counted`, async () => {
    const { collector, timer, net } = setup();
    const all = tokens(MAX_QUEUE + 10);
    for (const t of all.slice(0, MAX_BATCH)) collector.enqueue(impression(t));
    timer.advance(INTERVAL);  // the first MAX_BATCH are in flight
    for (const t of all.slice(MAX_BATCH)) collector.enqueue(impression(t));
    let s = collector.stats();
    assert.deepEqual([s.queued + s.inFlight, s.inFlight, s.dropped], [MAX_QUEUE, MAX_BATCH, 10]);
    net.answer(204);
    await settle();
    while (net.open().length > 0) {
      net.answer(204);
      await settle();
    }
    const delivered = ids(net.requests);
    const droppedIds = all.slice(MAX_BATCH, MAX_BATCH + 10).map((t) => `${t}:impression`);
    assert.equal(delivered.length, MAX_QUEUE);
    assert.ok(droppedIds.every((id) => !delivered.includes(id)), 'the oldest waiting ones went');
    assert.ok(delivered.includes(`${all[0]}:impression`), 'the in-flight ones were kept');
    s = collector.stats();
    assert.deepEqual([s.sent, s.dropped, s.queued], [MAX_QUEUE, 10, 0]);
  });

  test('the bound holds through an outage: at most MAX_QUEUE held, one request per backoff', async () => {
    const { collector, timer, net } = setup();
    net.auto = () => 'error';
    for (let i = 0; i < 3 * MAX_QUEUE; i++) {
      collector.enqueue(impression(`t1.0.0.${i.toString(16)}`));
      if (i % 100 === 0) {
        timer.advance(INTERVAL);
        await settle();
      }
    }
    const s = collector.stats();
    assert.equal(s.queued + s.inFlight, MAX_QUEUE);
    assert.equal(s.dropped, 2 * MAX_QUEUE);
    assert.ok(net.requests.length <= 6, `${net.requests.length} requests`);
  });
});

describe('hide, pagehide and the outbox', () => {
  test('pagehide: queued events go to beacons and everything unconfirmed to the outbox', async () => {
    const { collector, timer, net, box, page } = setup();
    const all = tokens(4);
    collector.enqueue(impression(all[0]));
    collector.enqueue(impression(all[1]));
    timer.advance(INTERVAL);  // two in flight
    collector.enqueue(impression(all[2]));
    collector.enqueue({ type: 'conversion', token: all[3], at: T0, value: 3 });
    page.pagehide();
    assert.deepEqual(net.beacons().map((r) => ids([r])), [[`${all[2]}:impression`, `${all[3]}:conversion`]], 'in-flight ones are not sent twice');
    assert.deepEqual(box.events().map((e) => e.id), all.map((t, i) => `${t}:${i === 3 ? 'conversion' : 'impression'}`));
    assert.equal(JSON.parse(box.text).v, OUTBOX_VERSION);
    assert.equal(box.events()[3].value, 3);
    assert.equal(collector.stats().beacons, 2);
    assert.equal(collector.stats().sent, 0, 'a beacon is not a confirmation');
    // The page survives after all (bfcache, or only hidden): the in-flight answer trims the outbox.
    net.answer(204);
    await settle();
    assert.deepEqual(box.events().map((e) => e.id), [`${all[2]}:impression`, `${all[3]}:conversion`]);
  });

  test('the next page adopts the outbox and resends it; confirmation erases it', async () => {
    const first = setup();
    const all = tokens(3);
    for (const t of all) first.collector.enqueue(impression(t));
    first.page.pagehide();
    assert.equal(first.box.events().length, 3);

    const next = setup({ box: first.box });
    assert.deepEqual(next.collector.stats().queued, 3, 'adopted at start');
    next.timer.advance(INTERVAL);
    assert.deepEqual(ids(next.net.fetches()), all.map((t) => `${t}:impression`));
    assert.equal(next.net.requests[0].body.events[0].at, T0, 'the original time');
    next.net.answer(204);
    await settle();
    assert.equal(first.box.text, null, 'erased once confirmed');
    assert.equal(next.collector.stats().sent, 3);
  });

  test("another visitor's outbox (forget() elsewhere between pages) is erased, not sent", () => {
    const first = setup();
    first.collector.enqueue(impression('t1.0.0.aa'));
    first.page.pagehide();
    assert.equal(JSON.parse(first.box.text).owner, OWNER);
    assert.ok(!first.box.text.includes('v-1'), 'a hash of the visitor id, not the id');
    const next = setup({ box: first.box, options: { envelope: () => ({ visitor: 'v-2' }) } });
    assert.equal(first.box.text, null);
    next.timer.advance(10 * INTERVAL);
    assert.deepEqual([next.collector.stats().queued, next.net.requests.length], [0, 0]);
  });

  test('visible again: beaconed events are resent (the collector dedupes) until confirmed', async () => {
    const { collector, timer, net, page } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    page.hide();
    assert.equal(net.beacons().length, 1);
    timer.advance(10 * INTERVAL);
    assert.equal(net.fetches().length, 0, 'not resent while hidden');
    page.show();
    timer.advance(INTERVAL);
    assert.deepEqual(ids(net.fetches()), ['t1.0.0.aa:impression']);
    net.answer(204);
    await settle();
    collector.enqueue(impression('t1.0.0.bb'));
    page.pagehide();
    page.pageshow(true);  // back/forward cache
    timer.advance(INTERVAL);
    assert.deepEqual(ids(net.fetches()), ['t1.0.0.aa:impression', 't1.0.0.bb:impression']);
  });

  test('a refused beacon keeps the events queued and in the outbox', () => {
    const { collector, net, box, page } = setup();
    net.beaconResult = false;
    collector.enqueue(impression('t1.0.0.aa'));
    page.pagehide();
    assert.equal(collector.stats().queued, 1);
    assert.equal(collector.stats().beacons, 0);
    assert.match(collector.stats().lastError, /beacon/);
    assert.equal(box.events().length, 1);
  });

  test('without storage consent nothing is written, read or kept', () => {
    const box = fakeOutbox(false);
    box.text = JSON.stringify({ v: OUTBOX_VERSION, events: [impression('t1.0.0.old')] });
    const { collector, net, page } = setup({ box });
    assert.equal(box.calls.read, 0, 'not read without storage consent');
    assert.equal(box.text, null, 'erased unread');
    collector.enqueue(impression('t1.0.0.aa'));
    page.hide();
    page.pagehide();
    assert.equal(box.calls.write, 0);
    assert.equal(box.text, null);
    assert.equal(net.beacons().length, 1, 'the beacon still goes: measurement allows it');
    assert.equal(collector.stats().queued, 1);
  });

  test('without measurement at start the outbox is erased unread and nothing is sent', () => {
    const box = fakeOutbox(true);
    box.text = JSON.stringify({ v: OUTBOX_VERSION, events: [impression('t1.0.0.old')] });
    const timer = fakeTimer();
    const net = fakeTransport();
    const collector = createCollector({
      url: URL, intervalMs: INTERVAL, allowed: () => false, envelope: () => ({}), clock: () => T0, timer,
      transport: net.transport, outbox: box.adapter, page: fakePage(),
    });
    assert.deepEqual([box.calls.read, box.text], [0, null]);
    assert.deepEqual(collector.enqueue(impression('t1.0.0.aa')), { queued: false, reason: 'measurement not granted' });
    timer.advance(10 * INTERVAL);
    assert.equal(net.requests.length, 0);
  });

  test('storage withdrawn (measurement kept): the outbox goes at the next event', () => {
    const { collector, box, page } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    page.hide();
    assert.equal(box.events().length, 1);
    box.canPersist = false;
    collector.enqueue(impression('t1.0.0.bb'));
    assert.equal(box.text, null);
    page.pagehide();
    assert.equal(box.text, null);
  });

  test('close(): sends what is queued, saves what is unconfirmed, then stops for good', async () => {
    const { collector, timer, net, box, page } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    collector.close();
    assert.deepEqual(ids(net.fetches()), ['t1.0.0.aa:impression']);
    assert.equal(box.events().length, 1, 'unconfirmed: kept for the next page');
    assert.deepEqual(collector.enqueue(impression('t1.0.0.bb')), { queued: false, reason: 'runtime closed' });
    net.answer(500);
    await settle();
    assert.deepEqual(timer.pending(), [], 'no retry after close');
    page.pagehide();
    assert.equal(net.beacons().length, 0, 'listeners removed');
    collector.close();
  });
});

describe('withdrawal', () => {
  test('clear() discards the queue, the retries and the outbox; late answers are ignored', async () => {
    const { collector, timer, net, box, page, consent } = setup();
    for (const t of tokens(3)) collector.enqueue(impression(t));
    timer.advance(INTERVAL);
    net.answer(500);
    await settle();
    collector.enqueue(impression('t1.0.0.late'));
    timer.advance(RETRY_BASE_MS);  // the retry is in flight
    page.hide();  // outbox written
    assert.ok(box.text);
    consent.measurement = false;
    collector.clear();
    const s = collector.stats();
    assert.deepEqual([s.queued, s.inFlight, s.discarded], [0, 0, 4]);
    assert.equal(box.text, null);
    assert.deepEqual(timer.pending(), [], 'no timer, no retry');
    net.answer(204);
    await settle();
    assert.equal(collector.stats().sent, 0, 'an answer after the withdrawal changes nothing');
    assert.deepEqual(collector.enqueue(impression('t1.0.0.x')), { queued: false, reason: 'measurement not granted' });
    page.pagehide();
    assert.equal(box.text, null);
  });

  test('a withdrawal the collector notices itself (timer, hide) sends nothing and discards', () => {
    const { collector, timer, net, box, page, consent } = setup();
    collector.enqueue(impression('t1.0.0.aa'));
    consent.measurement = false;
    timer.advance(INTERVAL);
    assert.equal(net.requests.length, 0);
    assert.equal(collector.stats().discarded, 1);
    consent.measurement = true;
    collector.enqueue(impression('t1.0.0.bb'));
    consent.measurement = false;
    page.pagehide();
    assert.deepEqual([net.requests.length, box.calls.write, collector.stats().discarded], [0, 0, 2]);
  });

  test('an allowed() that throws counts as no consent', () => {
    const { collector, net, timer } = setup({
      options: {
        allowed: () => {
          throw new Error('consent unknown');
        },
      },
    });
    assert.equal(collector.enqueue(impression('t1.0.0.aa')).queued, false);
    timer.advance(INTERVAL);
    assert.equal(net.requests.length, 0);
  });
});

describe('hostile and huge input', () => {
  test('bad events are refused precisely, never thrown', () => {
    const { collector } = setup();
    const trap = {
      get type() {
        throw new Error('trap');
      },
    };
    const cases = [
      [null, /event: must be an object/],
      ['impression', /event: must be an object/],
      [{ type: 'purchase', token: 't', at: T0 }, /event\.type/],
      [{ type: '__proto__', token: 't', at: T0 }, /event\.type/],
      [{ type: 'click', token: '', at: T0 }, /event\.token/],
      [{ type: 'click', token: 42, at: T0 }, /event\.token/],
      [{ type: 'click', token: 't', at: Number.NaN }, /event\.at/],
      [{ type: 'click', token: 't', at: '2026' }, /event\.at/],
      [{ type: 'conversion', token: 't', at: T0, value: -1 }, /event\.value/],
      [{ type: 'conversion', token: 't', at: T0, value: Infinity }, /event\.value/],
      [{ type: 'click', token: 'x'.repeat(100_000), at: T0 }, /over 1024 bytes/],
      [{ type: 'click', token: '\u{1F600}'.repeat(300), at: T0 }, /over 1024 bytes/],
      [trap, /collector error/],
    ];
    for (const [event, pattern] of cases) {
      const result = collector.enqueue(event);
      assert.equal(result.queued, false);
      assert.match(result.reason, pattern);
    }
    assert.equal(collector.stats().queued, 0);
  });

  test('odd but valid tokens travel as valid JSON', async () => {
    const { collector, timer, net } = setup();
    const odd = ['\ud800', 'a"b\\c', '</script>', '\u0000', 'ünï:cödé', 'click:impression'];
    for (const t of odd) assert.equal(collector.enqueue(impression(t)).queued, true, JSON.stringify(t));
    timer.advance(INTERVAL);
    const [request] = net.requests;
    assert.ok(request.text.isWellFormed(), 'no lone surrogate on the wire');
    assert.deepEqual(request.body.events.map((e) => e.token).slice(1), odd.slice(1));
    assert.equal(new Set(ids(net.requests)).size, odd.length);
  });

  test('a garbage outbox is erased; valid events in a damaged one are kept', () => {
    const garbage = [
      '{', 'null', '[]', '{"v":99,"events":[]}', `{"v":1,"owner":"${OWNER}","events":{}}`, '{"v":1,"events":[]}',
      `{"v":1,"owner":7,"events":[]}`, `"${'x'.repeat(MAX_OUTBOX_CHARS)}"`,
    ];
    for (const text of garbage) {
      const box = fakeOutbox();
      box.text = text;
      const { collector } = setup({ box });
      assert.equal(collector.stats().queued, 0, text.slice(0, 20));
      assert.equal(box.text, null, `${text.slice(0, 20)} erased`);
    }
    const box = fakeOutbox();
    box.text = JSON.stringify({
      v: OUTBOX_VERSION,
      owner: OWNER,
      events: [
        null, 7, { type: 'evil', token: 'a', at: 1 }, { type: 'click', token: 'a', at: 'x' },
        { id: 'forged', type: 'click', token: 'ok', at: 5, attempts: 1e9 },
        { type: 'click', token: 'ok', at: 6 },  // the same event twice
        { type: 'conversion', token: 'ok', at: 7, value: 2, attempts: 3, extra: { deep: [1] } },
      ],
    });
    const { collector, timer, net } = setup({ box });
    assert.equal(collector.stats().queued, 2);
    timer.advance(INTERVAL);
    assert.deepEqual(net.requests[0].body.events, [
      { id: 'ok:click', type: 'click', token: 'ok', at: 5 },
      { id: 'ok:conversion', type: 'conversion', token: 'ok', at: 7, value: 2 },
    ]);
  });

  test(`an outbox of ${MAX_QUEUE * 3} events: the newest ${MAX_QUEUE} are adopted, the rest counted dropped`, () => {
    const box = fakeOutbox();
    box.text = JSON.stringify({ v: OUTBOX_VERSION, owner: OWNER, events: tokens(MAX_QUEUE * 3).map((t) => impression(t)) });
    const { collector } = setup({ box });
    assert.deepEqual([collector.stats().queued, collector.stats().dropped], [MAX_QUEUE, 2 * MAX_QUEUE]);
  });

  test('transports, answers, envelopes, clocks, timers and storage that misbehave never throw out', async () => {
    const answers = [
      undefined, null, 'yes', {}, { then: 5 }, { status: 'x' }, { ok: 'maybe' },
      { get status() { throw new Error('status trap'); } },
      { then() { throw new Error('then trap'); } },
      { then(resolve) { resolve(204); resolve(500); } },  // answers twice
      () => Promise.reject(new Error('rejected')),  // made when asked: not unhandled before that
    ];
    let i = 0;
    const throwing = () => {
      throw new Error('nope');
    };
    const box = {
      canPersist: () => true,
      read: throwing,
      write: throwing,
      remove: throwing,
    };
    const timer = fakeTimer();
    const collector = createCollector({
      url: URL,
      intervalMs: 0,
      allowed: () => true,
      envelope: throwing,
      clock: () => Number.NaN,
      timer,
      transport: () => {
        const answer = answers[i++ % answers.length];
        return typeof answer === 'function' ? answer() : answer;
      },
      outbox: box,
      page: fakePage(),
    });
    for (let n = 0; n < answers.length * 2; n++) {
      collector.enqueue(impression(`t1.0.0.${n}`));
      timer.advance(RETRY_MAX_MS);
      await settle();
    }
    const s = collector.stats();
    assert.ok(s.sent >= 1, 'the answer 204 confirmed its batch');
    assert.ok(s.errors >= 5, JSON.stringify(s));
    collector.close();
    const broken = createCollector({
      url: URL, intervalMs: 0, allowed: () => true, envelope: () => ({}), clock: () => T0,
      timer: { set: throwing, clear: throwing }, transport: () => true, outbox: box, page: { addEventListener: throwing },
    });
    assert.equal(broken.enqueue(impression('t1.0.0.aa')).queued, true, 'queued even if no timer can be set');
    assert.equal(broken.flush(), 1);
    broken.close();
  });

  test('without a url it queues nothing and touches nothing', () => {
    const box = fakeOutbox();
    box.text = 'kept';
    const page = fakePage();
    const net = fakeTransport();
    const collector = createCollector({
      url: undefined, intervalMs: 0, allowed: () => true, envelope: () => ({}), clock: () => T0,
      timer: fakeTimer(), transport: net.transport, outbox: box.adapter, page,
    });
    assert.deepEqual(collector.enqueue(impression('t1.0.0.aa')), { queued: false, reason: 'no collectorUrl' });
    page.pagehide();
    assert.deepEqual([net.requests.length, box.text, box.calls], [0, 'kept', { read: 0, write: 0, remove: 0 }]);
  });
});

describe('the default transport', () => {
  let saved;
  beforeEach(() => {
    saved = { fetch: globalThis.fetch, navigator: Object.getOwnPropertyDescriptor(globalThis, 'navigator') };
  });
  afterEach(() => {
    globalThis.fetch = saved.fetch;
    if (saved.navigator) Object.defineProperty(globalThis, 'navigator', saved.navigator);
    else delete globalThis.navigator;
  });

  function browserLike({ beacon = true, fetchAnswer = 204 } = {}) {
    const calls = { fetch: [], beacon: [] };
    globalThis.fetch = (url, init) => {
      calls.fetch.push({ url, init });
      return fetchAnswer === 'error' ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve(new Response(null, { status: fetchAnswer }));
    };
    Object.defineProperty(globalThis, 'navigator', {
      configurable: true,
      value: { sendBeacon: (url, body) => (calls.beacon.push({ url, body }), beacon) },
    });
    return calls;
  }

  test('fetch keepalive, text/plain, for the steady path; confirmed by its Response', async () => {
    const calls = browserLike();
    const { collector, timer } = setup({ options: { transport: undefined } });
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    await settle();
    assert.equal(calls.fetch.length, 1);
    const { url, init } = calls.fetch[0];
    assert.equal(url, URL);
    assert.equal(init.method, 'POST');
    assert.equal(init.keepalive, true);
    assert.equal(init.headers['content-type'], 'text/plain;charset=UTF-8');
    assert.equal(JSON.parse(init.body).events[0].id, 't1.0.0.aa:impression');
    assert.equal(collector.stats().sent, 1);
    assert.equal(calls.beacon.length, 0);
  });

  test('pagehide uses sendBeacon; a refused beacon falls back to fetch keepalive', async () => {
    let calls = browserLike();
    let s = setup({ options: { transport: undefined } });
    s.collector.enqueue(impression('t1.0.0.aa'));
    s.page.pagehide();
    assert.deepEqual([calls.beacon.length, calls.fetch.length], [1, 0]);
    calls = browserLike({ beacon: false, fetchAnswer: 'error' });
    s = setup({ options: { transport: undefined } });
    s.collector.enqueue(impression('t1.0.0.bb'));
    s.page.pagehide();
    assert.deepEqual([calls.beacon.length, calls.fetch.length], [1, 1]);
    assert.equal(calls.fetch[0].init.keepalive, true);
    assert.equal(s.collector.stats().beacons, 1);
  });

  test('without fetch the beacon is the only way: its hand-over is final', () => {
    const calls = browserLike();
    delete globalThis.fetch;
    const { collector, timer } = setup({ options: { transport: undefined } });
    collector.enqueue(impression('t1.0.0.aa'));
    timer.advance(INTERVAL);
    assert.equal(calls.beacon.length, 1);
    assert.equal(collector.stats().sent, 1);
  });
});
