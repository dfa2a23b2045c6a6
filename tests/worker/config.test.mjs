// Configuration that does not fail quietly: every bad setting or (in development) bad tenant
// record, alone, makes GET /health answer 503 listing exactly that problem (the setting or
// tenant field named, no secret value in the body or the logs); a good configuration answers
// 200; an API request under a bad configuration answers 500 internal_error and logs the
// problems.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startWorker, call, KEYS, PIN_HASH_KEY, WEBHOOK_SECRET, TENANTS } from './harness.mjs';
import { devTenantToRecord, recordEntries } from '../../scripts/tenants-kv.mjs';

/** Secret values used below: none may appear in a response or a log line. */
const SECRETS = [KEYS.acme, KEYS.globex, PIN_HASH_KEY, WEBHOOK_SECRET, 'short-key-123', 'tw-token-secret-xyz', 'AC-sid-secret-xyz', 'vk-secret-xyz', 'vs-secret-xyz', 'cx-secret-xyz', 'tok3n-in-url', 'not%base64!!', 'whsec_c2hvcnQ=', 'pin-key-short'];

async function withWorker(vars, fn, options) {
  const w = await startWorker(vars, options);
  try {
    return await fn(w);
  } finally {
    await w.dispose();
  }
}

function assertNoSecrets(text, what) {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} contains the secret ${secret}: ${text}`);
}

const twilio = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC-sid-secret-xyz', TWILIO_AUTH_TOKEN: 'tw-token-secret-xyz' };
/** A good production configuration (Twilio at its https default). */
const production = { ENVIRONMENT: 'production', ...twilio };
/** The PIN_HASH_KEY of worker/.dev.vars.example: public. */
const EXAMPLE_PIN_HASH_KEY = readFileSync(new URL('../../worker/.dev.vars.example', import.meta.url), 'utf8').match(/^PIN_HASH_KEY=(.*)$/m)[1].trim();

// [what, vars over the harness's good defaults, the one problem expected]
const cases = [
  ['API_KEYS still set', { API_KEYS: `acme:${KEYS.acme}` }, "API_KEYS: no longer read (now tenants' apiKeys in KV; docs/operations.md: Tenants); remove it"],
  ['WEBHOOK_SECRET still set', { WEBHOOK_SECRET }, "WEBHOOK_SECRET: no longer read (now tenants' webhookSecret in KV; docs/operations.md: Tenants); remove it"],
  ['PIN_HASH_KEY unset', { PIN_HASH_KEY: undefined }, 'PIN_HASH_KEY: not set (16+ random bytes)'],
  ['PIN_HASH_KEY short', { PIN_HASH_KEY: 'pin-key-short' }, 'PIN_HASH_KEY: the PIN hash key must be at least 16 bytes'],
  ['ENVIRONMENT unknown', { ENVIRONMENT: 'staging', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.com/send' }, 'ENVIRONMENT: "staging" is neither production nor development'],
  ['SMS_PROVIDER unknown', { SMS_PROVIDER: 'twillio' }, 'SMS_PROVIDER: "twillio" is not one of twilio, vonage, smscx, webhook, console'],
  ['SMS_PROVIDER console in production', { ENVIRONMENT: 'production' }, 'SMS_PROVIDER: console (the default) is refused unless ENVIRONMENT=development: it logs each SMS, PIN included'],
  ['SMS_PROVIDER unset in production', { ENVIRONMENT: 'production', SMS_PROVIDER: undefined }, 'SMS_PROVIDER: console (the default) is refused unless ENVIRONMENT=development: it logs each SMS, PIN included'],
  ['twilio without its token', { ...twilio, TWILIO_AUTH_TOKEN: undefined }, 'TWILIO_AUTH_TOKEN: not set (SMS_PROVIDER=twilio needs it)'],
  ['vonage without its secret', { SMS_PROVIDER: 'vonage', VONAGE_API_KEY: 'vk-secret-xyz' }, 'VONAGE_API_SECRET: not set (SMS_PROVIDER=vonage needs it)'],
  ['smscx without its key', { SMS_PROVIDER: 'smscx' }, 'SMSCX_API_KEY: not set (SMS_PROVIDER=smscx needs it)'],
  ['webhook without its URL', { SMS_PROVIDER: 'webhook' }, 'SMS_WEBHOOK_URL: not set (SMS_PROVIDER=webhook needs it)'],
  ['SMS_TIMEOUT_MS not a number', { SMS_TIMEOUT_MS: '10s' }, 'SMS_TIMEOUT_MS: "10s" is not a whole number of milliseconds above 0'],
  ['SMS_TIMEOUT_MS zero', { SMS_TIMEOUT_MS: '0' }, 'SMS_TIMEOUT_MS: "0" is not a whole number of milliseconds above 0'],
  ['CALLBACK_BACKOFF_MS not numbers', { CALLBACK_BACKOFF_MS: '1s,2s' }, 'CALLBACK_BACKOFF_MS: "1s,2s" is not 1 to 10 comma-separated whole numbers of milliseconds above 0'],
  ['CALLBACK_BACKOFF_MS in production', { ENVIRONMENT: 'production', ...twilio, NUMBER_LIMITS: undefined, CALLBACK_BACKOFF_MS: '1000' }, 'CALLBACK_BACKOFF_MS: development only (production retries after 1, 5, 15, 30 and 30 minutes); remove it'],
  ['RATE_LIMIT_PER_MINUTE not a number', { RATE_LIMIT_PER_MINUTE: '-1' }, 'RATE_LIMIT_PER_MINUTE: "-1" is not a whole number (0 for no limit)'],
  ['PRICE_PER_PART not a number', { PRICE_PER_PART: '0,07' }, 'PRICE_PER_PART: "0,07" is not a number of 0 or more'],
  ['PRICE_PER_PART NaN', { PRICE_PER_PART: 'NaN' }, 'PRICE_PER_PART: "NaN" is not a number of 0 or more'],
  ['OTP_DEFAULTS bad field', { OTP_DEFAULTS: '{"defaults": {"ttl": "long"}}' }, 'OTP_DEFAULTS: defaults.ttl must be a whole number'],
  ['NUMBER_LIMITS unknown key', { NUMBER_LIMITS: '{"sendsPerDya": 3}' }, 'NUMBER_LIMITS: unknown number limit sendsPerDya'],
  ['TWILIO_BASE_URL relative', { ...twilio, TWILIO_BASE_URL: 'api.twilio.com' }, 'TWILIO_BASE_URL: not a valid absolute URL (relative URL without a base)'],
  ['SMS_WEBHOOK_URL not http(s)', { SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'ftp://sms.example.com/send?token=tok3n-in-url' }, 'SMS_WEBHOOK_URL: not an http or https URL'],
  ['DOCS_URL not a URL', { DOCS_URL: 'docs/api.md' }, 'DOCS_URL: not a valid absolute URL (relative URL without a base)'],
  // Settings that fail open: fine for development's local stand-ins, problems in production.
  ['NUMBER_LIMITS off in production', { ...production, NUMBER_LIMITS: 'off' }, 'NUMBER_LIMITS: off is for development only (ENVIRONMENT=development); production keeps the per-number and per-tenant limits: remove it, or set limits as JSON'],
  ['TURNSTILE_SITEVERIFY_URL a stand-in in production', { ...production, TURNSTILE_SITEVERIFY_URL: 'https://127.0.0.1:9/siteverify' }, "TURNSTILE_SITEVERIFY_URL: in production only Cloudflare's https://challenges.cloudflare.com/turnstile/v0/siteverify (another is for development's stand-ins); remove it"],
  ['TWILIO_BASE_URL http in production', { ...production, TWILIO_BASE_URL: 'http://127.0.0.1:9' }, 'TWILIO_BASE_URL: http is for development only (ENVIRONMENT=development); production needs https'],
  ['SMS_WEBHOOK_URL http in production', { ENVIRONMENT: 'production', SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'http://sms.example.com/send?token=tok3n-in-url' }, 'SMS_WEBHOOK_URL: http is for development only (ENVIRONMENT=development); production needs https'],
  ['PIN_HASH_KEY the example in production', { ...production, PIN_HASH_KEY: EXAMPLE_PIN_HASH_KEY }, 'PIN_HASH_KEY: the public example of worker/.dev.vars.example; set a random secret of 16+ bytes (wrangler secret put PIN_HASH_KEY)'],
  ['NUMBER_LIMITS lock shorter than its floor', { NUMBER_LIMITS: '{"lockSeconds": 5}' }, 'NUMBER_LIMITS: lockSeconds must be at least 60'],
  ['NUMBER_LIMITS more failures than its floor', { ...production, NUMBER_LIMITS: '{"failuresBeforeLock": 1000}' }, 'NUMBER_LIMITS: failuresBeforeLock must be at most 100'],
];

/**
 * globex as usual, and acme's record with `change` applied written as is (KV entries: the
 * dev-file checks of `npm run dev` would refuse it; here the worker must).
 */
const acmeWith = (change) => [TENANTS.slice(1), recordEntries(devTenantToRecord({ ...TENANTS[0], ...change }))];

// [what, tenants in KV (dev form), raw KV entries, the one problem expected]
const tenantCases = [
  ['webhookSecret without whsec_', ...acmeWith({ webhookSecret: WEBHOOK_SECRET.slice('whsec_'.length) }), 'tenant acme: webhookSecret: does not start with whsec_'],
  ['webhookSecret not base64', ...acmeWith({ webhookSecret: 'whsec_not%base64!!' }), 'tenant acme: webhookSecret: the part after whsec_ is not valid base64'],
  ['webhookSecret too short', ...acmeWith({ webhookSecret: 'whsec_c2hvcnQ=' }), 'tenant acme: webhookSecret: decodes to 5 bytes, fewer than 16'],
  ['webhookSecret missing', ...acmeWith({ webhookSecret: undefined }), 'tenant acme: webhookSecret is missing'],
  ['a record that is not JSON', TENANTS.slice(1), [{ key: 'tenant:acme', value: '{"id": "acme",' }], 'tenant acme: the record is not JSON (EOF while parsing a value at line 1 column 14)'],
  ['a record under another id', TENANTS.slice(1), [{ key: 'tenant:acme', value: JSON.stringify({ id: 'acme2', apiKeys: [], webhookSecret: WEBHOOK_SECRET }) }], 'tenant acme: id does not match its KV key'],
  ['a key hash that is not SHA-256 hex', TENANTS.slice(1), [{ key: 'tenant:acme', value: JSON.stringify({ id: 'acme', apiKeys: [{ id: 'k', hash: KEYS.acme }], webhookSecret: WEBHOOK_SECRET }) }], 'tenant acme: apiKeys[1].hash is not a SHA-256 hex digest (keys are stored hashed, never in clear)'],
  ['a country code that is not a region', ...acmeWith({ allowedCountries: ['FR', 'XX'] }), 'tenant acme: allowedCountries[1]: "XX" is not a known ISO 3166-1 region'],
  ['a limit that is not a number', ...acmeWith({ limits: { dailySendCap: 'lots' } }), 'tenant acme: limits.dailySendCap must be a whole number'],
  ['a lock past its floor', ...acmeWith({ limits: { failuresBeforeLock: 1000 } }), 'tenant acme: limits.failuresBeforeLock must be at most 100'],
  ['a publishable key without the pk_ prefix', ...acmeWith({ publishableKeys: [{ key: 'acme-public-0123456789', origins: ['https://shop.example'] }] }), 'tenant acme: publishableKeys[0].key: must start with pk_'],
  ['Turnstile site key without its secret', ...acmeWith({ turnstileSiteKey: '1x00000000000000000000AA' }), 'tenant acme: turnstileSiteKey and turnstileSecret go together (both non-empty strings, or neither)'],
  ['no tenant at all', [], [], 'TENANTS: no tenant (npm run dev loads worker/tenants.dev.json; npm run tenant -- create <id>)'],
];

describe('GET /health checks the configuration', () => {
  test('a good configuration answers 200 {"status":"ok"}, also in production with a real provider', async () => {
    for (const vars of [{}, { ENVIRONMENT: 'production', ...twilio, TWILIO_BASE_URL: 'https://api.twilio.com', OTP_DEFAULTS: '{"defaults": {"ttl": 600}}', NUMBER_LIMITS: undefined, SMS_TIMEOUT_MS: '5000', PRICE_PER_PART: '0.07', RATE_LIMIT_PER_MINUTE: '0' }]) {
      await withWorker(vars, async (w) => {
        const r = await call(w, 'GET', '/health', undefined, null);
        assert.deepEqual([r.status, r.body], [200, { status: 'ok' }], JSON.stringify(vars));
      });
    }
  });

  for (const [what, vars, problem] of cases) {
    test(`${what}: 503 listing exactly that problem, no secret value`, async () => {
      await withWorker(vars, async (w) => {
        const res = await w.fetch('/health');
        const text = await res.text();
        assert.equal(res.status, 503, text);
        assert.deepEqual(JSON.parse(text), { status: 'misconfigured', problems: [problem] });
        assertNoSecrets(text, 'the /health body');
        assertNoSecrets(w.logs.join('\n'), 'the logs');
      });
    });
  }

  for (const [what, tenants, kvEntries, problem] of tenantCases) {
    test(`tenant record, ${what}: 503 listing exactly that problem, no secret value`, async () => {
      await withWorker({}, async (w) => {
        const res = await w.fetch('/health');
        const text = await res.text();
        assert.equal(res.status, 503, text);
        assert.deepEqual(JSON.parse(text), { status: 'misconfigured', problems: [problem] });
        assertNoSecrets(text, 'the /health body');
        // acme's requests are refused without internals (500 for a bad record its key leads
        // to; 401 where no key leads to it); globex is served.
        if (tenants.length) {
          const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
          const indexed = kvEntries.some((e) => e.key.startsWith('apikey:'));
          const expected = indexed ? [500, 'internal_error'] : [401, 'invalid_api_key'];
          assert.deepEqual([r.status, r.body.error.type], expected, JSON.stringify(r.body));
          assertNoSecrets(JSON.stringify(r.body), 'the answer');
          assert.equal((await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' }, KEYS.globex)).status, 201);
        }
        await new Promise((res) => setTimeout(res, 100));
        assertNoSecrets(w.logs.join('\n'), 'the logs');
      }, { tenants, kvEntries });
    });
  }

  test('several bad settings: every problem is listed, in one answer', async () => {
    await withWorker({ API_KEYS: `acme:${KEYS.acme},oops`, PIN_HASH_KEY: undefined, ENVIRONMENT: 'prod' }, async (w) => {
      const r = await call(w, 'GET', '/health', undefined, null);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body.problems, [
        'ENVIRONMENT: "prod" is neither production nor development',
        'PIN_HASH_KEY: not set (16+ random bytes)',
        "API_KEYS: no longer read (now tenants' apiKeys in KV; docs/operations.md: Tenants); remove it",
        'SMS_PROVIDER: console (the default) is refused unless ENVIRONMENT=development: it logs each SMS, PIN included',
      ]);
    });
  });
});

describe('API requests under a bad configuration', () => {
  test('production with NUMBER_LIMITS=off: /health 503 naming it, a request 500 internal_error with no details', async () => {
    await withWorker({ ...production, NUMBER_LIMITS: 'off' }, async (w) => {
      const health = await call(w, 'GET', '/health', undefined, null);
      assert.equal(health.status, 503, JSON.stringify(health.body));
      assert.deepEqual(health.body.problems.map((p) => p.split(':')[0]), ['NUMBER_LIMITS'], JSON.stringify(health.body));
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
      assert.deepEqual([r.status, r.body.error.type, r.body.error.code], [500, 'internal_error', 500], JSON.stringify(r.body));
      assert.ok(!JSON.stringify(r.body).includes('NUMBER_LIMITS'), 'no internals in the response');
    });
  });

  test('500 internal_error with no details; the log line lists the problems, no secret value', async () => {
    const vars = { SMS_TIMEOUT_MS: 'soon', RATE_LIMIT_PER_MINUTE: 'many' };
    await withWorker(vars, async (w) => {
      // A valid key of a well-formed entry still gets no service: the deployment is broken.
      const r = await call(w, 'POST', '/otp', { phoneNumber: '+33612345678' });
      assert.deepEqual([r.status, r.body.error.type, r.body.error.code], [500, 'internal_error', 500]);
      assert.ok(!JSON.stringify(r.body).includes('SMS_TIMEOUT_MS'), 'no internals in the response');
      const status = await call(w, 'GET', '/otp/00000000-0000-4000-8000-000000000000');
      assert.equal(status.status, 500);
      await new Promise((res) => setTimeout(res, 100));
      const lines = w.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const internal = lines.filter((l) => l.event === 'internal');
      assert.equal(internal.length, 2, w.logs.join('\n'));
      for (const l of internal) {
        assert.deepEqual(l.problems, [
          'SMS_TIMEOUT_MS: "soon" is not a whole number of milliseconds above 0',
          'RATE_LIMIT_PER_MINUTE: "many" is not a whole number (0 for no limit)',
        ]);
      }
      assertNoSecrets(w.logs.join('\n'), 'the logs');
    });
  });
});
