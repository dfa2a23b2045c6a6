// GET /v1/account (worker/src/handlers/account.rs) on workerd: a tenant's policy as the
// worker applies it — its record over the deployment's defaults — read-only, for the
// dashboard (/admin/). The answer holds no secret of a tenant that has every kind of one
// (API keys and their hashes, the webhook secret, publishable keys, Turnstile's keys,
// Twilio credentials and their hashes, test numbers' fixed PINs); each key sees its own
// tenant; no key, a wrong key and a publishable key are refused; it spends the tenant's
// minute like the other secret-key routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startWorker, call, KEYS, TENANTS } from './harness.mjs';
import { devTenantToRecord, recordEntries } from '../../scripts/tenants-kv.mjs';

const sha256 = (s) => createHash('sha256').update(s).digest('hex');

/** A tenant with every secret a record can hold, and a policy that differs from the defaults everywhere it can. */
const INITECH = {
  id: 'initech',
  apiKeys: ['initech-secret-key-0123456789', 'initech-second-key-9876543210'],
  webhookSecret: `whsec_${Buffer.from('initech-webhook-signing-secret-0123').toString('base64')}`,
  allowedCountries: ['FR', 'DE', 'GB'],
  blockedNumberTypes: ['PREMIUM_RATE', 'VOIP'],
  publishableKeys: [
    { key: 'pk_initech_live_0123456789abcdef', origins: ['https://shop.initech.example', 'http://localhost:*'] },
    { key: 'pk_initech_test_fedcba9876543210', origins: ['https://staging.initech.example'] },
  ],
  turnstileSiteKey: '0x4AAAAAAAinitechSiteKey01',
  turnstileSecret: '0x4AAAAAAAinitechSecretValue0123456789',
  testNumbers: { '+15005550009': 'QX7Z9K' },
  defaults: { from: 'Initech', ttl: 600, pinLength: 8 },
  limits: { sendsPerDay: 4, dailySendCap: 500, ipSendsPerHour: 0, resendCooldowns: [20, 40] },
  channels: ['sms', 'voice'],
  fallback: ['sms', 'voice'],
  routes: { '*': ['console'], DE: ['console'] },
  deliveryTimeout: { '*': 40, BR: 90 },
  maxFailovers: 2,
  deliveryCallbacks: true,
  browser: { ttl: 300, defaultCountry: 'FR', template: 'Initech code {{pin}}' },
  twilio: {
    accountSid: 'AC1e17ec0000000000000000000000a1b2',
    authToken: 'initech-twilio-auth-token-0123456789ab',
    apiKeys: [{ sid: 'SK1e17ec0000000000000000000000c3d4', secret: 'initech-twilio-api-key-secret-0123456' }],
    services: [{ sid: 'VA1e17ec0000000000000000000000e5f6', friendlyName: 'Initech' }],
  },
};
const RECORD = devTenantToRecord(INITECH);

/** Every secret of INITECH as given and as stored (hashes), each a string the answer must not hold. */
function secretsOf(tenant, record) {
  const found = new Set([
    ...tenant.apiKeys,
    tenant.webhookSecret,
    tenant.webhookSecret.slice('whsec_'.length),
    ...tenant.publishableKeys.map((k) => k.key),
    tenant.turnstileSiteKey,
    tenant.turnstileSecret,
    ...Object.values(tenant.testNumbers),
    tenant.twilio.authToken,
    ...tenant.twilio.apiKeys.map((k) => k.secret),
    ...record.apiKeys.flatMap((k) => [k.hash, k.id]),
    ...record.twilio.credentials.map((c) => c.hash),
    ...tenant.apiKeys.map(sha256),
  ]);
  return [...found];
}

let w;
before(async () => {
  w = await startWorker({ RATE_LIMIT_PER_MINUTE: '1000' }, { kvEntries: recordEntries(RECORD) });
});
after(async () => {
  await w?.dispose();
});

