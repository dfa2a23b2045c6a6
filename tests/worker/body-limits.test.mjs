// Request bodies are read as a stream and no further than the route's cap (issue 8): the
// server API takes 64 KiB (65,536 bytes), the browser API 8 KiB (8,192 bytes). A larger
// body is answered 413 — refused unread when its Content-Length says so, else as soon as the
// stream goes past the cap, which is then cancelled: a chunked upload of 20 MB is answered
// while the client still has most of it unsent (the old worker read it whole first, into
// the isolate's memory).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startWorker, KEYS, TENANTS, tokenVars } from './harness.mjs';

const SERVER_CAP = 64 * 1024;
const BROWSER_CAP = 8 * 1024;
const PK = 'pk_acme_body_0123456789';
const ORIGIN = 'https://shop.example';

let w;
before(async () => {
  // A browser API the worker will serve (bot check and countries decided, a signing key):
  // else it answers 503 2132 before reading any body.
  const tenants = [{ ...TENANTS[0], publishableKeys: [{ key: PK, origins: [ORIGIN] }], turnstile: 'off', allowAllCountries: true }, TENANTS[1]];
  w = await startWorker(tokenVars('body'), { tenants });
});
after(async () => { await w?.dispose(); });

const serverHeaders = { 'X-API-KEY': KEYS.acme, 'Content-Type': 'application/json' };
const browserHeaders = { Authorization: `Bearer ${PK}`, Origin: ORIGIN, 'Content-Type': 'application/json' };

/** A JSON body of exactly `size` bytes: `json` then spaces (still valid JSON). */
const padded = (json, size) => {
  const text = JSON.stringify(json);
  assert.ok(text.length <= size);
  return text + ' '.repeat(size - text.length);
};

/**
 * POSTs `body`: with a Content-Length through Miniflare's fetch (`chunked` false), or as a
 * chunked upload of 16 KiB chunks (no Content-Length) with node:http on the worker's own
 * socket, a fresh connection each time. → { status, json }.
 */
async function post(path, headers, body, { chunked = false } = {}) {
  if (!chunked) {
    const res = await w.fetch(path, { method: 'POST', headers, body });
    return { status: res.status, json: await res.json() };
  }
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body);
    let answered = false;
    const req = request(`${w.url}${path}`, { method: 'POST', agent: false, headers: { ...headers, 'Transfer-Encoding': 'chunked' } }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
    });
    // A worker that stopped reading may reset the connection under the last chunks.
    req.on('error', (e) => (answered ? undefined : reject(e)));
    for (let i = 0; i < bytes.length; i += 16 * 1024) req.write(bytes.subarray(i, i + 16 * 1024));
    req.end();
  });
}

const assertTooLarge = (r, kib, what) => {
  assert.deepEqual([r.status, r.json.error?.code, r.json.error?.type], [413, 413, 'invalid_request'], `${what}: ${JSON.stringify(r.json)}`);
  assert.equal(r.json.error.message, `The request body is larger than ${kib} KiB`, what);
};

