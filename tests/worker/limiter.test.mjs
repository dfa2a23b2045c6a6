// The tenant rate limit survives its Durable Object's restart: the worker is stopped (workerd
// exits, every object with it) and started again on the same Durable Object storage, within
// the same minute, as when Cloudflare hibernates or evicts an idle limiter or a deploy
// restarts it. A limiter that counted only in memory would start a fresh window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker, call, KEYS } from './harness.mjs';

const vars = { RATE_LIMIT_PER_MINUTE: '3' };
// A GET of an unknown OTP: counted by the limiter, no SMS, answered 404 when allowed.
const path = '/otp/3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const minuteOf = (ms) => Math.floor(ms / 60000);

test('a tenant that used its minute is still limited after the limiter restarts; another tenant keeps its own count', async () => {
  const persist = mkdtempSync(join(tmpdir(), 'smsotp-do-restart-'));
  try {
    // The window is the clock minute. The whole test takes about 1 s here (a few on a busy
    // machine): start in the first 45 s of a minute, so that it stays in one window.
    const intoMinute = Date.now() % 60000;
    if (intoMinute > 45000) await new Promise((r) => setTimeout(r, 60000 - intoMinute + 100));
    const startedAt = Date.now();

    const first = await startWorker(vars, { persist });
    let before;
    let otherBefore;
    try {
      before = [];
      for (let i = 0; i < 3; i++) before.push(await call(first, 'GET', path));
      otherBefore = await call(first, 'GET', path, undefined, KEYS.globex);
    } finally {
      await first.dispose();
    }
    assert.deepEqual(before.map((r) => r.status), [404, 404, 404]);
    assert.deepEqual(before.map((r) => r.headers.get('x-rate-limit-remaining')), ['2', '1', '0']);
    assert.equal(otherBefore.headers.get('x-rate-limit-remaining'), '2');

    const second = await startWorker(vars, { persist });
    try {
      const fourth = await call(second, 'GET', path);
      const other = await call(second, 'GET', path, undefined, KEYS.globex);
      const endedAt = Date.now();
      assert.equal(minuteOf(startedAt), minuteOf(endedAt), 'the test straddled two minutes: its premise does not hold');

      assert.equal(fourth.status, 429, JSON.stringify(fourth.body));
      assert.deepEqual([fourth.body.error.type, fourth.body.error.code], ['rate_limit', 429]);
      assert.equal(fourth.headers.get('x-rate-limit-remaining'), '0');
      const retryAfter = Number(fourth.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${fourth.headers.get('retry-after')}`);
      assert.equal(fourth.body.error.retryAfter, retryAfter);
      // The same window as before the restart: the same reset, the end of the current minute.
      const reset = Number(fourth.headers.get('x-rate-limit-reset'));
      assert.equal(reset, (minuteOf(startedAt) + 1) * 60);

      // globex used 1 of its 3 before the restart: this is its 2nd, allowed, 1 left.
      assert.equal(other.status, 404, JSON.stringify(other.body));
      assert.equal(other.headers.get('x-rate-limit-remaining'), '1');
    } finally {
      await second.dispose();
    }
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
});
