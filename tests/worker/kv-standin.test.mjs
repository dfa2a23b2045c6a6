// The TENANTS KV stand-in (kv-standin.mjs) against a tiny JS worker that calls the binding
// as workers-rs does: Cloudflare's one-write-per-second-per-key rule, faults switched on and
// off while the worker runs, the KV API surface, and tenants set up with putTenants.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kvStats, putTenants, setKvFaults, startWithKvStandin } from './kv-standin.mjs';

// The worker runs one KV call per request: POST { method, args } → { value } or { error }.
const WORKER = `
export default {
  async fetch(request, env) {
    const { method, args } = await request.json();
    try {
      const value = await env.TENANTS[method](...args);
      return Response.json({ value: value === undefined ? null : value });
    } catch (e) {
      return Response.json({ error: String(e && e.message) });
    }
  },
};`;

let mf;
before(async () => {
  mf = startWithKvStandin({ modules: true, script: WORKER, compatibilityDate: '2026-08-01' }, { cf: false });
  await mf.ready;
});
after(() => mf?.dispose());

/** One KV call made by the worker: `kv('put', 'a', '1')` → { value } or { error }. */
async function kv(method, ...args) {
  const res = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify({ method, args }) });
  return res.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a second write of a key within 1 s is rejected with 429; other keys and the key after 1 s are fine', async () => {
  const before = kvStats(mf);
  assert.deepEqual(await kv('put', 'rate:a', 'first'), { value: null });
  const second = await kv('put', 'rate:a', 'second');
  assert.match(second.error, /^KV PUT failed: 429 Too Many Requests$/);
  // A delete is a write too.
  assert.match((await kv('delete', 'rate:a')).error, /KV DELETE failed: 429 Too Many Requests/);
  // The rejected writes changed nothing.
  assert.deepEqual(await kv('get', 'rate:a', { type: 'text' }), { value: 'first' });
  assert.deepEqual(await kv('put', 'rate:b', 'other'), { value: null });
  assert.deepEqual(await kv('get', 'rate:b', { type: 'text' }), { value: 'other' });
  await sleep(1100);
  assert.deepEqual(await kv('put', 'rate:a', 'third'), { value: null });
  assert.deepEqual(await kv('get', 'rate:a', { type: 'text' }), { value: 'third' });
  const after = kvStats(mf);
  assert.equal(after.rejectedWrites - before.rejectedWrites, 2);
  assert.equal(after.writes - before.writes, 3);
  assert.equal(after.reads - before.reads, 3);
});

test('concurrent writes of one key: exactly one is accepted', async () => {
  const results = await Promise.all([1, 2, 3, 4].map((n) => kv('put', 'rate:concurrent', String(n))));
  assert.equal(results.filter((r) => !r.error).length, 1, JSON.stringify(results));
  assert.equal(results.filter((r) => /429 Too Many Requests/.test(r.error)).length, 3);
});

test('faults: reads fail, writes fail with 429 or 5xx, as set while the worker runs; off again: fine', async () => {
  assert.deepEqual(await kv('put', 'fault:x', 'v1'), { value: null });

  setKvFaults(mf, { read: true });
  assert.match((await kv('get', 'fault:x', { type: 'text' })).error, /^KV GET failed: 503 Service Unavailable$/);
  assert.match((await kv('getWithMetadata', 'fault:x', { type: 'text' })).error, /KV GET failed: 503/);
  assert.match((await kv('list', { prefix: 'fault:' })).error, /KV LIST failed: 503/);
  // Only reads: a write goes through.
  assert.deepEqual(await kv('put', 'fault:y', 'v'), { value: null });

  setKvFaults(mf, { write: 429 });
  assert.deepEqual(await kv('get', 'fault:x', { type: 'text' }), { value: 'v1' });
  assert.match((await kv('put', 'fault:z', 'v')).error, /^KV PUT failed: 429 Too Many Requests$/);

  setKvFaults(mf, { write: 500, read: 500 });
  assert.match((await kv('delete', 'fault:x')).error, /^KV DELETE failed: 500 Internal Server Error$/);
  assert.match((await kv('get', 'fault:x')).error, /^KV GET failed: 500 Internal Server Error$/);

  setKvFaults(mf, {});
  assert.deepEqual(await kv('get', 'fault:x', { type: 'text' }), { value: 'v1' });
  assert.deepEqual(await kv('get', 'fault:z', { type: 'text' }), { value: null }, 'the failed put wrote nothing');
  assert.deepEqual(await kv('put', 'fault:z', 'v'), { value: null });
  const stats = kvStats(mf);
  assert.ok(stats.failedReads >= 4 && stats.failedWrites >= 2, JSON.stringify(stats));
});

