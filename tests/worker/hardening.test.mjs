// The browser API hardened for the open internet (security review, issue 17), end to end on
// workerd: public traffic has budgets of its own and cannot starve the tenant's backend;
// an OTP's resend and check need its client secret; a browser create never supersedes
// another's OTP; wrong PINs lock the client that typed them before the number; 100 in a
// row lock the number until the tenant unlocks it; unsafe settings refuse the browser API
// (503) before anything is stored or sent; Turnstile answers are checked for the host and
// the action; answers are never cached and show browsers no volume; tokens carry azp and
// test. SMS go to a local HTTP server standing in for the provider, so each test counts the
// SMS that really left.
import { test, before, after, describe } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { startWorker, call, KEYS, TENANTS, pinOfSms, tokenVars } from './harness.mjs';
import { startUpstream } from './fake-upstream.mjs';
import { devTenantToRecord, recordEntries } from '../../scripts/tenants-kv.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ORIGIN = 'https://shop.example';
const PK = 'pk_acme_test_0123456789';
const PUBLIC_URL = 'https://otp.example'; // tokenVars' PUBLIC_URL
const PASS = '1x0000000000000000000000000000000AA';

/** The worker's TOKEN_SIGNING_KEYS and PUBLIC_URL (harness: a new Ed25519 key). */
const TOKEN_VARS = tokenVars('hardening');

let up;
let siteverify;
before(async () => {
  up = await startUpstream();
  siteverify = await startSiteverify();
});
after(async () => {
  await up?.close();
  await siteverify?.close();
});

/**
 * Turnstile's siteverify as Cloudflare documents it for a passing secret, reporting the
 * `hostname` and `action` the token names (`token@host#action`; by default the test page's
 * host and no action).
 */
