// SMS provider adapters against a real HTTP server on 127.0.0.1 that checks each request
// format; provider faults (5xx, timeout, garbage, refusal) answer 502 and leave the OTP
// FAILED; status callbacks arrive signed (Standard Webhooks) and verify with the secret;
// and no PIN is ever stored (in any byte of the Durable Objects' storage) or written to the logs.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { startWorker, call, KEYS, WEBHOOK_SECRET, WEBHOOK_SECRETS } from './harness.mjs';
import { startUpstream } from './fake-upstream.mjs';

let up;
before(async () => { up = await startUpstream(); });
after(async () => { await up?.close(); });

const providers = {
  twilio: () => ({ SMS_PROVIDER: 'twilio', TWILIO_BASE_URL: up.url, TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'tw-token' }),
  vonage: () => ({ SMS_PROVIDER: 'vonage', VONAGE_BASE_URL: up.url, VONAGE_API_KEY: 'vk', VONAGE_API_SECRET: 'vs' }),
  smscx: () => ({ SMS_PROVIDER: 'smscx', SMSCX_BASE_URL: up.url, SMSCX_API_KEY: 'cx-key' }),
  webhook: () => ({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: `${up.url}/webhook` }),
};

/**
 * What a Standard Webhooks receiver computes: does any `v1,<base64>` signature of the
 * header equal HMAC-SHA256(base64-decoded secret, "id.timestamp.body")? `body`: the raw
 * body, as a string or a Buffer of its bytes.
 */
function receiverAccepts(secret, id, timestamp, body, header) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return header.split(' ').some((s) => s === `v1,${expected}`);
}

async function withWorker(vars, fn) {
  const w = await startWorker({ SMS_TIMEOUT_MS: '1500', ...vars });
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

/** The SMS text a provider request carried, whatever its format. */
function smsText(entry) {
  if (entry.headers['content-type'] === 'application/json') return JSON.parse(entry.body).text;
  const form = new URLSearchParams(entry.body);
  return form.get('Body') ?? form.get('text');
}

describe('provider request formats', () => {
  test('twilio: form-encoded To/From/Body with HTTP Basic auth to Messages.json', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.twilio(), async (w) => {
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', from: 'ACME' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const req = up.received.findLast((e) => e.path.includes('/Messages.json'));
      assert.equal(req.path, '/2010-04-01/Accounts/AC123/Messages.json');
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      const form = Object.fromEntries(new URLSearchParams(req.body));
      assert.deepEqual([form.To, form.From], ['+33612345678', 'ACME']);
      assert.match(form.Body, /^Your verification code is \d{6}$/);
    });
  });

  test('vonage: form with api_key/api_secret, digits-only to, type=unicode for UCS-2, client-ref = our reference of the message', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.vonage(), async (w) => {
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+359888123456', template: 'Кодът е {{pin}}' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const form = Object.fromEntries(new URLSearchParams(up.received.findLast((e) => e.path === '/sms/json').body));
      assert.deepEqual([form.api_key, form.api_secret, form.to, form.type, form['client-ref']], ['vk', 'vs', '359888123456', 'unicode', `${r.body.otpId}.1`]);
      assert.match(form.text, /^Кодът е \d{6}$/);
    });
  });

  test('smscx: JSON to/from/text with X-API-KEY, trackData = otpId, idempotencyId a name-based UUID of the message (a failover or resend is not deduplicated)', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.smscx(), async (w) => {
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+4915123456789' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const req = up.received.findLast((e) => e.path === '/sms');
      assert.equal(req.headers['x-api-key'], 'cx-key');
      const body = JSON.parse(req.body);
      assert.deepEqual([body.to, body.from, body.trackData], ['+4915123456789', 'Verify', r.body.otpId]);
      assert.match(body.idempotencyId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.notEqual(body.idempotencyId, r.body.otpId);
    });
  });

  test('webhook: JSON {to, from, text, otpId, messageId, channel} (no reportUrl without PUBLIC_URL)', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.webhook(), async (w) => {
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
      assert.equal(r.status, 201);
      const body = JSON.parse(up.received.findLast((e) => e.path === '/webhook').body);
      assert.deepEqual(Object.keys(body).sort(), ['channel', 'from', 'messageId', 'otpId', 'text', 'to']);
      assert.equal(body.otpId, r.body.otpId);
      assert.deepEqual([body.messageId, body.channel], [`${r.body.otpId}.1`, 'sms']);
    });
  });

  test('console is refused outside development', async () => {
    await withWorker({ ENVIRONMENT: 'production', SMS_PROVIDER: 'console' }, async (w) => {
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
      assert.deepEqual([r.status, r.body.error.type], [500, 'internal_error']);
      assert.ok(w.logs.some((l) => l.includes('SMS_PROVIDER: console (the default) is refused unless ENVIRONMENT=development')));
      assert.ok(!JSON.stringify(r.body).includes('console'), 'no internals in the response');
    });
  });
});