test('setKvFaults refuses settings KV never produces', () => {
  assert.throws(() => setKvFaults(mf, { read: 429 }), /reads are not rate limited/);
  assert.throws(() => setKvFaults(mf, { write: 404 }), /must be true, 429/);
});

test('the API surface workers-rs uses: get text/json with cacheTtl, getWithMetadata, put with metadata and expirationTtl, list with prefix, cursor, limit, delete', async () => {
  assert.deepEqual(await kv('put', 'api:json', '{"a":[1,2]}', { metadata: { v: 2 }, expirationTtl: 3600 }), { value: null });
  assert.deepEqual(await kv('get', 'api:json', { type: 'json', cacheTtl: 60 }), { value: { a: [1, 2] } });
  assert.deepEqual(await kv('get', 'api:json', { type: 'text' }), { value: '{"a":[1,2]}' });
  const withMeta = await kv('getWithMetadata', 'api:json', { type: 'json' });
  assert.deepEqual(withMeta.value.value, { a: [1, 2] });
  assert.deepEqual(withMeta.value.metadata, { v: 2 });
  assert.deepEqual(await kv('get', 'api:missing', { type: 'json' }), { value: null });
  for (const n of [1, 2, 3]) assert.deepEqual(await kv('put', `api:list:${n}`, String(n)), { value: null });
  const page1 = (await kv('list', { prefix: 'api:list:', limit: 2 })).value;
  assert.deepEqual(page1.keys.map((k) => k.name), ['api:list:1', 'api:list:2']);
  assert.equal(page1.list_complete, false);
  const page2 = (await kv('list', { prefix: 'api:list:', limit: 2, cursor: page1.cursor })).value;
  assert.deepEqual(page2.keys.map((k) => k.name), ['api:list:3']);
  assert.equal(page2.list_complete, true);
  // A delete is a write: after the key's second has passed.
  await sleep(1000);
  assert.deepEqual(await kv('delete', 'api:json'), { value: null });
  assert.deepEqual(await kv('get', 'api:json'), { value: null });
});

test('putTenants writes each dev-form tenant as the record and one apikey: entry per key', async () => {
  const tenants = JSON.parse(readFileSync(new URL('../../worker/tenants.example.json', import.meta.url), 'utf8'));
  await putTenants(mf, tenants);
  // SHA-256 of "acme-demo-key-0123456789", from `printf %s acme-demo-key-0123456789 | sha256sum`.
  const acmeHash = '667085c6f76cabc284e89d65b6c45da2ae5006e16896122457e5cfc60fd42d51';
  assert.deepEqual(await kv('get', `apikey:${acmeHash}`, { type: 'text' }), { value: 'acme' });
  const record = (await kv('get', 'tenant:acme', { type: 'json' })).value;
  assert.equal(record.id, 'acme');
  assert.deepEqual(record.apiKeys.map(({ id, hash }) => ({ id, hash })), [{ id: 'key_667085c6', hash: acmeHash }]);
  assert.match(record.apiKeys[0].createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(!JSON.stringify(record).includes('acme-demo-key-0123456789'), 'no key in clear in KV');
  assert.deepEqual(record.testNumbers, { '+15005550006': '123456' });
  const names = (await kv('list', { prefix: 'tenant:' })).value.keys.map((k) => k.name);
  assert.deepEqual(names, ['tenant:acme', 'tenant:globex']);
  await assert.rejects(putTenants(mf, [{ id: 'Bad', apiKeys: ['short'] }]), /tenant 0 \(Bad\): id:.*\n.*webhookSecret: is required[^]*apiKeys\[0\]: has 5 characters/);
});
