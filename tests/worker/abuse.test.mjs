// The tenant's abuse controls end to end on workerd, with SMS to a local HTTP server so that
// every test counts the SMS that really left: allowed countries, blocked number types, test
// numbers, the end-user IP's hour, the prefix rule, the day's SMS cap, Idempotency-Key, the
// X-Rate-Limit-* headers, and a burst of parallel creates that must not use up the day's cap
// or the IP's hour. Every refusal sends nothing; every 429 carries Retry-After.
// Number types are checked with libphonenumber-js/max (an oracle independent of the
// worker's own metadata) where the type is what a test is about.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { startWorker, call, KEYS, TENANTS, pinOfSms, assertRetryLater } from './harness.mjs';
import { startUpstream } from './fake-upstream.mjs';

let up;
before(async () => { up = await startUpstream(); });
after(async () => { await up?.close(); });

const INITECH = {
  id: 'initech',
  apiKeys: ['initech-test-key-0123456789'],
  webhookSecret: `whsec_${Buffer.from('initech-webhook-secret-0123456789').toString('base64')}`,
};
const [ACME, GLOBEX] = TENANTS;

/** The test tenants with `acme`, `globex` and `initech` changed by `over` (by id). */
function tenantsWith(over) {
  return [ACME, GLOBEX, INITECH].map((t) => ({ ...t, ...(over[t.id] ?? {}) }));
}

let counter = 0;
/**
 * A valid French mobile number no other test uses, each in a prefix of its own (E.164
 * minus its last 4 digits): the prefix digits vary, the last 4 do not.
 */
const freshNumber = () => {
  // Some French mobile ranges are not valid numbers (+33639…, +33690–694…, +33696–697…):
  // skip them, by libphonenumber-js's metadata, so the test does not depend on its pid.
  for (;;) {
    const number = `+336${String(1000 + (process.pid % 30) * 200 + counter++).padStart(4, '0')}9876`;
    if (parsePhoneNumberFromString(number)?.isValid()) return number;
  }
};

/** A worker with SMS to the local provider; `vars` over these (NUMBER_LIMITS 'off' unless given). */
async function withWorker(vars, tenants, fn) {
  const w = await startWorker(
    { SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: `${up.url}/webhook`, RATE_LIMIT_PER_MINUTE: '0', ...vars },
    { tenants },
  );
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

const smsTo = (number) => up.smsTo(number);
const pinOf = pinOfSms;
const create = (w, phoneNumber, key = KEYS.acme, headers = {}) => call(w, 'POST', '/otp', { phoneNumber }, key, headers);

/** Seconds from now to the next UTC midnight. */
const toMidnight = () => Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);

/** The number's type and country by libphonenumber-js/max. */
function oracle(e164) {
  const n = parsePhoneNumberFromString(e164);
  assert.ok(n?.isValid(), `${e164} is not valid for libphonenumber-js`);
  return { type: n.getType(), country: n.country };
}


/** A refusal with `status` and `code`, and no Retry-After (not a 429). */
function assertRefused(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(r.headers.get('Retry-After'), null);
}

function assertCreated(r) {
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status, 'PENDING');
}

describe('destinations', () => {
  test('allowedCountries ["FR"]: a US number is 403 2112 and no SMS, a French one 201; "*" allows both; other tenants unaffected', async () => {
    const us = '+12025550143';
    const fr = freshNumber();
    assert.equal(oracle(us).country, 'US');
    assert.equal(oracle(fr).country, 'FR');
    const tenants = tenantsWith({ acme: { allowedCountries: ['FR'] }, initech: { allowedCountries: '*' } });
    await withWorker({}, tenants, async (w) => {
      const refused = await create(w, us);
      assertRefused(refused, 403, 2112);
      assert.equal(refused.body.error.type, 'access_denied');
      assert.match(refused.body.error.message, /\(US\)/);
      assert.equal(smsTo(us).length, 0);
      assertCreated(await create(w, fr));
      assert.equal(smsTo(fr).length, 1);
      // "*" and no key at all: both countries.
      for (const key of [INITECH.apiKeys[0], KEYS.globex]) {
        assertCreated(await create(w, us, key));
        assertCreated(await create(w, fr, key));
      }
      assert.deepEqual([smsTo(us).length, smsTo(fr).length], [2, 3]);
    });
  });

  test('blockedNumberTypes: premium-rate and toll-free refused by default (403 2113 naming the type), allowed with []', async () => {
    const premium = '+33891234567';
    const tollFree = '+33800123456';
    assert.equal(oracle(premium).type, 'PREMIUM_RATE');
    assert.equal(oracle(tollFree).type, 'TOLL_FREE');
    await withWorker({}, tenantsWith({ globex: { blockedNumberTypes: [] } }), async (w) => {
      const p = await create(w, premium);
      assertRefused(p, 403, 2113);
      assert.equal(p.body.error.type, 'access_denied');
      assert.match(p.body.error.message, /premium-rate/);
      const t = await create(w, tollFree);
      assertRefused(t, 403, 2113);
      assert.match(t.body.error.message, /toll-free/);
      assert.deepEqual([smsTo(premium).length, smsTo(tollFree).length], [0, 0]);
      // A tenant that blocks no type.
      assertCreated(await create(w, tollFree, KEYS.globex));
      assert.equal(smsTo(tollFree).length, 1);
    });
  });
});

