// Expiry is a status change too: when the TTL (at least 60 s) passes, the OTP's Durable
// Object alarm makes it EXPIRED and fires the callback although nobody asked; the EXPIRED
// OTP stays invisible to other tenants. This test
// waits out a real 60-second TTL (in its own file, so it runs beside the others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, call, pinFromLogs, KEYS } from './harness.mjs';
import { startUpstream } from './fake-upstream.mjs';

test('the TTL passes: EXPIRED callback without any request, then 2025 and status EXPIRED', { timeout: 120000 }, async () => {
  const up = await startUpstream();
  const w = await startWorker();
  try {
    const path = '/callback/expiry';
    const created = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', ttl: 60, otpCallbackUrl: `${up.url}${path}` });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const pin = pinFromLogs(w.logs, created.body.otpId);
    await up.waitFor((rs) => rs.some((e) => e.path === path), 90000);
    const cb = up.received.find((e) => e.path === path);
    const body = JSON.parse(cb.body);
    assert.deepEqual([body.data[0].otpId, body.data[0].status], [created.body.otpId, 'EXPIRED']);
    const arrivedAfter = cb.at - Date.parse(created.body.dateCreated);
    assert.ok(arrivedAfter >= 59000, `callback after ${arrivedAfter} ms`);
    const verify = await call(w, 'POST', `/otp/${created.body.otpId}`, { pin });
    assert.deepEqual([verify.status, verify.body.error.code, verify.body.error.type], [400, 2025, 'otp_expired']);
    const status = await call(w, 'GET', `/otp/${created.body.otpId}`);
    assert.equal(status.body.status, 'EXPIRED');
    const cancel = await call(w, 'DELETE', `/otp/${created.body.otpId}`);
    assert.equal(cancel.body.error.code, 2031);
    // EXPIRED is final too: for another tenant the OTP does not exist, on every route.
    for (const [method, body] of [['GET'], ['POST', { pin }], ['DELETE'], ['GET']]) {
      const r = await call(w, method, `/otp/${created.body.otpId}`, body, KEYS.globex);
      assert.deepEqual([r.status, r.body.error?.code, r.body.error?.type], [404, 2021, 'not_found'], `another tenant: ${method}`);
    }
  } finally {
    await w.dispose();
    await up.close();
  }
});
