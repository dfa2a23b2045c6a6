// A small HTTP server on 127.0.0.1 that answers like the OTP API contract (docs/api.md),
// for testing OtpClient: real HTTP, in-memory OTPs. Every OTP's PIN is 123456; the API key
// is `test-key` (X-API-KEY or Bearer). Like the worker, a create with several invalid
// fields answers the first error with every error listed under `error.errors`.
// `/hang/…` never answers (for the client's timeout).
//
// It also answers the browser API `/v1/browser/*` (issue 10) for testing BrowserClient, as
// the worker does at the HTTP level: `Authorization: Bearer pk_…`; the `Origin` checked
// against the key's origins (a refusal is 403 2124 without CORS headers, so a browser sees
// no answer); allowed origins echoed with `Vary: Origin`; preflights answered. Keys:
// BROWSER_KEY (origins http://127.0.0.1:*, no Turnstile), TURNSTILE_KEY (same origins,
// Turnstile required: TURNSTILE_PASS passes, TURNSTILE_DOWN cannot be checked (2126), any
// other token is refused (2123)), FOREIGN_KEY (only https://shop.example). The resend
// cooldown is enforced (429 2109 with `retryAfter`) except for numbers ending in 0000, whose
// OTPs may be resent at once.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

export const API_KEY = 'test-key';
export const PIN = '123456';
export const BROWSER_KEY = 'pk_test_0123456789abcdef';
export const TURNSTILE_KEY = 'pk_test_turnstile_required';
export const FOREIGN_KEY = 'pk_test_other_origins_only';
/** Cloudflare's documented dummy token (what its always-pass test site key gives). */
export const TURNSTILE_PASS = 'XXXX.DUMMY.TOKEN.XXXX';
export const TURNSTILE_DOWN = 'fake:siteverify-unavailable';
export const BROWSER_CONFIG = {
  tenant: 'acme',
  allowedCountries: ['FR', 'US'],
  defaultCountry: 'FR',
  pinType: 'numbers',
  pinLength: 6,
  templates: { en: 'Your code is {{pin}}', fr: 'Votre code est {{pin}}' },
  turnstileSiteKey: null,
  resendCooldowns: [30, 60, 120, 240],
  ttl: 300,
};
const LOCAL_ORIGIN = /^http:\/\/127\.0\.0\.1(:\d+)?$/;
const BROWSER_KEYS = {
  [BROWSER_KEY]: { origin: (o) => LOCAL_ORIGIN.test(o), config: BROWSER_CONFIG },
  [TURNSTILE_KEY]: {
    origin: (o) => LOCAL_ORIGIN.test(o),
    config: { ...BROWSER_CONFIG, tenant: 'globex', turnstileSiteKey: '1x00000000000000000000AA' },
  },
  [FOREIGN_KEY]: { origin: (o) => o === 'https://shop.example', config: BROWSER_CONFIG },
};

const error = (res, status, type, code, message, extra = {}, headers = undefined) =>
  send(res, status, { error: { type, code, message, uri: `https://docs.example/errors#${code}`, ...extra } }, headers);