describe('body caps', () => {
  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'with Content-Length';
    test(`server API, ${how}: exactly 64 KiB is read (201), one byte more is 413`, async () => {
      const at = await post('/otp', serverHeaders, padded({ phoneNumber: '+33612345678' }, SERVER_CAP), { chunked });
      assert.equal(at.status, 201, JSON.stringify(at.json));
      const over = await post('/otp', serverHeaders, padded({ phoneNumber: '+33612345678' }, SERVER_CAP + 1), { chunked });
      assertTooLarge(over, 64, `POST /otp, ${SERVER_CAP + 1} bytes ${how}`);
      // The verify route reads its body the same way.
      const verify = await post('/otp/00000000-0000-4000-8000-000000000000', serverHeaders, padded({ pin: '123456' }, SERVER_CAP + 1), { chunked });
      assertTooLarge(verify, 64, `verify, ${SERVER_CAP + 1} bytes ${how}`);
    });

    test(`browser API, ${how}: exactly 8 KiB is read (201), one byte more is 413`, async () => {
      // A number of its own per run: a browser start never supersedes a pending OTP (2109).
      const number = chunked ? '+33612345679' : '+33612345680';
      const at = await post('/v1/browser/otp', browserHeaders, padded({ phoneNumber: number }, BROWSER_CAP), { chunked });
      assert.equal(at.status, 201, JSON.stringify(at.json));
      const over = await post('/v1/browser/otp', browserHeaders, padded({ phoneNumber: number }, BROWSER_CAP + 1), { chunked });
      assertTooLarge(over, 8, `POST /v1/browser/otp, ${BROWSER_CAP + 1} bytes ${how}`);
    });
  }

  test('a Content-Length over the cap is answered 413 before any byte of the body is sent', async () => {
    const r = await new Promise((resolve, reject) => {
      const req = request(`${w.url}/otp`, { method: 'POST', agent: false, headers: { ...serverHeaders, 'Content-Length': String(20 * 1024 * 1024) } }, (res) => {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => { req.destroy(); resolve({ status: res.statusCode, json: JSON.parse(text) }); });
      });
      req.on('error', (e) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
      req.flushHeaders();
    });
    assertTooLarge(r, 64, 'a 20 MB Content-Length, no body sent');
  });

  test('a 20 MB chunked upload is answered 413 while most of it is still unsent: the worker stopped reading', async (t) => {
    const TOTAL = 20 * 1024 * 1024;
    const CHUNK = Buffer.alloc(64 * 1024, 'x');
    // The worker answers and drops the connection while the client is still writing: the
    // reset can overtake the answer on a loaded machine (ECONNRESET before the response is
    // read: the kernel discards it). That is a transport race, not an answer: try again, up
    // to 3 times. If every try is reset, the reset itself shows what this test is about —
    // the worker closed the connection while most of the body was still unsent — and the
    // 413 of a chunked body one byte over the cap is asserted by the test above.
    const upload = () => new Promise((resolve, reject) => {
      let written = 0;
      let answered = null;
      const req = request(`${w.url}/otp`, { method: 'POST', agent: false, headers: { ...serverHeaders, 'Transfer-Encoding': 'chunked' } }, (res) => {
        answered = { writtenAtAnswer: written, status: res.statusCode };
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => { req.destroy(); resolve({ ...answered, json: JSON.parse(text) }); });
      });
      // Writing into a connection the worker has stopped reading may fail: expected.
      req.on('error', (e) => {
        if (answered) return;
        if (e.code === 'ECONNRESET' || e.code === 'EPIPE') resolve({ reset: e.code, writtenAtAnswer: written });
        else reject(e);
      });
      const pump = () => {
        while (!answered && written < TOTAL) {
          written += CHUNK.length;
          if (!req.write(CHUNK)) return req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      pump();
    });
    let result;
    for (let attempt = 1; attempt <= 3; attempt++) {
      result = await upload();
      if (!result.reset) break;
      t.diagnostic(`attempt ${attempt}: ${result.reset} after ${(result.writtenAtAnswer / 1048576).toFixed(1)} MB written, before the answer was read`);
    }
    // Socket buffers between the client and the worker hold a few MB at most; a worker that
    // reads the whole body first answers (or drops the connection) only after all 20 MB
    // are written.
    assert.ok(result.writtenAtAnswer <= TOTAL / 2, `the client had written ${result.writtenAtAnswer} of ${TOTAL} bytes when the worker answered or dropped the connection`);
    if (result.reset) return;
    t.diagnostic(`answered ${result.status} after ${(result.writtenAtAnswer / 1048576).toFixed(1)} MB of 20 MB written by the client`);
    assertTooLarge({ status: result.status, json: result.json }, 64, 'a 20 MB chunked upload');
  });
});
