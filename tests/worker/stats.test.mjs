// GET /v1/stats on workerd (issue 22): OTPs created, verified, failed, expired, refused by
// each abuse control, messages sent and delivered per provider and channel, SMS parts and
// cost by the per-country price table — counted in the shards, sent to the tenant's
// limiter at a checkpoint (5 s), read in one call. The providers are the local stand-ins
// (their reports signed as each provider signs them); every figure asserted is one the
// test caused. A tenant sees only its own; a bad parameter is a 400 naming it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startWorker, call, KEYS, TENANTS, until } from './harness.mjs';
import { standinEnv, startStandins } from './standins.mjs';

const PUBLIC_URL = 'https://otp.example';
const root = fileURLToPath(new URL('../../', import.meta.url));

let standins;
before(async () => {
  standins = await startStandins();
});
after(async () => {
  await standins?.close();
});

let n = 0;
/** A French mobile number no other test of this file uses. */
const fr = () => `+3367${String(1_000_000 + (process.pid % 500) * 1000 + n++).padStart(7, '0')}`;
/** A Brazilian mobile number (São Paulo). */
const br = () => `+55119${String(71_000_000 + (process.pid % 500) * 1000 + n++).padStart(8, '0')}`;

const TEST_NUMBER = '+33699999999';

async function withWorker(policy, fn) {
  standins.resetControls();
  const env = standinEnv(standins);
  const tenants = TENANTS.map((t) => (t.id === 'acme' ? { ...t, ...policy } : t));
  const w = await startWorker(
    {
      ...env,
      PUBLIC_URL,
      SMS_PROVIDER: undefined,
      SMS_ROUTES: JSON.stringify({ BR: ['vonage', 'twilio'], '*': ['twilio'] }),
      SMS_PRICES: JSON.stringify({ FR: 0.05, BR: 0.035 }),
      PRICE_PER_PART: '0.01',
      SMS_TIMEOUT_MS: '1500',
      NUMBER_LIMITS: JSON.stringify({ resendCooldowns: [60] }),
    },
    { tenants },
  );
  standins.setDeliverTo((url) => url.replace(PUBLIC_URL, w.url));
  try {
    return await fn(w);
  } finally {
    await standins.settled?.();
    await w.dispose();
  }
}

const stats = (w, query = '', key = KEYS.acme) => call(w, 'GET', `/v1/stats${query}`, undefined, key);
const byCountry = (body) => Object.fromEntries(body.groups.map((g) => [g.country, g]));