describe('provider faults', () => {
  for (const [mode, provider] of [['500', 'twilio'], ['garbage', 'smscx'], ['hang', 'webhook'], ['reject', 'vonage'], ['reject', 'twilio']]) {
    test(`${provider} answering "${mode}": 502 provider_error, the OTP is FAILED and unusable`, async () => {
      up.state.mode = mode;
      try {
        await withWorker({ ...providers[provider](), ENVIRONMENT: 'development' }, async (w) => {
          const callback = `${up.url}/callback/${provider}-${mode}`;
          const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', otpCallbackUrl: callback });
          assert.deepEqual([r.status, r.body.error.type, r.body.error.code], [502, 'provider_error', 502]);
          const otpId = r.body.error.message.match(/[0-9a-f-]{36}/)[0];
          const status = await call(w, 'GET', `/otp/${otpId}`);
          assert.equal(status.body.status, 'FAILED');
          const verify = await call(w, 'POST', `/otp/${otpId}`, { pin: '123456' });
          assert.equal(verify.body.error.code, 2026);
          await up.waitFor((rs) => rs.some((e) => e.path === `/callback/${provider}-${mode}`));
          const cb = JSON.parse(up.received.find((e) => e.path === `/callback/${provider}-${mode}`).body);
          assert.deepEqual([cb.event, cb.data[0].otpId, cb.data[0].status], ['otp_update', otpId, 'FAILED']);
        });
      } finally {
        up.state.mode = 'ok';
      }
    });
  }
});

describe('provider timeout', () => {
  test('a provider that never answers: 502 after SMS_TIMEOUT_MS, not before, and not much after', { timeout: 30000 }, async () => {
    const timeoutMs = 1500;
    // Generous: a loaded machine, the Durable Object round trip that marks the OTP FAILED.
    const slackMs = 8000;
    up.state.mode = 'hang';
    try {
      await withWorker({ ...providers.webhook(), SMS_TIMEOUT_MS: String(timeoutMs) }, async (w) => {
        const started = Date.now();
        const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
        const elapsed = Date.now() - started;
        assert.deepEqual([r.status, r.body.error.code], [502, 502]);
        assert.ok(elapsed >= timeoutMs, `answered after ${elapsed} ms, before the ${timeoutMs} ms timeout`);
        assert.ok(elapsed <= timeoutMs + slackMs, `answered after ${elapsed} ms, timeout ${timeoutMs} ms`);
      });
    } finally {
      up.state.mode = 'ok';
    }
  });
});

