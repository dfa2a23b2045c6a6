// A stand-in for the worker's TENANTS KV binding under Miniflare, with Cloudflare KV's
// behaviour that Miniflare lacks: a write (put or delete) of a key written less than 1 s
// before fails with 429, as on Cloudflare, and the test can make reads and writes fail while
// the worker runs. Underneath is a real Miniflare KV namespace (persisted if asked), so
// values, metadata, expiration and listing behave as Miniflare's.
//
// How: the worker under test gets TENANTS as a Miniflare "wrapped binding": a small JS module
// (STANDIN_SCRIPT) that receives the inner namespace (INNER) and a service binding to this
// Node process (CONTROL). Before each call it asks CONTROL, whose state lives here in Node,
// per Miniflare instance: the fault settings, the time of each key's last write, the counts.
// Keeping that state in Node makes the "< 1 s since the last write" check atomic (Node runs
// one request at a time) and lets the test change faults and read counts without going
// through the worker. Each KV call costs one extra local round trip (about a millisecond).
//
// Use: `startWithKvStandin(workerOptions, sharedOptions)` (or merge `kvStandinOptions()`
// yourself); `putTenants(mf, devTenants)` to set tenants up; `setKvFaults(mf, {...})`;
// `kvStats(mf)`.
import { Miniflare } from 'miniflare4';
import { devTenantsToEntries, nowIso } from '../../scripts/tenants-kv.mjs';

/** The binding's name in the worker. */
export const BINDING = 'TENANTS';
/** The inner namespace's id: wrangler.toml's, so a persisted `wrangler kv --local` state reads the same. */
export const NAMESPACE_ID = '00000000000000000000000000000000';
/** The worker that implements the wrapped binding (never the entry worker). */
export const STANDIN_WORKER = 'smsotp-kv-standin';
/** A worker with only the inner namespace, for Node's direct access (`innerNamespace`). */
export const ADMIN_WORKER = 'smsotp-kv-standin-admin';
/** Cloudflare accepts one write per second to a key. */
export const WRITE_INTERVAL_MS = 1000;

// The wrapped binding. Method names and arguments are the KV API that workers-rs' KvStore
// calls (get with {type, cacheTtl}, getWithMetadata, put with {expiration, expirationTtl,
// metadata}, delete, list with {prefix, cursor, limit}); a get of an array of keys (bulk
// get) is passed through as well. Errors read like workerd's: "KV PUT failed: 429 Too Many
// Requests".
const STANDIN_SCRIPT = `
class KvStandin {
  #inner;
  #control;
  constructor(env) {
    this.#inner = env.INNER;
    this.#control = env.CONTROL;
  }
  async #check(op, kind, key) {
    const res = await this.#control.fetch('http://kv-standin/check', {
      method: 'POST',
      body: JSON.stringify({ op, kind, key: typeof key === 'string' ? key : null }),
    });
    const { error } = await res.json();
    if (error) throw new Error(error);
  }
  async get(key, options) {
    await this.#check('GET', 'read', key);
    return this.#inner.get(key, options);
  }
  async getWithMetadata(key, options) {
    await this.#check('GET', 'read', key);
    return this.#inner.getWithMetadata(key, options);
  }
  async list(options) {
    await this.#check('LIST', 'read', null);
    return this.#inner.list(options);
  }
  async put(key, value, options) {
    await this.#check('PUT', 'write', String(key));
    return this.#inner.put(key, value, options);
  }
  async delete(key) {
    await this.#check('DELETE', 'write', String(key));
    return this.#inner.delete(key);
  }
}
export default function (env) {
  return new KvStandin(env);
}
`;

const STATUS_TEXT = { 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };
const failure = (op, status) => `KV ${op} failed: ${status} ${STATUS_TEXT[status]}`;

/** Per Miniflare instance: faults, last write time of each key, counts. */
const states = new WeakMap();
function stateOf(mf) {
  let s = states.get(mf);
  if (!s) {
    s = {
      faults: { read: null, write: null },
      lastWrite: new Map(),
      stats: { reads: 0, writes: 0, rejectedWrites: 0, failedReads: 0, failedWrites: 0 },
    };
    states.set(mf, s);
  }
  return s;
}