describe('test numbers', () => {
  test('a test number: its fixed PIN, no SMS, no limit, not in the day\'s cap; a resend sends nothing and keeps the PIN', async () => {
    const testNumber = '+15005550006';
    const tenants = tenantsWith({ acme: { testNumbers: { [testNumber]: '123456' }, limits: { dailySendCap: 1 } } });
    // The documented per-number defaults: a real number would be refused after 1 create
    // (30 s cooldown) and after 5 in 10 minutes.
    await withWorker({ NUMBER_LIMITS: undefined }, tenants, async (w) => {
      const first = await create(w, testNumber);
      assertCreated(first);
      const verified = await call(w, 'POST', `/otp/${first.body.otpId}`, { pin: '123456' });
      assert.deepEqual([verified.status, verified.body], [200, { status: 'VERIFIED' }]);
      let last;
      for (let i = 0; i < 15; i++) {
        last = await create(w, testNumber);
        assertCreated(last);
      }
      assert.equal(smsTo(testNumber).length, 0);
      // The day's cap (1) is still whole: a real number gets its SMS, the next one not.
      const real = freshNumber();
      assertCreated(await create(w, real));
      assert.equal(smsTo(real).length, 1);
      const over = freshNumber();
      assertRetryLater(await create(w, over), 2116, [toMidnight() - 5, toMidnight() + 5]);
      assert.equal(smsTo(over).length, 0);
      // A resend of a test OTP: 200, nothing sent, the fixed PIN still works.
      const resent = await call(w, 'POST', `/otp/${last.body.otpId}/resend`);
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      assert.equal(smsTo(testNumber).length, 0);
      const again = await call(w, 'POST', `/otp/${last.body.otpId}`, { pin: '123456' });
      assert.deepEqual([again.status, again.body], [200, { status: 'VERIFIED' }]);
    });
  });

  test('a test number\'s OTPs do not count against its range\'s unverified SMS', async () => {
    const testNumber = '+33612345678';
    const neighbour = '+33612340077';
    assert.equal(oracle(testNumber).type, 'MOBILE');
    const tenants = tenantsWith({ acme: { testNumbers: { [testNumber]: '123456' }, limits: { prefixUnverifiedPerHour: 3 } } });
    await withWorker({ NUMBER_LIMITS: undefined }, tenants, async (w) => {
      let last;
      for (let i = 0; i < 4; i++) {
        last = await create(w, testNumber);
        assertCreated(last);
      }
      assert.equal((await call(w, 'POST', `/otp/${last.body.otpId}/resend`)).status, 200);
      // Five OTPs to a number of the range, none verified: a real number of it still passes.
      assertCreated(await create(w, neighbour));
      assert.deepEqual([smsTo(testNumber).length, smsTo(neighbour).length], [0, 1]);
    });
  });
});

