// Tenants in the TENANTS KV namespace: the layout the worker reads, the checks the CLI makes
// before writing, and the conversion of the dev form (worker/tenants.example.json: API keys
// in clear) into KV entries. Shared by scripts/tenant.mjs and the tests' KV stand-in
// (tests/worker/kv-standin.mjs), so that tests set tenants up exactly as `load-dev` does.
//
// Layout: `tenant:<id>` → the record (JSON, API keys as SHA-256 hashes only);
// `apikey:<hash>` → the tenant id; `pubkey:<publishable key>` → the tenant id (publishable
// keys are public by design, so stored as they are). The worker accepts a key only if its hash is also in the
// record's `apiKeys`, so removing it from the record revokes it.
//
// The Twilio Verify API (issue 21, /work/notes/twilio-contract.md "Credentials") signs in
// with HTTP Basic: an account SID (`AC…`) and its auth token, or an API key SID (`SK…`) and
// its secret. The record's `twilio` holds the account SID, each credential as its SID and
// the SHA-256 of its token/secret, and the imported Verify services (`VA…`, kept by
// Twilio-era clients); `twilio:<AC… or SK…>` → the tenant id finds the tenant from the Basic
// user. As with API keys, a credential counts only while the record lists it.
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
export const POLICY_FIELDS = ['defaults', 'allowedCountries', 'blockedNumberTypes', 'limits', 'testNumbers', 'publishableKeys', 'browser', 'turnstileSiteKey', 'turnstileSecret', 'turnstile', 'allowAllCountries', 'channels', 'fallback', 'routes', 'deliveryTimeout', 'maxFailovers', 'deliveryCallbacks', 'guard'];
/**
 * Fields `set` may change (the API keys have their own commands). `createdAt` (written by
 * `create`; the adaptive guard only records during a tenant's first week after it) can be
 * set on a record written before records carried it.
 */
export const SETTABLE_FIELDS = [...POLICY_FIELDS, 'webhookSecret', 'createdAt'];
const KNOWN_FIELDS = new Set(['id', 'apiKeys', 'webhookSecret', 'twilio', 'createdAt', ...POLICY_FIELDS]);
/** The keys of a `guard` object (smsotp_edge::guard::GuardPolicy::KEYS), by kind. */
const GUARD_WHOLE = ['dailyFloor', 'dailyWindowHours', 'hourlyFloor', 'hourlyWindowHours', 'countryBlockFactor', 'rangeFloor', 'ipCountries', 'ipWindowMinutes', 'cooldownSeconds'];
const GUARD_RATIOS = ['dailyRatio', 'hourlyRatio', 'rangeRatio'];
export const GUARD_KEYS = ['mode', ...GUARD_RATIOS, ...GUARD_WHOLE, 'allowNumbers', 'allowRanges', 'eventsUrl'];

