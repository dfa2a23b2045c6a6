// The soak with faults (issue 12): many OTP lifecycles through both APIs on the built worker
// (workerd, via tests/worker/harness.mjs), while the SMS provider, KV and the callback
// receivers fail on purpose. Afterwards every OTP must be in the state its history implies,
// every callback must have been delivered (same webhook-id on every try), no 5xx may come
// from our code, and no PIN may appear in the worker's logs or storage.
//
// Used by tests/soak/soak.test.mjs (npm test: 500 lifecycles) and run directly by
// scripts/soak.sh (npm run soak: 10,000):
//   node tests/soak/soak.mjs [--lifecycles N] [--concurrency N] [--max-seconds S] [--seed N]
//
// Everything is local: the worker on Miniflare, the SMS provider (SMS.cx's API, from
// tests/worker/fake-upstream.mjs in its 'random' mode), the callback receivers and the KV
// stand-in, all on 127.0.0.1. Why these choices:
// - The provider is SMS.cx's adapter, not the webhook one: the webhook takes any 2xx as
//   success, so a malformed answer would not be a failure to account for. Not the console
//   provider either: it logs PINs by design, which would defeat the PIN check.
// - NUMBER_LIMITS=off and no requests-per-minute limit: each lifecycle has its own number,
//   and the abuse controls have their own tests (limits.test.mjs, abuse.test.mjs); here a
//   429 would be noise in the model.
// - CALLBACK_BACKOFF_MS (development only) shortens the callback retries from 1, 5, 15, 30,
//   30 minutes to a few seconds, so failed callbacks are retried within the run.
// - Expiry lifecycles (TTL 60 s, the minimum) are created first and wait without holding a
//   slot of the pool, so their minute overlaps the rest of the run.
// - SMS_TIMEOUT_MS is 3 s and an injected timeout answers after 4.5 s: a healthy send on a
//   loaded, shared machine must not time out, since a 502 without an injected fault is a
//   failure of the run.
// - Each lifecycle keeps a model (status, attempts, PINs sent, callback) and checks every
//   answer against it as it goes; failures are collected, not thrown, so one run reports
//   them all.
import { createServer } from 'node:http';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { startWorker, KEYS, WEBHOOK_SECRETS, TENANTS } from '../worker/harness.mjs';
import { startUpstream } from '../worker/fake-upstream.mjs';
import { kvStats, setKvFaults } from '../worker/kv-standin.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The publishable keys and their pages' origins. */
const PK = { acme: 'pk_acme_soak_0123456789', globex: 'pk_globex_soak_0123456789' };
const ORIGIN = { acme: 'https://shop.example', globex: 'https://globex.example' };
const PUBLIC_URL = 'https://otp.example';
/** Waits before each callback retry (CALLBACK_BACKOFF_MS): 6 tries over about 8 s. */
const CALLBACK_BACKOFF_MS = [250, 500, 1000, 2000, 4000];
/**
 * Each tenant's secret keys: the harness's and 49 more, picked at random per request. Every
 * key is cached on its own (tenant.rs), so the first use of each one, and each use after
 * its cache entry went stale (60 s), reads KV: the KV faults meet cold and stale entries
 * during the run, not only at its start.
 */
const SECRET_KEYS = Object.fromEntries(
  Object.entries(KEYS).map(([tenant, key]) => [tenant, [key, ...Array.from({ length: 49 }, (_, i) => `${tenant}-soak-key-${String(i).padStart(2, '0')}-0123456789`)]]),
);
/** How the provider fails (issue 12): 5 % 5xx, 2 % timeouts, 1 % malformed answers. */
const PROVIDER_FAULTS = { p500: 0.05, pTimeout: 0.02, pMalformed: 0.01 };

/**
 * The lifecycles and how often each is drawn. `expiry` ones wait out a 60 s TTL.
 * server-*: the server API with a secret key; browser-*: the browser API with a
 * publishable key, the Origin and (for a verified OTP) the token checked as a backend does.
 */
const KINDS = [
  ['server-verify', 28],
  ['server-exhaust', 8],
  ['server-cancel', 10],
  ['server-expire', 5, { expiry: true }],
  ['server-abandon', 4],
  ['browser-verify', 26],
  ['browser-exhaust', 8],
  ['browser-expire', 4, { expiry: true }],
  ['browser-abandon', 3],
  // A create with an Idempotency-Key, replayed: the first answer again, one SMS.
  ['server-verify-idempotent', 4],
];