describe('end-user IP', () => {
  test('ipSendsPerHour 2: by IPv4, IPv6 /64 and IPv4-mapped address; a malformed header is 400 2120; no header is not counted', async () => {
    const tenants = tenantsWith({ acme: { limits: { ipSendsPerHour: 2 } } });
    await withWorker({}, tenants, async (w) => {
      let sent = 0;
      const send = async (ip) => {
        const number = freshNumber();
        const r = await create(w, number, KEYS.acme, ip === undefined ? {} : { 'X-End-User-IP': ip });
        if (r.status === 201) sent++;
        assert.equal(smsTo(number).length, r.status === 201 ? 1 : 0, `SMS for a ${r.status}`);
        return r;
      };
      assertCreated(await send('198.51.100.7'));
      assertCreated(await send('198.51.100.7'));
      assertRetryLater(await send('198.51.100.7'), 2114, [3501, 3600]);
      // The same address written as IPv4-mapped IPv6.
      assertRetryLater(await send('::ffff:198.51.100.7'), 2114, [3501, 3600]);
      assertCreated(await send('203.0.113.9'));
      // One /64: two addresses share its 2.
      assertCreated(await send('2001:db8:1:2::1'));
      assertCreated(await send('2001:db8:1:2:ffff::9'));
      assertRetryLater(await send('2001:db8:1:2::1'), 2114, [3501, 3600]);
      assertRetryLater(await send('2001:db8:1:2:abcd:1:2:3'), 2114, [3501, 3600]);
      assertCreated(await send('2001:db8:1:3::1'));
      // IPv4-mapped counts with its IPv4 from the start too.
      assertCreated(await send('::ffff:192.0.2.44'));
      assertCreated(await send('192.0.2.44'));
      assertRetryLater(await send('::ffff:192.0.2.44'), 2114, [3501, 3600]);
      // Not an address (a forwarded-for list is not one either): 400, nothing sent.
      for (const bad of ['not-an-ip', '198.51.100.300', '198.51.100.7, 10.0.0.1', '2001:db8::1/64']) {
        assertRefused(await send(bad), 400, 2120);
      }
      // No header: no IP to count; more than 2 pass.
      for (let i = 0; i < 3; i++) assertCreated(await send(undefined));
      assert.equal(sent, 11);
    });
  });
});

describe('number ranges', () => {
  test('prefixUnverifiedPerHour 3: the 4th number of a range is 429 2115 and blocks it; other ranges pass', async () => {
    const limits = { prefixUnverifiedPerHour: 3, prefixBlockSeconds: 600 };
    const range = ['+33612340001', '+33612340002', '+33612340003', '+33612340004', '+33612340005'];
    for (const n of range) assert.equal(oracle(n).type, 'MOBILE');
    await withWorker({}, tenantsWith({ acme: { limits } }), async (w) => {
      for (const n of range.slice(0, 3)) assertCreated(await create(w, n));
      // The block is 600 s, but the three sends stay in the hour: a retry after 600 s
      // would be refused again, so Retry-After is when the hour frees a send.
      assertRetryLater(await create(w, range[3]), 2115, [3590, 3600]);
      assertRetryLater(await create(w, range[4]), 2115, [3590, 3600]);
      for (const n of range) assert.equal(smsTo(n).length, n <= range[2] ? 1 : 0, n);
      const other = '+33612350001';
      assertCreated(await create(w, other));
      assert.equal(smsTo(other).length, 1);
    });
  });

  test('a verified send does not count against its range', async () => {
    const limits = { prefixUnverifiedPerHour: 3, prefixBlockSeconds: 600 };
    const range = ['+33612360001', '+33612360002', '+33612360003', '+33612360004', '+33612360005'];
    await withWorker({}, tenantsWith({ acme: { limits } }), async (w) => {
      const first = await create(w, range[0]);
      assertCreated(first);
      const verified = await call(w, 'POST', `/otp/${first.body.otpId}`, { pin: pinOf(smsTo(range[0])[0]) });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      // Four SMS to the range, one verified: three unverified, within the limit.
      for (const n of range.slice(1, 4)) assertCreated(await create(w, n));
      // The limit still holds for unverified ones.
      assertRetryLater(await create(w, range[4]), 2115, [3590, 3600]);
      assert.deepEqual(range.map((n) => smsTo(n).length), [1, 1, 1, 1, 0]);
    });
  });
});

