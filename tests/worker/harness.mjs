// Runs the built worker (worker/build) on workerd through Miniflare's API, with local
// Durable Objects kept on disk (so a test can read every stored byte), and captures what the
// worker logs. Used by the worker tests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log, LogLevel } from 'miniflare4';
import { innerNamespace, putTenants, startWithKvStandin } from './kv-standin.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const KEYS = { acme: 'acme-test-key-0123456789', globex: 'globex-test-key-0123456789' };
/** Each tenant's own callback signing secret. */
export const WEBHOOK_SECRETS = {
  acme: 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5',
  globex: 'whsec_Z2xvYmV4LXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3ODk=',
};
/** acme's (the tenant most tests use). */
export const WEBHOOK_SECRET = WEBHOOK_SECRETS.acme;
/** The test tenants in the dev-file form (`worker/tenants.example.json`: keys in clear). */
export const TENANTS = [
  { id: 'acme', apiKeys: [KEYS.acme], webhookSecret: WEBHOOK_SECRETS.acme },
  { id: 'globex', apiKeys: [KEYS.globex], webhookSecret: WEBHOOK_SECRETS.globex },
];

export const PIN_HASH_KEY = 'test-pin-hash-key-0123456789abcdef';

/**
 * The vars of a worker whose browser API can issue tokens (it answers 503 2132 without):
 * `TOKEN_SIGNING_KEYS` with a new Ed25519 key named `kid`, and `PUBLIC_URL`.
 */
export function tokenVars(kid = 'test') {
  const { d, x } = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const keys = { keys: [{ kty: 'OKP', crv: 'Ed25519', d, x, kid, use: 'sig', alg: 'EdDSA' }] };
  return { TOKEN_SIGNING_KEYS: JSON.stringify(keys), PUBLIC_URL: 'https://otp.example' };
}

/** Every file under `dir`, recursively, as bytes (the Durable Objects' SQLite files). */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

// Reads every row of every SQLite database given, read-only, and prints each as one JSON
// line [file, table, values] (a BLOB as latin1 text).
const DUMP_ROWS_PY = `
import json, sqlite3, sys
for path in sys.argv[1:]:
    db = sqlite3.connect('file:' + path + '?mode=ro', uri=True)
    db.text_factory = lambda b: b.decode('latin1')
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in db.execute('SELECT * FROM "%s"' % table.replace('"', '""')):
            print(json.dumps([path, table, [v.decode('latin1') if isinstance(v, bytes) else v for v in row]]))
`;

/**
 * Every row of the SQLite databases under `dir` as a reader of them sees it, one string per
 * row: each value whole. The raw bytes of a file (filesUnder) split a long value across its
 * pages — a JSON text's timestamp "1796463194796" can read "179646" + page header +
 * "3194796" — so a scan of the bytes alone finds digit runs no row holds, and can miss a
 * value that straddles two pages.
 */
