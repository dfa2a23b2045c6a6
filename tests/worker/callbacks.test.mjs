// Callback delivery is fair and bounded (security review item 10): a shard tries at most 6
// callbacks at once, each tenant's oldest first and tenants in turn, at most 20 of a tenant
// per alarm run; a try takes at most 5 s, reads at most 1 KiB of the answer and follows no
// redirect; at most 1,000 callbacks of a tenant wait in a shard (the oldest are dropped,
// logged `callback.dropped`). Receivers are real HTTP servers on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startWorker, call, KEYS, TENANTS } from './harness.mjs';

/** A callback receiver whose behaviour is chosen by the path's first segment. */
async function startReceiver() {
  const seen = [];
  const state = { open: 0, maxOpen: 0, streamed: 0, streamClosedAt: null };
  const server = createServer((req, res) => {
    const kind = req.url.split('/')[1];
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url, method: req.method, id: req.headers['webhook-id'], at: Date.now() });
      state.open += 1;
      state.maxOpen = Math.max(state.maxOpen, state.open);
      res.on('close', () => (state.open -= 1));
      if (kind === 'hang') return; // never answers
      if (kind === 'fail') return res.writeHead(500).end('no');
      if (kind === 'slow') return setTimeout(() => res.writeHead(200).end('{}'), 300);
      if (kind === 'redirect') return res.writeHead(307, { Location: `http://127.0.0.1:${server.address().port}/target` }).end();
      if (kind === 'stream') {
        // 200, then 64 KiB every 5 ms for as long as the connection stays open.
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        const timer = setInterval(() => {
          if (res.destroyed || res.writableEnded) return;
          res.write(chunk);
          state.streamed += chunk.length;
        }, 5);
        res.on('close', () => {
          clearInterval(timer);
          state.streamClosedAt = Date.now();
        });
        return;
      }
      res.writeHead(200).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    state,
    of: (prefix) => seen.filter((s) => s.path.startsWith(prefix)),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

const until = async (predicate, what, ms = 30000) => {
  for (const end = Date.now() + ms; !predicate(); await new Promise((r) => setTimeout(r, 25))) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
  }
};
const shardOf = (otpId) => parseInt(otpId.slice(0, 2), 16);
const logged = (w, event) => w.logs.filter((l) => l.includes(`"event":"${event}"`)).map((l) => JSON.parse(l));
const create = async (w, phoneNumber, otpCallbackUrl, key = KEYS.acme) => {
  const r = await call(w, 'POST', '/otp', { phoneNumber, ...(otpCallbackUrl ? { otpCallbackUrl } : {}) }, key);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
};
/** `n` callbacks of one tenant, in one shard: `n + 1` OTPs of one number, each superseding
 * (CANCELLING) the one before. Returns the OTP ids. */
async function queue(w, n, phoneNumber, url, key = KEYS.acme) {
  const ids = [];
  for (let i = 0; i <= n; i++) ids.push((await create(w, phoneNumber, url, key)).otpId);
  return ids;
}

test("one tenant's 500 callbacks to a receiver that never answers delay another tenant's callback in the same shard by less than 15 s", { timeout: 240000 }, async () => {
  const rx = await startReceiver();
  const w = await startWorker({ RATE_LIMIT_PER_MINUTE: '0' });
  try {
    const ids = await queue(w, 500, '+33612345678', `${rx.url}/hang/acme`);
    const shard = shardOf(ids[0]);
    await until(() => rx.of('/hang/').length >= 1, 'the hanging receiver to be tried');
    // A number of globex's in the same shard (shards come from a keyed hash: by trial).
    let otp;
    for (let i = 1000; ; i++) {
      assert.ok(i < 1600, 'no globex number found in the shard');
      otp = await create(w, `+336${i}4567`, `${rx.url}/ok/globex`, KEYS.globex);
      if (shardOf(otp.otpId) === shard) break;
    }
    const cancelledAt = Date.now();
    assert.equal((await call(w, 'DELETE', `/otp/${otp.otpId}`, undefined, KEYS.globex)).status, 200);
    await until(() => rx.of('/ok/globex').length === 1, "globex's callback", 15000);
    const waited = rx.of('/ok/globex')[0].at - cancelledAt;
    assert.ok(waited < 15000, `globex's callback after ${waited} ms`);
  } finally {
    await w.dispose();
    await rx.close();
  }
});

test('a receiver streaming an endless body: the try ends after reading 1 KiB of it (a 2xx is delivered), the connection is dropped', { timeout: 60000 }, async () => {
  const rx = await startReceiver();
  const w = await startWorker();
  try {
    const otp = await create(w, '+33612345601', `${rx.url}/stream/x`);
    const cancelledAt = Date.now();
    assert.equal((await call(w, 'DELETE', `/otp/${otp.otpId}`)).status, 200);
    const id = `msg_${otp.otpId}_cancelled`;
    await until(() => logged(w, 'callback').some((e) => e.webhookId === id), 'the try logged', 20000);
    const tried = logged(w, 'callback').find((e) => e.webhookId === id);
    assert.deepEqual([tried.try, tried.outcome], [1, 200], JSON.stringify(tried));
    const took = Date.now() - cancelledAt;
    assert.ok(took < 4000, `the try ended after ${took} ms (a timeout is 5 s)`);
    await until(() => rx.state.streamClosedAt !== null, 'the connection dropped', 5000);
    const streamed = rx.state.streamed;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rx.state.streamed, streamed, 'nothing more written after the drop');
    assert.equal(logged(w, 'callback').filter((e) => e.webhookId === id).length, 1, 'delivered once');
  } finally {
    await w.dispose();
    await rx.close();
  }
});