/** Twilio SIDs as Twilio and the worker write them: the kind's two letters, 32 lower-case hex digits. */
export const TWILIO_ACCOUNT_SID_RE = /^AC[0-9a-f]{32}$/;
export const TWILIO_API_KEY_SID_RE = /^SK[0-9a-f]{32}$/;
export const TWILIO_SERVICE_SID_RE = /^VA[0-9a-f]{32}$/;
/** A Twilio auth token or API key secret: 32 to 256 visible ASCII characters. */
export const MIN_TWILIO_SECRET_LENGTH = 32;
export const MAX_TWILIO_SECRET_LENGTH = 256;
/** A Verify service's `FriendlyName` (the `{name}` of its messages): 1 to 32 characters, as the worker takes it. */
export const MAX_FRIENDLY_NAME = 32;
/** A Verify service's `CodeLength`: 4 to 10 digits, 6 when not given (Twilio's default). */
export const MIN_CODE_LENGTH = 4;
export const MAX_CODE_LENGTH = 10;
export const DEFAULT_CODE_LENGTH = 6;
/** The keys of the `twilio` block in the dev form and in the record, and of their entries. */
const DEV_TWILIO_FIELDS = ['accountSid', 'authToken', 'apiKeys', 'services'];
const DEV_TWILIO_API_KEY_FIELDS = ['sid', 'secret'];
const DEV_TWILIO_SERVICE_FIELDS = ['sid', 'friendlyName', 'codeLength', 'lookupEnabled', 'doNotShareWarningEnabled'];
const TWILIO_FIELDS = ['accountSid', 'credentials', 'services'];
const TWILIO_CREDENTIAL_FIELDS = ['sid', 'hash', 'createdAt'];
const TWILIO_SERVICE_FIELDS = ['sid', 'friendlyName', 'codeLength', 'lookupEnabled', 'doNotShareWarningEnabled', 'dateCreated'];
/** Times as the records and Twilio's resources write them (`2026-12-05T07:00:00Z`). */
const ISO_SECONDS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** `tenant:<id>`, the record's key. */
export const tenantKey = (id) => `tenant:${id}`;
/** `apikey:<hash>`, the key-lookup entry's key. */
export const apiKeyKey = (hash) => `apikey:${hash}`;
/** `pubkey:<key>`, a publishable key's lookup entry. */
export const publishableKeyKey = (key) => `pubkey:${key}`;
/** `twilio:<AC… or SK…>`, a Twilio credential's lookup entry (the Basic user → the tenant). */
export const twilioKey = (sid) => `twilio:${sid}`;

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

