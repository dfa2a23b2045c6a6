// Tenants in the TENANTS KV namespace: the layout the worker reads, the checks the CLI makes
// before writing, and the conversion of the dev form (worker/tenants.example.json: API keys
// in clear) into KV entries. Shared by scripts/tenant.mjs and the tests' KV stand-in
// (tests/worker/kv-standin.mjs), so that tests set tenants up exactly as `load-dev` does.
//
// Layout: `tenant:<id>` → the record (JSON, API keys as SHA-256 hashes only);
// `apikey:<hash>` → the tenant id; `pubkey:<publishable key>` → the tenant id (publishable
// keys are public by design, so stored as they are). The worker accepts a key only if its hash is also in the
// record's `apiKeys`, so removing it from the record revokes it.
import { createHash, randomBytes } from 'node:crypto';

/** Tenant ids: lower-case, digits, `_` and `-`, 1–63 characters, not starting with `_`/`-`. */
export const TENANT_ID_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** API keys shorter than this are refused (the worker refuses them too). */
export const MIN_KEY_LENGTH = 16;
/** The floors of the lock settings in `limits` (and NUMBER_LIMITS): the worker refuses past them too. */
export const MAX_FAILURES_BEFORE_LOCK = 100;
export const MIN_LOCK_SECONDS = 60;
/** Could this be an API key: 16 to 256 visible ASCII characters (the worker refuses others unread). */
export const isPlausibleApiKey = (key) => typeof key === 'string' && key.length >= MIN_KEY_LENGTH && key.length <= 256 && /^[\x21-\x7e]+$/.test(key);
/** Fields a record may hold; the policy ones are checked in detail by the worker only. */
export const POLICY_FIELDS = ['defaults', 'allowedCountries', 'blockedNumberTypes', 'limits', 'testNumbers', 'publishableKeys', 'browser', 'turnstileSiteKey', 'turnstileSecret', 'turnstile', 'allowAllCountries', 'channels', 'fallback', 'routes', 'deliveryTimeout', 'maxFailovers', 'deliveryCallbacks'];
/** Fields `set` may change (the API keys have their own commands). */
export const SETTABLE_FIELDS = [...POLICY_FIELDS, 'webhookSecret'];
const KNOWN_FIELDS = new Set(['id', 'apiKeys', 'webhookSecret', ...POLICY_FIELDS]);

/** `tenant:<id>`, the record's key. */
export const tenantKey = (id) => `tenant:${id}`;
/** `apikey:<hash>`, the key-lookup entry's key. */
export const apiKeyKey = (hash) => `apikey:${hash}`;
/** `pubkey:<key>`, a publishable key's lookup entry. */
export const publishableKeyKey = (key) => `pubkey:${key}`;