test('the policy of a tenant with every kind of secret: each field, and not one secret in the answer', async () => {
  const r = await call(w, 'GET', '/v1/account', undefined, INITECH.apiKeys[1]);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
  const a = r.body;
  assert.deepEqual(Object.keys(a).sort(), ['allowedCountries', 'blockedNumberTypes', 'browser', 'defaults', 'delivery', 'guard', 'id',
    'limits', 'maxParts', 'requestsPerMinute', 'testNumbers']);
  // The guard: no mode set, so the first week's record mode; no event yet.
  assert.deepEqual(Object.keys(a.guard).sort(), ['events', 'mode', 'modeSet', 'recordUntil', 'settings']);
  assert.deepEqual([a.guard.modeSet, a.guard.events], [null, []]);
  assert.equal(a.id, 'initech');
  assert.deepEqual(a.allowedCountries, ['DE', 'FR', 'GB']);
  assert.deepEqual(a.blockedNumberTypes, ['PREMIUM_RATE', 'VOIP']);
  assert.equal(a.defaults.from, 'Initech');
  assert.equal(a.defaults.ttl, 600);
  assert.equal(a.defaults.pinLength, 8);
  assert.equal(a.defaults.maxAttempts, 5, 'a default the record does not set: the deployment\'s');
  assert.equal(typeof a.maxParts, 'number');
  // Per-number and across-number limits in one object, under the record's keys: those the
  // record sets as it sets them, the others the deployment's (the harness turns the
  // per-number ones off in development: NUMBER_LIMITS=off).
  assert.deepEqual(Object.keys(a.limits).sort(), ['browserDailySendCap', 'dailySendCap', 'failuresBeforeLock', 'ipSendsPerHour',
    'ipv6Net48SendsPerHour', 'lockSeconds', 'prefixBlockSeconds', 'prefixUnverifiedPerHour', 'resendCooldowns', 'sendsPer10Minutes',
    'sendsPerDay', 'sendsPerOtp']);
  for (const [k, v] of Object.entries(INITECH.limits)) assert.deepEqual(a.limits[k], v, k);
  for (const [k, v] of Object.entries(a.limits)) {
    assert.ok(k === 'resendCooldowns' ? v.every(Number.isInteger) : Number.isInteger(v), `${k}: ${v}`);
  }
  assert.deepEqual(a.requestsPerMinute, { server: 1000, browser: 300 });
  assert.deepEqual(a.delivery, {
    channels: ['sms', 'voice'], fallback: ['sms', 'voice'], routes: { '*': ['console'], DE: ['console'] }, routesFrom: 'tenant',
    deliveryTimeout: { '*': 40, BR: 90 }, maxFailovers: 2, deliveryCallbacks: true,
  });
  // Publishable keys: their origins, never the keys; Turnstile: on, never its keys.
  assert.deepEqual(a.browser.publishableKeys, [
    { origins: ['https://shop.initech.example', 'http://localhost:*'] },
    { origins: ['https://staging.initech.example'] },
  ]);
  assert.equal(a.browser.turnstile, true);
  assert.deepEqual(a.browser.settings, { ttl: 300, defaultCountry: 'FR', template: 'Initech code {{pin}}' });
  assert.deepEqual(a.browser.problems, []);
  // Test numbers: the numbers, never their fixed PINs.
  assert.deepEqual(a.testNumbers, ['+15005550009']);

  const text = JSON.stringify(a);
  for (const secret of secretsOf(INITECH, RECORD)) {
    assert.ok(!text.includes(secret), `the answer holds a secret: ${secret.slice(0, 6)}…`);
  }
  for (const word of ['apiKeys', 'webhookSecret', 'hash', 'turnstileSecret', 'turnstileSiteKey', 'twilio', 'authToken', 'secret']) {
    assert.ok(!text.toLowerCase().includes(word.toLowerCase()), `the answer has a field ${word}`);
  }
});

test('each key sees its own tenant; a tenant whose record says little gets the deployment\'s policy', async () => {
  const acme = await call(w, 'GET', '/v1/account', undefined, KEYS.acme);
  assert.equal(acme.status, 200);
  assert.equal(acme.body.id, 'acme');
  assert.equal(acme.body.allowedCountries, '*');
  assert.deepEqual(acme.body.browser, { publishableKeys: [], turnstile: false, settings: {}, problems: [] });
  assert.deepEqual(acme.body.testNumbers, []);
  assert.equal(acme.body.delivery.routesFrom, 'deployment');
  assert.deepEqual(acme.body.delivery.routes, { '*': ['console'] }, 'the deployment\'s SMS_PROVIDER as a route');
  assert.deepEqual(acme.body.delivery.channels, ['sms']);
  // Bearer and X-API-KEY alike; the other test tenant sees itself.
  const globex = await w.fetch('/v1/account', { headers: { Authorization: `Bearer ${KEYS.globex}` } });
  assert.equal(globex.status, 200);
  assert.equal((await globex.json()).id, 'globex');
  const initech = await call(w, 'GET', '/v1/account', undefined, INITECH.apiKeys[0]);
  assert.equal(initech.body.id, 'initech');
  assert.equal(TENANTS.length, 2);
});

test('refused: no key (401), an unknown key (401), a publishable key (401, 2125); POST is 405', async () => {
  const none = await call(w, 'GET', '/v1/account', undefined, null);
  assert.equal(none.status, 401, JSON.stringify(none.body));
  const wrong = await call(w, 'GET', '/v1/account', undefined, 'initech-secret-key-0123456788');
  assert.equal(wrong.status, 401, JSON.stringify(wrong.body));
  const pk = await w.fetch('/v1/account', { headers: { Authorization: `Bearer ${INITECH.publishableKeys[0].key}` } });
  const pkBody = await pk.json();
  assert.deepEqual([pk.status, pkBody.error?.code], [401, 2125], JSON.stringify(pkBody));
  const post = await call(w, 'POST', '/v1/account', {}, KEYS.acme);
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET');
});

test('it spends the tenant\'s minute of the server API, as every secret-key route', async () => {
  const small = await startWorker({ RATE_LIMIT_PER_MINUTE: '3' });
  try {
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const r = await call(small, 'GET', '/v1/account', undefined, KEYS.globex);
      statuses.push(r.status);
      if (r.status === 200) assert.equal(r.headers.get('x-rate-limit-limit'), '3');
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  } finally {
    await small.dispose();
  }
});