/** A new Twilio SID of the kind `prefix` (`AC`, `SK`): the prefix and 32 lower-case hex digits (16 random bytes). */
export function newTwilioSid(prefix) {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** A new auth token or API key secret: 32 lower-case hex digits (16 random bytes), as Twilio's tokens look. */
export function newTwilioSecret() {
  return randomBytes(16).toString('hex');
}

/** The record's entry for one Twilio credential (its SID and the token/secret in clear): `{ sid, hash, createdAt }`. */
export function twilioCredentialEntry(sid, secret, createdAt = nowIso()) {
  return { sid, hash: sha256Hex(secret), createdAt };
}

/** The record's entry for an imported Verify service: the given settings, Twilio's defaults for the others. */
export function twilioServiceEntry({ sid, friendlyName, codeLength, lookupEnabled, doNotShareWarningEnabled }, dateCreated = nowIso()) {
  return {
    sid,
    friendlyName,
    codeLength: codeLength ?? DEFAULT_CODE_LENGTH,
    lookupEnabled: lookupEnabled ?? false,
    doNotShareWarningEnabled: doNotShareWarningEnabled ?? false,
    dateCreated,
  };
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

/** What a value is without showing it: for secrets, whose problems must never quote them. */
const kindOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** A setting's value as a problem shows it: numbers and booleans as written, absence as such. */
const describeSetting = (v) => (v === undefined ? 'absent' : typeof v === 'number' || typeof v === 'boolean' ? String(v) : describe(v));

/** `[key, problem]` for each key of `obj` not in `known`. */
const unknownKeyProblems = (obj, known) =>
  Object.keys(obj).filter((k) => !known.includes(k)).map((k) => [k, `unknown key (known: ${known.join(', ')})`]);

/** Problems of a Twilio SID of the kind `re` (`what`: e.g. "an account SID (AC…)"), or []. */
function twilioSidProblems(sid, re, what) {
  const prefix = re.source.slice(1, 3);
  if (sid === undefined) return [`is required: ${what}, "${prefix}" and 32 lower-case hex digits`];
  if (typeof sid !== 'string') return [`must be ${what}: "${prefix}" and 32 lower-case hex digits, not ${describe(sid)}`];
  if (!re.test(sid)) return [`${describe(sid)} is not ${what}: "${prefix}" and 32 lower-case hex digits`];
  return [];
}

/** Problems of an auth token or API key secret in clear (32–256 visible ASCII), never quoting it. */
export function twilioSecretProblems(secret) {
  if (secret === undefined) return [`is required: ${MIN_TWILIO_SECRET_LENGTH} to ${MAX_TWILIO_SECRET_LENGTH} visible ASCII characters`];
  if (typeof secret !== 'string') return [`must be a string, not ${kindOf(secret)}`];
  if (secret.length < MIN_TWILIO_SECRET_LENGTH) return [`has ${secret.length} characters, at least ${MIN_TWILIO_SECRET_LENGTH} are needed`];
  if (secret.length > MAX_TWILIO_SECRET_LENGTH || !/^[\x21-\x7e]+$/.test(secret)) {
    return [`must be at most ${MAX_TWILIO_SECRET_LENGTH} visible ASCII characters (no spaces)`];
  }
  return [];
}

/**
 * Problems of one Verify service, as `[field, problem]`: the dev form (`stored` false: only
 * `sid` and `friendlyName` required) or the record's (`stored`: every field, `dateCreated` too).
 */
export function twilioServiceProblems(service, { stored = false } = {}) {
  if (!isObject(service)) return [['', `must be an object { "sid": "VA…", "friendlyName": "…" }, not ${describe(service)}`]];
  const problems = unknownKeyProblems(service, stored ? TWILIO_SERVICE_FIELDS : DEV_TWILIO_SERVICE_FIELDS);
  for (const p of twilioSidProblems(service.sid, TWILIO_SERVICE_SID_RE, 'a Verify service SID')) problems.push(['sid', p]);
  const name = service.friendlyName;
  if (name === undefined) problems.push(['friendlyName', `is required: 1 to ${MAX_FRIENDLY_NAME} characters (the name in its messages)`]);
  else if (typeof name !== 'string') problems.push(['friendlyName', `must be a string of 1 to ${MAX_FRIENDLY_NAME} characters, not ${describe(name)}`]);
  else if ([...name].length === 0 || [...name].length > MAX_FRIENDLY_NAME) {
    problems.push(['friendlyName', `has ${[...name].length} characters, it must have 1 to ${MAX_FRIENDLY_NAME}`]);
  }
  const { codeLength } = service;
  if (codeLength === undefined ? stored : !(Number.isInteger(codeLength) && codeLength >= MIN_CODE_LENGTH && codeLength <= MAX_CODE_LENGTH)) {
    problems.push(['codeLength', `must be a whole number from ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH}${stored ? '' : ` (${DEFAULT_CODE_LENGTH} when absent)`}, not ${describeSetting(codeLength)}`]);
  }
  for (const flag of ['lookupEnabled', 'doNotShareWarningEnabled']) {
    const value = service[flag];
    if (value === undefined ? stored : typeof value !== 'boolean') problems.push([flag, `must be true or false, not ${describeSetting(value)}`]);
  }
  if (stored && !(typeof service.dateCreated === 'string' && ISO_SECONDS_RE.test(service.dateCreated))) {
    problems.push(['dateCreated', `must be a UTC time to the second ("2026-12-05T07:00:00Z"), not ${describeSetting(service.dateCreated)}`]);
  }
  return problems;
}

/** Twilio problems as `[field, problem]`, the field under `twilio.` (`twilio.services[0].sid`). */
const underTwilio = (path, problems) => problems.map(([field, p]) => [`twilio.${path}${field && path ? '.' : ''}${field}`, p]);

/** Every `[field, sid]` of a dev-form `twilio` block whose SID is a string (for the uniqueness checks). */
function devTwilioSids(twilio) {
  if (!isObject(twilio)) return [];
  const sids = [['twilio.accountSid', twilio.accountSid]];
  if (Array.isArray(twilio.apiKeys)) twilio.apiKeys.forEach((k, i) => sids.push([`twilio.apiKeys[${i}].sid`, isObject(k) ? k.sid : undefined]));
  if (Array.isArray(twilio.services)) twilio.services.forEach((s, i) => sids.push([`twilio.services[${i}].sid`, isObject(s) ? s.sid : undefined]));
  return sids.filter(([, sid]) => typeof sid === 'string');
}

/**
 * Problems of a dev-form `twilio` block (`accountSid`, `authToken` and API key secrets in
 * clear, `services` as settings), as `[field, problem]`. SIDs given twice, here or by
 * another tenant, are found by `devTenantsProblems`, which sees every tenant.
 */
export function devTwilioProblems(twilio) {
  if (!isObject(twilio)) return [['twilio', `must be an object { "accountSid": "AC…", "authToken": "…", "apiKeys": […], "services": […] }, not ${describe(twilio)}`]];
  const problems = underTwilio('', unknownKeyProblems(twilio, DEV_TWILIO_FIELDS));
  for (const p of twilioSidProblems(twilio.accountSid, TWILIO_ACCOUNT_SID_RE, 'an account SID')) problems.push(['twilio.accountSid', p]);
  if (twilio.authToken !== undefined) for (const p of twilioSecretProblems(twilio.authToken)) problems.push(['twilio.authToken', p]);
  if (twilio.apiKeys !== undefined) {
    if (!Array.isArray(twilio.apiKeys)) problems.push(['twilio.apiKeys', `must be an array of { "sid": "SK…", "secret": "…" }, not ${describe(twilio.apiKeys)}`]);
    else {
      twilio.apiKeys.forEach((key, i) => {
        const path = `apiKeys[${i}]`;
        if (!isObject(key)) {
          problems.push([`twilio.${path}`, `must be an object { "sid": "SK…", "secret": "…" }, not ${kindOf(key)}`]);
          return;
        }
        problems.push(...underTwilio(path, unknownKeyProblems(key, DEV_TWILIO_API_KEY_FIELDS)));
        for (const p of twilioSidProblems(key.sid, TWILIO_API_KEY_SID_RE, 'an API key SID')) problems.push([`twilio.${path}.sid`, p]);
        for (const p of twilioSecretProblems(key.secret)) problems.push([`twilio.${path}.secret`, p]);
      });
    }
  }
  if (twilio.services !== undefined) {
    if (!Array.isArray(twilio.services)) problems.push(['twilio.services', `must be an array of { "sid": "VA…", "friendlyName": "…" }, not ${describe(twilio.services)}`]);
    else twilio.services.forEach((s, i) => problems.push(...underTwilio(`services[${i}]`, twilioServiceProblems(s))));
  }
  return problems;
}

/**
 * Problems of a record's `twilio` block, the form the worker reads (`credentials` as SIDs and
 * hashes, `services` complete), as `[field, problem]`.
 */
export function twilioRecordProblems(twilio) {
  if (!isObject(twilio)) return [['twilio', `must be an object { "accountSid": "AC…", "credentials": […], "services": […] }, not ${describe(twilio)}`]];
  const problems = underTwilio('', unknownKeyProblems(twilio, TWILIO_FIELDS));
  for (const p of twilioSidProblems(twilio.accountSid, TWILIO_ACCOUNT_SID_RE, 'an account SID')) problems.push(['twilio.accountSid', p]);
  const seen = new Map();
  const once = (field, sid) => {
    if (typeof sid !== 'string') return;
    if (seen.has(sid)) problems.push([field, `${sid} is also twilio.${seen.get(sid)} (SIDs must be unique)`]);
    else seen.set(sid, field.slice('twilio.'.length));
  };
  if (!Array.isArray(twilio.credentials)) problems.push(['twilio.credentials', `must be an array of { "sid", "hash", "createdAt" }, not ${describe(twilio.credentials)}`]);
  else {
    twilio.credentials.forEach((c, i) => {
      const path = `twilio.credentials[${i}]`;
      if (!isObject(c)) {
        problems.push([path, `must be { "sid": "AC…|SK…", "hash": "<64 lower-case hex>", "createdAt": "…" }, not ${kindOf(c)}`]);
        return;
      }
      problems.push(...underTwilio(`credentials[${i}]`, unknownKeyProblems(c, TWILIO_CREDENTIAL_FIELDS)));
      if (typeof c.sid === 'string' && TWILIO_ACCOUNT_SID_RE.test(c.sid)) {
        // The account's own auth token: another account's SID would sign in as this tenant.
        if (c.sid !== twilio.accountSid) problems.push([`${path}.sid`, `${c.sid} is an account SID other than twilio.accountSid`]);
      } else if (!(typeof c.sid === 'string' && TWILIO_API_KEY_SID_RE.test(c.sid))) {
        problems.push([`${path}.sid`, `${describe(c.sid)} is neither the account SID nor an API key SID ("SK" and 32 lower-case hex digits)`]);
      }
      if (!(typeof c.hash === 'string' && /^[0-9a-f]{64}$/.test(c.hash))) {
        problems.push([`${path}.hash`, 'must be the SHA-256 of the token or secret, 64 lower-case hex digits (never the secret in clear)']);
      }
      if (!(typeof c.createdAt === 'string' && ISO_SECONDS_RE.test(c.createdAt))) {
        problems.push([`${path}.createdAt`, `must be a UTC time to the second ("2026-12-05T07:00:00Z"), not ${describeSetting(c.createdAt)}`]);
      }
      once(`${path}.sid`, c.sid);
    });
  }
  if (!Array.isArray(twilio.services)) problems.push(['twilio.services', `must be an array of services, not ${describe(twilio.services)}`]);
  else {
    twilio.services.forEach((s, i) => {
      problems.push(...underTwilio(`services[${i}]`, twilioServiceProblems(s, { stored: true })));
      if (isObject(s)) once(`twilio.services[${i}].sid`, s.sid);
    });
  }
  return problems;
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
    case 'createdAt':
      return typeof value === 'string' && ISO_SECONDS_RE.test(value) && !Number.isNaN(Date.parse(value))
        ? [] : [`must be a UTC time to the second ("2026-12-05T07:00:00Z"), not ${describeSetting(value)}`];
    case 'guard': {
      // The adaptive guard (docs/guard.md): its keys and their kinds here; the worker checks
      // the bounds.
      if (!isObject(value)) return [`must be an object, not ${describe(value)}`];
      const problems = unknownKeyProblems(value, GUARD_KEYS).map(([k, p]) => `${k}: ${p}`);
      if (value.mode !== undefined && ![null, 'off', 'record', 'enforce'].includes(value.mode)) {
        problems.push(`mode must be "off", "record", "enforce" or null, not ${describeSetting(value.mode)}`);
      }
      if (value.eventsUrl !== undefined && value.eventsUrl !== null && !(typeof value.eventsUrl === 'string' && /^https?:\/\/\S+$/i.test(value.eventsUrl))) {
        problems.push(`eventsUrl must be an http(s) URL or null, not ${describeSetting(value.eventsUrl)} (the worker also requires https to a public host outside development)`);
      }
      for (const k of GUARD_WHOLE) {
        if (value[k] !== undefined && !(Number.isInteger(value[k]) && value[k] >= 0)) problems.push(`${k} must be a whole number, not ${describeSetting(value[k])}`);
      }
      for (const k of GUARD_RATIOS) {
        if (value[k] !== undefined && !(typeof value[k] === 'number' && value[k] >= 0 && value[k] <= 100)) problems.push(`${k} must be a number from 0 to 100, not ${describeSetting(value[k])}`);
      }
      for (const [k, re, what] of [['allowNumbers', /^\+[1-9]\d{7,14}$/, 'numbers in E.164'], ['allowRanges', /^\+[1-9]\d{0,13}$/, 'E.164 prefixes ("+4420")']]) {
        if (value[k] === undefined) continue;
        if (!Array.isArray(value[k])) problems.push(`${k} must be an array of ${what}, not ${describe(value[k])}`);
        else value[k].forEach((n, i) => { if (!(typeof n === 'string' && re.test(n))) problems.push(`${k}[${i}] ${describe(n)} is not one of ${what}`); });
      }
      return problems;
    }
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

/** Problems of the fields other than `apiKeys` and `twilio` shared by the dev form and the record. */
function commonProblems(t) {
  const problems = [];
  if (typeof t.id !== 'string' || !TENANT_ID_RE.test(t.id)) {
    problems.push(['id', `${describe(t.id)} is not a tenant id (${TENANT_ID_RE.source})`]);
  }
  if (t.webhookSecret === undefined) problems.push(['webhookSecret', 'is required']);
  else for (const p of webhookSecretProblems(t.webhookSecret)) problems.push(['webhookSecret', p]);
  for (const [field, value] of Object.entries(t)) {
    // The keys and Twilio credentials differ between the dev form and the record: checked by each.
    if (field === 'id' || field === 'apiKeys' || field === 'webhookSecret' || field === 'twilio' || value === undefined) continue;
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
  const twilioSids = new Map();
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
    // A Twilio SID names one account, key or service: `twilio:<sid>` leads to one tenant.
    if (t.twilio !== undefined) {
      problems.push(...devTwilioProblems(t.twilio));
      for (const [field, sid] of devTwilioSids(t.twilio)) {
        if (twilioSids.has(sid)) problems.push([field, `${sid} is also ${twilioSids.get(sid)} (SIDs must be unique)`]);
        else twilioSids.set(sid, `${name} ${field}`);
      }
    }
    for (const [field, p] of problems) lines.push(`${name}: ${field}: ${p}`);
  });
  return lines;
}

/**
 * Every problem of a stored record (API keys as `{ id, hash, createdAt }`, Twilio credentials
 * as `{ sid, hash, createdAt }`), as lines; [] if good.
 */
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
  if (record.twilio !== undefined) problems.push(...twilioRecordProblems(record.twilio));
  return problems.map(([field, p]) => `${field}: ${p}`);
}

/**
 * A dev-form `twilio` block as the record holds it: the auth token (under the account SID)
 * and each API key secret as `{ sid, hash, createdAt }`, the services complete (Twilio's
 * defaults for what the file leaves out, `dateCreated` = `createdAt`).
 */
export function devTwilioToRecord(twilio, createdAt = nowIso()) {
  return {
    accountSid: twilio.accountSid,
    credentials: [
      ...(twilio.authToken !== undefined ? [twilioCredentialEntry(twilio.accountSid, twilio.authToken, createdAt)] : []),
      ...(twilio.apiKeys ?? []).map((k) => twilioCredentialEntry(k.sid, k.secret, createdAt)),
    ],
    services: (twilio.services ?? []).map((s) => twilioServiceEntry(s, createdAt)),
  };
}

/**
 * The record stored for a dev-form tenant: the same object with each key in clear replaced
 * by `{ id, hash, createdAt }` and its `twilio` block converted (`createdAt` given, so that
 * a whole load has one time).
 */
export function devTenantToRecord(tenant, createdAt = nowIso()) {
  const record = { createdAt, ...tenant, apiKeys: tenant.apiKeys.map((key) => apiKeyEntry(key, createdAt)) };
  if (tenant.twilio !== undefined) record.twilio = devTwilioToRecord(tenant.twilio, createdAt);
  return record;
}

/**
 * The KV entries of a record, `[{ key, value }]`: `tenant:<id>`, one `apikey:<hash>` per
 * key, one `pubkey:<key>` per publishable key and one `twilio:<sid>` per Twilio credential.
 */
export function recordEntries(record) {
  return [
    { key: tenantKey(record.id), value: JSON.stringify(record) },
    ...record.apiKeys.map((k) => ({ key: apiKeyKey(k.hash), value: record.id })),
    ...(isObject(record.twilio) && Array.isArray(record.twilio.credentials) ? record.twilio.credentials : [])
      .map((c) => ({ key: twilioKey(c.sid), value: record.id })),
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
  return key.startsWith('tenant:') || key.startsWith('apikey:') || key.startsWith('pubkey:') || key.startsWith('twilio:');
}
