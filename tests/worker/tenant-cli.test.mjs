// `npm run tenant` (scripts/tenant.mjs) against a temporary local state (`--persist-to`),
// read back by a Miniflare KV namespace persisted in the same directory — the layout
// `wrangler dev` reads (`<state>/v3/kv/<namespace id>`). Each wrangler run takes about a
// second, so the steps share one state and run in order.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare4';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = join(root, 'worker', 'tenants.example.json');
// The id in worker/wrangler.toml, under which wrangler keeps the local namespace.
const NAMESPACE_ID = '00000000000000000000000000000000';
// SHA-256 of "acme-demo-key-0123456789", from `printf %s acme-demo-key-0123456789 | sha256sum`.
const ACME_HASH = '667085c6f76cabc284e89d65b6c45da2ae5006e16896122457e5cfc60fd42d51';

let state;
before(() => {
  state = mkdtempSync(join(tmpdir(), 'smsotp-tenant-cli-'));
});
after(() => rmSync(state, { recursive: true, force: true }));

/** Runs the CLI with the system Node (20), as `npm run tenant` does: { status, stdout, stderr }. */
function tenant(...args) {
  const res = spawnSync(process.execPath, [join(root, 'scripts', 'tenant.mjs'), ...args, '--persist-to', state], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, out: res.stdout + res.stderr };
}

/** Every key → value of the local namespace, read by Miniflare from wrangler's files. */
async function namespaceContents() {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null); } }',
    compatibilityDate: '2026-08-01',
    cf: false,
    kvNamespaces: { TENANTS: NAMESPACE_ID },
    kvPersist: join(state, 'v3', 'kv'),
  });
  try {
    const ns = await mf.getKVNamespace('TENANTS');
    const { keys } = await ns.list();
    const entries = {};
    for (const { name } of keys) entries[name] = await ns.get(name, 'text');
    return entries;
  } finally {
    await mf.dispose();
  }
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');
let createdKey;

test('create prints a new key once and the webhook secret; show prints its hash, never the key', async () => {
  const created = tenant('create', 'initech', '--from', 'Initech', '--countries', 'US,FR');
  assert.equal(created.status, 0, created.out);
  createdKey = created.stdout.match(/API key: (sk_[A-Za-z0-9_-]{32})\n/)?.[1];
  assert.ok(createdKey, created.stdout);
  assert.match(created.stdout, /shown only this once/);
  const secret = created.stdout.match(/webhook secret: (whsec_\S+)/)?.[1];
  assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);

  const shown = tenant('show', 'initech');
  assert.equal(shown.status, 0, shown.out);
  assert.ok(!shown.out.includes(createdKey), 'show printed the key');
  const record = JSON.parse(shown.stdout);
  const hash = sha256(createdKey);
  assert.deepEqual(record.apiKeys.map((k) => [k.id, k.hash]), [[`key_${hash.slice(0, 8)}`, hash]]);
  assert.deepEqual(record.defaults, { from: 'Initech' });
  assert.deepEqual(record.allowedCountries, ['US', 'FR']);
  // The secret masked after its first 10 characters.
  assert.equal(record.webhookSecret, secret.slice(0, 10) + '*'.repeat(secret.length - 10));

  const again = tenant('create', 'initech');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /tenant "initech" exists already/);

  const stored = await namespaceContents();
  assert.equal(stored[`apikey:${hash}`], 'initech');
  assert.ok(!Object.values(stored).some((v) => v.includes(createdKey)), 'the key in clear is stored');
});

test('load-dev of a bad file lists every problem with tenant and field, and writes nothing', async () => {
  const bad = join(state, 'bad.json');
  writeFileSync(bad, JSON.stringify([
    { id: 'acme', apiKeys: ['acme-demo-key-0123456789'], webhookSecret: 'whsec_dG9vLXNob3J0' },
    { id: 'Globex', apiKeys: ['short'], webhookSecret: 'secret', allowedCountries: ['us'], testNumbers: { '15005550007': '654321' } },
    { id: 'acme', apiKeys: ['acme-demo-key-0123456789'], limits: [] },
  ]));
  const before = await namespaceContents();
  const res = tenant('load-dev', bad);
  assert.equal(res.status, 1, res.out);
  const expected = [
    'tenant 0 (acme): webhookSecret: holds 9 bytes, at least 16 are needed',
    'tenant 1 (Globex): id: "Globex" is not a tenant id',
    'tenant 1 (Globex): webhookSecret: must start with "whsec_"',
    'tenant 1 (Globex): allowedCountries: [0] "us" is not a country code of two upper-case letters',
    'tenant 1 (Globex): testNumbers: key "15005550007" must be "+" followed by digits',
    'tenant 1 (Globex): apiKeys[0]: has 5 characters, at least 16 are needed',
    'tenant 2 (acme): webhookSecret: is required',
    'tenant 2 (acme): limits: must be an object, not an array',
    'tenant 2 (acme): id: "acme" is also tenant 0\'s id',
    'tenant 2 (acme): apiKeys[0]: is also tenant 0 (acme) apiKeys[0]',
  ];
  for (const line of expected) assert.ok(res.stderr.includes(`  - ${line}`), `missing "${line}" in:\n${res.stderr}`);
  assert.equal(res.stderr.split('\n').filter((l) => l.startsWith('  - ')).length, expected.length, res.stderr);
  assert.match(res.stderr, /10 problems \(nothing written\)/);
  assert.deepEqual(await namespaceContents(), before);
});