async function startSiteverify() {
  const received = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      received.push(form);
      const [, host = 'shop.example', action] = /^[^@#]*(?:@([^#]*))?(?:#(.*))?$/.exec(form.response ?? '') ?? [];
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ success: true, 'error-codes': [], hostname: host, challenge_ts: new Date().toISOString(), ...(action ? { action } : {}) }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/siteverify`,
    received,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** acme with a publishable key for ORIGIN, its browser decisions made (`change` over it). */
function tenants(change = {}) {
  const [acme, globex] = TENANTS;
  const record = { ...acme, publishableKeys: [{ key: PK, origins: [ORIGIN] }], turnstile: 'off', allowAllCountries: true, browser: { template: 'Your Acme code: {{pin}}' }, ...change };
  return [JSON.parse(JSON.stringify(record)), globex];
}

async function withWorker({ vars = {}, tenantChange, ipLimit, raw = false } = {}, fn) {
  // `raw`: acme's record written to KV as is (the dev-file loader, like `npm run tenant`,
  // refuses an unsafe one; here the worker must).
  const [acme, globex] = tenants(tenantChange);
  const w = await startWorker(
    {
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: `${up.url}/webhook`,
      RATE_LIMIT_PER_MINUTE: '100',
      ...TOKEN_VARS,
      TURNSTILE_SITEVERIFY_URL: siteverify.url,
      ...vars,
    },
    raw
      ? { tenants: [globex], kvEntries: recordEntries(devTenantToRecord(acme)), ...(ipLimit ? { ipLimit } : {}) }
      : { tenants: [acme, globex], ...(ipLimit ? { ipLimit } : {}) },
  );
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

/** A browser request from a page on ORIGIN, from `ip`, with `secret` as X-Client-Secret. */
function browserCall(w, method, path, body, { ip = '198.51.100.1', secret, origin = ORIGIN } = {}) {
  return call(w, method, path, body, null, {
    Authorization: `Bearer ${PK}`,
    Origin: origin,
    'CF-Connecting-IP': ip,
    ...(secret ? { 'X-Client-Secret': secret } : {}),
  });
}

let counter = 0;
/**
 * A French mobile number no other test uses, in a range of its own (E.164 minus its last 4
 * digits): `+33 6|7 XXXX 7788`, XXXX from a start that depends on the process, wrapping
 * within 4 digits (20,000 ranges; a run uses ~1,100).
 */
const freshNumber = () => {
  for (let tries = 0; tries < 1000; tries++) {
    const n = counter++;
    const middle = String((4000 + (process.pid % 30) * 200 + Math.floor(n / 2)) % 10000).padStart(4, '0');
    const number = `+33${n % 2 ? 7 : 6}${middle}7788`;
    if (parsePhoneNumberFromString(number)?.isValid()) return number;
  }
  throw new Error('no valid fresh number in 1,000 tries');
};
const smsTo = (number) => up.smsTo(number);
const codeOf = (r) => [r.status, r.body?.error?.code];

describe('budgets: public traffic cannot starve the backend', () => {
  test('2,000 browser requests in a minute from 50 IPs leave the server API answering 201 and 200', async () => {
    await withWorker({ vars: { RATE_LIMIT_PER_MINUTE: '100', BROWSER_RATE_LIMIT_PER_MINUTE: '300' } }, async (w) => {
      const statuses = new Map();
      const count = (r) => statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // 40 requests from each of 50 IPs: config, and checks of an id that does not exist.
      const fake = 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ';
      const startedAt = Date.now();
      for (let round = 0; round < 40; round += 10) {
        await Promise.all(Array.from({ length: 50 }, async (_, ip) => {
          for (let i = round; i < round + 10; i++) {
            const addr = `203.0.113.${ip + 1}`;
            count(i % 2 ? await browserCall(w, 'GET', '/v1/browser/config', undefined, { ip: addr }) : await browserCall(w, 'POST', `/v1/browser/otp/${fake}`, { pin: '123456' }, { ip: addr }));
          }
        }));
      }
      assert.equal([...statuses.values()].reduce((a, b) => a + b), 2000);
      // The browser minute (300 per clock minute: the run may span two) was spent: the
      // checks beyond it got 429 …
      const minutes = Math.floor(Date.now() / 60_000) - Math.floor(startedAt / 60_000) + 1;
      assert.ok((statuses.get(404) ?? 0) <= 300 * minutes, JSON.stringify([...statuses]));
      assert.ok((statuses.get(429) ?? 0) >= 1000 - 300 * minutes, JSON.stringify([...statuses]));
      // … and config, served from the isolate's cache, spends only the per-IP budget.
      assert.equal(statuses.get(200), 1000, JSON.stringify([...statuses]));
      const number = freshNumber();
      const created = await call(w, 'POST', '/otp', { phoneNumber: number });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const verified = await call(w, 'POST', `/otp/${created.body.otpId}`, { pin: pinOfSms(smsTo(number)[0]) });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      // The server API's window shows its own budget, untouched by the browsers.
      assert.equal(verified.headers.get('X-Rate-Limit-Limit'), '100');
      assert.ok(Number(verified.headers.get('X-Rate-Limit-Remaining')) >= 97);
    });
  });

  test('the per-IP budget: the 61st request of a minute from one IP (or its /64) is 429 2134, before any KV read; another IP goes on', async () => {
    await withWorker({}, async (w) => {
      for (let i = 0; i < 60; i++) assert.equal((await browserCall(w, 'GET', '/v1/browser/config', undefined, { ip: `2001:db8:5:6::${i + 1}` })).status, 200);
      const over = await browserCall(w, 'GET', '/v1/browser/config', undefined, { ip: '2001:db8:5:6::ffff' });
      assert.deepEqual(codeOf(over), [429, 2134]);
      assert.equal(over.headers.get('Retry-After'), '60');
      // An unknown key from the same IP is refused by the budget, not looked up.
      const unknown = await call(w, 'GET', '/v1/browser/config', undefined, null, { Authorization: 'Bearer pk_unknown_0123456789', Origin: ORIGIN, 'CF-Connecting-IP': '2001:db8:5:6::1' });
      assert.deepEqual(codeOf(unknown), [429, 2134]);
      assert.equal((await browserCall(w, 'GET', '/v1/browser/config', undefined, { ip: '2001:db8:5:7::1' })).status, 200);
    });
  });

  test('browser SMS have their own daily cap; the server API keeps sending', async () => {
    await withWorker({ tenantChange: { limits: { browserDailySendCap: 2, dailySendCap: 10 } } }, async (w) => {
      for (let i = 0; i < 2; i++) {
        const r = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: freshNumber() }, { ip: `198.51.100.${10 + i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const number = freshNumber();
      const capped = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number }, { ip: '198.51.100.20' });
      assert.deepEqual(codeOf(capped), [429, 2131]);
      assert.ok(Number(capped.headers.get('Retry-After')) > 0);
      assert.equal(smsTo(number).length, 0);
      const server = await call(w, 'POST', '/otp', { phoneNumber: number });
      assert.equal(server.status, 201, JSON.stringify(server.body));
      assert.equal(smsTo(number).length, 1);
    });
  });

  test('IPv6 SMS are counted per /64 and per /48', async () => {
    await withWorker({ tenantChange: { limits: { ipSendsPerHour: 2, ipv6Net48SendsPerHour: 3 } } }, async (w) => {
      const start = (ip) => browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: freshNumber() }, { ip });
      assert.equal((await start('2001:db8:7:1::1')).status, 201);
      assert.equal((await start('2001:db8:7:1::2')).status, 201);
      assert.deepEqual(codeOf(await start('2001:db8:7:1::3')), [429, 2114], 'the /64 has had its 2');
      assert.equal((await start('2001:db8:7:2::1')).status, 201);
      const r = await start('2001:db8:7:3::1');
      assert.deepEqual(codeOf(r), [429, 2114], 'the /48 has had its 3');
      assert.match(r.body.error.message, /\/48/);
      assert.equal((await start('2001:db8:8:1::1')).status, 201, 'another /48');
    });
  });
});

