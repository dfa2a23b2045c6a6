// A small HTTP server on 127.0.0.1 that answers like the OTP API contract (docs/api.md),
// for testing OtpClient: real HTTP, in-memory OTPs. Every OTP's PIN is 123456; the API key
// is `test-key` (X-API-KEY or Bearer). Like the worker, a create with several invalid
// fields answers the first error with every error listed under `error.errors`.
// `/hang/…` never answers (for the client's timeout).
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

export const API_KEY = 'test-key';
export const PIN = '123456';

const error = (res, status, type, code, message, extra = {}) =>
  send(res, status, { error: { type, code, message, uri: `https://docs.example/errors#${code}`, ...extra } });
function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
  res.end(JSON.stringify(body));
}

/** Handles `/otp…` requests; returns false for other paths. Also records the requests. */
export function createFakeApi() {
  const otps = new Map();
  const seen = [];
  const handle = (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/hang/')) return true; // never answered
    if (!url.pathname.startsWith('/otp') && url.pathname !== '/garbage') return false;
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      seen.push({ method: req.method, path: url.pathname, headers: req.headers, body: raw });
      if (url.pathname === '/garbage') {
        res.writeHead(502, { 'Content-Type': 'text/html' });
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