test('load-dev of the example replaces the tenants: apikey:<sha256(key)> → id and the record, read by Miniflare', async () => {
  const res = tenant('load-dev', example);
  assert.equal(res.status, 0, res.out);
  const stored = await namespaceContents();
  // initech (created above, not in the file) is gone: load-dev replaces every tenant.
  assert.deepEqual(Object.keys(stored).sort(), [
    `apikey:${ACME_HASH}`,
    `apikey:${sha256('globex-demo-key-0123456789')}`,
    'pubkey:pk_acme_demo_0123456789',
    'tenant:acme',
    'tenant:globex',
  ].sort());
  assert.equal(stored[`apikey:${ACME_HASH}`], 'acme');
  const acme = JSON.parse(stored['tenant:acme']);
  assert.deepEqual(acme.apiKeys.map(({ id, hash }) => ({ id, hash })), [{ id: 'key_667085c6', hash: ACME_HASH }]);
  assert.equal(acme.webhookSecret, 'whsec_UK6SgHscwPNpHlmbw4Gt+t8zUH/WiwM6zefGdyvwu9A=');
  assert.equal(acme.allowedCountries, '*');
  assert.deepEqual(acme.testNumbers, { '+15005550006': '123456' });
  assert.ok(!stored['tenant:acme'].includes('acme-demo-key-0123456789'));
});

test('revoke-key removes the key from the record and its apikey: entry; set checks the value before writing', async () => {
  const res = tenant('revoke-key', 'acme', 'key_667085c6');
  assert.equal(res.status, 0, res.out);
  assert.match(res.stdout, /no API key left/);
  const stored = await namespaceContents();
  assert.equal(stored[`apikey:${ACME_HASH}`], undefined);
  assert.deepEqual(JSON.parse(stored['tenant:acme']).apiKeys, []);
  assert.equal(stored['tenant:globex'] !== undefined, true);

  const unknown = tenant('revoke-key', 'acme', 'key_667085c6');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /tenant acme has no key key_667085c6/);

  const bad = tenant('set', 'globex', 'allowedCountries', '["US","fr"]');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /allowedCountries: \[1\] "fr" is not a country code/);
  assert.deepEqual(await namespaceContents(), stored);
});

test('a key another tenant holds is refused: set publishableKeys with acme\'s key, and load-dev of a file giving one key to two tenants; nothing written', async () => {
  const stored = await namespaceContents();
  assert.equal(stored['pubkey:pk_acme_demo_0123456789'], 'acme');
  const taken = tenant('set', 'globex', 'publishableKeys', '[{"key": "pk_acme_demo_0123456789", "origins": ["https://globex.example"]}]');
  assert.equal(taken.status, 1, taken.out);
  assert.match(taken.stderr, /the publishable key pk_acme_demo_0123456789 is already tenant "acme"'s: a key belongs to one tenant \(nothing written\)/);
  assert.deepEqual(await namespaceContents(), stored, 'nothing written');

  // acme's own key stays settable on acme (new origins).
  const own = tenant('set', 'acme', 'publishableKeys', '[{"key": "pk_acme_demo_0123456789", "origins": ["https://acme.example"]}]');
  assert.equal(own.status, 0, own.out);

  const file = join(state, 'shared-keys.json');
  const [acme, globex] = JSON.parse(readFileSync(example, 'utf8'));
  writeFileSync(file, JSON.stringify([acme, { ...globex, publishableKeys: [{ key: acme.publishableKeys[0].key, origins: ['https://globex.example'] }] }]));
  const before = await namespaceContents();
  const shared = tenant('load-dev', file);
  assert.equal(shared.status, 1, shared.out);
  assert.match(shared.stderr, /tenant 1 \(globex\): publishableKeys\[0\]: pk_acme_demo_0123456789 is also tenant 0 \(acme\)'s \(keys must be unique\)/);
  assert.deepEqual(await namespaceContents(), before, 'nothing written');
});

test('the lock\'s floors: set limits with failuresBeforeLock over 100 or lockSeconds under 60 is refused, at the floors accepted', async () => {
  const before = await namespaceContents();
  const bad = tenant('set', 'globex', 'limits', '{"failuresBeforeLock": 1000, "lockSeconds": 5}');
  assert.equal(bad.status, 1, bad.out);
  assert.match(bad.stderr, /limits: failuresBeforeLock must be at most 100, not 1000; lockSeconds must be at least 60, not 5/);
  assert.deepEqual(await namespaceContents(), before, 'nothing written');
  const ok = tenant('set', 'globex', 'limits', '{"failuresBeforeLock": 100, "lockSeconds": 60}');
  assert.equal(ok.status, 0, ok.out);
});

// Only while worker/wrangler.toml holds the placeholder id (a real one means the deployed
// namespace exists, which tests must not touch).
const placeholder = /^\s*id\s*=\s*"0{32}"/m.test(readFileSync(join(root, 'worker', 'wrangler.toml'), 'utf8'));
test('without --local the deployed namespace is meant: refused while wrangler.toml has the placeholder id', { skip: !placeholder && 'wrangler.toml has a real id' }, () => {
  const remote = spawnSync(process.execPath, [join(root, 'scripts', 'tenant.mjs'), 'show', 'acme'], { cwd: root, encoding: 'utf8' });
  assert.equal(remote.status, 2, remote.stderr);
  assert.match(remote.stderr, /placeholder TENANTS namespace id: create one with `wrangler kv namespace create TENANTS`/);
});