/** mulberry32: a small seeded generator, so a failing run can be repeated (--seed). */
function rngFrom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` over `items`, at most `n` at a time. */
async function inParallel(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Percentile `p` (0–100) of sorted numbers, nearest rank. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A private JWK set of one new Ed25519 key (the browser tokens' signer). */
function signingKeys() {
  const { privateKey } = generateKeyPairSync('ed25519');
  const { d, x } = privateKey.export({ format: 'jwk' });
  return { keys: [{ kty: 'OKP', crv: 'Ed25519', d, x, kid: 'soak-1', use: 'sig', alg: 'EdDSA' }] };
}

/** Standard Webhooks, as a receiver checks it (HMAC-SHA256 of "id.timestamp.body"). */
function signatureOk(secret, headers, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64');
  return String(headers['webhook-signature'] ?? '').split(' ').includes(`v1,${expected}`);
}

/** Valid French mobile numbers, a new one per call (some ranges are invalid: skipped). */
function numbers(seed) {
  let n = (seed % 1000) * 10000;
  return () => {
    for (;;) {
      const number = `+3367${String(n++ % 10000000).padStart(7, '0')}`;
      if (parsePhoneNumberFromString(number)?.isValid()) return number;
    }
  };
}

/**
 * The callback receivers, on 127.0.0.1: `/cb/steady` answers 200; `/cb/flaky/<n>` fails
 * the first n tries of each webhook-id (500, then a dropped connection, then 503) and then
 * answers 200; `/cb/outage` answers 503 while `state.down` (toggled during the run).
 * Every try is recorded.
 */
async function startReceivers() {
  const tries = [];
  const state = { down: false };
  const seen = new Map();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = req.headers['webhook-id'];
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const entry = { path: req.url, webhookId: id, headers: req.headers, body, at: Date.now(), answer: 200 };
      tries.push(entry);
      const flaky = req.url.match(/^\/cb\/flaky\/(\d+)$/);
      if (flaky && n <= Number(flaky[1])) {
        const how = ['500', 'drop', '503'][(n - 1) % 3];
        entry.answer = how;
        if (how === 'drop') return req.socket.destroy();
        res.writeHead(Number(how));
        return res.end('receiver failing on purpose');
      }
      if (req.url === '/cb/outage' && state.down) {
        entry.answer = 503;
        res.writeHead(503);
        return res.end('receiver down');
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    tries,
    state,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

/** The route of a request, for latency figures (`POST /otp/{id}`). */
function routeOf(method, path) {
  const p = path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, '{id}').replace(/\?.*/, '');
  return `${method} ${p}`;
}

/**
 * Runs the soak. Options: `lifecycles` (count), `concurrency` (lifecycles in flight),
 * `maxSeconds` (the load phase stops launching lifecycles past it, and that is a failure),
 * `seed`, `smsTimeoutMs` (the worker's SMS_TIMEOUT_MS; a timeout fault answers after
 * 1.5 × it), `log` (progress lines). Returns `{ failures, report, text }`: `failures` is
 * a list of strings (empty when everything held), `report` the figures, `text` the
 * printable summary.
 */
export async function soak({
  lifecycles = 500,
  concurrency = 16,
  maxSeconds = 600,
  seed = Date.now() % 2 ** 31,
  smsTimeoutMs = 3000,
  log = () => {},
} = {}) {
  const rng = rngFrom(seed);
  const pick = (items) => items[Math.floor(rng() * items.length)];
  const chance = (p) => rng() < p;
  const failures = [];
  const fail = (what) => failures.push(what);
  const nextNumber = numbers(seed);

  const up = await startUpstream();
  up.state.mode = 'random';
  up.state.random = { ...PROVIDER_FAULTS, timeoutMs: Math.round(smsTimeoutMs * 1.5), rng: rngFrom(seed ^ 0x5eed) };
  const receivers = await startReceivers();
  const keys = signingKeys();
  const tenants = [
    {
      ...TENANTS[0],
      apiKeys: SECRET_KEYS.acme,
      publishableKeys: [{ key: PK.acme, origins: [ORIGIN.acme] }],
      turnstile: 'off',
      allowAllCountries: true,
      browser: { template: 'Your Acme code: {{pin}}', pinType: 'alphanumeric', pinLength: 8, maxAttempts: 3, ttl: 300 },
    },
    {
      ...TENANTS[1],
      apiKeys: SECRET_KEYS.globex,
      publishableKeys: [{ key: PK.globex, origins: [ORIGIN.globex] }],
      turnstile: 'off',
      allowAllCountries: true,
      browser: { template: 'Globex code {{pin}}', ttl: 60 },
    },
  ];
  const w = await startWorker(
    {
      SMS_PROVIDER: 'smscx',
      SMSCX_BASE_URL: up.url,
      SMSCX_API_KEY: 'cx-key',
      SMS_TIMEOUT_MS: String(smsTimeoutMs),
      CALLBACK_BACKOFF_MS: CALLBACK_BACKOFF_MS.join(','),
      RATE_LIMIT_PER_MINUTE: '0',
      BROWSER_RATE_LIMIT_PER_MINUTE: '0',
      TOKEN_SIGNING_KEYS: JSON.stringify(keys),
      PUBLIC_URL,
    },
    { tenants, ipLimit: 1000000 },
  );

  // Every request: route, status, ms; the 5xx answers kept whole for the check.
  const requests = [];
  const fivexx = [];
  let kvFaultsOn = false;
  // Each KV fault window, [start, end] in ms (end null while open): a 503 must come from a
  // request that ran while one was open.
  const kvWindows = [];
  const inKvWindow = (t0, t1) => kvWindows.some((w) => t0 <= (w.end ?? Infinity) && t1 >= w.start);
  let kvFaultWindows = 0;
  async function request(method, path, body, headers) {
    const t0 = performance.now();
    const startedAt = Date.now();
    const res = await w.fetch(path, {
      method,
      headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    const r = { status: res.status, headers: res.headers, body: json, route: routeOf(method, path), ms, kvFaultsOn, inKvWindow: inKvWindow(startedAt, Date.now()) };
    requests.push({ route: r.route, status: r.status, ms });
    if (r.status >= 500) fivexx.push(r);
    return r;
  }
  /** A request that a KV outage may refuse with 503 before it does anything: retried. */
  async function callRetrying(method, path, body, headers) {
    for (let i = 0; ; i++) {
      const r = await request(method, path, body, headers);
      if (r.status !== 503 || i >= 50) return r;
      await sleep(100);
    }
  }
  const server = (tenant) => (method, path, body, extra = {}) => callRetrying(method, path, body, { 'X-API-KEY': pick(SECRET_KEYS[tenant]), ...extra });
  // Each OTP's client secret, as its create answered it: the browser API's resend and
  // check send it (X-Client-Secret), as BrowserClient does.
  const clientSecrets = new Map();
  const browser = (tenant) => (method, path, body, { origin = ORIGIN[tenant] } = {}) => {
    const secret = clientSecrets.get(path.match(/^\/v1\/browser\/otp\/([^/]+)/)?.[1]);
    return callRetrying(method, path, body, { Authorization: `Bearer ${PK[tenant]}`, Origin: origin, ...(secret ? { 'X-Client-Secret': secret } : {}) });
  };

  // The SMS the provider received, by OTP id (trackData), read incrementally.
  const smsByOtp = new Map();
  let smsCursor = 0;
  function smsFor(otpId) {
    for (; smsCursor < up.received.length; smsCursor++) {
      const e = up.received[smsCursor];
      if (e.path !== '/sms') continue;
      const body = JSON.parse(e.body);
      const list = smsByOtp.get(body.trackData) ?? [];
      list.push({ text: body.text, to: body.to, fault: e.fault ?? null, pin: body.text.split(' ').pop() });
      smsByOtp.set(body.trackData, list);
    }
    return smsByOtp.get(otpId) ?? [];
  }

  /** A wrong PIN of the same alphabet and length. */
  const wrongPin = (pin) => {
    const first = pin[0];
    const swap = /\d/.test(first) ? (first === '7' ? '3' : '7') : first === 'X' ? 'Y' : 'X';
    return swap + pin.slice(1);
  };

  // The fault schedules: KV failing from the start for 1.5 s (every tenant cold: 503s),
  // then for 2 s in every 6 (reads 503, reads 500 and writes 503, …); the outage receiver
  // down for 3 s in every 10.
  let stopSchedules = false;
  const kvSchedule = (async () => {
    const settings = [{ read: true }, { read: 500, write: true }, { read: true, write: 429 }];
    for (let i = 0; !stopSchedules; i++) {
      if (i > 0) await sleep(4000);
      if (stopSchedules) break;
      const window = { start: Date.now(), end: null };
      kvWindows.push(window);
      kvFaultsOn = true;
      kvFaultWindows++;
      setKvFaults(w.mf, settings[i % settings.length]);
      await sleep(i === 0 ? 1500 : 2000);
      setKvFaults(w.mf, {});
      kvFaultsOn = false;
      window.end = Date.now();
    }
  })();
  let outages = 0;
  const receiverSchedule = (async () => {
    while (!stopSchedules) {
      await sleep(7000);
      if (stopSchedules) break;
      receivers.state.down = true;
      outages++;
      await sleep(3000);
      receivers.state.down = false;
    }
  })();

  // The pool: a slot per lifecycle in flight; an expiry lifecycle gives its slot back
  // while it waits for its TTL.
  let free = concurrency;
  const queue = [];
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise((resolve) => queue.push(resolve)));
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else free++;
  };

  /** Every lifecycle's model, checked again at the end. */
  const models = [];
  const counts = { kinds: {}, sendFailures: 0, resends: 0, wrongPins: 0, tokensChecked: 0, idempotentRetries: 0, idempotentRetriesSent: 0 };

  /**
   * Checks `r` against `[status, code]` (code: the error's, or undefined for success);
   * records a failure naming the lifecycle and step. Returns whether it matched.
   */
  function expect(m, step, r, status, code, extra = () => true) {
    const got = [r.status, r.body?.error?.code];
    const okCode = Array.isArray(code) ? code.includes(got[1]) : got[1] === code;
    if (got[0] !== status || !okCode || !extra(r)) {
      fail(`${m.kind} ${m.otpId ?? '(no id)'} ${step}: expected ${status} ${JSON.stringify(code)}, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      m.broken = true;
      return false;
    }
    return true;
  }

  /** The SMS just sent for `m` (its latest), and whether the provider was made to fail it. */
  function lastSms(m) {
    const list = smsFor(m.otpId);
    m.smsCount = list.length;
    return list[list.length - 1];
  }

  /**
   * The answer to a create or resend (`r`, already not a 503): a 502 must be a provider
   * fault this run injected, and leaves the OTP FAILED; a success gives the PIN.
   */
  function afterSend(m, r, step) {
    if (r.status === 502) {
      const id = m.otpId ?? String(r.body?.error?.message ?? '').match(/[0-9a-f-]{36}/)?.[0];
      m.otpId = id;
      const sms = id && lastSms(m);
      if (r.body?.error?.type !== 'provider_error' || !sms || !sms.fault) {
        fail(`${m.kind} ${id} ${step}: 502 without an injected provider fault: ${JSON.stringify(r.body)} (last SMS fault: ${sms?.fault})`);
        m.broken = true;
      }
      m.status = 'FAILED';
      m.sendFailed = true;
      // The PIN that reached nobody: it must not work (nor appear anywhere).
      if (sms) m.pins.push(sms.pin);
      counts.sendFailures++;
      return false;
    }
    const sms = lastSms(m);
    if (!sms || sms.fault) {
      fail(`${m.kind} ${m.otpId} ${step}: ${r.status} although the provider ${sms ? `was made to fail (${sms.fault})` : 'got no SMS'}`);
      m.broken = true;
      return false;
    }
    m.pins.push(sms.pin);
    return true;
  }

  /** A server API create with `fields`; sets m.otpId / pins / status. */
  async function serverCreate(m, fields, extraHeaders) {
    const api = server(m.tenant);
    const body = { phoneNumber: m.phone, template: 'Your soak code is {{pin}}', pinType: m.pinType, pinLength: m.pinLength, maxAttempts: m.maxAttempts, ttl: m.ttl, ...fields };
    if (m.callbackPath) body.otpCallbackUrl = `${receivers.url}${m.callbackPath}`;
    const r = await api('POST', '/otp', body, extraHeaders);
    if (r.status === 201) {
      m.otpId = r.body.otpId;
      clientSecrets.set(m.otpId, r.body.clientSecret);
      m.status = 'PENDING';
      m.expiresAt = Date.parse(r.body.dateExpires);
      expect(m, 'create', r, 201, undefined, (x) => x.body.status === 'PENDING' && x.body.phoneNumber === m.phone && x.body.attempts === 0);
      return afterSend(m, r, 'create');
    }
    if (r.status === 502) return afterSend(m, r, 'create');
    expect(m, 'create', r, 201, undefined);
    return false;
  }

  /** The browser API's start; sets m.otpId / pins / status. */
  async function browserStart(m) {
    const api = browser(m.tenant);
    if (chance(0.05)) {
      // A page on another origin: refused (no OTP, so nothing sent; the final checks count
      // the SMS to the number).
      const r = await api('POST', '/v1/browser/otp', { phoneNumber: m.phone }, { origin: 'https://evil.example' });
      expect(m, 'start from another origin', r, 403, 2124, (x) => x.headers.get('access-control-allow-origin') === null);
    }
    if (chance(0.2)) {
      const c = await api('GET', '/v1/browser/config');
      expect(m, 'config', c, 200, undefined, (x) => x.body.tenant === m.tenant && x.body.ttl === m.ttl);
    }
    const r = await api('POST', '/v1/browser/otp', { phoneNumber: m.phone });
    if (r.status === 201) {
      m.otpId = r.body.otpId;
      clientSecrets.set(m.otpId, r.body.clientSecret);
      m.status = 'PENDING';
      m.expiresAt = Date.parse(r.body.expiresAt);
      expect(m, 'start', r, 201, undefined, (x) => x.body.status === 'PENDING' && x.body.phoneNumber === m.phone && x.body.attemptsLeft === m.maxAttempts && x.headers.get('access-control-allow-origin') === ORIGIN[m.tenant]);
      return afterSend(m, r, 'start');
    }
    if (r.status === 502) return afterSend(m, r, 'start');
    expect(m, 'start', r, 201, undefined);
    return false;
  }

  /** A PIN check by the lifecycle's API: right or wrong; updates the model and checks. */
  async function check(m, pin, right) {
    const path = m.api === 'browser' ? `/v1/browser/otp/${m.otpId}` : `/otp/${m.otpId}`;
    const api = m.api === 'browser' ? browser(m.tenant) : server(m.tenant);
    // Letters are compared case-insensitively: send some right PINs in lower case.
    const sent = right && /[A-Z]/.test(pin) && chance(0.3) ? pin.toLowerCase() : pin;
    const r = await api('POST', path, { pin: sent });
    // A browser OTP whose create failed (502: the id only in the error) never gave its page
    // a client secret: the browser API refuses it before any lookup.
    if (m.api === 'browser' && !clientSecrets.has(m.otpId)) return expect(m, `check (${m.status}, no client secret)`, r, 403, 2130);
    const finalCode = { VERIFIED: 2023, CANCELLED: 2024, EXPIRED: 2025, FAILED: 2026 }[m.status];
    if (finalCode) return expect(m, `check (${m.status})`, r, 400, finalCode);
    if (right) {
      const ok = expect(m, 'right PIN', r, 200, undefined, (x) => x.body.status === 'VERIFIED' && (m.api !== 'browser' || typeof x.body.token === 'string'));
      m.status = 'VERIFIED';
      if (ok && m.api === 'browser') await checkToken(m, r.body.token);
      return ok;
    }
    counts.wrongPins++;
    m.attempts++;
    if (m.attempts >= m.maxAttempts) {
      m.status = 'FAILED';
      return expect(m, 'last wrong PIN', r, 400, 2027, (x) => x.body.error.attemptsLeft === 0);
    }
    return expect(m, 'wrong PIN', r, 400, 2029, (x) => x.body.error.attemptsLeft === m.maxAttempts - m.attempts);
  }

  let jwks;
  /** The token as the site's backend checks it: signature, issuer, audience, claims. */
  async function checkToken(m, token) {
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: PUBLIC_URL, audience: m.tenant, algorithms: ['EdDSA'] });
      if (payload.sub !== m.phone || payload.otp_id !== m.otpId || payload.phone_number_verified !== true) {
        fail(`${m.kind} ${m.otpId} token: claims ${JSON.stringify(payload)}`);
      }
      counts.tokensChecked++;
    } catch (e) {
      fail(`${m.kind} ${m.otpId} token refused by the backend check: ${e.message}`);
    }
  }

  async function resend(m) {
    const path = m.api === 'browser' ? `/v1/browser/otp/${m.otpId}/resend` : `/otp/${m.otpId}/resend`;
    const api = m.api === 'browser' ? browser(m.tenant) : server(m.tenant);
    const r = await api('POST', path, m.api === 'browser' ? {} : undefined);
    counts.resends++;
    if (r.status === 502) return afterSend(m, r, 'resend');
    if (!expect(m, 'resend', r, 200, undefined, (x) => x.body.status === 'PENDING' && x.body.otpId === m.otpId)) return false;
    return afterSend(m, r, 'resend');
  }

  async function cancel(m) {
    const r = await server(m.tenant)('DELETE', `/otp/${m.otpId}`);
    if (m.status === 'PENDING') {
      m.status = 'CANCELLED';
      return expect(m, 'cancel', r, 200, undefined, (x) => x.body.info?.id === m.otpId);
    }
    return expect(m, `cancel (${m.status})`, r, 403, m.status === 'CANCELLED' ? 2030 : 2031);
  }

  /** One lifecycle of `kind`: its model, every answer checked on the way. */
  async function lifecycle(kind, index) {
    const browserKind = kind.startsWith('browser');
    const m = {
      index,
      kind,
      api: browserKind ? 'browser' : 'server',
      tenant: kind === 'browser-expire' ? 'globex' : browserKind ? 'acme' : chance(0.8) ? 'acme' : 'globex',
      phone: nextNumber(),
      pins: [],
      attempts: 0,
      status: null,
      otpId: null,
    };
    if (browserKind) {
      Object.assign(m, m.tenant === 'acme' ? { pinType: 'alphanumeric', pinLength: 8, maxAttempts: 3, ttl: 300 } : { pinType: 'numbers', pinLength: 6, maxAttempts: 5, ttl: 60 });
    } else {
      const [pinType, pinLength] = pick([['numbers', 6], ['numbers', 8], ['alphanumeric', 6], ['letters', 6], ['alphanumeric', 10]]);
      Object.assign(m, { pinType, pinLength, maxAttempts: 1 + Math.floor(rng() * 5), ttl: kind === 'server-expire' ? 60 : 1800 });
      // Half of the server OTPs have a callback URL, at a receiver of each behaviour.
      if (kind === 'server-expire' || chance(0.5)) m.callbackPath = pick(['/cb/steady', '/cb/flaky/1', '/cb/flaky/2', '/cb/flaky/3', '/cb/outage']);
    }
    models.push(m);
    counts.kinds[kind] = (counts.kinds[kind] ?? 0) + 1;
    const wrongs = (n) => Math.min(n, m.maxAttempts - 1);

    const sent = browserKind
      ? await browserStart(m)
      : kind === 'server-verify-idempotent'
        ? await idempotentCreate(m)
        : await serverCreate(m);
    if (!sent) {
      // Not sent (a provider fault): FAILED, and a PIN check says so.
      if (m.otpId && m.status === 'FAILED' && m.pins.length > 0) await check(m, m.pins.at(-1), true);
      return m;
    }
    const pin = () => m.pins.at(-1);
    switch (kind) {
      case 'server-verify':
      case 'server-verify-idempotent':
      case 'browser-verify': {
        for (let i = wrongs(Math.floor(rng() * 3)); i > 0; i--) await check(m, wrongPin(pin()), false);
        if (chance(0.3)) {
          const old = pin();
          if (!(await resend(m))) break;
          // The old PIN stopped working (a wrong PIN, counted), when an attempt is to spare.
          if (m.attempts + 1 < m.maxAttempts && old !== pin()) await check(m, old, false);
        }
        await check(m, pin(), true);
        // One PIN, one verification: the second is refused.
        await check(m, pin(), true);
        if (m.api === 'server' && chance(0.1)) {
          // For another tenant the OTP does not exist.
          const other = m.tenant === 'acme' ? 'globex' : 'acme';
          const r = await server(other)('GET', `/otp/${m.otpId}`);
          expect(m, 'GET by another tenant', r, 404, 2021);
        }
        break;
      }
      case 'server-exhaust':
      case 'browser-exhaust':
        if (chance(0.2) && !(await resend(m))) break;
        while (m.status === 'PENDING') await check(m, wrongPin(pin()), false);
        // The right PIN after: still FAILED.
        await check(m, pin(), true);
        break;
      case 'server-cancel':
        for (let i = wrongs(Math.floor(rng() * 2)); i > 0; i--) await check(m, wrongPin(pin()), false);
        await cancel(m);
        await cancel(m);
        await check(m, pin(), true);
        break;
      case 'server-expire':
      case 'browser-expire': {
        if (m.maxAttempts > 1 && chance(0.3)) await check(m, wrongPin(pin()), false);
        // Wait out the TTL without holding a slot of the pool.
        const created = await server(m.tenant)('GET', `/otp/${m.otpId}`);
        expect(m, 'GET before expiry', created, 200, undefined, (x) => x.body.status === 'PENDING');
        const expires = Date.parse(created.body?.dateExpires) || Date.now() + m.ttl * 1000;
        release();
        await sleep(Math.max(0, expires - Date.now() + 1500));
        await acquire();
        // The first check after the TTL is 2028 and expires the OTP; with a callback URL
        // the expiry alarm may have expired it already (2025).
        const r = await (m.api === 'browser' ? browser(m.tenant) : server(m.tenant))('POST', m.api === 'browser' ? `/v1/browser/otp/${m.otpId}` : `/otp/${m.otpId}`, { pin: pin() });
        expect(m, 'check after the TTL', r, 400, m.callbackPath ? [2028, 2025] : 2028);
        m.status = 'EXPIRED';
        await cancel(m);
        break;
      }
      case 'server-abandon':
      case 'browser-abandon':
        // Left pending after a wrong PIN (the TTL outlasts the run).
        if (m.maxAttempts > 1) await check(m, wrongPin(pin()), false);
        break;
      default:
        throw new Error(`unknown kind ${kind}`);
    }
    return m;
  }

  /**
   * A create with an Idempotency-Key, then the same request again: the first answer again
   * and no second SMS. A create that failed (502) is not kept for replays: the same request
   * with the same key runs again, as a client retrying it does — a new OTP (another id), and
   * the model follows it; the failed one stays a model of its own (FAILED, its PIN refused).
   * The retry's success is then what the key replays.
   */
  async function idempotentCreate(m) {
    const key = `soak-${seed}-${m.index}`;
    const sent = await serverCreate(m, {}, { 'Idempotency-Key': key });
    if (!sent) {
      if (m.status !== 'FAILED' || !m.otpId) return false; // not a provider fault: already failed the run
      counts.idempotentRetries++;
      if (m.pins.length > 0) await check(m, m.pins.at(-1), true);
      const failed = { ...m, pins: [...m.pins], kind: `${m.kind} (failed try)` };
      models.push(failed);
      Object.assign(m, { otpId: null, pins: [], attempts: 0, status: null, sendFailed: false, expiresAt: undefined });
      const retried = await serverCreate(m, {}, { 'Idempotency-Key': key });
      if (m.otpId === failed.otpId) fail(`${m.kind} ${failed.otpId}: the retry of a failed idempotent create answered the failed OTP`);
      if (!retried) return false;
      counts.idempotentRetriesSent++;
    }
    const r = await server(m.tenant)('POST', '/otp', { phoneNumber: m.phone, template: 'Your soak code is {{pin}}', pinType: m.pinType, pinLength: m.pinLength, maxAttempts: m.maxAttempts, ttl: m.ttl, ...(m.callbackPath ? { otpCallbackUrl: `${receivers.url}${m.callbackPath}` } : {}) }, { 'Idempotency-Key': key });
    expect(m, 'idempotent replay', r, 201, undefined, (x) => x.body.otpId === m.otpId && x.body.status === 'PENDING');
    if (smsFor(m.otpId).length !== 1) fail(`${m.kind} ${m.otpId}: ${smsFor(m.otpId).length} SMS after an idempotent replay`);
    return true;
  }

  // The lifecycles: expiry ones first (their minute overlaps the rest).
  const total = KINDS.reduce((s, [, weight]) => s + weight, 0);
  const plan = Array.from({ length: lifecycles }, () => {
    let x = rng() * total;
    for (const [kind, weight] of KINDS) if ((x -= weight) < 0) return kind;
    return KINDS[0][0];
  });
  const isExpiry = (k) => KINDS.find(([kind]) => kind === k)[2]?.expiry === true;
  plan.sort((a, b) => Number(isExpiry(b)) - Number(isExpiry(a)));

  jwks = createLocalJWKSet((await request('GET', '/.well-known/jwks.json')).body);
  const started = Date.now();
  const deadline = started + maxSeconds * 1000;
  let launched = 0;
  let done = 0;
  const running = [];
  const progress = setInterval(() => log(`soak: ${done}/${lifecycles} lifecycles, ${requests.length} requests, ${((Date.now() - started) / 1000).toFixed(0)} s`), 15000);
  for (const [index, kind] of plan.entries()) {
    await acquire();
    if (Date.now() > deadline) {
      release();
      fail(`time bound: ${maxSeconds} s passed after ${launched} of ${lifecycles} lifecycles`);
      break;
    }
    launched++;
    running.push(
      lifecycle(kind, index)
        .catch((e) => fail(`${kind} #${index} threw: ${e.stack ?? e}`))
        .finally(() => {
          done++;
          release();
        }),
    );
  }
  await Promise.all(running);
  clearInterval(progress);
  const loadSeconds = (Date.now() - started) / 1000;
  const loadRequests = requests.length;
  stopSchedules = true;
  await Promise.all([kvSchedule, receiverSchedule]);
  setKvFaults(w.mf, {});
  receivers.state.down = false;

  // Every OTP's state, read back, against its model.
  smsFor('');
  const smsToNumber = new Map();
  for (const list of smsByOtp.values()) for (const s of list) smsToNumber.set(s.to, (smsToNumber.get(s.to) ?? 0) + 1);
  // Each lifecycle has its own number: its SMS are its OTPs' (none without an OTP; two OTPs
  // when an idempotent create failed and was retried).
  const otpsByPhone = new Map();
  for (const m of models) if (m.otpId) otpsByPhone.set(m.phone, [...(otpsByPhone.get(m.phone) ?? []), m.otpId]);
  await inParallel(models, concurrency, async (m) => {
    const mine = (otpsByPhone.get(m.phone) ?? []).reduce((n, id) => n + smsFor(id).length, 0);
    if ((smsToNumber.get(m.phone) ?? 0) !== mine) fail(`${m.kind} ${m.otpId}: ${smsToNumber.get(m.phone)} SMS to ${m.phone}, ${mine} for its OTPs`);
    if (!m.otpId) return;
    // A pending OTP whose TTL has passed by now reads EXPIRED (and, with a callback URL,
    // that read queues its EXPIRED callback); within a second of the TTL either is right.
    const now = Date.now();
    const ok = m.status !== 'PENDING' ? [m.status] : now > m.expiresAt + 1000 ? ['EXPIRED'] : now < m.expiresAt - 1000 ? ['PENDING'] : ['PENDING', 'EXPIRED'];
    const r = await server(m.tenant)('GET', `/otp/${m.otpId}`);
    if (expect(m, 'final GET', r, 200, undefined, (x) => ok.includes(x.body.status) && x.body.attempts === m.attempts && x.body.phoneNumber === m.phone && x.body.maxAttempts === m.maxAttempts)) m.status = r.body.status;
    // Every SMS the provider got for the OTP: one per create or resend, none after a
    // failed one (a FAILED OTP sends nothing more).
    const sms = smsFor(m.otpId);
    const faulted = sms.filter((s) => s.fault).length;
    if (faulted > 1 || (faulted === 1 && sms.at(-1).fault === null)) fail(`${m.kind} ${m.otpId}: SMS after a failed send: ${JSON.stringify(sms.map((s) => s.fault))}`);
    if (sms.some((s) => s.to !== m.phone)) fail(`${m.kind} ${m.otpId}: an SMS to another number`);
  });

  // The statistics (GET /v1/stats) agree with the model, per tenant: every OTP created
  // (failed sends included) an attempt, every verified one converted, every one failed on
  // its last wrong PIN and every expired one counted once, whatever faults the run went
  // through. The shards send their counts within about 5 s: polled for up to 30 s.
  const statsWanted = {};
  for (const m of models.filter((x) => x.otpId)) {
    const w = (statsWanted[m.tenant] ??= { attempts: 0, converted: 0, failedMaxAttempts: 0, expired: 0 });
    w.attempts++;
    if (m.status === 'VERIFIED') w.converted++;
    if (m.status === 'FAILED' && !m.sendFailed) w.failedMaxAttempts++;
    if (m.status === 'EXPIRED') w.expired++;
  }
  const statsGot = {};
  const statsEnd = Date.now() + 30000;
  for (;;) {
    for (const tenant of Object.keys(statsWanted)) {
      const r = await server(tenant)('GET', '/v1/stats?from=' + new Date(started - 3_600_000).toISOString());
      const g = r.body?.groups?.[0] ?? {};
      statsGot[tenant] = { attempts: g.attempts, converted: g.converted, failedMaxAttempts: g.failedMaxAttempts, expired: g.expired };
    }
    if (JSON.stringify(statsGot) === JSON.stringify(statsWanted) || Date.now() > statsEnd) break;
    await sleep(500);
  }
  for (const tenant of Object.keys(statsWanted)) {
    if (JSON.stringify(statsGot[tenant]) !== JSON.stringify(statsWanted[tenant])) fail(`GET /v1/stats of ${tenant}: ${JSON.stringify(statsGot[tenant])}, the model says ${JSON.stringify(statsWanted[tenant])}`);
  }

  // Every status change with a callback URL delivered (a 2xx from the receiver) with the
  // id msg_<otpId>_<status>, the same on every try, signed with the tenant's secret.
  const expected = models.filter((m) => m.otpId && m.callbackPath && m.status !== 'PENDING');
  const delivered = () => new Set(receivers.tries.filter((t) => t.answer === 200).map((t) => t.webhookId));
  const wantIds = expected.map((m) => `msg_${m.otpId}_${m.status.toLowerCase()}`);
  const waitEnd = Date.now() + 30000 + CALLBACK_BACKOFF_MS.reduce((a, b) => a + b, 0);
  while (Date.now() < waitEnd && !wantIds.every((id) => delivered().has(id))) await sleep(500);
  const got = delivered();
  const byOtp = new Map();
  for (const t of receivers.tries) {
    const otpId = t.webhookId?.match(/^msg_([0-9a-f-]{36})_/)?.[1];
    byOtp.set(otpId, [...(byOtp.get(otpId) ?? []), t]);
  }
  let retriedCallbacks = 0;
  for (const m of expected) {
    const id = `msg_${m.otpId}_${m.status.toLowerCase()}`;
    if (!got.has(id)) fail(`${m.kind} ${m.otpId}: callback ${id} never delivered (tries: ${JSON.stringify((byOtp.get(m.otpId) ?? []).map((t) => t.answer))})`);
    const tries = byOtp.get(m.otpId) ?? [];
    if (tries.length > 1) retriedCallbacks++;
    for (const t of tries) {
      if (t.webhookId !== id) fail(`${m.kind} ${m.otpId}: a callback with webhook-id ${t.webhookId}, expected ${id} only`);
      const data = JSON.parse(t.body).data?.[0];
      if (data?.otpId !== m.otpId || data?.status !== m.status) fail(`${m.kind} ${m.otpId}: callback body ${t.body.slice(0, 200)}`);
      if (!signatureOk(WEBHOOK_SECRETS[m.tenant], t.headers, t.body)) fail(`${m.kind} ${m.otpId}: callback signature not the tenant's`);
    }
  }
  for (const m of models.filter((x) => !expected.includes(x))) {
    if (byOtp.has(m.otpId)) fail(`${m.kind} ${m.otpId}: a callback for an OTP without one due (${m.status}, callback ${m.callbackPath ?? 'none'})`);
  }

  // No 5xx from our code: a 502 is an injected provider fault (checked with its step), a
  // 503 a KV failure with Retry-After; anything else (a 500) is a failure.
  for (const r of fivexx) {
    const type = r.body?.error?.type;
    const ok =
      (r.status === 502 && type === 'provider_error') ||
      (r.status === 503 && type === 'service_unavailable' && Number(r.headers.get('retry-after')) > 0);
    if (!ok) fail(`${r.route}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  const count503 = fivexx.filter((r) => r.status === 503).length;
  const count502 = fivexx.filter((r) => r.status === 502).length;
  // A 503 is KV's only when its request ran while KV was failing: one that started and
  // ended outside every fault window fails the run. (One that started inside a window and
  // was answered just after it closed is KV's: counted, for the figures.)
  const outside503 = fivexx.filter((r) => r.status === 503 && !r.inKvWindow);
  for (const r of outside503.slice(0, 20)) fail(`${r.route}: 503 outside every KV fault window: ${JSON.stringify(r.body).slice(0, 200)}`);
  if (outside503.length > 20) fail(`… ${outside503.length - 20} more 503s outside every KV fault window`);
  const after503 = fivexx.filter((r) => r.status === 503 && r.inKvWindow && !r.kvFaultsOn).length;
  if (after503) log(`soak: ${after503} of ${count503} 503s answered just after the KV fault window they started in closed`);

  // No PIN in the worker's logs or storage: every alphanumeric token of 4–10 characters in
  // them, against every PIN the provider was given (failed sends included). Storage is read
  // twice: every row of every database, values whole (what the worker stored), and the raw
  // bytes (freed pages, journals), where only a token between printable characters counts —
  // a long value is split across pages there, and the digits of a timestamp cut by a page
  // header are not a stored number (a 6-digit fragment matched one of the run's ~600 PINs once).
  const pins = new Set();
  for (const list of smsByOtp.values()) for (const s of list) pins.add(s.pin);
  const leaks = [];
  const scan = (where, text, { printableEnds = false } = {}) => {
    for (const m of text.matchAll(/[A-Za-z0-9]{4,10}/g)) {
      const token = m[0];
      const before = text.charCodeAt(m.index - 1);
      const after = text.charCodeAt(m.index + token.length);
      if (/[A-Za-z0-9]/.test(text[m.index - 1] ?? '') || /[A-Za-z0-9]/.test(text[m.index + token.length] ?? '')) continue;
      if (printableEnds && !(before >= 0x20 && before < 0x7f && after >= 0x20 && after < 0x7f)) continue;
      if (pins.has(token)) leaks.push(`${where}: ${token} in ${JSON.stringify(text.slice(Math.max(0, m.index - 60), m.index + token.length + 30))}`);
    }
  };
  w.logs.forEach((line, i) => scan(`log line ${i}`, line));
  w.storedRows().forEach((row) => scan('a stored row', row));
  const files = w.storedFiles();
  for (const f of files) scan(f.path, f.bytes.toString('latin1'), { printableEnds: true });
  for (const leak of leaks.slice(0, 20)) fail(`a PIN in ${leak}`);
  if (leaks.length > 20) fail(`… ${leaks.length - 20} more PINs found`);

  // Nothing given up, no internal error logged.
  const events = w.logs.filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
  const abandoned = events.filter((e) => e.event === 'callback.abandoned').length;
  if (abandoned) fail(`${abandoned} callbacks abandoned`);
  const errorEvents = {};
  for (const e of events.filter((x) => x.level === 'error')) errorEvents[e.event] = (errorEvents[e.event] ?? 0) + 1;
  // Expected at error level: a failed send (sms.failed, one per 502) and a request refused
  // for KV (unavailable, one per 503). Any other is a fault of ours.
  const explained = { 'sms.failed': count502, unavailable: count503 };
  for (const [event, n] of Object.entries(errorEvents)) {
    if (n !== explained[event]) fail(`${n} error-level log events ${event} (expected ${explained[event] ?? 0})`);
  }

  // Figures.
  const byRoute = {};
  for (const r of requests) (byRoute[r.route] ??= []).push(r.ms);
  // p99 again without the 5xx answers: the injected provider timeouts (SMS_TIMEOUT_MS
  // each) make the p99 of the sending routes; without them it is the worker's own.
  const byRouteOk = {};
  for (const r of requests) if (r.status < 500) (byRouteOk[r.route] ??= []).push(r.ms);
  const routes = Object.entries(byRoute)
    .map(([route, ms]) => {
      ms.sort((a, b) => a - b);
      const ok = (byRouteOk[route] ?? []).sort((a, b) => a - b);
      return { route, n: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), p99ok: percentile(ok, 99) };
    })
    .sort((a, b) => b.n - a.n);
  const statuses = {};
  for (const r of requests) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const smsAll = [...smsByOtp.values()].flat();
  const providerFaults = { '500': 0, timeout: 0, garbage: 0 };
  for (const s of smsAll) if (s.fault) providerFaults[s.fault]++;
  const kv = kvStats(w.mf);
  const finalStates = {};
  for (const m of models) finalStates[m.status ?? 'none'] = (finalStates[m.status ?? 'none'] ?? 0) + 1;
  const report = {
    seed,
    lifecycles: { launched, planned: lifecycles, byKind: counts.kinds, finalStates },
    requests: { total: requests.length, duringLoad: loadRequests, loadSeconds, perSecond: loadRequests / loadSeconds, statuses },
    routes,
    faults: {
      providerSends: smsAll.length,
      provider: providerFaults,
      sendFailures502: count502,
      kvFaultWindows,
      kv,
      kv503: count503,
      kvStaleServed: events.filter((e) => e.event === 'tenant.stale').length,
      receiverOutages: outages,
    },
    callbacks: { expected: expected.length, delivered: wantIds.filter((id) => got.has(id)).length, tries: receivers.tries.length, failedTries: receivers.tries.filter((t) => t.answer !== 200).length, retried: retriedCallbacks, abandoned },
    checks: { resends: counts.resends, wrongPins: counts.wrongPins, tokensChecked: counts.tokensChecked, idempotentRetries: counts.idempotentRetries, idempotentRetriesSent: counts.idempotentRetriesSent, pinsScanned: pins.size, logLines: w.logs.length, storedFiles: files.length, storedBytes: files.reduce((s, f) => s + f.bytes.length, 0) },
    failures: failures.length,
  };

  await w.dispose();
  await up.close();
  await receivers.close();
  return { failures, report, text: format(report, failures) };
}

/** Failures counted by what they say once ids and numbers are blanked (a summary of many). */
function failureGroups(failures) {
  const groups = new Map();
  for (const f of failures) {
    const key = f.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/\+?\d{4,}/g, '<n>').slice(0, 120);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return groups.size > 1 || failures.length > 1 ? [...groups].map(([k, n]) => `  ${String(n).padStart(5)} × ${k}`) : [];
}

/** The printable summary. */
function format(r, failures) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const lines = [
    `soak (seed ${r.seed}): ${r.lifecycles.launched} of ${r.lifecycles.planned} lifecycles, ${r.requests.total} requests (${r.requests.duringLoad} in ${r.requests.loadSeconds.toFixed(1)} s of load: ${r.requests.perSecond.toFixed(1)} requests/s)`,
    `  lifecycles by kind: ${Object.entries(r.lifecycles.byKind).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  final states: ${Object.entries(r.lifecycles.finalStates).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  answers by status: ${Object.entries(r.requests.statuses).map(([k, n]) => `${k}: ${n}`).join(', ')}`,
    `  provider: ${r.faults.providerSends} sends, faults injected: ${r.faults.provider['500']} 5xx, ${r.faults.provider.timeout} timeouts, ${r.faults.provider.garbage} malformed → ${r.faults.sendFailures502} answers 502 provider_error`,
    `  KV: ${r.faults.kvFaultWindows} fault windows, ${r.faults.kv.failedReads} reads and ${r.faults.kv.failedWrites} writes failed, ${r.faults.kv.reads} reads ok, ${r.faults.kv.writes} writes; ${r.faults.kv503} answers 503 (retried; none outside a fault window), ${r.faults.kvStaleServed} stale tenant entries served`,
    `  callbacks: ${r.callbacks.delivered}/${r.callbacks.expected} delivered, ${r.callbacks.tries} tries (${r.callbacks.failedTries} failed on purpose or by KV), ${r.callbacks.retried} callbacks retried, ${r.callbacks.abandoned} abandoned; receiver outages ${r.faults.receiverOutages}`,
    `  checks: ${r.checks.wrongPins} wrong PINs, ${r.checks.resends} resends, ${r.checks.tokensChecked} browser tokens verified, ${r.checks.idempotentRetries} failed idempotent creates retried with their key (${r.checks.idempotentRetriesSent} sent); ${r.checks.pinsScanned} PINs looked for in ${r.checks.logLines} log lines and ${r.checks.storedFiles} stored files (${(r.checks.storedBytes / 1e6).toFixed(1)} MB)`,
    '  route                               n      p50 ms  p99 ms  p99 ms without 5xx',
    ...r.routes.map((x) => `  ${x.route.padEnd(34)} ${String(x.n).padStart(6)}  ${f(x.p50).padStart(6)}  ${f(x.p99).padStart(6)}  ${f(x.p99ok).padStart(6)}`),
    failures.length === 0 ? 'soak: OK — every OTP as its history implies, every callback delivered, no 5xx of ours, no PIN in logs or storage' : `soak: ${failures.length} FAILURES`,
    ...failureGroups(failures),
    ...failures.slice(0, 30).map((x) => `  ✗ ${x}`),
  ];
  return lines.join('\n');
}

// Run directly: the CLI of scripts/soak.sh.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const { failures, text } = await soak({
    lifecycles: arg('lifecycles', 10000),
    concurrency: arg('concurrency', 16),
    maxSeconds: arg('max-seconds', 1800),
    seed: arg('seed', Date.now() % 2 ** 31),
    log: (line) => console.error(line),
  });
  console.log(text);
  process.exit(failures.length === 0 ? 0 : 1);
}
