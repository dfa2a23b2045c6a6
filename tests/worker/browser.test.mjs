// The browser API end to end on workerd: publishable keys and origins (CORS), Turnstile with
// a local siteverify stand-in behaving as Cloudflare documents its test secrets, the whole
// flow (config, start, wrong and right PIN, a second check refused, resend cooldown), and the
// token checked as a site's backend would, with `jose` against /.well-known/jwks.json — also
// across a key rotation. SMS go to a local HTTP server standing in for the provider, so each
// test counts the SMS that really left; every refusal sends none.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startWorker, call, KEYS, TENANTS, pinOfSms } from './harness.mjs';
import { startUpstream } from './fake-upstream.mjs';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { BrowserClient, OtpError } from '../../crates/web/js/otp-client.js';

const ORIGIN = 'https://shop.example';
const PK = 'pk_acme_test_0123456789';
const PUBLIC_URL = 'https://otp.example';
// Cloudflare's documented Turnstile test secrets: always passes, always fails, "already spent".
const PASS = '1x0000000000000000000000000000000AA';
const FAIL = '2x0000000000000000000000000000000AA';
const SPENT = '3x0000000000000000000000000000000AA';

/** A private JWK set of one new Ed25519 key named `kid`. */
function signingKey(kid) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { d, x } = privateKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', d, x, kid, use: 'sig', alg: 'EdDSA' };
}
const KEY_A = signingKey('key-a');
const KEY_B = signingKey('key-b');

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
 * A local stand-in for Turnstile's siteverify: answers by the test secret as Cloudflare
 * documents them; `mode = 'hang'` never answers (a siteverify that times out).
 */