function sqliteRows(dir) {
  const paths = filesUnder(dir).map((f) => f.path).filter((p) => p.endsWith('.sqlite'));
  if (paths.length === 0) return [];
  const out = execFileSync('python3', ['-c', DUMP_ROWS_PY, ...paths], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

/**
 * Starts the worker with `vars` over the test defaults and `tenants` (dev-file form) in its
 * `TENANTS` KV namespace (plus `kvEntries`, raw `{key, value}`s); returns
 * { mf, fetch, logs, storedFiles, storedRows, dispose }.
 * `persist`: an existing directory to keep the Durable Objects in, left in place by `dispose`
 * (so a second worker on it sees the first one's objects, restarted); by default a fresh
 * temporary directory, removed by `dispose`.
 * `assets`: a folder served through the `ASSETS` binding with the worker first, as
 * wrangler.toml's `[assets]` does (`worker/public`, after scripts/build-demo.sh).
 * `outbound`: a function answering every `fetch` the worker makes (Miniflare's
 * `outboundService`), e.g. to keep a run on local addresses only.
 */
export async function startWorker(vars = {}, { persist, tenants = TENANTS, kvEntries = [], assets, outbound, ipLimit = 60 } = {}) {
  const logs = [];
  const storage = persist ?? mkdtempSync(join(tmpdir(), 'smsotp-do-'));
  // One entry per line: a chunk of the stream may end inside a line (or inside a UTF-8
  // character), whose rest comes with the next chunk.
  const capture = (stream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      logs.push(...lines.filter(Boolean));
    });
    stream.on('end', () => partial && logs.push(partial));
  };
  // The worker's TENANTS binding is the KV stand-in (kv-standin.mjs): a real Miniflare KV
  // namespace that also enforces Cloudflare's one write per second per key and fails on
  // demand (setKvFaults), which Miniflare alone does not. KV stays in memory: the tenants
  // are written at each start (storedFiles() scans only the Durable Objects).
  const mf = startWithKvStandin(
    {
      name: 'smsotp',
      modules: true,
      scriptPath: `${root}worker/build/index.js`,
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: '2026-08-01',
      durableObjects: {
        OTP_SHARD: { className: 'OtpShard', useSQLite: true },
        TENANT_LIMITER: { className: 'TenantLimiter', useSQLite: true },
        DEV_INBOX: { className: 'DevInbox', useSQLite: true },
      },
      ...(assets
        ? { assets: { directory: assets, binding: 'ASSETS', routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } } }
        : {}),
      ...(outbound ? { outboundService: outbound } : {}),
      // The browser API's per-IP budget, as wrangler.toml declares it (`ipLimit` changes
      // the limit for a test).
      ratelimits: { BROWSER_IP_LIMITER: { namespace_id: '1001', simple: { limit: ipLimit, period: 60 } } },
      // Tests that count SMS exactly, or create many OTPs for one number, run without the
      // per-number and per-tenant limits (NUMBER_LIMITS=off, development only: a worker
      // started in production gets the defaults unless `vars` says otherwise);
      // limits.test.mjs and abuse.test.mjs run with the defaults or their own
      // (`NUMBER_LIMITS: undefined` removes a binding).
      bindings: Object.fromEntries(Object.entries({
        ENVIRONMENT: 'development',
        SMS_PROVIDER: 'console',
        PIN_HASH_KEY,
        NUMBER_LIMITS: (vars.ENVIRONMENT ?? 'development') === 'development' ? 'off' : undefined,
        ...vars,
      }).filter(([, v]) => v !== undefined)),
    },
    {
      // No request.cf download from Cloudflare: tests run offline.
      cf: false,
      durableObjectsPersist: storage,
      log: new Log(LogLevel.WARN),
      handleRuntimeStdio(stdout, stderr) {
        capture(stdout);
        capture(stderr);
      },
    },
  );
  const url = await mf.ready;
  try {
    await putTenants(mf, tenants);
    const kv = await innerNamespace(mf);
    for (const { key, value } of kvEntries) await kv.put(key, value);
  } catch (e) {
    // A record the tenant tool refuses: no workerd left running (it would keep the test
    // process alive after its last test).
    await mf.dispose();
    if (!persist) rmSync(storage, { recursive: true, force: true });
    throw e;
  }
  return {
    mf,
    url: url.href.replace(/\/$/, ''),
    logs,
    storedFiles: () => filesUnder(storage),
    storedRows: () => sqliteRows(storage),
    fetch: (path, init) => mf.dispatchFetch(new URL(path, url).href, init),
    dispose: async () => {
      await mf.dispose();
      if (!persist) rmSync(storage, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `fn` until it returns a truthy value, and returns it (or throws after `ms`, naming
 * `what`): waiting for something the worker does on its own (an alarm, a checkpoint, a
 * report), never timing it.
 */
export async function until(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** JSON request helper: `call(w, 'POST', '/otp', body, key)` → { status, headers, body }. */
export async function call(w, method, path, body, key = KEYS.acme, headers = {}) {
  const res = await w.fetch(path, {
    method,
    headers: { ...(key ? { 'X-API-KEY': key } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json };
}

/** The 6-digit PIN at the end of an SMS's text. */
export const pinOfSms = (sms) => sms.text.match(/(\d{6})$/)[1];

/** A 429 with Retry-After equal to the envelope's retryAfter, within [min, max] seconds. */
export function assertRetryLater(r, code, [min, max]) {
  assert.equal(r.status, 429, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(r.body.error.type, 'rate_limit');
  const header = Number(r.headers.get('Retry-After'));
  assert.ok(header >= min && header <= max, `Retry-After ${header} not in [${min}, ${max}]`);
  assert.equal(r.body.error.retryAfter, header);
}

/** The PIN of an OTP, read from the console provider's log line (development only). */
export function pinFromLogs(logs, otpId) {
  for (const line of logs) {
    if (!line.includes('sms.console') || !line.includes(otpId)) continue;
    const m = line.match(/"text":"[^"]*?(\d{4,10})[^"\d]*"/);
    if (m) return m[1];
  }
  throw new Error(`no console SMS for ${otpId}`);
}