describe('client secrets', () => {
  test('resend and check need the OTP\'s client secret: 403 2130 otherwise, nothing spent or sent', async () => {
    await withWorker({ tenantChange: { limits: { resendCooldowns: [1] } } }, async (w) => {
      const number = freshNumber();
      const started = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const { otpId, clientSecret } = started.body;
      assert.match(clientSecret, /^cs_[A-Za-z0-9_-]{32}$/);
      const other = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: freshNumber() }, { ip: '198.51.100.77' });
      const pin = pinOfSms(smsTo(number)[0]);
      for (const secret of [undefined, other.body.clientSecret, `${clientSecret}x`]) {
        assert.deepEqual(codeOf(await browserCall(w, 'POST', `/v1/browser/otp/${otpId}`, { pin }, { secret })), [403, 2130]);
        await new Promise((r) => setTimeout(r, 1100));
        assert.deepEqual(codeOf(await browserCall(w, 'POST', `/v1/browser/otp/${otpId}/resend`, {}, { secret })), [403, 2130]);
      }
      assert.equal(smsTo(number).length, 1, 'no resend went out');
      const status = await call(w, 'GET', `/otp/${otpId}`);
      assert.deepEqual([status.body.status, status.body.attempts], ['PENDING', 0], 'no attempt spent');
      const right = await browserCall(w, 'POST', `/v1/browser/otp/${otpId}`, { pin }, { secret: clientSecret });
      assert.equal(right.status, 200, JSON.stringify(right.body));
    });
  });

  test('a server-made OTP\'s client secret comes in the server API\'s create answer and works on the browser API', async () => {
    await withWorker({}, async (w) => {
      const number = freshNumber();
      const created = await call(w, 'POST', '/otp', { phoneNumber: number });
      assert.match(created.body.clientSecret, /^cs_/);
      const r = await browserCall(w, 'POST', `/v1/browser/otp/${created.body.otpId}`, { pin: pinOfSms(smsTo(number)[0]) }, { secret: created.body.clientSecret });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      // The replay of an idempotent create answers the same secret (it is never stored).
      const body = { phoneNumber: freshNumber() };
      const again = await call(w, 'POST', '/otp', body, KEYS.acme, { 'Idempotency-Key': 'k-1' });
      const replay = await call(w, 'POST', '/otp', body, KEYS.acme, { 'Idempotency-Key': 'k-1' });
      assert.equal(replay.body.otpId, again.body.otpId, 'a replay');
      assert.equal(replay.body.clientSecret, again.body.clientSecret);
      const stored = Buffer.concat(w.storedFiles().map((f) => f.bytes)).toString('latin1');
      assert.ok(!stored.includes(again.body.clientSecret.slice(3)), 'no client secret in storage');
    });
  });
});