function send(res, status, body, headers = { 'Access-Control-Allow-Origin': '*' }) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
// CORS as the worker answers it on the browser routes: the allowed origin echoed, never `*`.
const cors = (origin) => ({ 'Access-Control-Allow-Origin': origin, Vary: 'Origin' });
// base64url of JSON, for the fake token's parts.
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Handles `/otp…` requests; returns false for other paths. Also records the requests. */
export function createFakeApi() {
  const otps = new Map();
  const seen = [];
  const handle = (req, res) => {
    const url = new URL(req.url, 'http://x');
    const browserish = /^\/(v1\/browser\/|hang\/|garbage$)/.test(url.pathname);
    if (req.method === 'OPTIONS' && browserish) {
      // A preflight carries no key, so any origin gets one; the request itself is checked.
      seen.push({ method: req.method, path: url.pathname, headers: req.headers, body: '' });
      res.writeHead(204, {
        ...cors(req.headers.origin ?? '*'),
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'authorization, content-type',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    if (url.pathname.startsWith('/hang/')) return true; // never answered
    if (url.pathname.startsWith('/v1/browser/')) return handleBrowser(req, res, url), true;
    if (!url.pathname.startsWith('/otp') && url.pathname !== '/garbage') return false;
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      seen.push({ method: req.method, path: url.pathname, headers: req.headers, body: raw });
      if (url.pathname === '/garbage') {
        res.writeHead(502, { 'Content-Type': 'text/html', 'Access-Control-Allow-Origin': '*' });
        return res.end('<html>bad gateway</html>');
      }
      const key = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '');
      if (key !== API_KEY) return error(res, 401, 'invalid_api_key', 401, 'Missing or unknown API key');
      let body = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        return error(res, 400, 'invalid_request', 400, 'The request body is not valid JSON');
      }
      const id = decodeURIComponent(url.pathname.slice('/otp/'.length));
      if (req.method === 'POST' && url.pathname === '/otp') {
        const invalid = [];
        if (!body.phoneNumber) invalid.push(['phoneNumber', 2001, "'phoneNumber' is empty or missing"]);
        if (body.ttl !== undefined && Number(body.ttl) < 60) invalid.push(['ttl', 2008, "Min value for 'ttl' is 60 seconds"]);
        if (body.pinType !== undefined && !['numbers', 'letters', 'alphanumeric'].includes(body.pinType)) {
          invalid.push(['pinType', 2014, "'pinType' must be one of numbers, letters, alphanumeric"]);
        }
        if (invalid.length) {
          const [field, code, message] = invalid[0];
          const all = invalid.map(([f, c, m]) => ({ field: f, code: c, type: 'invalid_param', message: m }));
          return error(res, 400, 'invalid_param', code, message, { field, ...(all.length > 1 ? { errors: all } : {}) });
        }
        const now = new Date();
        const otp = {
          otpId: randomUUID(), trackId: body.trackId ?? null, phoneNumber: body.phoneNumber, countryIso: 'FR',
          status: 'PENDING', cost: 0, parts: 1, maxAttempts: body.maxAttempts ?? 3, attempts: 0, ttl: body.ttl ?? 300,
          otpCallbackUrl: body.otpCallbackUrl ?? null, dateCreated: now.toISOString(),
          dateExpires: new Date(now.getTime() + 300000).toISOString(),
        };
        otps.set(otp.otpId, otp);
        return send(res, 201, otp);
      }
      const otp = otps.get(id);
      if (!otp) return error(res, 404, 'not_found', 2021, 'OTP not found');
      if (req.method === 'GET') return send(res, 200, otp);
      if (req.method === 'DELETE') {
        if (otp.status === 'CANCELLED') return error(res, 403, 'access_denied', 2030, 'OTP is already cancelled');
        if (otp.status !== 'PENDING') return error(res, 403, 'access_denied', 2031, 'Only a pending OTP can be cancelled');
        otp.status = 'CANCELLED';
        return send(res, 200, { info: { id } });
      }
      if (req.method === 'POST') {
        if (!body.pin) return error(res, 400, 'invalid_param', 2022, "'pin' is empty or missing");
        if (otp.status === 'VERIFIED') return error(res, 400, 'otp_verified', 2023, 'OTP already verified');
        if (otp.status === 'FAILED') return error(res, 400, 'otp_failed', 2026, 'OTP failed');
        if (body.pin === PIN) {
          otp.status = 'VERIFIED';
          return send(res, 200, { status: 'VERIFIED' });
        }
        otp.attempts += 1;
        const left = otp.maxAttempts - otp.attempts;
        if (left === 0) {
          otp.status = 'FAILED';
          return error(res, 400, 'otp_failed', 2027, 'Invalid PIN: that was the last attempt', { attemptsLeft: 0 });
        }
        return error(res, 400, 'invalid_pin', 2029, `Invalid PIN: ${left} attempts left`, { attemptsLeft: left });
      }
      return error(res, 405, 'method_not_allowed', 405, 'Method not allowed on this route');
    });
    return true;
  };

  // The browser API: the routes of issue 10, the shapes the worker answers.
  const handleBrowser = (req, res, url) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      seen.push({ method: req.method, path: url.pathname, headers: req.headers, body: raw });
      const key = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (key === undefined) return error(res, 401, 'invalid_api_key', 401, 'Missing or unknown API key');
      if (!key.startsWith('pk_')) {
        return error(res, 401, 'invalid_api_key', 2125, 'A secret API key cannot be used from the browser: use a publishable key (pk_…)');
      }
      const tenant = BROWSER_KEYS[key];
      if (!tenant) return error(res, 401, 'invalid_api_key', 401, 'Missing or unknown API key');
      const origin = req.headers.origin;
      if (!origin || !tenant.origin(origin)) {
        return error(res, 403, 'access_denied', 2124, 'This origin is not allowed for this publishable key', {}, {});
      }
      const reply = (status, body) => send(res, status, body, cors(origin));
      const fail = (status, type, code, message, extra) => error(res, status, type, code, message, extra, cors(origin));
      let body = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        return fail(400, 'invalid_request', 400, 'The request body is not valid JSON');
      }
      const only = (allowed) => Object.keys(body).find((k) => !allowed.includes(k));
      const turnstile = () => {
        if (!tenant.config.turnstileSiteKey) return false;
        const token = body.turnstileToken;
        if (!token) {
          fail(403, 'access_denied', 2122, "'turnstileToken' is missing: this account requires a Turnstile challenge", { field: 'turnstileToken' });
        } else if (token === TURNSTILE_DOWN) {
          fail(403, 'access_denied', 2126, 'The Turnstile challenge could not be checked; retry shortly');
        } else if (token !== TURNSTILE_PASS) {
          fail(403, 'access_denied', 2123, 'The Turnstile challenge was not accepted; solve it again');
        } else return false;
        return true;
      };
      const path = url.pathname.slice('/v1/browser/'.length);
      const [, id, resend] = /^otp\/([^/]+)(\/resend)?$/.exec(path) ?? [];
      if (path === 'config') {
        if (req.method !== 'GET') return fail(405, 'method_not_allowed', 405, 'Method not allowed on this route');
        return reply(200, tenant.config);
      }
      if (req.method !== 'POST' || (path !== 'otp' && id === undefined)) {
        return fail(404, 'not_found', 404, 'No such route');
      }
      if (path === 'otp') {
        const extra = only(['phoneNumber', 'countryIso', 'language', 'turnstileToken']);
        if (extra) {
          return fail(400, 'invalid_param', 2121, 'This field cannot be set from the browser; the account\'s settings decide it', { field: extra });
        }
        if (!body.phoneNumber) return fail(400, 'invalid_param', 2001, "'phoneNumber' is empty or missing", { field: 'phoneNumber' });
        if (turnstile()) return;
        const now = Date.now();
        const otp = {
          otpId: randomUUID(), phoneNumber: body.phoneNumber, status: 'PENDING', attemptsLeft: 3, sends: 1,
          expiresAt: new Date(now + tenant.config.ttl * 1000).toISOString(), browser: true,
          cooldown: body.phoneNumber.endsWith('0000') ? 0 : tenant.config.resendCooldowns[0],
        };
        otp.resendAt = now + otp.cooldown * 1000;
        otps.set(otp.otpId, otp);
        const { otpId, phoneNumber, status, expiresAt, attemptsLeft } = otp;
        return reply(201, { otpId, phoneNumber, status, expiresAt, resendAfter: otp.cooldown, attemptsLeft, parts: 1 });
      }
      const otp = otps.get(decodeURIComponent(id));
      if (resend) {
        const extra = only(['turnstileToken']);
        if (extra) {
          return fail(400, 'invalid_param', 2121, 'This field cannot be set from the browser; the account\'s settings decide it', { field: extra });
        }
        if (turnstile()) return;
      } else {
        const extra = only(['pin']);
        if (extra) {
          return fail(400, 'invalid_param', 2121, 'This field cannot be set from the browser; the account\'s settings decide it', { field: extra });
        }
        if (!body.pin) return fail(400, 'invalid_param', 2022, "'pin' is empty or missing", { field: 'pin' });
      }
      if (!otp?.browser) return fail(404, 'not_found', 2021, 'OTP not found');
      if (otp.status === 'VERIFIED') return fail(400, 'otp_verified', 2023, 'OTP already verified');
      if (otp.status === 'FAILED') return fail(400, 'otp_failed', 2026, 'OTP failed');
      if (resend) {
        const wait = Math.ceil((otp.resendAt - Date.now()) / 1000);
        if (wait > 0) {
          res.setHeader('Retry-After', String(wait));
          return fail(429, 'rate_limit', 2109, 'Another SMS for this number before its cooldown', { retryAfter: wait });
        }
        otp.cooldown = otp.phoneNumber.endsWith('0000') ? 0 : tenant.config.resendCooldowns[Math.min(otp.sends, 3)];
        otp.sends += 1;
        otp.resendAt = Date.now() + otp.cooldown * 1000;
        const { otpId, status, expiresAt, attemptsLeft } = otp;
        return reply(200, { otpId, status, expiresAt, resendAfter: otp.cooldown, attemptsLeft });
      }
      if (body.pin === PIN) {
        otp.status = 'VERIFIED';
        const iat = Math.floor(Date.now() / 1000);
        const claims = { aud: tenant.config.tenant, sub: otp.phoneNumber, otp_id: otp.otpId, iat, exp: iat + 300 };
        return reply(200, { status: 'VERIFIED', token: `${part({ alg: 'EdDSA', kid: 'fake' })}.${part(claims)}.fake-signature`, expiresIn: 300 });
      }
      otp.attemptsLeft -= 1;
      if (otp.attemptsLeft === 0) {
        otp.status = 'FAILED';
        return fail(400, 'otp_failed', 2027, 'Invalid PIN: that was the last attempt', { attemptsLeft: 0 });
      }
      return fail(400, 'invalid_pin', 2029, `Invalid PIN: ${otp.attemptsLeft} attempts left`, { attemptsLeft: otp.attemptsLeft });
    });
  };
  return { handle, seen };
}

/** Starts a server on 127.0.0.1 with the fake API and an optional fallback handler. */
export async function listen(fallback) {
  const api = createFakeApi();
  const server = createServer((req, res) => {
    if (!api.handle(req, res)) {
      if (fallback) return fallback(req, res);
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, api, url: `http://127.0.0.1:${server.address().port}` };
}
