// The adaptive guard's country and end-user IP rules on workerd (issue 22, docs/guard.md),
// as far as they are wired: decided in the tenant's limiter on each new SMS (POST /otp),
// fed by its own admitted SMS and by the verified OTPs the shards' statistics bring. Floors
// are set low in each tenant's `guard` so a few requests trip a rule; the clock is the
// real one (no simulated week here: GUARD-STATUS.md).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, call, KEYS, TENANTS, until, pinFromLogs } from './harness.mjs';
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

  test('no mode set: enforce once the week after createdAt has passed; a record without createdAt records for its first week of guard state', { timeout: 60000 }, async () => {
    const weekAgo = nowIso(new Date(Date.now() - 8 * 86_400_000));
    await withWorker({ guard: LOW, createdAt: weekAgo }, async (w) => {
      for (let i = 0; i < 2; i++) assert.equal((await create(w, fr())).status, 201);
      assert.equal((await create(w, fr())).body.error?.code, 2137);
      assert.equal(lines(w, 'guard.triggered')[0].mode, 'enforce');
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