describe('superseding and locks', () => {
  test('a browser create never supersedes a server-made OTP, nor another visitor\'s: 429 2109 until it ends; the same visitor may', async () => {
    await withWorker({}, async (w) => {
      const number = freshNumber();
      const server = await call(w, 'POST', '/otp', { phoneNumber: number, ttl: 600 });
      const refused = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
      assert.deepEqual(codeOf(refused), [429, 2109]);
      const wait = Number(refused.headers.get('Retry-After'));
      assert.ok(wait > 590 && wait <= 600, `Retry-After ${wait}`);
      assert.equal(smsTo(number).length, 1);
      const ok = await call(w, 'POST', `/otp/${server.body.otpId}`, { pin: pinOfSms(smsTo(number)[0]) });
      assert.equal(ok.status, 200, 'the server-made OTP still verifies');

      const other = freshNumber();
      const mine = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: other });
      assert.equal(mine.status, 201);
      const stranger = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: other }, { ip: '192.0.2.99' });
      assert.deepEqual(codeOf(stranger), [429, 2109]);
      const again = await call(w, 'GET', `/otp/${mine.body.otpId}`);
      assert.equal(again.body.status, 'PENDING');
      // The same visitor (its client secret) replaces its own OTP.
      const replaced = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: other }, { secret: mine.body.clientSecret });
      assert.equal(replaced.status, 201, JSON.stringify(replaced.body));
      assert.equal((await call(w, 'GET', `/otp/${mine.body.otpId}`)).body.status, 'CANCELLED');
    });
  });

  test('wrong PINs from one browser client lock that client, not the number: the backend still verifies', async () => {
    await withWorker({ vars: { NUMBER_LIMITS: JSON.stringify({ failuresBeforeLock: 3, lockSeconds: 600 }) } }, async (w) => {
      const number = freshNumber();
      const created = await call(w, 'POST', '/otp', { phoneNumber: number, maxAttempts: 10 });
      const { otpId, clientSecret } = created.body;
      const pin = pinOfSms(smsTo(number)[0]);
      const wrong = pin === '000000' ? '111111' : '000000';
      for (let i = 0; i < 3; i++) assert.deepEqual(codeOf(await browserCall(w, 'POST', `/v1/browser/otp/${otpId}`, { pin: wrong }, { secret: clientSecret, ip: '192.0.2.50' })), [400, 2029]);
      const locked = await browserCall(w, 'POST', `/v1/browser/otp/${otpId}`, { pin }, { secret: clientSecret, ip: '192.0.2.50' });
      assert.deepEqual(codeOf(locked), [429, 2110], 'the client is locked, even with the right PIN');
      assert.ok(Number(locked.headers.get('Retry-After')) > 590);
      const backend = await call(w, 'POST', `/otp/${otpId}`, { pin });
      assert.equal(backend.status, 200, JSON.stringify(backend.body));
    });
  });

  test('the server API\'s lock refuses checks too; 100 wrong PINs in a row lock the number until the tenant unlocks it', async () => {
    // The prefix rule off: 11 unverified SMS to one number would block its range first.
    await withWorker({ vars: { RATE_LIMIT_PER_MINUTE: '0', NUMBER_LIMITS: JSON.stringify({ failuresBeforeLock: 100, lockSeconds: 60, sendsPerDay: 1000, sendsPer10Minutes: 1000 }) }, tenantChange: { limits: { prefixUnverifiedPerHour: 0 } } }, async (w) => {
      const number = freshNumber();
      let last;
      for (let otp = 0; otp < 10; otp++) {
        last = await call(w, 'POST', '/otp', { phoneNumber: number, maxAttempts: 10 });
        assert.equal(last.status, 201, JSON.stringify(last.body));
        const pin = pinOfSms(smsTo(number).at(-1));
        const wrong = pin === '000000' ? '111111' : '000000';
        for (let i = 0; i < 10; i++) await call(w, 'POST', `/otp/${last.body.otpId}`, { pin: wrong });
      }
      const refused = await call(w, 'POST', '/otp', { phoneNumber: number });
      assert.deepEqual(codeOf(refused), [403, 2133], JSON.stringify(refused.body));
      assert.equal(refused.headers.get('Retry-After'), null, 'no end to wait for');
      const sent = smsTo(number).length;
      const path = `/v1/numbers/${encodeURIComponent(number)}/lock`;
      assert.deepEqual(codeOf(await call(w, 'DELETE', path, undefined, KEYS.globex)), [200, undefined], "another tenant's unlock is its own number's");
      assert.deepEqual(codeOf(await call(w, 'POST', '/otp', { phoneNumber: number })), [403, 2133], "globex's unlock did not touch acme's number");
      assert.deepEqual(codeOf(await call(w, 'DELETE', path, undefined, null)), [401, 401]);
      assert.deepEqual(codeOf(await call(w, 'DELETE', '/v1/numbers/12345/lock')), [400, 2020]);
      const unlocked = await call(w, 'DELETE', path);
      assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
      assert.deepEqual(unlocked.body, { phoneNumber: number, locked: false });
      const after = await call(w, 'POST', '/otp', { phoneNumber: number });
      assert.equal(after.status, 201, JSON.stringify(after.body));
      assert.equal(smsTo(number).length, sent + 1);
    });
  });

  test('npm run tenant -- unlock <id> <E.164> clears a lock through the API, with the tenant\'s own key only', async () => {
    // The CLI checks the key against the namespace it manages (here a local one loaded from
    // the example file), then calls the worker's DELETE /v1/numbers/{number}/lock.
    const example = JSON.parse(readFileSync(join(root, 'worker', 'tenants.example.json'), 'utf8'));
    const state = mkdtempSync(join(tmpdir(), 'smsotp-unlock-'));
    const cli = (args, key) => spawnSync(process.execPath, [join(root, 'scripts', 'tenant.mjs'), ...args, '--persist-to', state], {
      encoding: 'utf8',
      env: { ...process.env, ...(key ? { SMSOTP_API_KEY: key } : {}) },
    });
    try {
      const load = cli(['load-dev', join(root, 'worker', 'tenants.example.json')]);
      assert.equal(load.status, 0, load.stderr);
      const acme = { ...example[0], publishableKeys: undefined };
      const w = await startWorker(
        { SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: `${up.url}/webhook`, NUMBER_LIMITS: JSON.stringify({ failuresBeforeLock: 2, lockSeconds: 600 }) },
        { tenants: [JSON.parse(JSON.stringify(acme)), example[1]] },
      );
      try {
        const key = acme.apiKeys[0];
        const number = freshNumber();
        const created = await call(w, 'POST', '/otp', { phoneNumber: number, maxAttempts: 5 }, key);
        const pin = pinOfSms(smsTo(number)[0]);
        const wrong = pin === '000000' ? '111111' : '000000';
        for (let i = 0; i < 2; i++) await call(w, 'POST', `/otp/${created.body.otpId}`, { pin: wrong }, key);
        assert.deepEqual(codeOf(await call(w, 'POST', `/otp/${created.body.otpId}`, { pin }, key)), [429, 2110]);
        const other = cli(['unlock', 'acme', number, '--url', w.url], example[1].apiKeys[0]);
        assert.equal(other.status, 1, other.stdout);
        assert.match(other.stderr, /not a key of tenant acme/);
        assert.equal(cli(['unlock', 'acme', number, '--url', w.url]).status, 2, 'no key: a usage error');
        const ok = cli(['unlock', 'acme', number, '--url', w.url], key);
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, new RegExp(`unlocked \\${number}`));
        assert.equal((await call(w, 'POST', `/otp/${created.body.otpId}`, { pin }, key)).status, 200);
      } finally {
        await w.dispose();
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test('the lock after failuresBeforeLock (server API) refuses checks too, not only SMS', async () => {
    await withWorker({ vars: { NUMBER_LIMITS: JSON.stringify({ failuresBeforeLock: 2, lockSeconds: 600 }) } }, async (w) => {
      const number = freshNumber();
      const created = await call(w, 'POST', '/otp', { phoneNumber: number, maxAttempts: 5 });
      const pin = pinOfSms(smsTo(number)[0]);
      const wrong = pin === '000000' ? '111111' : '000000';
      for (let i = 0; i < 2; i++) await call(w, 'POST', `/otp/${created.body.otpId}`, { pin: wrong });
      const r = await call(w, 'POST', `/otp/${created.body.otpId}`, { pin });
      assert.deepEqual(codeOf(r), [429, 2110]);
    });
  });
});

describe("the denial figures of docs/api.md, at the defaults", () => {
  test('a number: 100 wrong PINs take 20 browser OTPs (5 attempts each) from 10 IPs (10 wrong PINs lock an IP); then 403 2133 for everyone', async () => {
    // The defaults, but for the per-number SMS windows (10 a day: the figure's 2 days) and
    // the range rule (10 unverified SMS an hour), which only slow the attack down.
    await withWorker({ vars: { RATE_LIMIT_PER_MINUTE: '0', BROWSER_RATE_LIMIT_PER_MINUTE: '0', NUMBER_LIMITS: JSON.stringify({ sendsPerDay: 1000, sendsPer10Minutes: 1000 }) }, tenantChange: { limits: { prefixUnverifiedPerHour: 0 } } }, async (w) => {
      const victim = freshNumber();
      for (let otp = 0; otp < 20; otp++) {
        const ip = `198.51.100.${100 + Math.floor(otp / 2)}`;
        const started = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: victim }, { ip });
        assert.equal(started.status, 201, `SMS ${otp + 1}: ${JSON.stringify(started.body)}`);
        assert.equal(started.body.attemptsLeft, 5);
        const pin = pinOfSms(smsTo(victim).at(-1));
        const wrong = pin === '000000' ? '111111' : '000000';
        for (let i = 0; i < 5; i++) await browserCall(w, 'POST', `/v1/browser/otp/${started.body.otpId}`, { pin: wrong }, { ip, secret: started.body.clientSecret });
        if (otp % 2 === 1 && otp < 19) {
          // Its 10 wrong PINs locked this IP for the number: a third OTP from it is refused.
          assert.deepEqual(codeOf(await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: victim }, { ip })), [429, 2110]);
        }
      }
      assert.equal(smsTo(victim).length, 20);
      assert.deepEqual(codeOf(await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: victim }, { ip: '203.0.113.200' })), [403, 2133]);
      assert.deepEqual(codeOf(await call(w, 'POST', '/otp', { phoneNumber: victim })), [403, 2133]);
    });
  });

  test('a range (the E.164 number minus its last 4 digits): 10 unverified SMS in an hour block it for an hour', async () => {
    // Every default limit (the harness otherwise runs with NUMBER_LIMITS=off).
    await withWorker({ vars: { NUMBER_LIMITS: undefined } }, async (w) => {
      const range = `+33781${String(process.pid % 100).padStart(2, '0')}`;
      const numbers = Array.from({ length: 12 }, (_, i) => `${range}${String(1000 + i * 7).padStart(4, '0')}`);
      for (const n of numbers) assert.ok(parsePhoneNumberFromString(n)?.isValid(), n);
      for (let i = 0; i < 10; i++) {
        const r = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: numbers[i] }, { ip: `2001:db8:77:${i}::1` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const blocked = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: numbers[10] }, { ip: '2001:db8:78::1' });
      assert.deepEqual(codeOf(blocked), [429, 2115]);
      assert.ok(Number(blocked.headers.get('Retry-After')) > 3500);
      // The backend is refused too for that hour: the range is the tenant's.
      assert.deepEqual(codeOf(await call(w, 'POST', '/otp', { phoneNumber: numbers[11] })), [429, 2115]);
    });
  });

  test("a tenant's browser API: 1,000 SMS from 100 IPs (10 an hour each) spend its day; the server API keeps sending", async () => {
    // Every default limit but the per-minute budgets (a day's worth in seconds here).
    await withWorker({ vars: { NUMBER_LIMITS: undefined, RATE_LIMIT_PER_MINUTE: '0', BROWSER_RATE_LIMIT_PER_MINUTE: '0' } }, async (w) => {
      for (let ip = 0; ip < 100; ip++) {
        const addr = `2001:db8:${(ip + 256).toString(16)}::1`;
        const answers = await Promise.all(Array.from({ length: 10 }, () => browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: freshNumber() }, { ip: addr })));
        for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
        // The 11th of the hour from the same /64 is its per-IP refusal.
        if (ip === 0) assert.deepEqual(codeOf(await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: freshNumber() }, { ip: addr })), [429, 2114]);
      }
      const number = freshNumber();
      assert.deepEqual(codeOf(await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number }, { ip: '2001:db8:ffff::1' })), [429, 2131]);
      assert.equal(smsTo(number).length, 0);
      assert.equal((await call(w, 'POST', '/otp', { phoneNumber: number })).status, 201);
    });
  });
});

