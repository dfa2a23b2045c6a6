// The test clock (worker/src/clock.rs): in development a request's X-Smsotp-Test-Now is the
// worker's now, carried on to its Durable Objects (so an OTP created "tomorrow" expires by
// tomorrow's clock); in production the header changes nothing. The guard's simulated week
// (guard-week.test.mjs) stands on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, call, KEYS } from './harness.mjs';

const HEADER = 'X-Smsotp-Test-Now';
const DAY = 86_400_000;
const at = (ms) => ({ [HEADER]: String(ms) });

test('development: the worker and its objects read X-Smsotp-Test-Now as now; without it, the real clock', { timeout: 60000 }, async () => {
  const w = await startWorker();
  try {
    const t = Date.now() + 3 * DAY;
    const created = await call(w, 'POST', '/otp', { phoneNumber: '+33612345001' }, KEYS.acme, at(t));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.otpId;
    const expires = Date.parse(created.body.dateExpires);
    assert.ok(expires > t && expires <= t + DAY, `dateExpires ${created.body.dateExpires} follows the test's now`);
    // The shard's clock: pending at the test's now, expired a minute after its expiry.
    const pending = await call(w, 'GET', `/otp/${id}`, undefined, KEYS.acme, at(t + 1000));
    assert.equal(pending.body.status, 'PENDING', JSON.stringify(pending.body));
    const later = await call(w, 'GET', `/otp/${id}`, undefined, KEYS.acme, at(expires + 60_000));
    assert.equal(later.body.status, 'EXPIRED', JSON.stringify(later.body));
    // Statistics: the hour of the test's now, read with and without the header.
    const stats = await call(w, 'GET', '/v1/stats', undefined, KEYS.acme, at(t + 2000));
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.ok(Math.abs(Date.parse(stats.body.to) - t) < 2 * 3_600_000, `to ${stats.body.to} near the test's now`);
    const real = await call(w, 'GET', '/v1/stats');
    assert.ok(Math.abs(Date.parse(real.body.to) - Date.now()) < 2 * 3_600_000, `to ${real.body.to} near the real now`);
  } finally {
    await w.dispose();
  }
});

test('production: X-Smsotp-Test-Now is ignored', { timeout: 60000 }, async () => {
  const w = await startWorker({ ENVIRONMENT: 'production', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example/send' });
  try {
    const r = await call(w, 'GET', '/v1/stats', undefined, KEYS.acme, at(Date.now() + 30 * DAY));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(Math.abs(Date.parse(r.body.to) - Date.now()) < 2 * 3_600_000, `to ${r.body.to} is the real now`);
  } finally {
    await w.dispose();
  }
});