/** SHA-256 of the key's UTF-8, 64 lower-case hex digits: what KV stores instead of the key. */
export function sha256Hex(key) {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A key's id: `key_` + the first 8 hex digits of its hash (safe to show and log). */
export function keyIdOf(hash) {
  return `key_${hash.slice(0, 8)}`;
}

/** A new API key: `sk_` + 32 base64url characters (24 random bytes). */
export function newApiKey() {
  return `sk_${randomBytes(24).toString('base64url')}`;
}

/** A new webhook signing secret: `whsec_` + standard base64 of 32 random bytes. */
export function newWebhookSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Now, as the records store times: ISO 8601 to the second, UTC (`2026-11-27T08:00:00Z`). */
export function nowIso(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The record's entry for one key in clear: `{ id, hash, createdAt }`. */
export function apiKeyEntry(key, createdAt = nowIso()) {
  const hash = sha256Hex(key);
  return { id: keyIdOf(hash), hash, createdAt };
}

/** The webhook secret shown with all but its first 10 characters (`whsec_` + 4) masked. */
export function maskSecret(secret) {
  if (typeof secret !== 'string') return secret;
  return secret.slice(0, 10) + '*'.repeat(Math.max(0, secret.length - 10));
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const describe = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `"${v}"` : typeof v);

/** Problems of a webhook secret (`whsec_` + standard base64 of 16+ bytes), or []. */
export function webhookSecretProblems(secret) {
  if (typeof secret !== 'string') return [`must be a string "whsec_<base64>", not ${describe(secret)}`];
  if (!secret.startsWith('whsec_')) return ['must start with "whsec_"'];
  const b64 = secret.slice('whsec_'.length);
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return ['is not whsec_ + standard base64 (A-Z a-z 0-9 + /, = padding)'];
  const bytes = Buffer.from(b64, 'base64').length;
  if (bytes < 16) return [`holds ${bytes} bytes, at least 16 are needed`];
  return [];
}

/**
 * Problems of one policy field's JSON shape, or []. Only the shape (object / array / "*",
 * country codes, test-number keys): the worker checks the values in detail.
 */
export function policyFieldProblems(field, value) {
  switch (field) {
    case 'defaults':
      return isObject(value) ? [] : [`must be an object, not ${describe(value)}`];
    case 'limits': {
      if (!isObject(value)) return [`must be an object, not ${describe(value)}`];
      // The floors of the lock (the worker checks the rest in detail).
      const problems = [];
      const { failuresBeforeLock: failures, lockSeconds: lock } = value;
      if (typeof failures === 'number' && failures > MAX_FAILURES_BEFORE_LOCK) problems.push(`failuresBeforeLock must be at most ${MAX_FAILURES_BEFORE_LOCK}, not ${failures}`);
      if (typeof lock === 'number' && lock < MIN_LOCK_SECONDS) problems.push(`lockSeconds must be at least ${MIN_LOCK_SECONDS}, not ${lock}`);
      return problems;
    }
    case 'allowedCountries':
      if (value === '*') return [];
      if (!Array.isArray(value)) return [`must be "*" or an array of country codes, not ${describe(value)}`];
      return value.flatMap((c, i) =>
        typeof c === 'string' && /^[A-Z]{2}$/.test(c) ? [] : [`[${i}] ${describe(c)} is not a country code of two upper-case letters (e.g. "US")`],
      );
    case 'blockedNumberTypes':
      if (!Array.isArray(value)) return [`must be an array of number types, not ${describe(value)}`];
      return value.flatMap((t, i) => (typeof t === 'string' ? [] : [`[${i}] must be a string, not ${describe(t)}`]));
    case 'publishableKeys': {
      if (!Array.isArray(value)) return [`must be an array, not ${describe(value)}`];
      const seen = new Set();
      return value.flatMap((p, i) => {
        if (!(isObject(p) && typeof p.key === 'string' && p.key.startsWith('pk_') && Array.isArray(p.origins))) {
          return [`[${i}] must be { "key": "pk_…", "origins": ["https://…"] }`];
        }
        if (seen.has(p.key)) return [`[${i}] ${p.key} is listed twice`];
        seen.add(p.key);
        return [];
      });
    }
    case 'browser':
      return isObject(value) ? [] : [`must be an object, not ${describe(value)}`];
    case 'turnstileSiteKey':
    case 'turnstileSecret':
      return typeof value === 'string' && value !== '' ? [] : [`must be a non-empty string, not ${describe(value)}`];
    case 'turnstile':
      return value === 'off' ? [] : [`must be "off" (browser SMS without a bot check) or absent, not ${describe(value)}`];
    case 'allowAllCountries':
    case 'deliveryCallbacks':
      return typeof value === 'boolean' ? [] : [`must be true or false, not ${describe(value)}`];
    // Delivery (docs/delivery.md): their shape here; the worker checks their values.
    case 'channels':
    case 'fallback':
      return Array.isArray(value) && value.every((c) => ['sms', 'whatsapp', 'voice'].includes(c))
        ? [] : [`must be a list of sms, whatsapp, voice, not ${describe(value)}`];
    case 'routes':
      return isObject(value) && Object.values(value).every((l) => Array.isArray(l) && l.every((p) => typeof p === 'string'))
        ? [] : [`must be an object { "<country or *>": ["<provider>", …] }, not ${describe(value)}`];
    case 'deliveryTimeout':
      return Number.isInteger(value) || (isObject(value) && Object.values(value).every(Number.isInteger))
        ? [] : [`must be whole seconds, or { "<country or *>": seconds }, not ${describe(value)}`];
    case 'maxFailovers':
      return Number.isInteger(value) && value >= 0 ? [] : [`must be a whole number, not ${describe(value)}`];
    case 'testNumbers':
      if (!isObject(value)) return [`must be an object { "+<number>": "<pin>" }, not ${describe(value)}`];
      return Object.entries(value).flatMap(([number, pin]) => [
        ...(/^\+\d+$/.test(number) ? [] : [`key "${number}" must be "+" followed by digits (E.164)`]),
        ...(typeof pin === 'string' ? [] : [`"${number}": the PIN must be a string, not ${describe(pin)}`]),
      ]);
    default:
      return [`unknown field (known: ${[...KNOWN_FIELDS].join(', ')})`];
  }
}

/** Problems of the fields other than `apiKeys` shared by the dev form and the record. */
function commonProblems(t) {
  const problems = [];
  if (typeof t.id !== 'string' || !TENANT_ID_RE.test(t.id)) {
    problems.push(['id', `${describe(t.id)} is not a tenant id (${TENANT_ID_RE.source})`]);
  }
  if (t.webhookSecret === undefined) problems.push(['webhookSecret', 'is required']);
  else for (const p of webhookSecretProblems(t.webhookSecret)) problems.push(['webhookSecret', p]);
  for (const [field, value] of Object.entries(t)) {
    if (field === 'id' || field === 'apiKeys' || field === 'webhookSecret' || value === undefined) continue;
    for (const p of policyFieldProblems(field, value)) problems.push([field, p]);
  }
  // Publishable keys open the browser API to anyone: a bot check and the countries must be
  // decided explicitly (the worker refuses the browser API, 503 2132, otherwise).
  if (Array.isArray(t.publishableKeys) && t.publishableKeys.length > 0) {
    const turnstile = t.turnstileSiteKey !== undefined || t.turnstileSecret !== undefined;
    if (!turnstile && t.turnstile !== 'off') {
      problems.push(['publishableKeys', 'need a bot check: set turnstileSiteKey and turnstileSecret, or "turnstile": "off" to accept browser SMS without one']);
    }
    if (turnstile && t.turnstile === 'off') problems.push(['turnstile', 'is "off" but turnstileSiteKey/turnstileSecret are set: keep one']);
    if ((t.allowedCountries === undefined || t.allowedCountries === '*') && t.allowAllCountries !== true) {
      problems.push(['publishableKeys', 'need an explicit country list: set allowedCountries, or "allowAllCountries": true']);
    }
  }
  return problems;
}

/**
 * Every problem of a dev-form tenant list (an array of tenants whose `apiKeys` are keys in
 * clear), as readable lines naming the tenant (index and id) and the field; [] if it is good.
 */
export function devTenantsProblems(tenants) {
  if (!Array.isArray(tenants)) return [`the file must hold a JSON array of tenants, not ${describe(tenants)}`];
  const lines = [];
  const ids = new Map();
  const keys = new Map();
  const publishable = new Map();
  tenants.forEach((t, i) => {
    const name = `tenant ${i}${isObject(t) && typeof t.id === 'string' ? ` (${t.id})` : ''}`;
    if (!isObject(t)) {
      lines.push(`${name}: must be an object, not ${describe(t)}`);
      return;
    }
    const problems = commonProblems(t);
    if (typeof t.id === 'string') {
      if (ids.has(t.id)) problems.push(['id', `"${t.id}" is also tenant ${ids.get(t.id)}'s id`]);
      else ids.set(t.id, i);
    }
    if (!Array.isArray(t.apiKeys) || t.apiKeys.length === 0) {
      problems.push(['apiKeys', 'must be a non-empty array of API keys (strings, in clear in this file)']);
    } else {
      t.apiKeys.forEach((key, k) => {
        if (typeof key !== 'string') problems.push([`apiKeys[${k}]`, `must be a string, not ${describe(key)}`]);
        else if (key.length < MIN_KEY_LENGTH) problems.push([`apiKeys[${k}]`, `has ${key.length} characters, at least ${MIN_KEY_LENGTH} are needed`]);
        else if (!isPlausibleApiKey(key)) problems.push([`apiKeys[${k}]`, 'must be at most 256 visible ASCII characters (no spaces)']);
        else if (keys.has(key)) problems.push([`apiKeys[${k}]`, `is also ${keys.get(key)} (keys must be unique)`]);
        else keys.set(key, `${name} apiKeys[${k}]`);
      });
    }
    // A publishable key leads to one tenant (`pubkey:<key>`): another tenant cannot hold it.
    if (Array.isArray(t.publishableKeys)) {
      t.publishableKeys.forEach((p, k) => {
        if (!isObject(p) || typeof p.key !== 'string') return;
        const holder = publishable.get(p.key);
        if (holder !== undefined && holder !== name) problems.push([`publishableKeys[${k}]`, `${p.key} is also ${holder}'s (keys must be unique)`]);
        else publishable.set(p.key, name);
      });
    }
    for (const [field, p] of problems) lines.push(`${name}: ${field}: ${p}`);
  });
  return lines;
}

/** Every problem of a stored record (API keys as `{ id, hash, createdAt }`), as lines; [] if good. */
export function recordProblems(record) {
  if (!isObject(record)) return [`the record must be an object, not ${describe(record)}`];
  const problems = commonProblems(record);
  if (!Array.isArray(record.apiKeys)) problems.push(['apiKeys', 'must be an array']);
  else {
    record.apiKeys.forEach((k, i) => {
      if (!isObject(k) || typeof k.hash !== 'string' || !/^[0-9a-f]{64}$/.test(k.hash) || k.id !== keyIdOf(k.hash)) {
        problems.push([`apiKeys[${i}]`, 'must be { "id": "key_<8 hex>", "hash": "<64 lower-case hex>", "createdAt": … }']);
      }
    });
  }
  return problems.map(([field, p]) => `${field}: ${p}`);
}

/**
 * The record stored for a dev-form tenant: the same object with each key in clear replaced
 * by `{ id, hash, createdAt }` (`createdAt` given, so that a whole load has one time).
 */
export function devTenantToRecord(tenant, createdAt = nowIso()) {
  return { ...tenant, apiKeys: tenant.apiKeys.map((key) => apiKeyEntry(key, createdAt)) };
}

/** The KV entries of a record: `tenant:<id>` and one `apikey:<hash>` per key, `[{ key, value }]`. */
export function recordEntries(record) {
  return [
    { key: tenantKey(record.id), value: JSON.stringify(record) },
    ...record.apiKeys.map((k) => ({ key: apiKeyKey(k.hash), value: record.id })),
    ...(Array.isArray(record.publishableKeys) ? record.publishableKeys : [])
      .filter((p) => isObject(p) && typeof p.key === 'string')
      .map((p) => ({ key: publishableKeyKey(p.key), value: record.id })),
  ];
}

/** The KV entries of dev-form tenants (checked first: throws listing every problem). */
export function devTenantsToEntries(tenants, createdAt = nowIso()) {
  const problems = devTenantsProblems(tenants);
  if (problems.length) throw new Error(`bad tenants:\n  - ${problems.join('\n  - ')}`);
  return tenants.flatMap((t) => recordEntries(devTenantToRecord(t, createdAt)));
}

/** Whether a KV key belongs to the tenants layout (what `load-dev` replaces). */
export function isTenantsKey(key) {
  return key.startsWith('tenant:') || key.startsWith('apikey:') || key.startsWith('pubkey:');
}