describe('settings that fail open', () => {
  for (const [what, change, problem] of [
    ['no bot check decided', { turnstile: undefined }, /without a bot check/],
    ['every country without allowAllCountries', { allowAllCountries: undefined }, /every country allowed/],
  ]) {
    test(`publishable keys with ${what}: the browser API answers 503 2132 and sends nothing; /health lists it; the server API works`, async () => {
      await withWorker({ tenantChange: change, raw: true }, async (w) => {
        const number = freshNumber();
        assert.deepEqual(codeOf(await browserCall(w, 'GET', '/v1/browser/config')), [503, 2132]);
        assert.deepEqual(codeOf(await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number })), [503, 2132]);
        assert.equal(smsTo(number).length, 0);
        const health = await w.fetch('/health');
        assert.equal(health.status, 503);
        assert.ok((await health.json()).problems.some((p) => problem.test(p)));
        assert.equal((await call(w, 'POST', '/otp', { phoneNumber: number })).status, 201);
      });
    });
  }

  test('no TOKEN_SIGNING_KEYS: the browser start refuses (503 2132, no SMS), so no right PIN is ever spent on a token that cannot be made', async () => {
    await withWorker({ vars: { TOKEN_SIGNING_KEYS: undefined, PUBLIC_URL: undefined } }, async (w) => {
      const number = freshNumber();
      assert.deepEqual(codeOf(await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number })), [503, 2132]);
      assert.equal(smsTo(number).length, 0);
      // A server-made OTP checked from a page: refused before its PIN is spent.
      const created = await call(w, 'POST', '/otp', { phoneNumber: number });
      const pin = pinOfSms(smsTo(number)[0]);
      assert.deepEqual(codeOf(await browserCall(w, 'POST', `/v1/browser/otp/${created.body.otpId}`, { pin }, { secret: created.body.clientSecret })), [503, 2132]);
      const ok = await call(w, 'POST', `/otp/${created.body.otpId}`, { pin });
      assert.equal(ok.status, 200, 'the PIN was not spent');
      const health = await (await w.fetch('/health')).json();
      assert.ok(health.problems.some((p) => /publishableKeys but no TOKEN_SIGNING_KEYS/.test(p)), JSON.stringify(health));
    });
  });
});

