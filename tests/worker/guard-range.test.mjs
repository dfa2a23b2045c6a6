// The adaptive guard's range rule (2138) on workerd (issue 22, docs/guard.md): the tenant's
// limiter decides on the country and hands its verdict to the number's shard with the
// create; there, in a suspect country, a range (E.164 minus its last 4 digits) with more
// unverified SMS in the hour than max(rangeFloor, rangeRatio × its verified OTPs) is
// refused for the cool-down. Floors are set low in the tenant's `guard`: a country is
// suspect from its 2nd unverified SMS of the hour (hourlyFloor 1), never refused as a
// whole (countryBlockFactor 0), and a range trips at its 3rd (rangeFloor 2). The clock is
// the real one; nothing here is timed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { startWorker, call, KEYS, TENANTS, WEBHOOK_SECRET, until, pinFromLogs } from './harness.mjs';

/** A country suspect from its 2nd unverified SMS of the hour, never refused as a whole; a range tripped by its 3rd. */
const LOW = { hourlyFloor: 1, dailyFloor: 1, countryBlockFactor: 0, rangeFloor: 2 };

/** The `n`th number of French mobile range `+3367<r>` (3 digits): its last 4 digits vary. */
const num = (r, n) => `+3367${r}${String(n).padStart(4, '0')}`;
const range = (r) => `+3367${r}`;

async function withWorker(record, fn, vars = {}) {
  const tenants = TENANTS.map((t) => (t.id === 'acme' ? { ...t, ...record } : t));
  const w = await startWorker(vars, { tenants });
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

const create = (w, phoneNumber) => call(w, 'POST', '/otp', { phoneNumber }, KEYS.acme);
/** The console provider's SMS (its log lines). */
const smsOf = (w) => w.logs.filter((l) => l.includes('"sms.console"'));
/** Waits until the console provider has logged `count` SMS in all, then checks it is exactly that. */
async function assertSmsCount(w, count) {
  await until(() => smsOf(w).length >= count, `${count} SMS`);
  assert.equal(smsOf(w).length, count);
}
const lines = (w, event) => w.logs.filter((l) => l.includes(`"event":"${event}"`)).map((l) => JSON.parse(l.slice(l.indexOf('{'))));

/** A callback receiver on 127.0.0.1: every POST kept with its headers and body, answered 200. */
async function startReceiver() {
  const seen = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url, headers: req.headers, body });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** Whether a callback carries the Standard Webhooks signature of `secret` (`whsec_<base64>`). */