/** CONTROL: decides one KV call (`{ op, kind, key }`) → `{ error }` or `{}`; counts it. */
async function control(request, mf) {
  const { op, kind, key } = await request.json();
  const s = stateOf(mf);
  const answer = (error) => new Response(JSON.stringify(error ? { error } : {}), { headers: { 'Content-Type': 'application/json' } });
  if (kind === 'read') {
    if (s.faults.read) {
      s.stats.failedReads++;
      return answer(failure(op, s.faults.read));
    }
    s.stats.reads++;
    return answer();
  }
  if (s.faults.write) {
    s.stats.failedWrites++;
    return answer(failure(op, s.faults.write));
  }
  const now = Date.now();
  const last = s.lastWrite.get(key);
  if (last !== undefined && now - last < WRITE_INTERVAL_MS) {
    // A rejected write does not restart the key's second: Cloudflare counts accepted writes.
    s.stats.rejectedWrites++;
    return answer(failure(op, 429));
  }
  s.lastWrite.set(key, now);
  s.stats.writes++;
  return answer();
}

/**
 * The pieces to merge into Miniflare's options for a worker whose TENANTS is the stand-in:
 * `{ workerOptions, extraWorkers, sharedOptions }` — spread `workerOptions` into the
 * worker's own options (it sets `wrappedBindings.TENANTS`), append `extraWorkers` after it
 * in `workers: [...]`, spread `sharedOptions` into the top-level options. `persist`: a
 * directory for the inner namespace (Miniflare's `kvPersist`: for wrangler's local state,
 * `<state>/v3/kv`); in memory by default.
 */
export function kvStandinOptions({ persist } = {}) {
  return {
    workerOptions: { wrappedBindings: { [BINDING]: STANDIN_WORKER } },
    extraWorkers: [
      {
        name: STANDIN_WORKER,
        modules: true,
        script: STANDIN_SCRIPT,
        kvNamespaces: { INNER: NAMESPACE_ID },
        serviceBindings: { CONTROL: control },
      },
      { name: ADMIN_WORKER, modules: true, script: 'export default {}', kvNamespaces: { INNER: NAMESPACE_ID } },
    ],
    sharedOptions: persist === undefined ? {} : { kvPersist: persist },
  };
}

/**
 * A Miniflare running `workerOptions` (the worker under test: modules, scriptPath,
 * bindings, durableObjects, ...) with TENANTS bound to the stand-in, and `sharedOptions`
 * (cf, log, handleRuntimeStdio, durableObjectsPersist, ...) at the top level.
 */
export function startWithKvStandin(workerOptions, sharedOptions = {}, { persist } = {}) {
  const s = kvStandinOptions({ persist });
  return new Miniflare({
    ...sharedOptions,
    ...s.sharedOptions,
    workers: [
      { ...workerOptions, wrappedBindings: { ...workerOptions.wrappedBindings, ...s.workerOptions.wrappedBindings } },
      ...s.extraWorkers,
    ],
  });
}

/**
 * Turns faults on or off for the running worker (every call replaces the previous setting;
 * `setKvFaults(mf, {})` turns all off). `read`: true or a 5xx status (default 503) — get,
 * getWithMetadata and list throw `KV GET failed: 503 Service Unavailable`. `write`: 429 or a
 * 5xx status (true: 503) — put and delete throw `KV PUT failed: 429 Too Many Requests`.
 */
export function setKvFaults(mf, { read = false, write = false } = {}) {
  const status = (v, what) => {
    if (v === false || v === null || v === undefined) return null;
    const n = v === true ? 503 : Number(v);
    if (!STATUS_TEXT[n]) throw new TypeError(`setKvFaults: ${what} must be true, 429 (writes), 500 or 503, not ${v}`);
    if (what === 'read' && n === 429) throw new TypeError('setKvFaults: reads are not rate limited by KV; use 500 or 503');
    return n;
  };
  stateOf(mf).faults = { read: status(read, 'read'), write: status(write, 'write') };
}

/**
 * Counts since start: `{ reads, writes, rejectedWrites, failedReads, failedWrites }` —
 * reads/writes that reached the namespace, writes refused for the 1-per-second rule, calls
 * failed by `setKvFaults`. Direct writes (`putTenants`) are not counted.
 */
export function kvStats(mf) {
  return { ...stateOf(mf).stats };
}

/** The inner namespace itself (no checks, not counted), for setting up and inspecting. */
export function innerNamespace(mf) {
  return mf.getKVNamespace('INNER', ADMIN_WORKER);
}

/**
 * Writes dev-form tenants (as in worker/tenants.example.json: API keys in clear) into the
 * inner namespace as `load-dev` does — `tenant:<id>` records and `apikey:<hash>` entries —
 * and returns the entries written. Tenants are checked first (throws listing the problems).
 * Does not count as the worker's writes nor start their 1 s.
 */
export async function putTenants(mf, tenants) {
  const entries = devTenantsToEntries(tenants, nowIso());
  const ns = await innerNamespace(mf);
  for (const { key, value } of entries) await ns.put(key, value);
  return entries;
}