describe('GET /v1/stats', () => {
  test('counts what happened per country, channel and provider, with the country prices; another tenant sees none of it', { timeout: 90000 }, async () => {
    const policy = { allowedCountries: ['FR', 'BR'], testNumbers: { [TEST_NUMBER]: '123456' } };
    await withWorker(policy, async (w) => {
      const startedAt = Date.now();
      // FR: three OTPs through Twilio (each message reported sent then delivered): two
      // verified, one failed on its only wrong PIN.
      const ids = [];
      const numbers = [];
      for (let i = 0; i < 3; i++) {
        numbers.push(fr());
        const r = await call(w, 'POST', '/otp', { phoneNumber: numbers[i], maxAttempts: 1 });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        ids.push(r.body.otpId);
      }
      for (const i of [0, 1]) {
        // The code Twilio's stand-in was given for the number.
        const sms = standins.received.find((e) => e.provider === 'twilio' && e.form?.To === numbers[i]);
        const pin = sms.form.Body.match(/(\d{6})/)[1];
        assert.equal((await call(w, 'POST', `/otp/${ids[i]}`, { pin })).body.status, 'VERIFIED');
      }
      // A resend too soon (the cooldown): refused 2109, counted under FR.
      const early = await call(w, 'POST', `/otp/${ids[2]}/resend`);
      assert.equal(early.body.error?.code, 2109, JSON.stringify(early.body));
      const wrong = await call(w, 'POST', `/otp/${ids[2]}`, { pin: '000000' });
      assert.equal(wrong.status, 400);
      // BR: Vonage refuses at send, Twilio takes it — one attempt, Twilio's message sent,
      // Vonage's counted failed (not sent, not priced).
      standins.control('vonage', { mode: 'fail' });
      const b = await call(w, 'POST', '/otp', { phoneNumber: br() });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      assert.equal(b.body.delivery.provider, 'twilio');
      standins.control('vonage', { mode: 'ok' });
      // A channel the tenant does not have: 403 2136, counted under FR (voice).
      const voice = await call(w, 'POST', '/otp', { phoneNumber: fr(), channel: 'voice' });
      assert.equal(voice.body.error?.code, 2136, JSON.stringify(voice.body));
      // A country the tenant does not send to: 403 2112, counted under US.
      const us = await call(w, 'POST', '/otp', { phoneNumber: '+12025550123' });
      assert.equal(us.body.error?.code, 2112, JSON.stringify(us.body));
      // A test number: no SMS, not traffic, not counted.
      assert.equal((await call(w, 'POST', '/otp', { phoneNumber: TEST_NUMBER })).status, 201);

      // The shards send their counts within 5 s; the refusal the worker decided is in the
      // limiter already.
      let last;
      const got = await until(async () => {
        const r = await stats(w, '?groupBy=country');
        last = r.body;
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const c = byCountry(r.body);
        const done = c.FR?.attempts === 3 && c.BR?.attempts === 1 && c.FR?.delivered === 3 && c.BR?.delivered === 1;
        return done && r.body;
      }, 'the statistics of 4 OTPs and their reports', 30000).catch((e) => {
        console.error(w.logs.filter((l) => /stats|alarm|error|panic/i.test(l)).slice(-30).join("\n"));
        throw new Error(`${e.message}: ${JSON.stringify(last)}`);
      });
      assert.deepEqual(got.groupBy, ['country']);
      const c = byCountry(got);
      assert.deepEqual(Object.keys(c).sort(), ['BR', 'FR', 'US']);
      assert.deepEqual(
        [c.FR.attempts, c.FR.converted, c.FR.unconverted, c.FR.failedMaxAttempts, c.FR.sent, c.FR.parts, c.FR.delivered],
        [3, 2, 1, 1, 3, 3, 3],
      );
      assert.equal(c.FR.conversionRate, 66.666666667);
      assert.equal(c.FR.cost, 0.15); // 3 parts at FR's 0.05
      assert.deepEqual(c.FR.refused, { 2109: 1, 2136: 1 });
      assert.deepEqual(
        [c.BR.attempts, c.BR.converted, c.BR.sent, c.BR.deliveryFailed, c.BR.delivered, c.BR.cost],
        [1, 0, 1, 1, 1, 0.035],
      );
      assert.deepEqual([c.US.attempts, c.US.sent, c.US.refused], [0, 0, { 2112: 1 }]);
      assert.equal(c.US.conversionRate, null);

      // By provider: Vonage refused its one try, Twilio sent the four; the BR OTP counts
      // where its message went (Twilio), so each provider's conversion is its own.
      const p = Object.fromEntries((await stats(w, '?groupBy=provider')).body.groups.map((g) => [g.provider, g]));
      assert.deepEqual([p.vonage.attempts, p.vonage.sent, p.vonage.deliveryFailed, p.vonage.cost], [0, 0, 1, 0]);
      assert.deepEqual([p.twilio.attempts, p.twilio.converted, p.twilio.sent, p.twilio.delivered], [4, 2, 4, 4]);
      // The refusals have no provider (null).
      assert.deepEqual(p.null?.refused ?? {}, { 2109: 1, 2112: 1, 2136: 1 });

      // One total without groupBy, and by hour this hour only.
      const total = (await stats(w)).body;
      assert.deepEqual(total.groupBy, []);
      assert.equal(total.groups.length, 1);
      assert.deepEqual([total.groups[0].attempts, total.groups[0].converted, total.groups[0].sent], [4, 2, 4]);
      // By hour: the hours the test ran in (one, or two across an o'clock).
      const hours = (await stats(w, '?groupBy=hour,channel')).body.groups;
      const hourOf = (ms) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString().replace('.000Z', '+00:00');
      const ran = new Set([hourOf(startedAt), hourOf(Date.now())]);
      assert.ok(hours.every((g) => ran.has(g.hour)), JSON.stringify(hours));
      assert.deepEqual([...new Set(hours.map((g) => g.channel))].sort(), ['sms', 'voice']);
      assert.ok(hours.filter((g) => g.channel === 'voice').every((g) => g.attempts === 0 && g.refused[2136] === 1));
      assert.equal(hours.reduce((n, g) => n + g.attempts, 0), 4);

      // npm run stats: the same as a table, a row per country and the total; a key of
      // another tenant than the one named is refused.
      const cli = (tenant, ...args) => spawnSync(process.execPath, ['scripts/stats.mjs', tenant, '--url', w.url, ...args], {
        cwd: root, encoding: 'utf8', env: { ...process.env, SMSOTP_SECRET_KEY: KEYS.acme },
      });
      const shown = cli('acme');
      assert.equal(shown.status, 0, shown.stderr);
      const lines = shown.stdout.trim().split('\n');
      assert.match(lines[1], /^country\s+attempts\s+converted\s+rate\s+sent/);
      const frRow = lines.find((l) => l.startsWith('FR '));
      assert.match(frRow, /^FR\s+3\s+2\s+66\.7 %\s+3\s+3\s+0\s+0\s+1\s+0\s+2109×1 2136×1\s+3\s+0\.15$/, frRow);
      assert.match(lines.at(-1), /^total\s+4\s+2\s+50\.0 %\s+4\s+4\s/);
      const wrongTenant = cli('globex');
      assert.equal(wrongTenant.status, 2);
      assert.match(wrongTenant.stderr, /the key is tenant acme's, not globex's/);
      const badFrom = cli('acme', '--from', 'yesterday');
      assert.equal(badFrom.status, 2);
      assert.match(badFrom.stderr, /400: 'from' must be an ISO 8601.*\(from\)/);

      // globex: nothing of acme's.
      const other = await stats(w, '?groupBy=country', KEYS.globex);
      assert.equal(other.status, 200);
      assert.deepEqual(other.body.groups, []);
      assert.equal(other.body.tenant, 'globex');
    });
  });

  test('bad parameters are 400 naming the parameter; no key is 401; a publishable key is refused', async () => {
    await withWorker({}, async (w) => {
      const day = 86_400_000;
      const iso = (ms) => new Date(ms).toISOString();
      const cases = [
        ['?from=yesterday', 'from'],
        ['?to=2026-13-01', 'to'],
        ['?groupBy=weekday', 'groupBy'],
        ['?groupBy=country,country', 'groupBy'],
        [`?from=${iso(Date.now() - 91 * day)}&to=${iso(Date.now())}`, 'from'],
        [`?from=${iso(Date.now() - 401 * day)}&to=${iso(Date.now() - 400 * day)}`, 'from'],
        [`?from=${iso(Date.now())}&to=${iso(Date.now() - day)}`, 'to'],
        ['?from=2026-12-01&from=2026-12-02', 'from'],
      ];
      for (const [query, field] of cases) {
        const r = await stats(w, query);
        assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.field, field, `${query}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.error.message, new RegExp(field), query);
      }
      // A whole 90 days is fine, and a date alone (midnight UTC).
      const ok = await stats(w, `?from=${iso(Date.now() - 89 * day).slice(0, 10)}&groupBy=hour`);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.from, `${iso(Date.now() - 89 * day).slice(0, 10)}T00:00:00+00:00`);
      const anonymous = await w.fetch('/v1/stats');
      assert.equal(anonymous.status, 401);
      const pk = await call(w, 'GET', '/v1/stats', undefined, 'pk_test_not_a_secret_key');
      assert.equal(pk.status, 401);
    });
  });
});