async function startSiteverify() {
  const received = [];
  const state = { mode: 'ok' };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      received.push({ headers: req.headers, form });
      if (state.mode === 'hang') return;
      const answer = (body) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      // The host the token was solved on: the test page's, unless the token names another
      // (`…@host`, a token solved on some other site with the tenant's public site key).
      const hostname = form.response?.split('@')[1] ?? 'shop.example';
      if (form.secret === PASS) return answer({ success: true, 'error-codes': [], hostname, challenge_ts: new Date().toISOString() });
      if (form.secret === FAIL) return answer({ success: false, 'error-codes': ['invalid-input-response'] });
      if (form.secret === SPENT) return answer({ success: false, 'error-codes': ['timeout-or-duplicate'] });
      answer({ success: false, 'error-codes': ['invalid-input-secret'] });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/siteverify`,
    received,
    state,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** acme with a publishable key for ORIGIN (and `change`), globex as usual. */
function tenants(change = {}) {
  const [acme, globex] = TENANTS;
  // Browser keys need an explicit bot-check and country decision (503 2132 otherwise).
  return [{ ...acme, publishableKeys: [{ key: PK, origins: [ORIGIN, 'http://localhost:*'] }], turnstile: 'off', allowAllCountries: true, browser: { template: 'Your Acme code: {{pin}}' }, ...change }, globex];
}

async function withWorker({ vars = {}, tenantChange, keys = [KEY_A], persist, kvEntries = [] } = {}, fn) {
  const w = await startWorker(
    {
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: `${up.url}/webhook`,
      RATE_LIMIT_PER_MINUTE: '100',
      TOKEN_SIGNING_KEYS: JSON.stringify({ keys }),
      PUBLIC_URL,
      TURNSTILE_SITEVERIFY_URL: siteverify.url,
      ...vars,
    },
    { tenants: tenants(tenantChange), persist, kvEntries },
  );
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

/** Each OTP's client secret, from the create that answered it (as BrowserClient keeps them). */
const clientSecrets = new Map();
/** Remembers a create's client secret; returns the answer. */
function remember(r) {
  if (r.body?.otpId && r.body?.clientSecret) clientSecrets.set(r.body.otpId, r.body.clientSecret);
  return r;
}

/**
 * A browser API request as a page on `origin` makes it (`key` in the Bearer header), with
 * the OTP's client secret (X-Client-Secret) when the path names an OTP this page created.
 */
async function browserCall(w, method, path, body, { key = PK, origin = ORIGIN, headers = {} } = {}) {
  const secret = clientSecrets.get(path.match(/^\/v1\/browser\/otp\/([^/]+)/)?.[1]);
  return remember(await call(w, method, path, body, null, {
    Authorization: `Bearer ${key}`,
    ...(origin ? { Origin: origin } : {}),
    ...(secret ? { 'X-Client-Secret': secret } : {}),
    ...headers,
  }));
}

let counter = 0;
/** A French mobile number no other test uses, each in a range of its own. */
const freshNumber = () => {
  // Some French mobile ranges are not valid numbers (+33639…, +33690–694…, +33696–697…):
  // skip them, by libphonenumber-js's metadata, so the test does not depend on its pid.
  for (;;) {
    const number = `+336${String(2000 + (process.pid % 30) * 200 + counter++).padStart(4, '0')}5432`;
    if (parsePhoneNumberFromString(number)?.isValid()) return number;
  }
};
const smsTo = (number) => up.smsTo(number);
const pinOf = pinOfSms;

/** The deployment's public keys, as a backend fetches them. */
async function jwks(w) {
  const r = await w.fetch('/.well-known/jwks.json');
  assert.equal(r.status, 200);
  return r.json();
}

/** Checks a token as the site's backend would; returns its payload. */
async function backendCheck(w, token) {
  const { payload } = await jwtVerify(token, createLocalJWKSet(await jwks(w)), {
    issuer: PUBLIC_URL,
    audience: 'acme',
    algorithms: ['EdDSA'],
    requiredClaims: ['jti', 'sub', 'exp', 'iat'],
  });
  return payload;
}

describe('keys, origins and CORS', () => {
  test('config with an allowed origin: 200, the origin echoed (never *), Vary: Origin; the tenant\'s browser settings', async () => {
    await withWorker({}, async (w) => {
      const r = await browserCall(w, 'GET', '/v1/browser/config');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(r.headers.get('vary'), /Origin/);
      assert.match(r.headers.get('access-control-expose-headers'), /Retry-After/);
      assert.equal(r.body.tenant, 'acme');
      assert.equal(r.body.allowedCountries, '*');
      assert.deepEqual(r.body.templates, { en: 'Your Acme code: {{pin}}' });
      assert.equal(r.body.turnstileSiteKey, null);
      assert.deepEqual([r.body.pinType, r.body.pinLength, r.body.ttl], ['numbers', 6, 300]);
      // Any port of localhost, as listed with :*.
      const local = await browserCall(w, 'GET', '/v1/browser/config', undefined, { origin: 'http://localhost:5173' });
      assert.equal(local.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    });
  });

  test('an origin not listed, or none: 403 2124 without CORS headers, and nothing sent', async () => {
    await withWorker({}, async (w) => {
      const number = freshNumber();
      for (const origin of ['https://evil.example', 'https://shop.example.evil', 'http://shop.example', null]) {
        const r = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number }, { origin });
        assert.deepEqual([r.status, r.body.error?.code], [403, 2124], `${origin}: ${JSON.stringify(r.body)}`);
        assert.equal(r.headers.get('access-control-allow-origin'), null, String(origin));
      }
      assert.equal(smsTo(number).length, 0);
    });
  });

  test('a preflight is answered 204 with the origin, methods and headers; the server API answers no CORS', async () => {
    await withWorker({}, async (w) => {
      const r = await w.fetch('/v1/browser/otp', { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
      assert.equal(r.status, 204);
      assert.equal(await r.text(), '');
      assert.equal(r.headers.get('access-control-allow-origin'), ORIGIN);
      assert.match(r.headers.get('access-control-allow-methods'), /POST/);
      assert.match(r.headers.get('access-control-allow-headers'), /Authorization/i);
      assert.match(r.headers.get('vary'), /Origin/);
      const server = await call(w, 'GET', '/otp/3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', undefined, KEYS.acme, { Origin: ORIGIN });
      assert.equal(server.headers.get('access-control-allow-origin'), null);
      const options = await w.fetch('/otp', { method: 'OPTIONS', headers: { Origin: ORIGIN } });
      assert.equal(options.status, 405);
    });
  });

  test('a publishable key on the server API and a secret key on the browser API: 401 2125; an unknown pk: 401', async () => {
    await withWorker({}, async (w) => {
      const number = freshNumber();
      const onServer = await call(w, 'POST', '/otp', { phoneNumber: number }, PK);
      assert.deepEqual([onServer.status, onServer.body.error.code], [401, 2125]);
      const secretInPage = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number }, { key: KEYS.acme });
      assert.deepEqual([secretInPage.status, secretInPage.body.error.code], [401, 2125]);
      const unknown = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number }, { key: 'pk_nobody_0123456789' });
      assert.deepEqual([unknown.status, unknown.body.error.code], [401, 401]);
      assert.equal(smsTo(number).length, 0);
    });
  });
});

describe('bad input', () => {
  test('non-JSON, an oversized body, a malformed Turnstile token, a bad PIN body: clear 4xx, nothing sent', async () => {
    await withWorker({ tenantChange: { turnstileSiteKey: '1x00000000000000000000AA', turnstileSecret: PASS, turnstile: undefined } }, async (w) => {
      const number = freshNumber();
      const raw = (path, body) => w.fetch(path, { method: 'POST', headers: { Authorization: `Bearer ${PK}`, Origin: ORIGIN, 'Content-Type': 'application/json' }, body });
      const notJson = await raw('/v1/browser/otp', '{"phoneNumber": ');
      assert.deepEqual([notJson.status, (await notJson.json()).error.type], [400, 'invalid_request']);
      const big = await raw('/v1/browser/otp', JSON.stringify({ phoneNumber: number, turnstileToken: 'x'.repeat(9000) }));
      assert.deepEqual([big.status, (await big.json()).error.code], [413, 413]);
      const before = siteverify.received.length;
      const longToken = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'x'.repeat(2049) });
      assert.deepEqual([longToken.status, longToken.body.error.code], [403, 2123]);
      assert.equal(siteverify.received.length, before, 'a token that cannot be one is not sent to siteverify');
      const pinBody = await browserCall(w, 'POST', '/v1/browser/otp/3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', { pin: '123456', otpId: 'x' });
      assert.deepEqual([pinBody.status, pinBody.body.error.code], [400, 2121]);
      // An OTP this page holds no client secret for: refused before any lookup (ids cannot
      // be probed with the public key).
      const unknownOtp = await browserCall(w, 'POST', '/v1/browser/otp/3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', { pin: '123456' });
      assert.deepEqual([unknownOtp.status, unknownOtp.body.error.code], [403, 2130]);
      // Every refusal above carried the CORS headers (the origin is allowed): the page can read why.
      assert.equal(pinBody.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal(smsTo(number).length, 0);
    });
  });
});

describe('revocation', () => {
  test('a publishable key removed from the record is refused (401) even while its lookup entry lingers', async () => {
    // The pubkey: entry of a key the record no longer lists, as after a revocation whose
    // second step (deleting the entry) has not happened or not reached this location yet.
    const revoked = 'pk_acme_revoked_0123456789';
    await withWorker({ kvEntries: [{ key: `pubkey:${revoked}`, value: 'acme' }] }, async (w) => {
      const r = await browserCall(w, 'GET', '/v1/browser/config', undefined, { key: revoked });
      assert.deepEqual([r.status, r.body.error.code], [401, 401]);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      assert.equal((await browserCall(w, 'GET', '/v1/browser/config')).status, 200);
    });
  });
});

describe('the flow', () => {
  test('start, a field the browser may not set, wrong PIN, right PIN → a token the backend verifies; a second check refused', async () => {
    await withWorker({ tenantChange: { limits: { resendCooldowns: [45] } } }, async (w) => {
      const number = freshNumber();
      const notAllowed = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, ttl: 1800, template: 'x {{pin}}' });
      assert.deepEqual([notAllowed.status, notAllowed.body.error.code], [400, 2121]);
      assert.equal(smsTo(number).length, 0);

      const started = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      assert.deepEqual(Object.keys(started.body).sort(), ['attemptsLeft', 'clientSecret', 'delivery', 'expiresAt', 'otpId', 'parts', 'phoneNumber', 'resendAfter', 'status']);
      // The channel and status only: not the provider, its ids or its error texts.
      assert.deepEqual(started.body.delivery, { channel: 'sms', status: 'queued' });
      assert.deepEqual([started.body.phoneNumber, started.body.status, started.body.attemptsLeft, started.body.resendAfter], [number, 'PENDING', 5, 45]);
      assert.ok(Math.abs(Date.parse(started.body.expiresAt) - (Date.now() + 300_000)) < 10_000);
      const [sms] = smsTo(number);
      assert.match(sms.text, /^Your Acme code: \d{6}$/);
      const pin = pinOf(sms);
      const id = started.body.otpId;

      const wrong = await browserCall(w, 'POST', `/v1/browser/otp/${id}`, { pin: pin === '000000' ? '111111' : '000000' });
      assert.deepEqual([wrong.status, wrong.body.error.code, wrong.body.error.attemptsLeft], [400, 2029, 4]);
      const right = await browserCall(w, 'POST', `/v1/browser/otp/${id}`, { pin });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      assert.deepEqual([right.body.status, right.body.expiresIn], ['VERIFIED', 300]);

      const claims = await backendCheck(w, right.body.token);
      assert.deepEqual(
        [claims.sub, claims.phone_number, claims.phone_number_verified, claims.otp_id, claims.aud, claims.amr],
        [number, number, true, id, 'acme', ['sms']],
      );
      assert.equal(claims.exp - claims.iat, 300);
      assert.equal(decodeProtectedHeader(right.body.token).kid, 'key-a');
      // Another tenant's backend refuses it (its audience).
      await assert.rejects(jwtVerify(right.body.token, createLocalJWKSet(await jwks(w)), { audience: 'globex' }));

      // One PIN, one token: a second check is refused.
      const again = await browserCall(w, 'POST', `/v1/browser/otp/${id}`, { pin });
      assert.deepEqual([again.status, again.body.error.code], [400, 2023]);
      // The JWKS never carries a private part.
      assert.ok((await jwks(w)).keys.every((k) => k.d === undefined));
    });
  });

  test('resend: the cooldown (429 2109 with Retry-After), then a new PIN by SMS; the old one stops working', async () => {
    await withWorker({ tenantChange: { limits: { resendCooldowns: [1, 60] } } }, async (w) => {
      const number = freshNumber();
      const started = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
      assert.deepEqual([started.status, started.body.resendAfter], [201, 1]);
      const id = started.body.otpId;
      const soon = await browserCall(w, 'POST', `/v1/browser/otp/${id}/resend`, {});
      assert.deepEqual([soon.status, soon.body.error.code, soon.headers.get('retry-after')], [429, 2109, '1']);
      await new Promise((r) => setTimeout(r, 1100));
      const resent = await browserCall(w, 'POST', `/v1/browser/otp/${id}/resend`, {});
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      assert.deepEqual([resent.body.otpId, resent.body.status, resent.body.resendAfter], [id, 'PENDING', 60]);
      const [first, second] = smsTo(number).map(pinOf);
      assert.equal(smsTo(number).length, 2);
      if (first !== second) {
        const old = await browserCall(w, 'POST', `/v1/browser/otp/${id}`, { pin: first });
        assert.equal(old.body.error.code, 2029);
      }
      assert.equal((await browserCall(w, 'POST', `/v1/browser/otp/${id}`, { pin: second })).status, 200);
    });
  });

  test('the per-IP limit counts the connecting client (CF-Connecting-IP), not a header the page sets', async () => {
    await withWorker({ tenantChange: { limits: { ipSendsPerHour: 1 } } }, async (w) => {
      const from = (ip) => ({ headers: { 'CF-Connecting-IP': ip, 'X-End-User-IP': '198.51.100.99' } });
      const [a, b, c] = [freshNumber(), freshNumber(), freshNumber()];
      assert.equal((await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: a }, from('203.0.113.9'))).status, 201);
      const second = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: b }, from('203.0.113.9'));
      assert.deepEqual([second.status, second.body.error.code], [429, 2114]);
      assert.equal((await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: c }, from('203.0.113.10'))).status, 201);
      assert.deepEqual([a, b, c].map((n) => smsTo(n).length), [1, 0, 1]);
    });
  });
});

describe('payment confirmation', () => {
  test('an OTP created with amount and payee: GET shows them, and the token of its right PIN carries them', async () => {
    await withWorker({}, async (w) => {
      const number = freshNumber();
      // The backend hands the OTP's client secret (an extension of the create's answer) to its page.
      const created = remember(await call(w, 'POST', '/otp', { phoneNumber: number, amount: '€42.00', payee: 'Shop Example', template: 'Pay {{amount}} to {{payee}}? Code {{pin}}' }));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual([created.body.amount, created.body.payee], ['€42.00', 'Shop Example']);
      const status = await call(w, 'GET', `/otp/${created.body.otpId}`);
      assert.deepEqual([status.body.amount, status.body.payee], ['€42.00', 'Shop Example']);
      const [sms] = smsTo(number);
      assert.match(sms.text, /^Pay €42\.00 to Shop Example\? Code \d{6}$/);
      // The page verifies it with the tenant's publishable key; the backend reads the payment.
      const right = await browserCall(w, 'POST', `/v1/browser/otp/${created.body.otpId}`, { pin: pinOf(sms) });
      assert.equal(right.status, 200, JSON.stringify(right.body));
      const claims = await backendCheck(w, right.body.token);
      assert.deepEqual([claims.amount, claims.payee, claims.sub], ['€42.00', 'Shop Example', number]);
      // Without a payment, no such claims and no such keys in the OTP object.
      const plain = await call(w, 'POST', '/otp', { phoneNumber: freshNumber() });
      assert.ok(!('amount' in plain.body) && !('payee' in plain.body));
    });
  });
});

/**
 * The README's `checkPhoneToken` ("A 5-minute tour", the Node block after "The backend's
 * check in Node"), run as written: the block is read from README.md and imported as a
 * module, with only the JWKS URL's host changed to the worker's (its `PUBLIC_URL` is set to
 * the README's https://otp.example.com, so the issuer check is the README's own).
 */
async function readmeCheck(w) {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = readme.match(/The backend's check in Node[^\n]*\n(?:[^\n]*\n)*?```js\n([\s\S]*?)```/)?.[1];
  assert.ok(block?.includes('export async function checkPhoneToken'), "README: the backend's check in Node");
  const JWKS_URL = "'https://otp.example.com/.well-known/jwks.json'";
  assert.ok(block.includes(JWKS_URL), 'the README block fetches the JWKS from https://otp.example.com');
  const source = block
    .replace(JWKS_URL, JSON.stringify(`${w.url}/.well-known/jwks.json`))
    .replace("from 'jose'", `from ${JSON.stringify(import.meta.resolve('jose'))}`);
  const dir = mkdtempSync(join(tmpdir(), 'smsotp-readme-'));
  try {
    const file = join(dir, 'check.mjs');
    writeFileSync(file, source);
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the README's backend check", () => {
  test('checkPhoneToken (README, A 5-minute tour), run as written against the worker over HTTP: accepts a token once, refuses its replay and a tampered one', async () => {
    await withWorker({ vars: { PUBLIC_URL: 'https://otp.example.com' } }, async (w) => {
      const { checkPhoneToken } = await readmeCheck(w);
      const verifiedToken = async () => {
        const number = freshNumber();
        const started = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
        const right = await browserCall(w, 'POST', `/v1/browser/otp/${started.body.otpId}`, { pin: pinOf(smsTo(number)[0]) });
        assert.equal(right.status, 200, JSON.stringify(right.body));
        return { number, token: right.body.token };
      };
      const first = await verifiedToken();
      const second = await verifiedToken();
      assert.equal((await checkPhoneToken(first.token)).phone_number, first.number);
      // The replay: the same token, sent again to the same check.
      await assert.rejects(checkPhoneToken(first.token), /token already used/);
      // Another OTP's token is not a replay; it too is accepted once only.
      assert.equal((await checkPhoneToken(second.token)).phone_number, second.number);
      await assert.rejects(checkPhoneToken(second.token), /token already used/);
      // A changed payload fails the signature (before the replay check could see it).
      const [h, p, sig] = (await verifiedToken()).token.split('.');
      const claims = JSON.parse(Buffer.from(p, 'base64url'));
      const forged = [h, Buffer.from(JSON.stringify({ ...claims, phone_number: '+33699999999', sub: '+33699999999' })).toString('base64url'), sig].join('.');
      await assert.rejects(checkPhoneToken(forged), (e) => e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    });
  });
});

describe('the npm package against the worker', () => {
  test("BrowserClient: config, start, a wrong PIN as OtpError with attemptsLeft, the right PIN's token", async () => {
    await withWorker({}, async (w) => {
      // The page's origin, as a browser adds it to each request.
      const fetchFromPage = (url, init = {}) => w.fetch(url, { ...init, headers: { ...init.headers, Origin: ORIGIN } });
      const client = new BrowserClient({ api: 'http://worker.test', publishableKey: PK, fetch: fetchFromPage });
      assert.equal((await client.config()).tenant, 'acme');
      const number = freshNumber();
      const otp = await client.start({ phoneNumber: number });
      assert.equal(otp.status, 'PENDING');
      const pin = pinOf(smsTo(number)[0]);
      const wrong = await client.check(otp.otpId, pin === '000000' ? '111111' : '000000').catch((e) => e);
      assert.ok(wrong instanceof OtpError, String(wrong));
      assert.deepEqual([wrong.code, wrong.attemptsLeft], [2029, 4]);
      const verified = await client.check(otp.otpId, pin);
      assert.equal((await backendCheck(w, verified.token)).sub, number);
    });
  });
});

describe('Turnstile', () => {
  const turnstile = (secret) => ({ tenantChange: { turnstileSiteKey: '1x00000000000000000000AA', turnstileSecret: secret, turnstile: undefined } });

  test('required: config shows the site key; a missing token 403 2122; a passing one 201 after siteverify got secret, response, remoteip and an idempotency key', async () => {
    await withWorker(turnstile(PASS), async (w) => {
      const config = await browserCall(w, 'GET', '/v1/browser/config');
      assert.equal(config.body.turnstileSiteKey, '1x00000000000000000000AA');
      const number = freshNumber();
      const missing = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
      assert.deepEqual([missing.status, missing.body.error.code], [403, 2122]);
      assert.equal(smsTo(number).length, 0);
      const before = siteverify.received.length;
      const ok = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'XXXX.DUMMY.TOKEN.XXXX' }, { headers: { 'CF-Connecting-IP': '203.0.113.5' } });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(smsTo(number).length, 1);
      const { form } = siteverify.received[before];
      assert.deepEqual([form.secret, form.response, form.remoteip], [PASS, 'XXXX.DUMMY.TOKEN.XXXX', '203.0.113.5']);
      assert.match(form.idempotency_key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // A resend needs its own token too.
      const resend = await browserCall(w, 'POST', `/v1/browser/otp/${ok.body.otpId}/resend`, {});
      assert.deepEqual([resend.status, resend.body.error.code], [403, 2122]);
    });
  });

  for (const [what, secret, code] of [['always fails', FAIL, 2123], ['already spent', SPENT, 2123], ['our secret is wrong', 'not-a-real-secret', 2126]]) {
    test(`a secret that ${what}: 403 ${code}, nothing stored or sent`, async () => {
      await withWorker(turnstile(secret), async (w) => {
        const number = freshNumber();
        const r = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'XXXX.DUMMY.TOKEN.XXXX' });
        assert.deepEqual([r.status, r.body.error.code], [403, code], JSON.stringify(r.body));
        assert.equal(smsTo(number).length, 0);
        const stored = Buffer.concat(w.storedFiles().map((f) => f.bytes)).toString('latin1');
        assert.ok(!stored.includes(number), 'nothing stored for the number');
      });
    });
  }

  test('siteverify unreachable: 403 2126 (fail closed), nothing sent', async () => {
    await withWorker({ ...turnstile(PASS), vars: { TURNSTILE_SITEVERIFY_URL: 'http://127.0.0.1:9/siteverify' } }, async (w) => {
      const number = freshNumber();
      const r = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'XXXX.DUMMY.TOKEN.XXXX' });
      assert.deepEqual([r.status, r.body.error.code], [403, 2126], JSON.stringify(r.body));
      assert.equal(smsTo(number).length, 0);
    });
  });

  test('siteverify silent (accepts the connection, never answers): refused after its 5 s timeout, 403 2126, nothing sent', { timeout: 30000 }, async () => {
    siteverify.state.mode = 'hang';
    try {
      await withWorker(turnstile(PASS), async (w) => {
        const number = freshNumber();
        const before = siteverify.received.length;
        const t0 = Date.now();
        const r = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number, turnstileToken: 'XXXX.DUMMY.TOKEN.XXXX' });
        const waited = Date.now() - t0;
        assert.deepEqual([r.status, r.body.error.code], [403, 2126], JSON.stringify(r.body));
        // siteverify got the request and kept it: the worker gave up at its 5 s timeout
        // (worker/src/handlers/browser.rs, SITEVERIFY_TIMEOUT), not sooner, and not much later.
        assert.equal(siteverify.received.length, before + 1);
        assert.ok(waited >= 4900 && waited < 9000, `refused after ${waited} ms`);
        assert.equal(smsTo(number).length, 0);
      });
    } finally {
      siteverify.state.mode = 'ok';
    }
  });
});

describe('signing keys', () => {
  test('rotation: a token signed with the previous key still verifies after the next key signs', async () => {
    const persist = mkdtempSync(join(tmpdir(), 'smsotp-rotation-'));
    try {
      const flow = async (w) => {
        const number = freshNumber();
        const started = await browserCall(w, 'POST', '/v1/browser/otp', { phoneNumber: number });
        const pin = pinOf(smsTo(number)[0]);
        return (await browserCall(w, 'POST', `/v1/browser/otp/${started.body.otpId}`, { pin })).body.token;
      };
      const old = await withWorker({ keys: [KEY_A], persist }, flow);
      assert.equal(decodeProtectedHeader(old).kid, 'key-a');
      await withWorker({ keys: [KEY_B, KEY_A], persist }, async (w) => {
        const kids = (await jwks(w)).keys.map((k) => k.kid);
        assert.deepEqual(kids, ['key-b', 'key-a']);
        assert.equal((await backendCheck(w, old)).aud, 'acme');
        const fresh = await flow(w);
        assert.equal(decodeProtectedHeader(fresh).kid, 'key-b');
        assert.equal((await backendCheck(w, fresh)).aud, 'acme');
      });
      // Once the old key is withdrawn, its tokens no longer verify.
      await withWorker({ keys: [KEY_B], persist }, async (w) => {
        await assert.rejects(backendCheck(w, old));
      });
    } finally {
      rmSync(persist, { recursive: true, force: true });
    }
  });
});