describe('daily cap', () => {
  test('dailySendCap 2: the third SMS is 429 2116 until midnight UTC; a create the number refused gives its unit back', async () => {
    const limits = { dailySendCap: 2, resendCooldowns: [60] };
    await withWorker({}, tenantsWith({ acme: { limits } }), async (w) => {
      const [a, b, c] = [freshNumber(), freshNumber(), freshNumber()];
      assertCreated(await create(w, a));
      // The number's cooldown refuses it after the day's cap counted it: refunded.
      assertRetryLater(await create(w, a), 2109, [55, 60]);
      assertCreated(await create(w, b));
      const midnight = toMidnight();
      assertRetryLater(await create(w, c), 2116, [midnight - 5, midnight + 5]);
      assert.deepEqual([a, b, c].map((n) => smsTo(n).length), [1, 1, 0]);
      // Another tenant's day is its own.
      assertCreated(await create(w, c, KEYS.globex));
    });
  });

  test('a resend is an SMS too: it counts against the day\'s cap and the IP\'s hour; one refused by the number is given back', async () => {
    const limits = { dailySendCap: 3, ipSendsPerHour: 2, resendCooldowns: [0, 60] };
    await withWorker({}, tenantsWith({ acme: { limits } }), async (w) => {
      const ip = { 'X-End-User-IP': '203.0.113.77' };
      const [a, b] = [freshNumber(), freshNumber()];
      const created = await create(w, a, KEYS.acme, ip);
      assertCreated(created);
      const id = created.body.otpId;
      const resend = (headers = {}) => call(w, 'POST', `/otp/${id}/resend`, undefined, KEYS.acme, headers);
      assert.equal((await resend(ip)).status, 200);
      // The IP has had its 2 SMS this hour: a third resend from it is 2114.
      assertRetryLater(await resend(ip), 2114, [3500, 3600]);
      // Without the header, the number's cooldown (60 s) refuses it: given back to the day.
      assertRetryLater(await resend(), 2109, [55, 60]);
      // The day has had 2 of its 3: one more create passes, then the cap.
      assertCreated(await create(w, b));
      assertRetryLater(await create(w, freshNumber()), 2116, [1, 86_400]);
      assert.deepEqual([a, b].map((n) => smsTo(n).length), [2, 1]);
    });
  });
});

describe('Idempotency-Key', () => {
  test('same key and body: the same 201 and one SMS; reordered body too; another body 422 2117; 256 characters 400 2119; per tenant', async () => {
    await withWorker({}, TENANTS, async (w) => {
      const number = freshNumber();
      const key = { 'Idempotency-Key': 'order-7f3a-0001' };
      const body = `{"phoneNumber": "${number}", "ttl": 300}`;
      const first = await call(w, 'POST', '/otp', body, KEYS.acme, key);
      assertCreated(first);
      const again = await call(w, 'POST', '/otp', body, KEYS.acme, key);
      assert.deepEqual([again.status, again.body], [201, first.body]);
      const reordered = await call(w, 'POST', '/otp', `{\n  "ttl":300,\n  "phoneNumber":"${number}"\n}`, KEYS.acme, key);
      assert.deepEqual([reordered.status, reordered.body], [201, first.body]);
      assert.equal(smsTo(number).length, 1);
      const other = await call(w, 'POST', '/otp', { phoneNumber: number, ttl: 600 }, KEYS.acme, key);
      assertRefused(other, 422, 2117);
      assert.equal(smsTo(number).length, 1);
      // Keys are per tenant: globex may use acme's, with another body.
      const globex = await call(w, 'POST', '/otp', { phoneNumber: number, ttl: 600 }, KEYS.globex, key);
      assertCreated(globex);
      assert.notEqual(globex.body.otpId, first.body.otpId);
      assert.equal(smsTo(number).length, 2);
      // 255 characters is the longest key.
      const longest = freshNumber();
      assertCreated(await call(w, 'POST', '/otp', { phoneNumber: longest }, KEYS.acme, { 'Idempotency-Key': 'k'.repeat(255) }));
      const tooLong = freshNumber();
      assertRefused(await call(w, 'POST', '/otp', { phoneNumber: tooLong }, KEYS.acme, { 'Idempotency-Key': 'k'.repeat(256) }), 400, 2119);
      assert.deepEqual([smsTo(longest).length, smsTo(tooLong).length], [1, 0]);
    });
  });

  test('two parallel requests with a new key while the provider is slow: one 201, one 409 2118, one SMS; a retry replays the 201', async () => {
    await withWorker({}, TENANTS, async (w) => {
      const number = freshNumber();
      const key = { 'Idempotency-Key': 'slow-provider-0001' };
      up.state.mode = 'slow';
      let answers;
      try {
        answers = await Promise.all([0, 1].map(() => create(w, number, KEYS.acme, key)));
      } finally {
        up.state.mode = 'ok';
      }
      const created = answers.find((r) => r.status === 201);
      const inFlight = answers.find((r) => r.status !== 201);
      assertCreated(created);
      assert.equal(inFlight.status, 409, JSON.stringify(inFlight.body));
      assert.equal(inFlight.body.error.code, 2118);
      const retryAfter = Number(inFlight.headers.get('Retry-After'));
      assert.ok(retryAfter >= 1, `Retry-After ${inFlight.headers.get('Retry-After')}`);
      assert.equal(inFlight.body.error.retryAfter, retryAfter);
      const retry = await create(w, number, KEYS.acme, key);
      assert.deepEqual([retry.status, retry.body], [201, created.body]);
      assert.equal(smsTo(number).length, 1);
    });
  });
});