/** A local port nothing listens on (bound, then released). */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until `predicate(logs)` holds, polling; throws after `ms`. */
async function waitForLogs(logs, predicate, ms = 15000) {
  const end = Date.now() + ms;
  while (!predicate(logs)) {
    if (Date.now() > end) throw new Error('timed out waiting for log lines');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('no phone number or PIN in the logs after provider faults', () => {
  // Every fault each provider can show, and the `kind` its sms.failed line must carry.
  const faults = {
    twilio: { 500: 'status', garbage: 'malformed', reject: 'status', echo: 'status', hang: 'timeout' },
    vonage: { 500: 'status', garbage: 'malformed', reject: 'refused', echo: 'refused', hang: 'timeout' },
    smscx: { 500: 'status', garbage: 'malformed', reject: 'refused', echo: 'status', hang: 'timeout' },
    webhook: { 500: 'status', reject: 'status', echo: 'status', hang: 'timeout' },
    unreachable: { ok: 'transport' },
  };

  test('timeouts, transport errors, 5xx, garbage, refusals and replies echoing the number', { timeout: 120000 }, async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const configs = { ...providers, unreachable: () => ({ ...providers.twilio(), TWILIO_BASE_URL: down }) };
    let n = 0;
    try {
      for (const [provider, modes] of Object.entries(faults)) {
        await withWorker({ ...configs[provider](), SMS_TIMEOUT_MS: '500' }, async (w) => {
          const sent = [];
          for (const [mode, kind] of Object.entries(modes)) {
            up.state.mode = mode;
            n += 1;
            const phone = `+336123${String(40000 + n).padStart(5, '0')}`;
            const seen = up.received.length;
            const r = await call(w, 'POST', '/otp', { phoneNumber: phone, pinType: 'letters', pinLength: 8 });
            assert.deepEqual([r.status, r.body.error?.code], [502, 502], `${provider} ${mode}: ${JSON.stringify(r.body)}`);
            const otpId = r.body.error.message.match(/[0-9a-f-]{36}/)[0];
            const request = up.received.slice(seen).find((e) => !e.path.startsWith('/callback'));
            // The PIN as the provider got it (nothing arrives when the provider is unreachable).
            const pin = request ? smsText(request).match(/[A-Z]{8}$/)[0] : null;
            sent.push({ provider, mode, kind, phone, otpId, pin, requestId: r.headers.get('x-request-id') });
          }
          // Each request's own log line and its sms.failed line, however late they are written.
          await waitForLogs(w.logs, (logs) => sent.every((s) =>
            logs.some((l) => l.includes(`"requestId":"${s.requestId}"`) && l.includes('"event":"request"'))
            && logs.some((l) => l.includes('"event":"sms.failed"') && l.includes(s.otpId))));
          for (const s of sent) {
            const failed = JSON.parse(w.logs.find((l) => l.includes('"event":"sms.failed"') && l.includes(s.otpId)));
            assert.equal(failed.kind, s.kind, `${s.provider} ${s.mode}: ${failed.reason}`);
            if (s.mode === 'echo' && s.provider !== 'webhook') {
              // The provider's text reaches the log, with the number masked as everywhere.
              const masked = `3${'*'.repeat(8)}${s.phone.slice(-2)}`;
              assert.ok(failed.reason.includes(masked), `${s.provider}: ${failed.reason}`);
            }
          }
          for (const line of w.logs) {
            for (const s of sent) {
              // The national digits, whatever the format around them (+33…, 33…, 06…).
              assert.ok(!line.includes(s.phone.slice(3)), `full phone number in log (${s.provider} ${s.mode}): ${line}`);
              if (s.pin) assert.ok(!line.includes(s.pin), `PIN in log (${s.provider} ${s.mode}): ${line}`);
            }
          }
          assert.ok(sent.every((s) => s.pin || s.provider === 'unreachable'), 'each reachable provider got the SMS');
        });
      }
    } finally {
      up.state.mode = 'ok';
    }
  });
});

describe('callbacks', () => {
  test('every status change is POSTed, signed per Standard Webhooks, verifiable with the secret', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.webhook(), async (w) => {
      const path = '/callback/signed';
      const created = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', otpCallbackUrl: `${up.url}${path}` });
      const text = JSON.parse(up.received.findLast((e) => e.path === '/webhook').body).text;
      const pin = text.match(/\d{6}/)[0];
      assert.equal((await call(w, 'POST', `/otp/${created.body.otpId}`, { pin })).status, 200);
      await up.waitFor((rs) => rs.some((e) => e.path === path));
      const cb = up.received.find((e) => e.path === path);
      const body = JSON.parse(cb.body);
      assert.deepEqual([body.event, body.data.length, body.data[0].status, body.data[0].otpId], ['otp_update', 1, 'VERIFIED', created.body.otpId]);
      // Verify as a receiver would (Standard Webhooks): HMAC-SHA256 over
      // "id.timestamp.body" with the base64-decoded secret, compared with each signature of
      // the header. With the right secret it verifies; with another secret (another
      // deployment's, or the wrong one), a body changed by one byte, or another id or
      // timestamp, it must not.
      const id = cb.headers['webhook-id'];
      const ts = cb.headers['webhook-timestamp'];
      const header = cb.headers['webhook-signature'];
      assert.match(header, /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.equal(receiverAccepts(WEBHOOK_SECRET, id, ts, cb.body, header), true);
      assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60);
      const otherSecret = `whsec_${Buffer.from('globex-webhook-secret-0123456789').toString('base64')}`;
      assert.equal(receiverAccepts(otherSecret, id, ts, cb.body, header), false, 'another secret');
      const bytes = Buffer.from(cb.body);
      for (const at of [0, bytes.indexOf('VERIFIED'), bytes.length - 1]) {
        const changed = Buffer.from(bytes);
        changed[at] ^= 1;
        assert.equal(receiverAccepts(WEBHOOK_SECRET, id, ts, changed, header), false, `byte ${at} changed`);
      }
      assert.equal(receiverAccepts(WEBHOOK_SECRET, `${id}x`, ts, cb.body, header), false, 'another id');
      assert.equal(receiverAccepts(WEBHOOK_SECRET, id, String(Number(ts) + 1), cb.body, header), false, 'another timestamp');
    });
  });

  test('CANCELLED, FAILED by attempts and FAILED by the provider each POST exactly one callback', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.webhook(), async (w) => {
      const path = '/callback/each-change';
      const url = `${up.url}${path}`;
      const cancelled = await call(w, 'POST', '/otp', { phoneNumber: '+33612345601', otpCallbackUrl: url });
      assert.equal((await call(w, 'DELETE', `/otp/${cancelled.body.otpId}`)).status, 200);
      const failed = await call(w, 'POST', '/otp', { phoneNumber: '+33698765402', otpCallbackUrl: url, maxAttempts: 1 });
      const text = JSON.parse(up.received.findLast((e) => e.path === '/webhook').body).text;
      const wrong = text.match(/\d{6}/)[0] === '000000' ? '111111' : '000000';
      assert.equal((await call(w, 'POST', `/otp/${failed.body.otpId}`, { pin: wrong })).body.error.code, 2027);
      up.state.mode = '500';
      const undelivered = await call(w, 'POST', '/otp', { phoneNumber: '+33687654303', otpCallbackUrl: url });
      up.state.mode = 'ok';
      assert.equal(undelivered.status, 502);
      const ofPath = () => up.received.filter((e) => e.path === path).map((e) => JSON.parse(e.body).data[0]);
      // The 502 names the OTP it left FAILED.
      const lost = undelivered.body.error.message.match(/[0-9a-f-]{36}/)[0];
      await up.waitFor(() => ofPath().length >= 3);
      // A second more: nothing repeats (a receiver that answered 2xx gets each change once).
      await new Promise((r) => setTimeout(r, 1500));
      const got = ofPath().map((o) => `${o.otpId} ${o.status}`).sort();
      assert.deepEqual(got, [`${cancelled.body.otpId} CANCELLED`, `${failed.body.otpId} FAILED`, `${lost} FAILED`].sort());
    });
  });

  test("each tenant's callbacks are signed with its own secret: A's do not verify with B's, nor B's with A's", async () => {
    up.state.mode = 'ok';
    await withWorker(providers.webhook(), async (w) => {
      const seen = {};
      for (const [tenant, key] of Object.entries(KEYS)) {
        const path = `/callback/tenant-${tenant}`;
        const created = await call(w, 'POST', '/otp', { phoneNumber: '+33612345670', otpCallbackUrl: `${up.url}${path}` }, key);
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal((await call(w, 'DELETE', `/otp/${created.body.otpId}`, undefined, key)).status, 200);
        await up.waitFor((rs) => rs.some((e) => e.path === path));
        seen[tenant] = up.received.find((e) => e.path === path);
      }
      for (const [tenant, cb] of Object.entries(seen)) {
        const h = cb.headers;
        for (const [signer, secret] of Object.entries(WEBHOOK_SECRETS)) {
          assert.equal(receiverAccepts(secret, h['webhook-id'], h['webhook-timestamp'], cb.body, h['webhook-signature']), signer === tenant, `${tenant}'s callback checked with ${signer}'s secret`);
        }
      }
    });
  });

  test('a failing receiver is retried after the waits of CALLBACK_BACKOFF_MS (development), with the same webhook-id, until a 2xx; past the last wait the callback is abandoned', { timeout: 30000 }, async () => {
    // A receiver answering 500 to the first `failures` tries of each webhook-id, then 200.
    const tries = [];
    const failures = { '/recovers': 2, '/never': Infinity };
    const receiver = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const n = tries.filter((t) => t.path === req.url).length + 1;
        tries.push({ path: req.url, id: req.headers['webhook-id'], at: Date.now() });
        res.writeHead(n <= failures[req.url] ? 500 : 200);
        res.end();
      });
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${receiver.address().port}`;
    const of = (path) => tries.filter((t) => t.path === path);
    const until = async (predicate, what) => {
      for (const end = Date.now() + 15000; !predicate(); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(tries)}`);
      }
    };
    up.state.mode = 'ok';
    try {
      await withWorker({ ...providers.webhook(), CALLBACK_BACKOFF_MS: '400,800' }, async (w) => {
        const ids = {};
        for (const path of Object.keys(failures)) {
          const created = await call(w, 'POST', '/otp', { phoneNumber: '+33612345671', otpCallbackUrl: `${base}${path}` });
          assert.equal(created.status, 201, JSON.stringify(created.body));
          assert.equal((await call(w, 'DELETE', `/otp/${created.body.otpId}`)).status, 200);
          ids[path] = `msg_${created.body.otpId}_cancelled`;
        }
        // 500, 500, then 200: three tries, each after its wait (not the minute of production).
        await until(() => of('/recovers').length >= 3 && of('/never').length >= 3, 'three tries each');
        const recovers = of('/recovers');
        assert.deepEqual(recovers.map((t) => t.id), [ids['/recovers'], ids['/recovers'], ids['/recovers']], 'the same webhook-id on every try');
        const gaps = recovers.slice(1).map((t, i) => t.at - recovers[i].at);
        // A wait runs from the start of the failed try (shard/outbox.rs), so the arrivals are apart
        // by the wait give or take a try's own time.
        assert.ok(gaps[0] >= 250 && gaps[1] >= 650, `waits of about 400 then 800 ms: ${gaps}`);
        assert.ok(gaps.every((g) => g < 10000), `retried within seconds: ${gaps}`);
        // The receiver that never recovers had its 3 tries (1 + the 2 waits listed), then
        // the callback is given up and logged; the one that recovered is not tried again.
        await until(() => w.logs.some((l) => l.includes('"callback.abandoned"')), 'the abandon');
        await new Promise((r) => setTimeout(r, 1500));
        assert.deepEqual([of('/recovers').length, of('/never').length], [3, 3]);
        const abandoned = w.logs.filter((l) => l.includes('"callback.abandoned"')).map((l) => JSON.parse(l));
        assert.deepEqual(abandoned.map((e) => [e.webhookId, e.tries]), [[ids['/never'], 3]]);
      });
    } finally {
      await new Promise((resolve) => { receiver.closeAllConnections?.(); receiver.close(resolve); });
    }
  });

  test('production refuses http callback URLs and private hosts (2019)', async () => {
    // Production takes https provider URLs only; no SMS leaves in this test (each create is refused first).
    await withWorker({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.invalid/webhook', ENVIRONMENT: 'production' }, async (w) => {
      for (const url of [`${up.url}/callback/x`, 'http://example.com/cb', 'https://10.0.0.1/cb', 'https://localhost/cb']) {
        const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', otpCallbackUrl: url });
        assert.deepEqual([r.status, r.body.error.code], [400, 2019], url);
      }
    });
  });
});