test('a 3xx answer is a failed try, and its Location receives nothing', { timeout: 60000 }, async () => {
  const rx = await startReceiver();
  const w = await startWorker();
  try {
    const otp = await create(w, '+33612345602', `${rx.url}/redirect/x`);
    assert.equal((await call(w, 'DELETE', `/otp/${otp.otpId}`)).status, 200);
    const id = `msg_${otp.otpId}_cancelled`;
    await until(() => logged(w, 'callback').some((e) => e.webhookId === id), 'the try logged', 20000);
    const tried = logged(w, 'callback').find((e) => e.webhookId === id);
    assert.deepEqual([tried.try, tried.outcome], [1, 'callback answered 307'], JSON.stringify(tried));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(rx.of('/target'), [], 'the redirect was not followed');
  } finally {
    await w.dispose();
    await rx.close();
  }
});

test('at most 1,000 callbacks of a tenant wait in a shard: the 1,001st drops the oldest, logged callback.dropped', { timeout: 240000 }, async () => {
  const rx = await startReceiver();
  // Failed tries wait the production minute: every callback stays queued.
  const w = await startWorker({ RATE_LIMIT_PER_MINUTE: '0' });
  try {
    const ids = await queue(w, 1001, '+33612345603', `${rx.url}/fail/cap`);
    // 1,001 CANCELLED callbacks (ids[0..1000]) were queued: the first is dropped, only it.
    await until(() => logged(w, 'callback.dropped').length >= 1, 'a drop', 10000);
    const dropped = logged(w, 'callback.dropped');
    assert.deepEqual(dropped.map((e) => [e.webhookId, e.tenant]), [[`msg_${ids[0]}_cancelled`, 'acme']]);
    // globex's callbacks in any shard are not acme's: they are not counted.
    const other = await create(w, '+33612345603', `${rx.url}/fail/cap`, KEYS.globex);
    assert.equal((await call(w, 'DELETE', `/otp/${other.otpId}`, undefined, KEYS.globex)).status, 200);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(logged(w, 'callback.dropped').length, 1);
  } finally {
    await w.dispose();
    await rx.close();
  }
});

test('an alarm run tries at most 20 callbacks of a tenant, at most 6 at once, concurrently', { timeout: 120000 }, async () => {
  const rx = await startReceiver();
  const w = await startWorker({ RATE_LIMIT_PER_MINUTE: '0' });
  try {
    // 60 callbacks of acme to a receiver answering 200 after 300 ms, queued faster than
    // they are delivered.
    const ids = await queue(w, 60, '+33612345604', `${rx.url}/slow/fair`);
    const wanted = new Set(ids.slice(0, 60).map((id) => `msg_${id}_cancelled`));
    await until(() => logged(w, 'callback').filter((e) => wanted.has(e.webhookId)).length === 60, 'all 60 delivered', 60000);
    // Each alarm run logs `alarm` when it ends: the callbacks logged before it are its own.
    const runs = [[]];
    for (const line of w.logs) {
      if (line.includes('"event":"alarm"')) runs.push([]);
      else if (line.includes('"event":"callback"')) runs.at(-1).push(JSON.parse(line).webhookId);
    }
    const sizes = runs.map((r) => r.length).filter((n) => n > 0);
    assert.ok(sizes.every((n) => n <= 20), `callbacks per run: ${sizes}`);
    assert.ok(rx.state.maxOpen <= 6 && rx.state.maxOpen >= 2, `open at once: ${rx.state.maxOpen}`);
  } finally {
    await w.dispose();
    await rx.close();
  }
});

test("test numbers with a callback URL count against the tenant's minute like any create", { timeout: 120000 }, async () => {
  const rx = await startReceiver();
  const testNumber = '+15005550006';
  const tenants = TENANTS.map((t) => (t.id === 'acme' ? { ...t, testNumbers: { [testNumber]: '123456' } } : t));
  const w = await startWorker({ RATE_LIMIT_PER_MINUTE: '3' }, { tenants });
  try {
    // The window is the clock minute: start right after one begins.
    const intoMinute = Date.now() % 60000;
    if (intoMinute > 50000) await new Promise((r) => setTimeout(r, 60000 - intoMinute + 100));
    const seen = [];
    for (let i = 0; i < 4; i++) {
      seen.push(await call(w, 'POST', '/otp', { phoneNumber: testNumber, otpCallbackUrl: `${rx.url}/ok/test` }));
    }
    assert.deepEqual(seen.map((r) => r.status), [201, 201, 201, 429], JSON.stringify(seen.map((r) => r.body)));
    assert.equal(seen[3].body.error.type, 'rate_limit');
    // The two superseded test OTPs were called back; the refused create queued nothing.
    await until(() => rx.of('/ok/test').length === 2, 'two callbacks', 10000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rx.of('/ok/test').length, 2);
  } finally {
    await w.dispose();
    await rx.close();
  }
});