describe('X-Rate-Limit-*', () => {
  test('on every authenticated answer (201, 400, 403, 404, 429, 200), one fewer each time; none on a 401', async () => {
    // The count is per minute: start well inside one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const tenants = tenantsWith({ acme: { allowedCountries: ['FR'], limits: { resendCooldowns: [60] } } });
    await withWorker({ RATE_LIMIT_PER_MINUTE: '100' }, tenants, async (w) => {
      const number = freshNumber();
      const answers = [];
      const created = await create(w, number);
      answers.push([created, 201]);
      answers.push([await call(w, 'POST', '/otp', { phoneNumber: number, ttl: 1 }), 400]);
      answers.push([await create(w, '+12025550143'), 403]);
      answers.push([await call(w, 'GET', '/otp/00000000-0000-4000-8000-000000000000'), 404]);
      answers.push([await create(w, number), 429]);
      answers.push([await call(w, 'POST', `/otp/${created.body.otpId}`, { pin: pinOf(smsTo(number)[0]) }), 200]);
      answers.forEach(([r, status], i) => {
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.equal(r.headers.get('X-Rate-Limit-Limit'), '100', `answer ${i}`);
        assert.equal(r.headers.get('X-Rate-Limit-Remaining'), String(99 - i), `answer ${i}`);
      });
      assert.equal(answers[4][0].body.error.code, 2109);
      assert.equal(smsTo(number).length, 1);
      const denied = await create(w, number, 'not-a-key-0123456789');
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('X-Rate-Limit-Limit'), null);
      assert.equal(denied.headers.get('X-Rate-Limit-Remaining'), null);
    });
  });
});

describe('refunds', () => {
  test('20 parallel creates for one number with an end-user IP: one SMS; the 19 refused use neither the day\'s cap nor the IP\'s hour', async () => {
    // The cap (6) above the IP's limit (5): first the IP's hour runs out, then the day.
    const limits = { dailySendCap: 6, ipSendsPerHour: 5 };
    await withWorker({ NUMBER_LIMITS: undefined }, tenantsWith({ acme: { limits } }), async (w) => {
      const ip = { 'X-End-User-IP': '198.51.100.20' };
      const number = freshNumber();
      const answers = await Promise.all(Array.from({ length: 20 }, () => create(w, number, KEYS.acme, ip)));
      assert.equal(answers.filter((r) => r.status === 201).length, 1);
      for (const r of answers.filter((x) => x.status !== 201)) {
        // Refused by the number (2109), or by the limiter while the other requests'
        // units were still held, before their refunds (2114, 2116: in 3 runs 3 to 11 of
        // the 19 got 2114 with Retry-After 3600): every one a 429 with Retry-After.
        assert.ok([2109, 2114, 2116].includes(r.body.error?.code), JSON.stringify(r.body));
        assertRetryLater(r, r.body.error.code, [1, 86_400]);
      }
      assert.equal(smsTo(number).length, 1);
      // Had the 19 kept what they took, the IP (5) and the day (6) would be used up.
      const others = Array.from({ length: 7 }, freshNumber);
      for (const n of others.slice(0, 4)) assertCreated(await create(w, n, KEYS.acme, ip));
      assertRetryLater(await create(w, others[4], KEYS.acme, ip), 2114, [3500, 3600]);
      assertCreated(await create(w, others[5], KEYS.acme, { 'X-End-User-IP': '203.0.113.20' }));
      assertRetryLater(await create(w, others[6], KEYS.acme, { 'X-End-User-IP': '203.0.113.21' }), 2116, [toMidnight() - 5, toMidnight() + 5]);
      assert.deepEqual(others.map((n) => smsTo(n).length), [1, 1, 1, 1, 0, 1, 0]);
    });
  });
});