describe('Turnstile answers are checked, not only success', () => {
  const withTurnstile = (fn) => withWorker({ tenantChange: { turnstile: undefined, turnstileSiteKey: '1x00000000000000000000AA', turnstileSecret: PASS } }, fn);

  test('a token solved on another host, or for another action, is 403 2123; remoteip is the visitor\'s address', async () => {
    await withTurnstile(async (w) => {
      const number = freshNumber();
      const elsewhere = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'tok@evil.example' });
      assert.deepEqual(codeOf(elsewhere), [403, 2123]);
      const action = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'tok@shop.example#login' });
      assert.deepEqual(codeOf(action), [403, 2123]);
      assert.equal(smsTo(number).length, 0);
      const before = siteverify.received.length;
      const ok = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'tok@shop.example#smsotp' }, { ip: '2001:db8:1:2:3:4:5:6' });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(siteverify.received[before].remoteip, '2001:db8:1:2:3:4:5:6');
    });
  });
});

describe('answers', () => {
  test('every answer is no-store and nosniff; browser answers carry no X-Rate-Limit-*', async () => {
    await withWorker({}, async (w) => {
      const server = await call(w, 'GET', '/otp/ZZZZZZZZZZZZZZZZZZZZZZZZZZ');
      const browser = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: freshNumber() });
      for (const r of [server, browser]) {
        assert.equal(r.headers.get('Cache-Control'), 'no-store');
        assert.equal(r.headers.get('X-Content-Type-Options'), 'nosniff');
      }
      assert.equal(server.headers.get('X-Rate-Limit-Limit'), '100');
      assert.equal(browser.status, 201);
      for (const h of ['X-Rate-Limit-Limit', 'X-Rate-Limit-Remaining', 'X-Rate-Limit-Reset']) assert.equal(browser.headers.get(h), null, h);
      assert.ok(!/X-Rate-Limit/i.test(browser.headers.get('Access-Control-Expose-Headers') ?? ''));
    });
  });

  test('tokens carry azp (the page\'s origin) and, for a test number, "test": true', async () => {
    await withWorker({ tenantChange: { testNumbers: { '+15005550006': '123456' } } }, async (w) => {
      const jwks = createLocalJWKSet(await (await w.fetch('/.well-known/jwks.json')).json());
      const claims = async (token) => (await jwtVerify(token, jwks, { issuer: PUBLIC_URL, audience: 'acme' })).payload;
      const test = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: '+15005550006' });
      const t = await browserCall(w, 'POST', `/v1/browser/otp/${test.body.otpId}`, { pin: '123456' }, { secret: test.body.clientSecret });
      assert.deepEqual([(await claims(t.body.token)).azp, (await claims(t.body.token)).test], [ORIGIN, true]);
      const number = freshNumber();
      const real = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
      const r = await browserCall(w, 'POST', `/v1/browser/otp/${real.body.otpId}`, { pin: pinOfSms(smsTo(number)[0]) }, { secret: real.body.clientSecret });
      const c = await claims(r.body.token);
      assert.deepEqual([c.azp, 'test' in c], [ORIGIN, false]);
    });
  });
});
