// The adaptive guard's country and end-user IP rules on workerd (issue 22, docs/guard.md):
// decided in the tenant's limiter on each SMS (POST /otp, a resend), fed by its own admitted
// SMS and by the verified OTPs the shards' statistics bring; its events (GET /v1/account, the
// signed eventsUrl callback) and record mode's counts. Floors are set low in each tenant's
// `guard` so a few requests trip a rule; the clock is the real one (the range rule:
// guard-range.test.mjs; a simulated week: guard-week.test.mjs).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { startWorker, call, KEYS, TENANTS, WEBHOOK_SECRETS, until, pinFromLogs } from './harness.mjs';
import { devTenantToRecord, nowIso, recordEntries } from '../../scripts/tenants-kv.mjs';

let n = 0;
const base = 1_000_000 + (process.pid % 500) * 1000;
/** A French mobile number no other test of this file uses. */
const fr = () => `+3367${String(base + n++).padStart(7, '0')}`;
/** A German mobile number. */
const de = () => `+49151${String(base + n++).padStart(8, '0')}`;

/** Floors of 1 and a whole country refused past 2 × its threshold: the 3rd unverified SMS of the hour. */
const LOW = { hourlyFloor: 1, dailyFloor: 1, countryBlockFactor: 2 };

async function withWorker(record, fn, vars = {}, kvEntries = []) {
  const tenants = TENANTS.map((t) => (t.id === 'acme' ? { ...t, ...record } : t));
  const w = await startWorker(vars, { tenants, kvEntries });
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

const create = (w, phoneNumber, ip) => call(w, 'POST', '/otp', { phoneNumber }, KEYS.acme, ip ? { 'X-End-User-IP': ip } : {});
/** The console provider's SMS (its log lines; the number is masked there): by OTP id, or all. */
const smsOf = (w, otpId = '') => w.logs.filter((l) => l.includes('"sms.console"') && l.includes(otpId));
/** Waits until the console provider has logged `count` SMS in all, then checks it is exactly that. */
async function assertSmsCount(w, count) {
  await until(() => smsOf(w).length >= count, `${count} SMS`);
  assert.equal(smsOf(w).length, count);
}
/** A receiver of the tenant's guard events on 127.0.0.1: what it was sent, headers and body. */
async function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/guard-events`,
    received,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** Standard Webhooks, as a receiver checks it (HMAC-SHA256 of "id.timestamp.body" with the tenant's secret). */
function signedBy(secret, { headers: h, body }) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = createHmac('sha256', key).update(`${h['webhook-id']}.${h['webhook-timestamp']}.${body}`).digest('base64');
  return String(h['webhook-signature']).split(' ').includes(`v1,${mac}`);
}

const lines = (w, event) => w.logs.filter((l) => l.includes(`"event":"${event}"`)).map((l) => JSON.parse(l.slice(l.indexOf('{'))));

describe('the adaptive guard', () => {
  test('enforce: a country over its threshold is refused 403 2137 with no SMS, once reported; another country and the other tenant go on; the refusals are counted', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'enforce', ...LOW } }, async (w) => {
      for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).status, 201);
      for (let i = 0; i < 2; i++) {
        const r = await create(w, fr());
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.equal(r.body.error.code, 2137);
        assert.equal(r.body.error.type, 'access_denied');
      }
      // No SMS for the refused ones.
      await assertSmsCount(w, 2);
      const triggered = lines(w, 'guard.triggered');
      assert.equal(triggered.length, 1, JSON.stringify(triggered));
      assert.deepEqual(
        { tenant: triggered[0].tenant, mode: triggered[0].mode, scope: triggered[0].scope, country: triggered[0].country },
        { tenant: 'acme', mode: 'enforce', scope: { kind: 'country', value: 'FR' }, country: 'FR' },
      );
      assert.equal((await create(w, de())).status, 201, 'another country');
      const other = await call(w, 'POST', '/otp', { phoneNumber: fr() }, KEYS.globex);
      assert.equal(other.status, 201, 'another tenant');
      const stats = await call(w, 'GET', '/v1/stats?groupBy=country');
      assert.equal(stats.status, 200, JSON.stringify(stats.body));
      const frStats = stats.body.groups.find((g) => g.country === 'FR');
      assert.equal(frStats.refused['2137'], 2, JSON.stringify(frStats));
      assert.deepEqual(frStats.wouldRefuse, {}, 'enforce refuses: nothing only recorded');
      // The operator's view: the mode set, and the event.
      const account = await call(w, 'GET', '/v1/account');
      assert.equal(account.status, 200, JSON.stringify(account.body));
      const { guard } = account.body;
      assert.deepEqual([guard.mode, guard.modeSet, guard.recordUntil], ['enforce', 'enforce', null]);
      assert.equal(guard.settings.hourlyFloor, 1);
      assert.equal(guard.events.length, 1, JSON.stringify(guard.events));
      assert.deepEqual(guard.events[0].scope, { kind: 'country', value: 'FR' });
      assert.equal(guard.events[0].mode, 'enforce');
      assert.ok(Date.parse(guard.events[0].until) > Date.now(), 'refused for a cool-down still running');
      // The other tenant's account shows none of it.
      const globex = await call(w, 'GET', '/v1/account', undefined, KEYS.globex);
      assert.deepEqual(globex.body.guard.events, []);
    });
  });

  test('a trip is POSTed to the tenant\'s guard.eventsUrl, signed with its webhook secret, once; record mode counts what enforce would refuse', { timeout: 60000 }, async () => {
    const receiver = await startReceiver();
    try {
      await withWorker({ guard: { mode: 'enforce', ...LOW, eventsUrl: receiver.url } }, async (w) => {
        for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).status, 201);
        for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).body.error?.code, 2137);
        await until(() => receiver.received.length >= 1, 'the guard event at the receiver');
        const [got] = receiver.received;
        assert.equal(got.path, '/guard-events');
        assert.ok(signedBy(WEBHOOK_SECRETS.acme, got), 'signed with acme\'s webhook secret');
        assert.ok(!signedBy(WEBHOOK_SECRETS.globex, got), 'not with another tenant\'s');
        const body = JSON.parse(got.body);
        assert.equal(body.event, 'guard.triggered');
        assert.deepEqual(body.data.map((e) => [e.mode, e.rule, e.scope.kind, e.scope.value, e.country]), [['enforce', 'country_hourly', 'country', 'FR', 'FR']]);
        assert.match(got.headers['webhook-id'], /^msg_guard_country_FR_\d{14}$/);
        // One trip, one event: the second refusal sent nothing more.
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(receiver.received.length, 1);
      });
      receiver.received.length = 0;
      // Record mode: the same traffic goes, counted as what enforce would refuse, and the
      // event still reaches the tenant (mode "record").
      await withWorker({ guard: { mode: 'record', ...LOW, eventsUrl: receiver.url } }, async (w) => {
        for (let i = 0; i < 4; i++) assert.equal((await create(w, fr())).status, 201);
        await until(() => receiver.received.length >= 1, 'the record-mode event');
        assert.equal(JSON.parse(receiver.received[0].body).data[0].mode, 'record');
        const stats = await call(w, 'GET', '/v1/stats?groupBy=country');
        const frStats = stats.body.groups.find((g) => g.country === 'FR');
        assert.deepEqual(frStats.wouldRefuse, { 2137: 2 }, JSON.stringify(frStats));
        assert.deepEqual(frStats.refused, {});
        // All four went (the shards' statistics reach the limiter within 5 s).
        await until(async () => {
          const again = await call(w, 'GET', '/v1/stats?groupBy=country');
          return again.body.groups.find((g) => g.country === 'FR')?.sent === 4;
        }, 'the four SMS in the statistics');
        const account = await call(w, 'GET', '/v1/account');
        assert.deepEqual([account.body.guard.mode, account.body.guard.events[0]?.mode], ['record', 'record']);
      });
    } finally {
      await receiver.close();
    }
  });

  test('guard.eventsUrl is checked as a callback URL: not http(s), the record is refused; a private address, the worker refuses the tenant with the problem named', { timeout: 60000 }, async () => {
    await assert.rejects(
      withWorker({ guard: { mode: 'enforce', eventsUrl: 'ftp://ops.example/guard' } }, async () => {}),
      /guard: eventsUrl must be an http\(s\) URL or null/,
    );
    await withWorker({ guard: { mode: 'enforce', eventsUrl: 'https://10.1.2.3/guard' } }, async (w) => {
      // A record the worker cannot read is its operator's error (500, as for any problem
      // of a record); /health names it.
      const r = await create(w, fr());
      assert.equal(r.status, 500, JSON.stringify(r.body));
      const health = await call(w, 'GET', '/health');
      assert.ok(JSON.stringify(health.body).includes('guard.eventsUrl is not a valid callback URL'), JSON.stringify(health.body));
    });
  });

  test('record (the default in a tenant\'s first week after createdAt): nothing refused, the trip and each SMS enforce would refuse logged', { timeout: 60000 }, async () => {
    await withWorker({ guard: LOW }, async (w) => {
      for (let i = 0; i < 4; i++) assert.equal((await create(w, fr())).status, 201);
      await assertSmsCount(w, 4);
      const triggered = lines(w, 'guard.triggered');
      assert.equal(triggered.length, 1);
      assert.equal(triggered[0].mode, 'record');
      assert.deepEqual(lines(w, 'guard.would_refuse').map((l) => [l.tenant, l.scope.kind, l.scope.value]), [
        ['acme', 'country', 'FR'],
        ['acme', 'country', 'FR'],
      ]);
    });
  });

  test('a resend is an SMS to its country: counted, and refused 403 2137 with no SMS once the country trips; counted under its country', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'enforce', ...LOW } }, async (w) => {
      const first = await create(w, fr());
      assert.equal(first.status, 201);
      assert.equal((await create(w, fr())).status, 201);
      // The 3rd unverified SMS of the hour to FR: a resend's.
      const r = await call(w, 'POST', `/otp/${first.body.otpId}/resend`, {});
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 2137);
      await assertSmsCount(w, 2);
      // The OTP is untouched: its PIN (the first SMS's) still verifies.
      const pin = pinFromLogs(w.logs, first.body.otpId);
      assert.equal((await call(w, 'POST', `/otp/${first.body.otpId}`, { pin })).body.status, 'VERIFIED');
      const stats = await call(w, 'GET', '/v1/stats?groupBy=country');
      assert.equal(stats.body.groups.find((g) => g.country === 'FR')?.refused['2137'], 1, JSON.stringify(stats.body.groups));
      assert.equal(stats.body.groups.find((g) => g.country === 'ZZ'), undefined);
    });
  });

  test('no mode set: enforce once the week after createdAt has passed; a record without createdAt records for its first week of guard state', { timeout: 60000 }, async () => {
    const weekAgo = nowIso(new Date(Date.now() - 8 * 86_400_000));
    await withWorker({ guard: LOW, createdAt: weekAgo }, async (w) => {
      for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).status, 201);
      assert.equal((await create(w, fr())).body.error?.code, 2137);
      assert.equal(lines(w, 'guard.triggered')[0].mode, 'enforce');
      const { guard } = (await call(w, 'GET', '/v1/account')).body;
      assert.deepEqual([guard.mode, guard.modeSet], ['enforce', null]);
      assert.equal(Date.parse(guard.recordUntil), Date.parse(weekAgo) + 7 * 86_400_000, 'the first week ended a day ago');
    });
    // An older record: no createdAt (written over the one the harness stores).
    const acme = TENANTS.find((t) => t.id === 'acme');
    const old = devTenantToRecord({ ...acme, guard: LOW, createdAt: weekAgo });
    delete old.createdAt;
    await withWorker({}, async (w) => {
      for (let i = 0; i < 4; i++) assert.equal((await create(w, fr())).status, 201);
      assert.equal(lines(w, 'guard.triggered')[0].mode, 'record');
    }, {}, recordEntries(old));
  });

  test('off, and allow-listed numbers: never refused', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'off', ...LOW } }, async (w) => {
      for (let i = 0; i < 4; i++) assert.equal((await create(w, fr())).status, 201);
      assert.equal(lines(w, 'guard.triggered').length + lines(w, 'guard.would_refuse').length, 0);
    });
    const allowed = fr();
    await withWorker({ guard: { mode: 'enforce', ...LOW, allowNumbers: [allowed] } }, async (w) => {
      for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).status, 201);
      assert.equal((await create(w, fr())).body.error?.code, 2137);
      assert.equal((await create(w, allowed)).status, 201, 'the allow-listed number');
    });
  });

  test('enforce: an end-user IP asking for SMS to more countries than ipCountries in the hour is refused 403 2139; another IP goes on', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'enforce', ipCountries: 1 } }, async (w) => {
      assert.equal((await create(w, fr(), '203.0.113.7')).status, 201);
      assert.equal((await create(w, fr(), '203.0.113.7')).status, 201, 'the same country again');
      const r = await create(w, de(), '203.0.113.7');
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 2139);
      await assertSmsCount(w, 2);
      assert.equal((await create(w, fr(), '203.0.113.7')).body.error?.code, 2139, 'refused for the cool-down, whatever the country');
      assert.equal((await create(w, de(), '198.51.100.9')).status, 201, 'another IP');
      const [t] = lines(w, 'guard.triggered');
      assert.deepEqual([t.rule, t.scope], ['ip_countries', { kind: 'ip', value: '203.0.113.7' }]);
    });
  });

  test('an SMS the limiter counted and the number\'s shard then refused (2109) is taken back: it does not count towards the country', { timeout: 60000 }, async () => {
    // The default per-number limits (a 30 s cooldown before another SMS to a number).
    await withWorker({ guard: { mode: 'enforce', ...LOW } }, async (w) => {
      const first = fr();
      assert.equal((await create(w, first)).status, 201);
      assert.equal((await create(w, first)).body.error?.code, 2109, 'the number\'s cooldown');
      // Counted, it would make this one the 3rd unverified SMS of the hour (refused).
      assert.equal((await create(w, fr())).status, 201);
      assert.equal((await create(w, fr())).body.error?.code, 2137);
    }, { NUMBER_LIMITS: undefined });
  });

  test('verified OTPs, brought by the shards\' statistics, are no longer unverified: the country stays open', { timeout: 60000 }, async () => {
    await withWorker({ guard: { mode: 'enforce', ...LOW } }, async (w) => {
      for (let i = 0; i < 2; i++) {
        const number = fr();
        const r = await create(w, number);
        assert.equal(r.status, 201);
        const pin = pinFromLogs(w.logs, r.body.otpId);
        assert.equal((await call(w, 'POST', `/otp/${r.body.otpId}`, { pin })).body.status, 'VERIFIED');
      }
      // The shards' checkpoint (<= 5 s) reaches the limiter: the statistics show it.
      await until(async () => {
        const s = await call(w, 'GET', '/v1/stats?groupBy=country');
        return s.body.groups?.find((g) => g.country === 'FR')?.converted === 2;
      }, 'the verified OTPs in the statistics');
      // Without the verifications the 3rd would be refused (the first test).
      for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).status, 201, `SMS ${i + 3}`);
    });
  });
});
