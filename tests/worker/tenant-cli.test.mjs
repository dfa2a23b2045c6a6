// `npm run tenant` (scripts/tenant.mjs) against a temporary local state (`--persist-to`),
// read back by a Miniflare KV namespace persisted in the same directory — the layout
// `wrangler dev` reads (`<state>/v3/kv/<namespace id>`). Each wrangler run takes about a
// second, so the steps share one state and run in order. First, without wrangler, tables of
// the Twilio credentials' conversion and checks (scripts/tenants-kv.mjs), whose record form
// is what the worker reads (/work/notes/twilio-contract.md, "Credentials").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare4';
import {
  devTenantToRecord,
  devTenantsProblems,
  devTenantsToEntries,
  isTenantsKey,
  recordEntries,
  recordProblems,
} from '../../scripts/tenants-kv.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const example = join(root, 'worker', 'tenants.example.json');
// The TENANTS id in worker/wrangler.toml (the working tree's, which `tenant.mjs --local` runs
// wrangler with), under which wrangler keeps the local namespace: the placeholder as
// committed, or the real id `npm run deploy` writes there.
const NAMESPACE_ID = tenantsIdOf(readFileSync(join(root, 'worker', 'wrangler.toml'), 'utf8'));
/** The id of the top-level `[[kv_namespaces]]` block whose binding is TENANTS. */
function tenantsIdOf(toml) {
  for (const block of toml.split(/^(?=\s*\[)/m)) {
    if (!/^\s*\[\[\s*kv_namespaces\s*\]\]/.test(block) || !/^\s*binding\s*=\s*"TENANTS"/m.test(block)) continue;
    const id = /^\s*id\s*=\s*"([0-9a-f]{32})"/m.exec(block)?.[1];
    if (id) return id;
  }
  throw new Error('worker/wrangler.toml: no [[kv_namespaces]] block with binding "TENANTS" and an id');
}
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

// ---- The Twilio block: dev form → record, and the problems of each (no wrangler) ----

const [exampleAcme, exampleGlobex] = JSON.parse(readFileSync(example, 'utf8'));
const CREATED = '2026-12-05T07:00:00Z';
const hex32 = () => randomBytes(16).toString('hex');
const ACCOUNT = `AC${hex32()}`;
const KEY_SID = `SK${hex32()}`;
const SERVICE = `VA${hex32()}`;
const TOKEN = `token-${hex32()}`;
const SECRET = `secret-${hex32()}`;
/** A dev-form tenant holding `twilio` (the rest as small as a valid tenant is). */
const withTwilio = (twilio, id = 'acme') => ({ id, apiKeys: [`${id}-key-${hex32()}`], webhookSecret: exampleAcme.webhookSecret, twilio });
const GOOD = { accountSid: ACCOUNT, authToken: TOKEN, apiKeys: [{ sid: KEY_SID, secret: SECRET }], services: [{ sid: SERVICE, friendlyName: 'Acme' }] };
const isObjectLike = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const DEFAULT_SETTINGS = { codeLength: 6, lookupEnabled: false, doNotShareWarningEnabled: false };

test('the dev form\'s twilio block becomes the record\'s: SIDs with the SHA-256 of each token/secret, services completed, one twilio:<sid> → id per credential', () => {
  const otherKey = { sid: `SK${hex32()}`, secret: `another-secret-${hex32()}` };
  const cases = [
    ['the example\'s acme', exampleAcme.twilio, (t) => ({
      accountSid: t.accountSid,
      credentials: [{ sid: t.accountSid, hash: sha256(t.authToken), createdAt: CREATED }, ...t.apiKeys.map((k) => ({ sid: k.sid, hash: sha256(k.secret), createdAt: CREATED }))],
      services: t.services.map((v) => ({ ...v, ...DEFAULT_SETTINGS, dateCreated: CREATED })),
    })],
    ['the example\'s globex (an auth token only)', exampleGlobex.twilio, (t) => ({
      accountSid: t.accountSid,
      credentials: [{ sid: t.accountSid, hash: sha256(t.authToken), createdAt: CREATED }],
      services: [],
    })],
    ['API keys only, no auth token', { accountSid: ACCOUNT, apiKeys: [{ sid: KEY_SID, secret: SECRET }, otherKey] }, () => ({
      accountSid: ACCOUNT,
      credentials: [{ sid: KEY_SID, hash: sha256(SECRET), createdAt: CREATED }, { sid: otherKey.sid, hash: sha256(otherKey.secret), createdAt: CREATED }],
      services: [],
    })],
    ['a service with every setting given', { ...GOOD, services: [{ sid: SERVICE, friendlyName: 'Login', codeLength: 8, lookupEnabled: true, doNotShareWarningEnabled: true }] }, () => ({
      accountSid: ACCOUNT,
      credentials: [{ sid: ACCOUNT, hash: sha256(TOKEN), createdAt: CREATED }, { sid: KEY_SID, hash: sha256(SECRET), createdAt: CREATED }],
      services: [{ sid: SERVICE, friendlyName: 'Login', codeLength: 8, lookupEnabled: true, doNotShareWarningEnabled: true, dateCreated: CREATED }],
    })],
  ];
  for (const [name, twilio, expected] of cases) {
    const tenant = withTwilio(twilio);
    assert.deepEqual(devTenantsProblems([tenant]), [], name);
    const record = devTenantToRecord(tenant, CREATED);
    assert.deepEqual(record.twilio, expected(twilio), name);
    assert.deepEqual(recordProblems(record), [], `${name}: the record is valid`);
    const entries = recordEntries(record);
    const twilioEntries = entries.filter((e) => e.key.startsWith('twilio:'));
    assert.deepEqual(twilioEntries, record.twilio.credentials.map((c) => ({ key: `twilio:${c.sid}`, value: 'acme' })), name);
    const secrets = [twilio.authToken, ...(twilio.apiKeys ?? []).map((k) => k.secret)].filter(Boolean);
    for (const secret of secrets) assert.ok(!entries.some((e) => e.value.includes(secret)), `${name}: a secret in clear in KV`);
  }
  // A tenant without Twilio has no twilio block nor entry.
  const plain = devTenantToRecord(withTwilio(undefined), CREATED);
  assert.equal('twilio' in plain && plain.twilio !== undefined, false);
  assert.ok(!recordEntries(plain).some((e) => e.key.startsWith('twilio:')));
});

test('the dev form\'s twilio block: every problem names the tenant and the field, never a secret\'s value; the limits themselves pass', () => {
  const upper = (sid) => sid.slice(0, 2) + sid.slice(2).toUpperCase().replace(/^[0-9]/, 'A');
  const withService = (change) => ({ ...GOOD, services: [{ sid: SERVICE, friendlyName: 'Acme', ...change }] });
  const withKey = (key) => ({ ...GOOD, apiKeys: [key] });
  const strayAccount = `AC${hex32()}`;
  const p = 'tenant 0 (acme): ';
  // [case, the twilio block, the one problem (its start)]
  const bad = [
    ['not an object', 'yes', 'twilio: must be an object'],
    ['an unknown key', { ...GOOD, authtoken: TOKEN }, 'twilio.authtoken: unknown key (known: accountSid, authToken, apiKeys, services)'],
    ['the record form\'s credentials', { ...GOOD, credentials: [] }, 'twilio.credentials: unknown key'],
    ['no accountSid', { ...GOOD, accountSid: undefined }, 'twilio.accountSid: is required'],
    ['accountSid in upper-case hex', { ...GOOD, accountSid: upper(ACCOUNT) }, `twilio.accountSid: "${upper(ACCOUNT)}" is not an account SID`],
    ['accountSid an API key SID', { ...GOOD, accountSid: `SK${ACCOUNT.slice(2)}` }, `twilio.accountSid: "SK${ACCOUNT.slice(2)}" is not an account SID`],
    ['accountSid one digit short', { ...GOOD, accountSid: ACCOUNT.slice(0, -1) }, `twilio.accountSid: "${ACCOUNT.slice(0, -1)}" is not an account SID`],
    ['accountSid a number', { ...GOOD, accountSid: 7 }, 'twilio.accountSid: must be an account SID'],
    ['authToken of 31 characters', { ...GOOD, authToken: TOKEN.slice(0, 31) }, 'twilio.authToken: has 31 characters, at least 32 are needed'],
    ['authToken of 257 characters', { ...GOOD, authToken: 'x'.repeat(257) }, 'twilio.authToken: must be at most 256 visible ASCII characters'],
    ['authToken with a space', { ...GOOD, authToken: `${TOKEN} x` }, 'twilio.authToken: must be at most 256 visible ASCII characters'],
    ['authToken not a string', { ...GOOD, authToken: 12345678901234567890123456789012345 }, 'twilio.authToken: must be a string, not number'],
    ['apiKeys not an array', { ...GOOD, apiKeys: { sid: KEY_SID, secret: SECRET } }, 'twilio.apiKeys: must be an array'],
    ['an API key that is a string', withKey(SECRET), 'twilio.apiKeys[0]: must be an object { "sid": "SK…", "secret": "…" }, not string'],
    ['an API key with an account SID', withKey({ sid: strayAccount, secret: SECRET }), `twilio.apiKeys[0].sid: "${strayAccount}" is not an API key SID`],
    ['an API key without its SID', withKey({ secret: SECRET }), 'twilio.apiKeys[0].sid: is required'],
    ['an API key secret of 10 characters', withKey({ sid: KEY_SID, secret: SECRET.slice(0, 10) }), 'twilio.apiKeys[0].secret: has 10 characters, at least 32 are needed'],
    ['an API key without its secret', withKey({ sid: KEY_SID }), 'twilio.apiKeys[0].secret: is required'],
    ['an API key with an unknown key', withKey({ sid: KEY_SID, secret: SECRET, name: 'ci' }), 'twilio.apiKeys[0].name: unknown key (known: sid, secret)'],
    ['one API key twice', { ...GOOD, apiKeys: [{ sid: KEY_SID, secret: SECRET }, { sid: KEY_SID, secret: `${SECRET}-2` }] },
      `twilio.apiKeys[1].sid: ${KEY_SID} is also tenant 0 (acme) twilio.apiKeys[0].sid (SIDs must be unique)`],
    ['services not an array', { ...GOOD, services: 'VA' }, 'twilio.services: must be an array'],
    ['a service that is not an object', { ...GOOD, services: [SERVICE] }, 'twilio.services[0]: must be an object'],
    ['a service SID of another kind', withService({ sid: `VE${SERVICE.slice(2)}` }), `twilio.services[0].sid: "VE${SERVICE.slice(2)}" is not a Verify service SID`],
    ['a service SID in upper-case hex', withService({ sid: upper(SERVICE) }), `twilio.services[0].sid: "${upper(SERVICE)}" is not a Verify service SID`],
    ['a service without its SID', withService({ sid: undefined }), 'twilio.services[0].sid: is required'],
    ['a service without friendlyName', withService({ friendlyName: undefined }), 'twilio.services[0].friendlyName: is required'],
    ['an empty friendlyName', withService({ friendlyName: '' }), 'twilio.services[0].friendlyName: has 0 characters, it must have 1 to 32'],
    ['a friendlyName of 33 characters', withService({ friendlyName: 'n'.repeat(33) }), 'twilio.services[0].friendlyName: has 33 characters, it must have 1 to 32'],
    ['a friendlyName not a string', withService({ friendlyName: ['Acme'] }), 'twilio.services[0].friendlyName: must be a string'],
    ['codeLength 3', withService({ codeLength: 3 }), 'twilio.services[0].codeLength: must be a whole number from 4 to 10 (6 when absent), not 3'],
    ['codeLength 11', withService({ codeLength: 11 }), 'twilio.services[0].codeLength: must be a whole number from 4 to 10 (6 when absent), not 11'],
    ['codeLength 6.5', withService({ codeLength: 6.5 }), 'twilio.services[0].codeLength: must be a whole number from 4 to 10 (6 when absent), not 6.5'],
    ['codeLength "6"', withService({ codeLength: '6' }), 'twilio.services[0].codeLength: must be a whole number from 4 to 10 (6 when absent), not "6"'],
    ['lookupEnabled "true"', withService({ lookupEnabled: 'true' }), 'twilio.services[0].lookupEnabled: must be true or false, not "true"'],
    ['doNotShareWarningEnabled 1', withService({ doNotShareWarningEnabled: 1 }), 'twilio.services[0].doNotShareWarningEnabled: must be true or false, not 1'],
    ['a service with dateCreated (the record\'s)', withService({ dateCreated: CREATED }), 'twilio.services[0].dateCreated: unknown key (known: sid, friendlyName, codeLength, lookupEnabled, doNotShareWarningEnabled)'],
    ['one service twice', { ...GOOD, services: [{ sid: SERVICE, friendlyName: 'A' }, { sid: SERVICE, friendlyName: 'B' }] },
      `twilio.services[1].sid: ${SERVICE} is also tenant 0 (acme) twilio.services[0].sid (SIDs must be unique)`],
  ];
  for (const [name, twilio, expected] of bad) {
    const problems = devTenantsProblems([withTwilio(twilio)]);
    assert.equal(problems.length, 1, `${name}: ${JSON.stringify(problems)}`);
    assert.ok(problems[0].startsWith(p + expected), `${name}: ${problems[0]}`);
    const secrets = isObjectLike(twilio) ? [twilio.authToken, ...(Array.isArray(twilio.apiKeys) ? twilio.apiKeys : [])
      .map((k) => (typeof k === 'object' ? k?.secret : k))].filter((v) => typeof v === 'string') : [];
    for (const secret of secrets) assert.ok(!problems[0].includes(secret), `${name}: the problem shows a secret: ${problems[0]}`);
  }
  // The limits are inside: tokens of 32 and 256 characters, code lengths 4 and 10, a name of
  // 32 characters (counted as characters, not bytes), no authToken, apiKeys or services.
  const good = [
    { ...GOOD, authToken: 'x'.repeat(32), apiKeys: [{ sid: KEY_SID, secret: '~'.repeat(256) }] },
    withService({ codeLength: 4, lookupEnabled: true, doNotShareWarningEnabled: false }),
    withService({ codeLength: 10, friendlyName: 'é'.repeat(32) }),
    { accountSid: ACCOUNT },
  ];
  for (const twilio of good) assert.deepEqual(devTenantsProblems([withTwilio(twilio)]), [], JSON.stringify(twilio));
});

test('a Twilio SID held by another tenant of the dev file is refused: account, API key and service', () => {
  const cases = [
    ['the account SID', { accountSid: ACCOUNT }, 'twilio.accountSid', 'twilio.accountSid'],
    ['an API key SID', { accountSid: `AC${hex32()}`, apiKeys: [{ sid: KEY_SID, secret: `${SECRET}-globex` }] }, 'twilio.apiKeys[0].sid', 'twilio.apiKeys[0].sid'],
    ['a service SID', { accountSid: `AC${hex32()}`, services: [{ sid: SERVICE, friendlyName: 'Globex' }] }, 'twilio.services[0].sid', 'twilio.services[0].sid'],
  ];
  for (const [name, globexTwilio, field, heldAt] of cases) {
    const problems = devTenantsProblems([withTwilio(GOOD), withTwilio(globexTwilio, 'globex')]);
    const sid = field === 'twilio.accountSid' ? globexTwilio.accountSid : field.includes('apiKeys') ? KEY_SID : SERVICE;
    assert.deepEqual(problems, [`tenant 1 (globex): ${field}: ${sid} is also tenant 0 (acme) ${heldAt} (SIDs must be unique)`], name);
  }
  // devTenantsToEntries refuses the same file as a whole.
  assert.throws(() => devTenantsToEntries([withTwilio(GOOD), withTwilio({ accountSid: ACCOUNT }, 'globex')]), /bad tenants:\n {2}- tenant 1 \(globex\): twilio\.accountSid/);
});

test('the record\'s twilio block (what the worker reads) is checked too: every problem names the field', () => {
  const good = () => devTenantToRecord(withTwilio(GOOD), CREATED);
  assert.deepEqual(recordProblems(good()), []);
  const otherAccount = `AC${hex32()}`;
  const otherService = `VA${hex32()}`;
  // [case, change to a good record, the one problem]
  const bad = [
    ['not an object', (r) => { r.twilio = []; }, 'twilio: must be an object'],
    ['the dev form\'s authToken', (r) => { r.twilio.authToken = TOKEN; }, 'twilio.authToken: unknown key (known: accountSid, credentials, services)'],
    ['the dev form\'s apiKeys', (r) => { r.twilio.apiKeys = []; }, 'twilio.apiKeys: unknown key (known: accountSid, credentials, services)'],
    ['no accountSid', (r) => { delete r.twilio.accountSid; r.twilio.credentials.shift(); }, 'twilio.accountSid: is required'],
    ['no credentials', (r) => { delete r.twilio.credentials; }, 'twilio.credentials: must be an array'],
    ['no services', (r) => { delete r.twilio.services; }, 'twilio.services: must be an array'],
    ['a credential that is a string', (r) => { r.twilio.credentials[1] = SECRET; }, 'twilio.credentials[1]: must be { "sid": "AC…|SK…", "hash": "<64 lower-case hex>", "createdAt": "…" }, not string'],
    ['a secret in clear for a hash', (r) => { r.twilio.credentials[1].hash = SECRET; }, 'twilio.credentials[1].hash: must be the SHA-256 of the token or secret'],
    ['a hash in upper-case hex', (r) => { r.twilio.credentials[0].hash = sha256(TOKEN).toUpperCase(); }, 'twilio.credentials[0].hash: must be the SHA-256'],
    ['a secret kept next to its hash', (r) => { r.twilio.credentials[1].secret = SECRET; }, 'twilio.credentials[1].secret: unknown key (known: sid, hash, createdAt)'],
    ['createdAt without its time', (r) => { r.twilio.credentials[0].createdAt = '2026-12-05'; }, 'twilio.credentials[0].createdAt: must be a UTC time to the second'],
    ['another account\'s auth token', (r) => { r.twilio.credentials[0].sid = otherAccount; }, `twilio.credentials[0].sid: ${otherAccount} is an account SID other than twilio.accountSid`],
    ["a service SID as a credential", (r) => { r.twilio.credentials[1].sid = otherService; }, `twilio.credentials[1].sid: "${otherService}" is neither the account SID nor an API key SID`],
    ['one API key twice', (r) => { r.twilio.credentials.push({ ...r.twilio.credentials[1] }); }, `twilio.credentials[2].sid: ${KEY_SID} is also twilio.credentials[1].sid (SIDs must be unique)`],
    ['two auth tokens', (r) => { r.twilio.credentials.push({ ...r.twilio.credentials[0], hash: sha256(SECRET) }); }, `twilio.credentials[2].sid: ${ACCOUNT} is also twilio.credentials[0].sid (SIDs must be unique)`],
    ['a service without codeLength', (r) => { delete r.twilio.services[0].codeLength; }, 'twilio.services[0].codeLength: must be a whole number from 4 to 10, not absent'],
    ['a service without lookupEnabled', (r) => { delete r.twilio.services[0].lookupEnabled; }, 'twilio.services[0].lookupEnabled: must be true or false, not absent'],
    ['a service without doNotShareWarningEnabled', (r) => { delete r.twilio.services[0].doNotShareWarningEnabled; }, 'twilio.services[0].doNotShareWarningEnabled: must be true or false, not absent'],
    ['a service without dateCreated', (r) => { delete r.twilio.services[0].dateCreated; }, 'twilio.services[0].dateCreated: must be a UTC time to the second ("2026-12-05T07:00:00Z"), not absent'],
    ['dateCreated with milliseconds', (r) => { r.twilio.services[0].dateCreated = '2026-12-05T07:00:00.000Z'; }, 'twilio.services[0].dateCreated: must be a UTC time to the second'],
    ['a service of code length 12', (r) => { r.twilio.services[0].codeLength = 12; }, 'twilio.services[0].codeLength: must be a whole number from 4 to 10, not 12'],
    ['a service with an unknown key', (r) => { r.twilio.services[0].customCodeEnabled = true; }, 'twilio.services[0].customCodeEnabled: unknown key'],
    ['one service twice', (r) => { r.twilio.services.push({ ...r.twilio.services[0] }); }, `twilio.services[1].sid: ${SERVICE} is also twilio.services[0].sid (SIDs must be unique)`],
  ];
  for (const [name, change, expected] of bad) {
    const record = good();
    change(record);
    const problems = recordProblems(record);
    assert.equal(problems.length, 1, `${name}: ${JSON.stringify(problems)}`);
    assert.ok(problems[0].startsWith(expected), `${name}: ${problems[0]}`);
    assert.ok(!problems[0].includes(SECRET) && !problems[0].includes(TOKEN), `${name}: the problem shows a secret`);
  }
});

test('the twilio: entries belong to the tenants layout (load-dev replaces them with the rest)', () => {
  for (const key of [`twilio:${ACCOUNT}`, `twilio:${KEY_SID}`, 'tenant:acme', `apikey:${sha256(TOKEN)}`, 'pubkey:pk_acme_demo_0123456789']) assert.equal(isTenantsKey(key), true, key);
  for (const key of ['twilio', 'other:x', `${ACCOUNT}`]) assert.equal(isTenantsKey(key), false, key);
});

// ---- The CLI against a local namespace (wrangler) ----

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
  // Its creation time (the guard's first week in record mode counts from it), the key's too.
  assert.match(record.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(record.apiKeys[0].createdAt, record.createdAt);
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
  // The Twilio credential SIDs of the file: the account SIDs with an auth token and the API key SIDs.
  const credentialSids = [exampleAcme, exampleGlobex].flatMap((t) => [...(t.twilio.authToken ? [t.twilio.accountSid] : []), ...(t.twilio.apiKeys ?? []).map((k) => k.sid)]);
  assert.ok(credentialSids.length >= 3, 'the example has Twilio credentials');
  // initech (created above, not in the file) is gone: load-dev replaces every tenant.
  assert.deepEqual(Object.keys(stored).sort(), [
    `apikey:${ACME_HASH}`,
    `apikey:${sha256('globex-demo-key-0123456789')}`,
    'pubkey:pk_acme_demo_0123456789',
    'tenant:acme',
    'tenant:globex',
    ...credentialSids.map((sid) => `twilio:${sid}`),
  ].sort());
  for (const t of [exampleAcme, exampleGlobex]) {
    for (const sid of credentialSids.filter((s) => s === t.twilio.accountSid || t.twilio.apiKeys?.some((k) => k.sid === s))) assert.equal(stored[`twilio:${sid}`], t.id, sid);
    const { twilio } = JSON.parse(stored[`tenant:${t.id}`]);
    assert.equal(twilio.accountSid, t.twilio.accountSid);
    assert.deepEqual(twilio.credentials.map((c) => [c.sid, c.hash]), [
      [t.twilio.accountSid, sha256(t.twilio.authToken)],
      ...(t.twilio.apiKeys ?? []).map((k) => [k.sid, sha256(k.secret)]),
    ]);
    assert.deepEqual(twilio.services.map((v) => v.sid), (t.twilio.services ?? []).map((v) => v.sid));
    assert.ok(!stored[`tenant:${t.id}`].includes(t.twilio.authToken), 'an auth token in clear is stored');
  }
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

test('set guard: its keys and their kinds checked before writing (the worker checks the bounds); set createdAt dates an older record', async () => {
  const before = await namespaceContents();
  const bad = tenant('set', 'globex', 'guard', '{"mode": "on", "dailyRatio": "high", "colour": 1, "allowRanges": ["44"]}');
  assert.equal(bad.status, 1, bad.out);
  for (const p of ['colour: unknown key (known: mode, dailyRatio', 'mode must be "off", "record", "enforce" or null, not "on"', 'dailyRatio must be a number from 0 to 100, not "high"', 'allowRanges[0] "44" is not one of E.164 prefixes']) {
    assert.ok(bad.stderr.includes(p), `${p}\n${bad.stderr}`);
  }
  const badTime = tenant('set', 'globex', 'createdAt', '"2026-12-05"');
  assert.equal(badTime.status, 1, badTime.out);
  assert.match(badTime.stderr, /createdAt: must be a UTC time to the second \("2026-12-05T07:00:00Z"\), not "2026-12-05"/);
  assert.deepEqual(await namespaceContents(), before, 'nothing written');
  const guard = { mode: 'enforce', dailyRatio: 0.3, ipWindowMinutes: 1440, allowNumbers: ['+15005550006'], allowRanges: ['+4420'] };
  const ok = tenant('set', 'globex', 'guard', JSON.stringify(guard));
  assert.equal(ok.status, 0, ok.out);
  const dated = tenant('set', 'globex', 'createdAt', '"2026-11-27T08:00:00Z"');
  assert.equal(dated.status, 0, dated.out);
  const record = JSON.parse((await namespaceContents())['tenant:globex']);
  assert.deepEqual(record.guard, guard);
  assert.equal(record.createdAt, '2026-11-27T08:00:00Z');
});

/** The value after `<label>: ` on a line of the CLI's output (what it prints once). */
const printed = (out, label) => out.match(new RegExp(`^${label}: (\\S+)$`, 'm'))?.[1];
const twilioOf = (stored, id) => JSON.parse(stored[`tenant:${id}`]).twilio;

test('twilio-credentials: a new auth token for the account, printed once, stored as its SHA-256 in place of the previous one', async () => {
  const before = await namespaceContents();
  const previous = twilioOf(before, 'acme');
  const res = tenant('twilio-credentials', 'acme');
  assert.equal(res.status, 0, res.out);
  const accountSid = printed(res.stdout, 'account SID');
  const token = printed(res.stdout, 'auth token');
  assert.equal(accountSid, previous.accountSid, 'the account keeps its SID');
  assert.match(token, /^[0-9a-f]{32}$/);
  assert.match(res.stdout, /shown only this once/);
  assert.match(res.stdout, /the previous one no longer works/);

  const stored = await namespaceContents();
  const twilio = twilioOf(stored, 'acme');
  // One auth token: the account's credential is the new token's hash only.
  assert.deepEqual(twilio.credentials.filter((c) => c.sid === accountSid).map((c) => c.hash), [sha256(token)]);
  assert.ok(!twilio.credentials.some((c) => c.hash === sha256(exampleAcme.twilio.authToken)), 'the previous token is still listed');
  assert.deepEqual(twilio.credentials.filter((c) => c.sid !== accountSid), previous.credentials.filter((c) => c.sid !== accountSid), 'the API keys are untouched');
  assert.deepEqual(twilio.services, previous.services);
  assert.equal(stored[`twilio:${accountSid}`], 'acme');
  assert.ok(!Object.values(stored).some((v) => v.includes(token)), 'the token in clear is stored');

  const shown = tenant('show', 'acme');
  assert.equal(shown.status, 0, shown.out);
  assert.ok(!shown.out.includes(token), 'show printed the token');
  assert.deepEqual(JSON.parse(shown.stdout).twilio.credentials.find((c) => c.sid === accountSid).hash, sha256(token));

  const again = tenant('twilio-credentials', 'acme');
  assert.equal(again.status, 0, again.out);
  assert.notEqual(printed(again.stdout, 'auth token'), token, 'each run makes a new token');
});

test('twilio-credentials --api-key adds an API key (printed once); twilio-revoke removes it and its twilio: entry', async () => {
  const before = await namespaceContents();
  const previous = twilioOf(before, 'acme');
  const res = tenant('twilio-credentials', 'acme', '--api-key');
  assert.equal(res.status, 0, res.out);
  const keySid = printed(res.stdout, 'API key SID');
  const secret = printed(res.stdout, 'API key secret');
  assert.match(keySid, /^SK[0-9a-f]{32}$/);
  assert.match(secret, /^[0-9a-f]{32}$/);
  assert.equal(printed(res.stdout, 'account SID'), previous.accountSid, 'the SDKs need the account SID with a key');
  assert.equal(printed(res.stdout, 'auth token'), undefined, 'an API key does not touch the auth token');

  const added = await namespaceContents();
  const twilio = twilioOf(added, 'acme');
  assert.deepEqual(twilio.credentials.slice(0, -1), previous.credentials, 'the other credentials are kept');
  assert.deepEqual(twilio.credentials.at(-1).sid, keySid);
  assert.equal(twilio.credentials.at(-1).hash, sha256(secret));
  assert.equal(added[`twilio:${keySid}`], 'acme');
  assert.ok(!Object.values(added).some((v) => v.includes(secret)), 'the secret in clear is stored');

  const revoked = tenant('twilio-revoke', 'acme', keySid);
  assert.equal(revoked.status, 0, revoked.out);
  const after = await namespaceContents();
  assert.equal(after[`twilio:${keySid}`], undefined, 'the twilio: entry is left');
  assert.deepEqual(twilioOf(after, 'acme').credentials, previous.credentials);

  const unknown = tenant('twilio-revoke', 'acme', keySid);
  assert.equal(unknown.status, 1, unknown.out);
  assert.match(unknown.stderr, new RegExp(`tenant acme has no Twilio API key ${keySid}`));
  // The auth token is replaced (twilio-credentials), never removed; a SID must be one.
  const account = tenant('twilio-revoke', 'acme', previous.accountSid);
  assert.equal(account.status, 2, account.out);
  assert.match(account.stderr, /twilio-revoke removes API keys \(SK…\)/);
  const notSid = tenant('twilio-revoke', 'acme', keySid.toUpperCase());
  assert.equal(notSid.status, 2, notSid.out);
  assert.deepEqual(await namespaceContents(), after, 'nothing written');
});

test('a tenant without Twilio: twilio-service is refused; twilio-credentials gives it an account SID (with an API key only, or an auth token)', async () => {
  const created = tenant('create', 'hooli');
  assert.equal(created.status, 0, created.out);
  const before = await namespaceContents();
  const service = tenant('twilio-service', 'hooli', '--sid', `VA${hex32()}`, '--friendly-name', 'Hooli');
  assert.equal(service.status, 1, service.out);
  assert.match(service.stderr, /tenant hooli has no Twilio account yet: `twilio-credentials hooli` gives it one/);
  assert.deepEqual(await namespaceContents(), before, 'nothing written');

  const key = tenant('twilio-credentials', 'hooli', '--api-key');
  assert.equal(key.status, 0, key.out);
  const accountSid = printed(key.stdout, 'account SID');
  const keySid = printed(key.stdout, 'API key SID');
  assert.match(accountSid, /^AC[0-9a-f]{32}$/);
  let stored = await namespaceContents();
  assert.deepEqual(twilioOf(stored, 'hooli'), {
    accountSid,
    credentials: [{ sid: keySid, hash: sha256(printed(key.stdout, 'API key secret')), createdAt: twilioOf(stored, 'hooli').credentials[0].createdAt }],
    services: [],
  });
  // Only credentials have a twilio: entry: the account has no auth token yet.
  assert.deepEqual(Object.entries(stored).filter(([k, v]) => k.startsWith('twilio:') && v === 'hooli').map(([k]) => k), [`twilio:${keySid}`]);

  const token = tenant('twilio-credentials', 'hooli');
  assert.equal(token.status, 0, token.out);
  assert.equal(printed(token.stdout, 'account SID'), accountSid);
  stored = await namespaceContents();
  assert.deepEqual(twilioOf(stored, 'hooli').credentials.map((c) => [c.sid, c.hash]), [
    [keySid, twilioOf(stored, 'hooli').credentials[0].hash],
    [accountSid, sha256(printed(token.stdout, 'auth token'))],
  ]);
  assert.equal(stored[`twilio:${accountSid}`], 'hooli');
});

test('twilio-service imports a Verify service by its SID (show lists it), replaces it when run again, and refuses bad settings', async () => {
  const sid = `VA${hex32()}`;
  const previous = twilioOf(await namespaceContents(), 'acme');
  const res = tenant('twilio-service', 'acme', '--sid', sid, '--friendly-name', 'Acme Login', '--code-length', '8', '--lookup-enabled', '--do-not-share-warning');
  assert.equal(res.status, 0, res.out);
  assert.match(res.stdout, new RegExp(`imported Verify service ${sid} of tenant acme`));

  const shown = tenant('show', 'acme');
  assert.equal(shown.status, 0, shown.out);
  const { services } = JSON.parse(shown.stdout).twilio;
  assert.deepEqual(services.slice(0, -1), previous.services, 'the other services are kept');
  const imported = services.at(-1);
  assert.match(imported.dateCreated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(imported, { sid, friendlyName: 'Acme Login', codeLength: 8, lookupEnabled: true, doNotShareWarningEnabled: true, dateCreated: imported.dateCreated });

  // Again with the same SID: replaced (settings not given return to Twilio's defaults), first date kept.
  const replaced = tenant('twilio-service', 'acme', '--sid', sid, '--friendly-name', 'Acme');
  assert.equal(replaced.status, 0, replaced.out);
  assert.match(replaced.stdout, /replaced Verify service/);
  const after = await namespaceContents();
  assert.deepEqual(twilioOf(after, 'acme').services, [
    ...previous.services,
    { sid, friendlyName: 'Acme', codeLength: 6, lookupEnabled: false, doNotShareWarningEnabled: false, dateCreated: imported.dateCreated },
  ]);

  const bad = [
    [['--sid', sid.toUpperCase(), '--friendly-name', 'Acme'], /--sid: "VA[0-9A-F]{32}" is not a Verify service SID/],
    [['--sid', `VE${sid.slice(2)}`, '--friendly-name', 'Acme'], /--sid: "VE[0-9a-f]{32}" is not a Verify service SID/],
    [['--sid', sid, '--friendly-name', 'n'.repeat(33)], /--friendly-name: has 33 characters, it must have 1 to 32/],
    [['--sid', sid, '--friendly-name', 'Acme', '--code-length', '11'], /--code-length: must be a whole number from 4 to 10 \(6 when absent\), not 11/],
    [['--sid', sid, '--friendly-name', 'Acme', '--code-length', 'six'], /--code-length must be a whole number from 4 to 10, not "six"/],
    [['--sid', sid], /twilio-service needs --friendly-name/],
    [['--friendly-name', 'Acme'], /twilio-service needs --sid VA…/],
  ];
  for (const [args, message] of bad) {
    const refused = tenant('twilio-service', 'acme', ...args);
    assert.equal(refused.status, 2, `${args.join(' ')}: ${refused.out}`);
    assert.match(refused.stderr, message);
  }
  assert.deepEqual(await namespaceContents(), after, 'nothing written');
});

test('load-dev removes the twilio: entries the file does not hold (revoked keys, tenants taken out)', async () => {
  const before = await namespaceContents();
  assert.ok(Object.entries(before).some(([k, v]) => k.startsWith('twilio:') && v === 'hooli'), 'hooli (not in the file) has twilio: entries');
  const res = tenant('load-dev', example);
  assert.equal(res.status, 0, res.out);
  assert.match(res.stdout, /removed \d+ old entr/);
  const expected = devTenantsToEntries([exampleAcme, exampleGlobex]).map((e) => e.key);
  assert.deepEqual(Object.keys(await namespaceContents()).sort(), expected.sort());
});

// Only while worker/wrangler.toml holds the placeholder id (a real one means the deployed
// namespace exists, which tests must not touch).
const placeholder = /^\s*id\s*=\s*"0{32}"/m.test(readFileSync(join(root, 'worker', 'wrangler.toml'), 'utf8'));
test('without --local the deployed namespace is meant: refused while wrangler.toml has the placeholder id', { skip: !placeholder && 'wrangler.toml has a real id' }, () => {
  const remote = spawnSync(process.execPath, [join(root, 'scripts', 'tenant.mjs'), 'show', 'acme'], { cwd: root, encoding: 'utf8' });
  assert.equal(remote.status, 2, remote.stderr);
  assert.match(remote.stderr, /placeholder TENANTS namespace id: `npm run deploy` creates the namespace and writes its id/);
});
