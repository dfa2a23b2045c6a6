// Claims of docs/api.md checked on workerd: every validation error listed under `error.errors`
// (and OtpClient's OtpError.errors against the real worker), the 64 KiB body limit in
// UTF-8 bytes, `cost` = parts × PRICE_PER_PART rounded (3 × 0.07 = 0.21), refusal of
// non-geographic numbers (+800, +870) and the `amount` extension's code 2104.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, call, KEYS } from './harness.mjs';
import { OtpClient, OtpError } from '../../crates/web/js/otp-client.js';

let w;
before(async () => { w = await startWorker({ PRICE_PER_PART: '0.07' }); });
after(async () => { await w?.dispose(); });

test('several invalid fields: the first as the error, all of them under error.errors', async () => {
  const r = await call(w, 'POST', '/otp', { phoneNumber: '', ttl: 30, pinType: 'emoji', amount: 'x'.repeat(33) });
  assert.equal(r.status, 400);
  assert.deepEqual([r.body.error.type, r.body.error.code, r.body.error.field], ['invalid_param', 2001, 'phoneNumber']);
  assert.deepEqual(r.body.error.errors.map((e) => Object.keys(e).sort()), Array(4).fill(['code', 'field', 'message', 'type']));
  assert.deepEqual(r.body.error.errors.map((e) => [e.field, e.code, e.type]), [
    ['phoneNumber', 2001, 'invalid_param'],
    ['ttl', 2008, 'invalid_param'],
    ['pinType', 2014, 'invalid_param'],
    ['amount', 2104, 'invalid_param'],
  ]);
  assert.equal(r.body.error.errors[1].message, "Min value for 'ttl' is 60 seconds");
  // One invalid field: no list (the error is the list).
  const one = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', ttl: 30 });
  assert.deepEqual([one.body.error.code, one.body.error.errors], [2008, undefined]);
});

test('OtpClient against the worker: OtpError.errors lists every error', async () => {
  const client = new OtpClient({ baseUrl: w.url, apiKey: KEYS.acme });
  const e = await client.create({ phoneNumber: '', ttl: 30, pinType: 'emoji' }).catch((x) => x);
  assert.ok(e instanceof OtpError);
  assert.deepEqual([e.status, e.code, e.field], [400, 2001, 'phoneNumber']);
  assert.deepEqual(e.errors.map((x) => [x.field, x.code, x.type]), [
    ['phoneNumber', 2001, 'invalid_param'], ['ttl', 2008, 'invalid_param'], ['pinType', 2014, 'invalid_param'],
  ]);
  const single = await client.create({ phoneNumber: '+33612345678', ttl: 30 }).catch((x) => x);
  assert.deepEqual(single.errors.map((x) => [x.field, x.code]), [['ttl', 2008]]);
  const created = await client.create({ phoneNumber: '+33612345678' });
  assert.equal(created.status, 'PENDING');
});

/** A POST /otp body of exactly `bytes` UTF-8 bytes, most of them in 3- and 4-byte characters. */
function bodyOf(bytes) {
  const base = { phoneNumber: '+33612345678', template: '😀😀😀😀 {{pin}} ' };
  const rest = bytes - Buffer.byteLength(JSON.stringify(base));
  const euros = Math.floor(rest / 3);
  const text = JSON.stringify({ ...base, template: base.template + '€'.repeat(euros) + 'a'.repeat(rest - 3 * euros) });
  assert.equal(Buffer.byteLength(text), bytes);
  assert.ok(text.length < 30000, 'far fewer UTF-16 units than bytes');
  return text;
}

test('the body limit is 64 KiB of UTF-8 bytes: 65,536 pass the size check, 65,537 do not', async () => {
  const at = await call(w, 'POST', '/otp', bodyOf(65536));
  // Judged by the rules instead: the template is over 1,600 characters.
  assert.deepEqual([at.status, at.body.error.code, at.body.error.field], [400, 2006, 'template']);
  const over = await call(w, 'POST', '/otp', bodyOf(65537));
  assert.deepEqual([over.status, over.body.error.type, over.body.error.code], [413, 'invalid_request', 413]);
  assert.match(over.body.error.message, /larger than 64 KiB/);
});

test('cost = parts × PRICE_PER_PART, rounded: 3 parts at 0.07 cost 0.21', async () => {
  const res = await w.fetch('/otp', {
    method: 'POST',
    headers: { 'X-API-KEY': KEYS.acme, 'Content-Type': 'application/json' },
    body: JSON.stringify({ phoneNumber: '+33612345678', template: `${'x'.repeat(320)} {{pin}}` }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const otp = JSON.parse(text);
  assert.equal(otp.parts, 3);
  // As JSON, not 0.21000000000000002 (3 × 0.07 in binary floating point).
  assert.match(text, /"cost":0\.21[,}]/);
  assert.equal(otp.cost, 0.21);
  const status = await call(w, 'GET', `/otp/${otp.otpId}`);
  assert.equal(status.body.cost, 0.21);
});

test('non-geographic numbers (+800, +870) are refused with 2020', async () => {
  for (const phoneNumber of ['+800 1234 5678', '+870 773 111 632']) {
    const r = await call(w, 'POST', '/otp', { phoneNumber });
    assert.deepEqual([r.status, r.body.error.code, r.body.error.field], [400, 2020, 'phoneNumber'], phoneNumber);
  }
});

test('amount: ≤ 32 printable characters, else 2104', async () => {
  const template = 'Pay {{amount}}: {{pin}}';
  const ok = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', template, amount: '€'.repeat(32) });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  for (const amount of ['1'.repeat(33), '12\n50', true]) {
    const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678', template, amount });
    assert.deepEqual([r.status, r.body.error.code, r.body.error.field], [400, 2104, 'amount'], JSON.stringify(amount));
  }
});
