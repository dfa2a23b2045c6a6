// Per-number abuse controls on workerd, with SMS to a local HTTP server so that every test
// counts the SMS that really left: resend (new PIN, old one dead, attempts carried over,
// cooldowns), at most 5 SMS per OTP, a new OTP superseding the pending one, 5 SMS per number
// per 10 minutes, 20 parallel creates for one number sending exactly one SMS, and 10
// consecutive wrong PINs locking a number. Every refusal is a 429 with Retry-After and
// sends nothing. Short cooldowns (NUMBER_LIMITS) keep the tests fast where time matters.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, call, KEYS, pinOfSms, assertRetryLater } from './harness.mjs';
import { startUpstream } from './fake-upstream.mjs';
import { OtpClient, OtpError } from '../../crates/web/js/otp-client.js';

let up;
before(async () => { up = await startUpstream(); });
after(async () => { await up?.close(); });

let counter = 0;
/** A valid French mobile number no other test uses. */
const freshNumber = () => `+336${String(10_000_000 + process.pid % 1000 * 10_000 + counter++).padStart(8, '0')}`;

async function withWorker(limits, fn) {
  const w = await startWorker({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: `${up.url}/webhook`, RATE_LIMIT_PER_MINUTE: '0', NUMBER_LIMITS: limits });
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

const smsTo = (number) => up.smsTo(number);
const pinOf = pinOfSms;


describe('resend', () => {
  test('OtpClient.resend: too soon an OtpError 429 2109 with retryAfter; then a new PIN that verifies', async () => {
    await withWorker('{"resendCooldowns": [1]}', async (w) => {
      const client = new OtpClient({ baseUrl: w.url, apiKey: KEYS.acme });
      const number = freshNumber();
      const { otpId } = await client.create({ phoneNumber: number });
      const early = await client.resend(otpId).catch((e) => e);
      assert.ok(early instanceof OtpError, String(early));
      assert.deepEqual([early.status, early.code, early.type, early.retryAfter], [429, 2109, 'rate_limit', 1]);
      assert.equal(smsTo(number).length, 1);
      await new Promise((r) => setTimeout(r, 1100));
      const resent = await client.resend(otpId);
      assert.deepEqual([resent.otpId, resent.status, resent.resendAfter], [otpId, 'PENDING', 1]);
      assert.equal(smsTo(number).length, 2);
      assert.deepEqual(await client.verify(otpId, pinOf(smsTo(number)[1])), { status: 'VERIFIED' });
    });
  });

  test('a resend sends a new PIN: the old one stops working, attempts carry over, cooldowns grow', async () => {
    await withWorker('{"resendCooldowns": [1, 2]}', async (w) => {
      const number = freshNumber();
      const created = await call(w, 'POST', '/otp', { phoneNumber: number, maxAttempts: 3 });
      assert.equal(created.status, 201);
      const id = created.body.otpId;
      const first = pinOf(smsTo(number)[0]);
      const wrong = first === '000000' ? '111111' : '000000';
      assert.equal((await call(w, 'POST', `/otp/${id}`, { pin: wrong })).body.error.attemptsLeft, 2);
      // Too soon: 429, nothing sent.
      assertRetryLater(await call(w, 'POST', `/otp/${id}/resend`), 2109, [1, 1]);
      assert.equal(smsTo(number).length, 1);
      await new Promise((r) => setTimeout(r, 1100));
      const resent = await call(w, 'POST', `/otp/${id}/resend`);
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      assert.deepEqual([resent.body.otpId, resent.body.status, resent.body.attempts, resent.body.resendAfter], [id, 'PENDING', 1, 2]);
      assert.equal(smsTo(number).length, 2);
      const second = pinOf(smsTo(number)[1]);
      // The next resend waits the second cooldown (2 s).
      assertRetryLater(await call(w, 'POST', `/otp/${id}/resend`), 2109, [1, 2]);
      if (second !== first) {
        // The old PIN is now a wrong PIN, and the second attempt.
        const old = await call(w, 'POST', `/otp/${id}`, { pin: first });
        assert.deepEqual([old.body.error.code, old.body.error.attemptsLeft], [2029, 1]);
      }
      assert.equal((await call(w, 'POST', `/otp/${id}`, { pin: second })).status, 200);
      // A verified OTP is not resent (the check's answer), and nothing is sent.
      assert.equal((await call(w, 'POST', `/otp/${id}/resend`)).body.error.code, 2023);
      assert.equal(smsTo(number).length, 2);
    });
  });

  test('at most 5 SMS per OTP; another tenant or an unknown id gets 404 2021', async () => {
    await withWorker('{"resendCooldowns": [0], "sendsPer10Minutes": 50, "sendsPerDay": 50}', async (w) => {
      const number = freshNumber();
      const id = (await call(w, 'POST', '/otp', { phoneNumber: number })).body.otpId;
      for (let i = 0; i < 4; i++) assert.equal((await call(w, 'POST', `/otp/${id}/resend`)).status, 200);
      assertRetryLater(await call(w, 'POST', `/otp/${id}/resend`), 2111, [1, 1]);
      assert.equal(smsTo(number).length, 5);
      const other = await call(w, 'POST', `/otp/${id}/resend`, undefined, KEYS.globex);
      assert.deepEqual([other.status, other.body.error.code], [404, 2021]);
      const unknown = await call(w, 'POST', '/otp/00000000-0000-4000-8000-000000000000/resend');
      assert.deepEqual([unknown.status, unknown.body.error.code], [404, 2021]);
      assert.equal((await call(w, 'GET', `/otp/${id}/resend`)).status, 405);
      assert.equal(smsTo(number).length, 5);
    });
  });
});

describe('per number', () => {
  test('a new OTP for a number supersedes its pending one (CANCELLED, callback), after the cooldown', async () => {
    await withWorker('{"resendCooldowns": [1]}', async (w) => {
      const number = freshNumber();
      const a = await call(w, 'POST', '/otp', { phoneNumber: number, otpCallbackUrl: `${up.url}/callback/supersede-${number}` });
      assertRetryLater(await call(w, 'POST', '/otp', { phoneNumber: number }), 2109, [1, 1]);
      await new Promise((r) => setTimeout(r, 1100));
      const b = await call(w, 'POST', '/otp', { phoneNumber: number });
      assert.equal(b.status, 201);
      assert.equal((await call(w, 'GET', `/otp/${a.body.otpId}`)).body.status, 'CANCELLED');
      assert.equal((await call(w, 'GET', `/otp/${b.body.otpId}`)).body.status, 'PENDING');
      assert.equal((await call(w, 'POST', `/otp/${a.body.otpId}`, { pin: pinOf(smsTo(number)[0]) })).body.error.code, 2024);
      await up.waitFor((rs) => rs.some((e) => e.path === `/callback/supersede-${number}`));
      const cb = JSON.parse(up.received.find((e) => e.path === `/callback/supersede-${number}`).body);
      assert.equal(cb.data[0].status, 'CANCELLED');
      // The same number for another tenant is another number's history.
      assert.equal((await call(w, 'POST', '/otp', { phoneNumber: number }, KEYS.globex)).status, 201);
      assert.equal(smsTo(number).length, 3);
    });
  });

  test('5 SMS per number per 10 minutes (the defaults, cooldowns aside): the 6th is 429 2108', async () => {
    await withWorker('{"resendCooldowns": [0]}', async (w) => {
      const number = freshNumber();
      for (let i = 0; i < 5; i++) assert.equal((await call(w, 'POST', '/otp', { phoneNumber: number })).status, 201);
      // The oldest of the five leaves the 10-minute window in about 600 s.
      assertRetryLater(await call(w, 'POST', '/otp', { phoneNumber: number }), 2108, [590, 600]);
      assert.equal(smsTo(number).length, 5);
    });
  });

  test('20 parallel POST /otp for one new number: exactly one SMS, the others 429 with Retry-After (default limits)', async () => {
    await withWorker(undefined, async (w) => {
      const number = freshNumber();
      const answers = await Promise.all(Array.from({ length: 20 }, () => call(w, 'POST', '/otp', { phoneNumber: number })));
      assert.equal(answers.filter((r) => r.status === 201).length, 1);
      for (const r of answers.filter((x) => x.status !== 201)) assertRetryLater(r, 2109, [1, 30]);
      assert.equal(smsTo(number).length, 1);
    });
  });

  test('consecutive wrong PINs across OTPs lock the number; a right PIN resets the count', async () => {
    await withWorker('{"failuresBeforeLock": 3, "resendCooldowns": [0]}', async (w) => {
      const number = freshNumber();
      const wrongFor = (sms) => (pinOf(sms) === '000000' ? '111111' : '000000');
      // Two wrong, then right: the count starts again.
      let id = (await call(w, 'POST', '/otp', { phoneNumber: number })).body.otpId;
      let sms = smsTo(number).at(-1);
      for (let i = 0; i < 2; i++) await call(w, 'POST', `/otp/${id}`, { pin: wrongFor(sms) });
      assert.equal((await call(w, 'POST', `/otp/${id}`, { pin: pinOf(sms) })).status, 200);
      // Two wrong on one OTP (maxAttempts 2: FAILED), one on the next: locked for an hour.
      id = (await call(w, 'POST', '/otp', { phoneNumber: number, maxAttempts: 2 })).body.otpId;
      sms = smsTo(number).at(-1);
      for (let i = 0; i < 2; i++) await call(w, 'POST', `/otp/${id}`, { pin: wrongFor(sms) });
      id = (await call(w, 'POST', '/otp', { phoneNumber: number })).body.otpId;
      sms = smsTo(number).at(-1);
      await call(w, 'POST', `/otp/${id}`, { pin: wrongFor(sms) });
      const sent = smsTo(number).length;
      assertRetryLater(await call(w, 'POST', '/otp', { phoneNumber: number }), 2110, [3590, 3600]);
      assertRetryLater(await call(w, 'POST', `/otp/${id}/resend`), 2110, [3590, 3600]);
      assert.equal(smsTo(number).length, sent);
      // Another number of the same tenant is not affected.
      assert.equal((await call(w, 'POST', '/otp', { phoneNumber: freshNumber() })).status, 201);
    });
  });

  test('the tenant rate limit answers 429 with Retry-After too', async () => {
    const w = await startWorker({ RATE_LIMIT_PER_MINUTE: '1' });
    try {
      await call(w, 'GET', '/otp/00000000-0000-4000-8000-000000000000');
      const r = await call(w, 'GET', '/otp/00000000-0000-4000-8000-000000000000');
      assertRetryLater(r, 429, [1, 60]);
    } finally {
      await w.dispose();
    }
  });

  test('a bad NUMBER_LIMITS is a logged 500, not a silent default', async () => {
    await withWorker('{"sendsPerDay": "ten"}', async (w) => {
      const r = await call(w, 'POST', '/otp', { phoneNumber: freshNumber() });
      assert.equal(r.status, 500);
      await new Promise((res) => setTimeout(res, 100));
      assert.ok(w.logs.some((l) => l.includes('NUMBER_LIMITS') && l.includes('sendsPerDay')), w.logs.join('\n'));
    });
  });
});