function signedWith(secret, { headers: h, body }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`).digest('base64');
  return h['webhook-signature'].split(' ').includes(`v1,${expected}`);
}

function assert2138(r, what) {
  assert.equal(r.status, 403, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.code, 2138, what);
  assert.equal(r.body.error.type, 'access_denied', what);
}

describe('the adaptive guard: ranges', () => {
  test('enforce: in a suspect country the pumped range is refused 403 2138 with no SMS, once reported; other ranges of the country go on; the refusals are counted as 2138; the trip is the one row stored for the ranges', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'enforce', ...LOW } }, async (w) => {
      // 1st: the country is calm; 2nd: suspect, the range at its floor (2); 3rd: over it.
      for (let i = 0; i < 2; i++) assert.equal((await create(w, num('123', i))).status, 201, `SMS ${i + 1}`);
      assert2138(await create(w, num('123', 2)), 'the 3rd SMS to the range');
      assert2138(await create(w, num('123', 3)), 'refused for the cool-down');
      await assertSmsCount(w, 2);
      const triggered = lines(w, 'guard.triggered');
      assert.equal(triggered.length, 1, JSON.stringify(triggered));
      const t = triggered[0];
      assert.deepEqual(
        { tenant: t.tenant, mode: t.mode, rule: t.rule, scope: t.scope, country: t.country, observed: t.observed, threshold: t.threshold },
        { tenant: 'acme', mode: 'enforce', rule: 'country_hourly', scope: { kind: 'range', value: range('123') }, country: 'FR', observed: 3, threshold: 2 },
      );
      assert.equal(Date.parse(t.until) - Date.parse(t.at), 3600 * 1000, 'the cool-down');
      // Other ranges of the suspect country, each up to its own floor.
      for (const r of ['456', '789']) {
        for (let i = 0; i < 2; i++) assert.equal((await create(w, num(r, i))).status, 201, `range ${r}, SMS ${i + 1}`);
      }
      await assertSmsCount(w, 6);
      assert.equal(lines(w, 'guard.triggered').length, 1, 'no other trip');
      assert.equal(lines(w, 'guard.would_refuse').length, 0);
      // The refusals in the statistics (the shard's count, sent to the limiter).
      await until(async () => {
        const s = await call(w, 'GET', '/v1/stats?groupBy=country');
        return s.body.groups?.find((g) => g.country === 'FR')?.refused?.['2138'] === 2;
      }, 'two 2138 refusals in /v1/stats');
      // What the shard stores for the ranges: the trip alone, in the prefix's row (the
      // SMS and verifications it counts are the numbers' rows); nothing for the others.
      const prefixes = w.storedRows().map((l) => JSON.parse(l)).filter(([, table]) => table === 'prefixes').map(([, , v]) => v);
      assert.equal(prefixes.length, 1, JSON.stringify(prefixes));
      const [, tenant, prefix, blockedUntil, tripUntil, trip] = prefixes[0];
      assert.deepEqual([tenant, prefix, blockedUntil], ['acme', range('123'), 0]);
      // The event's `until` is to the second.
      assert.equal(Math.floor(tripUntil / 1000) * 1000, Date.parse(t.until));
      assert.deepEqual(JSON.parse(trip), { rule: 'country_hourly', until: tripUntil, observedMilli: 3000, thresholdMilli: 2000 });
    });
  });

  test('record: nothing refused; the trip logged once, each SMS enforce would refuse logged as would_refuse', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'record', ...LOW } }, async (w) => {
      for (let i = 0; i < 4; i++) assert.equal((await create(w, num('123', i))).status, 201, `SMS ${i + 1}`);
      await assertSmsCount(w, 4);
      const triggered = lines(w, 'guard.triggered');
      assert.deepEqual(triggered.map((t) => [t.mode, t.scope.kind, t.scope.value]), [['record', 'range', range('123')]]);
      assert.deepEqual(lines(w, 'guard.would_refuse').map((l) => [l.tenant, l.rule, l.scope.kind, l.scope.value]), [
        ['acme', 'country_hourly', 'range', range('123')],
        ['acme', 'country_hourly', 'range', range('123')],
      ]);
      // Nothing refused; what enforce would have refused counted apart.
      await until(async () => {
        const s = await call(w, 'GET', '/v1/stats?groupBy=country');
        const fr = s.body.groups?.find((g) => g.country === 'FR');
        return fr?.sent === 4 && fr.wouldRefuse?.['2138'] === 2;
      }, '4 SMS in /v1/stats, 2 of them wouldRefuse 2138');
      const fr = (await call(w, 'GET', '/v1/stats?groupBy=country')).body.groups.find((g) => g.country === 'FR');
      assert.equal(fr.refused?.['2138'], undefined, JSON.stringify(fr));
    });
  });

  test('verified OTPs in a range raise its threshold: it stays open where it would have tripped', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'enforce', ...LOW } }, async (w) => {
      // 3 OTPs of range 123 verified: its threshold is max(2, 1.0 × 3) = 3.
      for (let i = 0; i < 3; i++) {
        const r = await create(w, num('123', i));
        assert.equal(r.status, 201, `OTP ${i + 1}`);
        const pin = pinFromLogs(w.logs, r.body.otpId);
        assert.equal((await call(w, 'POST', `/otp/${r.body.otpId}`, { pin })).body.status, 'VERIFIED');
      }
      // The country made suspect by another range's unverified SMS.
      for (let i = 0; i < 2; i++) assert.equal((await create(w, num('456', i))).status, 201);
      // 3 unverified SMS to range 123: the 3rd would trip a range without verified OTPs
      // (the first test); here it is at the threshold.
      for (let i = 3; i < 6; i++) assert.equal((await create(w, num('123', i))).status, 201, `unverified SMS ${i - 2}`);
      assert.equal(lines(w, 'guard.triggered').length, 0);
      // The 4th is over it.
      assert2138(await create(w, num('123', 6)), 'the 4th unverified SMS');
      assert.equal(lines(w, 'guard.triggered')[0].threshold, 3);
    });
  });

  test('off, allow-listed numbers and ranges: never refused by their range', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'off', ...LOW } }, async (w) => {
      for (let i = 0; i < 4; i++) assert.equal((await create(w, num('123', i))).status, 201);
      assert.equal(lines(w, 'guard.triggered').length + lines(w, 'guard.would_refuse').length, 0);
    });
    await withWorker({ guard: { mode: 'enforce', ...LOW, allowRanges: [range('123')], allowNumbers: [num('456', 9)] } }, async (w) => {
      for (let i = 0; i < 4; i++) assert.equal((await create(w, num('123', i))).status, 201, 'the allow-listed range');
      for (let i = 0; i < 2; i++) assert.equal((await create(w, num('456', i))).status, 201);
      assert2138(await create(w, num('456', 2)), 'a range not allow-listed');
      assert.equal((await create(w, num('456', 9))).status, 201, 'an allow-listed number of a tripped range');
    });
  });

  test('a trip is POSTed signed to the tenant\'s eventsUrl, once, and listed in GET /v1/account', { timeout: 60000 }, async () => {
    const rx = await startReceiver();
    try {
      const eventsUrl = `${rx.url}/guard-events`;
      await withWorker({ guard: { mode: 'enforce', ...LOW, eventsUrl } }, async (w) => {
        for (let i = 0; i < 2; i++) assert.equal((await create(w, num('123', i))).status, 201);
        for (let i = 2; i < 4; i++) assert2138(await create(w, num('123', i)), `SMS ${i + 1}`);
        await until(() => rx.seen.length >= 1, 'the guard event at the receiver');
        const [t] = lines(w, 'guard.triggered');
        const cb = rx.seen[0];
        assert.equal(cb.path, '/guard-events');
        assert.ok(signedWith(WEBHOOK_SECRET, cb), 'signed with acme\'s secret');
        assert.equal(cb.headers['webhook-id'], `msg_guard_range_-3367123_${t.until.slice(0, 19).replace(/\D/g, '')}`);
        const { tenant, level, event, ...fields } = t;
        assert.deepEqual(JSON.parse(cb.body), { event: 'guard.triggered', data: [fields] });
        // The event reaches the tenant's limiter with the shard's statistics: listed.
        const listed = await until(async () => {
          const a = await call(w, 'GET', '/v1/account');
          return a.body.guard?.events?.length ? a.body.guard.events : null;
        }, 'the event in GET /v1/account');
        assert.deepEqual(listed, [fields]);
        // One trip, one callback (the refusal after it sends none).
        assert.equal(rx.seen.length, 1);
      });
    } finally {
      await rx.close();
    }
  });

  test('the Twilio Verify start: a pumped range answers Twilio\'s 60410 with no SMS', { timeout: 60000 }, async () => {
    const twilio = {
      accountSid: 'ACac3e00000000000000000000000000a1',
      authToken: 'acme-twilio-auth-token-0123456789abcdef',
      services: [{ sid: 'VAac3e00000000000000000000000000c3', friendlyName: 'Acme' }],
    };
    await withWorker({ guard: { mode: 'enforce', ...LOW }, twilio }, async (w) => {
      const auth = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`;
      const start = async (to) => {
        const res = await w.fetch(`/v2/Services/${twilio.services[0].sid}/Verifications`, {
          method: 'POST',
          headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ To: to, Channel: 'sms' }).toString(),
        });
        return { status: res.status, body: await res.json() };
      };
      for (let i = 0; i < 2; i++) assert.equal((await start(num('123', i))).status, 201, `start ${i + 1}`);
      const r = await start(num('123', 2));
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.code, 60410, JSON.stringify(r.body));
      await assertSmsCount(w, 2);
      assert.deepEqual(lines(w, 'guard.triggered').map((t) => t.scope), [{ kind: 'range', value: range('123') }]);
    });
  });
});
