import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, call, pinFromLogs } from './harness.mjs';

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w?.dispose(); });

test('health, create, read the PIN from the console log, verify', async () => {
  const health = await call(w, 'GET', '/health', undefined, null);
  assert.equal(health.status, 200);
  const created = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const pin = pinFromLogs(w.logs, created.body.otpId);
  const verified = await call(w, 'POST', `/otp/${created.body.otpId}`, { pin });
  assert.deepEqual([verified.status, verified.body], [200, { status: 'VERIFIED' }]);
});