describe('no PIN at rest or in logs', () => {
  test('after sends, verifies and failures, no PIN is in any stored byte or log line', async () => {
    up.state.mode = 'ok';
    await withWorker(providers.webhook(), async (w) => {
      const pins = [];
      for (let i = 0; i < 5; i++) {
        // 8 upper-case letters: no id, timestamp or key can contain such a run by chance.
        const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', pinType: 'letters', pinLength: 8 });
        assert.equal(r.status, 201);
        const text = JSON.parse(up.received.findLast((e) => e.path === '/webhook').body).text;
        const pin = text.match(/[A-Z]{8}$/)[0];
        pins.push(pin);
        if (i % 2) await call(w, 'POST', `/otp/${r.body.otpId}`, { pin });
        else await call(w, 'POST', `/otp/${r.body.otpId}`, { pin: 'WRONGPIN' });
      }
      // Every byte the Durable Objects stored (SQLite files, journals) holds the records —
      // their keyed hashes — and none of the PINs.
      const stored = Buffer.concat(w.storedFiles().map((f) => f.bytes)).toString('latin1');
      assert.equal(stored.match(/"pinHash":"[0-9a-f]{64}"/g)?.length >= 5, true, 'the records are stored');
      // The rows too, values whole: a PIN cut by a page boundary is not in the bytes.
      const rows = w.storedRows().join('\n');
      for (const pin of pins) assert.ok(!stored.includes(pin) && !rows.includes(pin), `PIN ${pin} stored`);
      assert.ok(w.logs.length > 10);
      for (const line of w.logs) {
        for (const pin of pins) assert.ok(!line.includes(pin), `PIN in log: ${line}`);
        assert.ok(!line.includes('+33612345678'), `full phone number in log: ${line}`);
        assert.ok(!line.includes(KEYS.acme), `API key in log: ${line}`);
      }
    });
  });
});
