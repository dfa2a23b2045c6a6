// A local stand-in for the Cloudflare API endpoints that wrangler 4.164 calls for
// `whoami`, `auth token`, `kv namespace list|create`, `secret list`, `deployments list`,
// `versions view` and `deploy` (a
// Worker with Durable Object migrations, a KV binding, a rate-limit binding, static assets
// and a workers.dev route), so that `npm run deploy` (scripts/deploy.mjs) can be tested end
// to end without an account:
//
//   CLOUDFLARE_API_BASE_URL=<standin.apiBase>   (ends in /client/v4, as wrangler expects)
//   CLOUDFLARE_API_TOKEN=<standin.token>  CLOUDFLARE_ACCOUNT_ID=<standin.accountId> (optional)
//
// Every answer is in Cloudflare's v4 envelope `{success, errors, messages, result}` (plus
// `result_info` on lists). The shapes follow Cloudflare's API reference
// (developers.cloudflare.com/api) and what wrangler reads of them (cloudflare/workers-sdk:
// packages/wrangler and packages/deploy-helpers, and its msw test handlers); each route below
// names its source. It keeps state — namespaces, scripts with their uploads, secrets,
// versions, deployments, migration tag, workers.dev subdomain — so a second run sees what
// the first one made, and records every request (`requests`; secret values included: this
// is a test server) so tests can assert what was called. A request it does not implement
// answers 404 with Cloudflare's routing error and is listed in `unhandled()`.
//
// `workersDevUrl`: a local HTTP server standing in for the deployed worker
// (https://<script>.<subdomain>.workers.dev): it runs the script's latest deployed upload
// (its modules and its bindings: vars, KV, Durable Objects, the rate limit) with the
// script's secrets on workerd (Miniflare), so what `GET /health` answers there is what the
// uploaded worker with those settings answers.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Log, LogLevel, Miniflare } from 'miniflare4';

const hex32 = () => randomBytes(16).toString('hex');
// Strictly increasing times, so that "the latest deployment" (wrangler sorts by created_on)
// is never a tie between two made in the same millisecond.
let lastTime = 0;
const now = () => new Date((lastTime = Math.max(Date.now(), lastTime + 1))).toISOString();

/** Cloudflare's v4 envelope. */
function envelope(result, resultInfo) {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}
/** A v4 error: `{success: false, errors: [{code, message}], messages: [], result: null}`. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
/** Workers' "script not found" (wrangler's WORKER_NOT_FOUND_ERR_CODE, 10007). */
const scriptNotFound = (name) => new ApiError(404, 10007, `workers.api.error.script_not_found: This Worker (${name}) does not exist on your account.`);

/** A list answer with the `result_info` of a single page holding everything. */
function page(items, perPage = Math.max(items.length, 20)) {
  return [items, { page: 1, per_page: perPage, count: items.length, total_count: items.length, total_pages: 1 }];
}

/**
 * Reads a multipart/form-data body (a script upload) with undici's parser: `{metadata,
 * parts: [{name, type, bytes}]}`.
 */
async function readUpload(req, body) {
  const form = await new Request('http://standin/', { method: 'POST', headers: { 'content-type': req.headers['content-type'] }, body }).formData();
  let metadata = null;
  const parts = [];
  for (const [name, value] of form.entries()) {
    if (name === 'metadata') {
      metadata = JSON.parse(typeof value === 'string' ? value : await value.text());
    } else if (typeof value === 'string') {
      parts.push({ name, type: 'text/plain', bytes: Buffer.from(value) });
    } else {
      parts.push({ name: value.name || name, field: name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  }
  return { metadata, parts };
}

/**
 * Starts the stand-in on 127.0.0.1. Options: `accountId`, `accountName`, `email`,
 * `subdomain` (the account's workers.dev subdomain; `null`: none registered, answered as
 * Cloudflare does with 10007), `token` (the API token it accepts; any other is refused with
 * 10000 "Authentication error"). Returns
 * `{ apiBase, token, accountId, workersDevUrl, requests, unhandled(), calls(method, pathRe),
 *    state, close() }`.
 */
export async function startCfApiStandin({
  accountId = hex32(),
  accountName = 'Test Account',
  email = 'ops@example.com',
  subdomain = 'smsotp-test',
  token = `standin-token-${hex32()}`,
} = {}) {
  const state = {
    /** id → {id, title, supports_url_encoding} */
    namespaces: new Map(),
    /** name → script (see newScript) */
    scripts: new Map(),
    subdomain,
  };
  const requests = [];
  const unhandled = [];
  const workerLogs = [];
  const used = new Set();

  const newScript = (name) => ({
    name,
    id: name,
    tag: hex32(),
    created_on: now(),
    modified_on: now(),
    /** The latest upload: `{metadata, parts}`. */
    upload: null,
    migrationTag: null,
    /** name → {name, type, text} */
    secrets: new Map(),
    versions: [],
    deployments: [],
    workersDev: false,
    previews: false,
    /** Bumped whenever what the deployed worker runs changes (upload, secrets, deployment). */
    generation: 0,
    settings: { logpush: false, tail_consumers: [], observability: null, tags: [] },
  });
  const script = (name) => {
    const s = state.scripts.get(name);
    if (!s) throw scriptNotFound(name);
    return s;
  };

  /**
   * A version's annotations from its upload's metadata (wrangler puts `--message` and `--tag`
   * there: workers/message, workers/tag), and what made it.
   */
  const versionAnnotations = (metadata) => {
    const given = metadata?.annotations ?? {};
    return {
      'workers/triggered_by': 'upload',
      ...(given['workers/message'] ? { 'workers/message': String(given['workers/message']).slice(0, 100) } : {}),
      ...(given['workers/tag'] ? { 'workers/tag': String(given['workers/tag']) } : {}),
    };
  };
  /** A new version of `s` from an upload (or of its latest one, for a secret change). */
  const addVersion = (s, annotations = {}) => {
    const version = {
      id: randomUUID(),
      number: s.versions.length + 1,
      annotations,
      metadata: { author_email: email, author_id: hex32(), created_on: now(), modified_on: now(), source: 'wrangler', hasPreview: false },
      upload: s.upload,
      secrets: new Map(s.secrets),
    };
    s.versions.push(version);
    return version;
  };
  const deploy = (s, versionIds, annotations = {}) => {
    const deployment = {
      id: randomUUID(),
      source: 'wrangler',
      strategy: 'percentage',
      author_email: email,
      created_on: now(),
      annotations,
      versions: versionIds.map((version_id) => ({ version_id, percentage: 100 / versionIds.length })),
    };
    s.deployments.unshift(deployment);
    s.generation++;
    return deployment;
  };

  // The worker shape of `PUT /accounts/{account_id}/workers/scripts/{script_name}`
  // (developers.cloudflare.com/api/resources/workers/subresources/scripts/methods/update:
  // `Script`: id, etag, handlers, modified_on, created_on, migration_tag, usage_model, …).
  const scriptResult = (s) => ({
    id: s.name,
    tag: s.tag,
    etag: hex32(),
    handlers: ['fetch'],
    compatibility_date: s.upload?.metadata?.compatibility_date,
    compatibility_flags: s.upload?.metadata?.compatibility_flags ?? [],
    created_on: s.created_on,
    modified_on: s.modified_on,
    has_assets: Boolean(s.upload?.metadata?.assets),
    has_modules: true,
    logpush: false,
    migration_tag: s.migrationTag ?? undefined,
    placement_mode: null,
    tail_consumers: null,
    usage_model: 'standard',
  });

  /**
   * Refuses bindings to KV namespaces the account does not have, as the API does: "KV
   * namespace '<id>' is not valid. Please verify the namespace_id in your configuration.
   * [code: 10042]" (quoted in cloudflare/workers-sdk issue 14249).
   */
  const checkBindings = (metadata) => {
    for (const b of metadata?.bindings ?? []) {
      if (b.type === 'kv_namespace' && !state.namespaces.has(b.namespace_id)) {
        throw new ApiError(400, 10042, `KV namespace '${b.namespace_id}' is not valid. Please verify the namespace_id in your configuration.`);
      }
    }
  };

  /** The secret_text bindings of an upload's metadata: name → {name, type, text}. */
  const secretsOf = (metadata) =>
    new Map((metadata?.bindings ?? []).filter((b) => b.type === 'secret_text').map((b) => [b.name, { name: b.name, type: 'secret_text', text: b.text }]));

  /** Applies an upload's `migrations` the way the API does: old_tag must match. */
  const applyMigrations = (s, migrations) => {
    if (!migrations) return;
    if ((migrations.old_tag ?? null) !== (s.migrationTag ?? null)) {
      throw new ApiError(400, 10079, `migration tag precondition failed: the script's tag is ${s.migrationTag ?? 'none'}, not ${migrations.old_tag ?? 'none'}`);
    }
    s.migrationTag = migrations.new_tag ?? s.migrationTag;
  };

  const assetSessions = new Map();

  // [method, path pattern, handler(match, ctx) → result | [result, result_info] | {raw}]
  const routes = [
    // wrangler whoami: GET /user/tokens/verify (developers.cloudflare.com/api/resources/user/
    // subresources/tokens/methods/verify: {id, status, expires_on?}).
    ['GET', /^\/user\/tokens\/verify$/, () => ({ id: hex32(), status: 'active' })],
    // GET /user (…/api/resources/user/methods/get: id, email, first_name, …).
    ['GET', /^\/user$/, () => ({ id: hex32(), email, first_name: null, last_name: null, two_factor_authentication_enabled: false, suspended: false })],
    // GET /accounts (…/api/resources/accounts/methods/list: id, name, type, settings,
    // created_on), paged by result_info.
    ['GET', /^\/accounts$/, () => page([{ id: accountId, name: accountName, type: 'standard', settings: { enforce_twofactor: false }, created_on: '2024-01-01T00:00:00Z' }])],
    // GET /memberships (…/api/resources/memberships/methods/list: id, status, account{id,name},
    // roles, permissions); wrangler intersects it with /accounts.
    ['GET', /^\/memberships$/, () => page([{ id: hex32(), status: 'accepted', account: { id: accountId, name: accountName }, roles: ['Super Administrator - All Privileges'] }])],

    // KV (…/api/resources/kv/subresources/namespaces/methods/list and /create: Namespace
    // {id, title, supports_url_encoding}; create refuses a title the account has, 400 with
    // code 10014, which wrangler reads as "already exists").
    ['GET', /^\/accounts\/([^/]+)\/storage\/kv\/namespaces$/, ({ query }) => {
      const all = [...state.namespaces.values()].sort((a, b) => a.title.localeCompare(b.title));
      const perPage = Number(query.get('per_page') ?? 20);
      const pageNo = Number(query.get('page') ?? 1);
      const items = all.slice((pageNo - 1) * perPage, pageNo * perPage);
      return [items, { page: pageNo, per_page: perPage, count: items.length, total_count: all.length, total_pages: Math.max(1, Math.ceil(all.length / perPage)) }];
    }],
    ['POST', /^\/accounts\/([^/]+)\/storage\/kv\/namespaces$/, ({ json }) => {
      const title = json?.title;
      if (typeof title !== 'string' || !title) throw new ApiError(400, 10019, 'title is required');
      if ([...state.namespaces.values()].some((n) => n.title === title)) throw new ApiError(400, 10014, 'a namespace with this account ID and title already exists');
      const ns = { id: hex32(), title, supports_url_encoding: true };
      state.namespaces.set(ns.id, ns);
      return ns;
    }],

    // Secrets: GET …/workers/scripts/{name}/secrets (…/api/resources/workers/subresources/
    // scripts/subresources/secrets/methods/list: [{name, type}], no values); the Worker
    // must exist (10007).
    ['GET', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/secrets$/, ({ m }) =>
      [...script(m[2]).secrets.values()].map(({ name, type }) => ({ name, type }))],

    // The script itself: PUT …/workers/scripts/{name} with multipart (a `metadata` JSON part:
    // main_module, bindings, compatibility_date, migrations, assets{jwt,config}, annotations;
    // then the modules) — …/api/resources/workers/subresources/scripts/methods/update; wrangler
    // sends it for a new Worker (and for the draft of `secret bulk`), or when migrations are
    // to be applied, with ?excludeScript=true&bindings_inherit=strict, and reads
    // `deployment_id`, `pipeline_hash`, `startup_time_ms` (deploy-helpers' upload).
    ['PUT', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)$/, async ({ m, req, raw }) => {
      const upload = await readUpload(req, raw);
      checkBindings(upload.metadata);
      const s = state.scripts.get(m[2]) ?? newScript(m[2]);
      applyMigrations(s, upload.metadata?.migrations);
      state.scripts.set(m[2], s);
      s.upload = upload;
      // Secrets sent with the upload (`deploy --secrets-file`: secret_text bindings) are
      // set with it; the others are kept (keep_bindings secret_text).
      for (const [n, sec] of secretsOf(upload.metadata)) s.secrets.set(n, sec);
      s.modified_on = now();
      const v = addVersion(s, versionAnnotations(upload.metadata));
      // The deployment this upload makes: whether it carries the upload's message is not
      // documented, so it does not here (a deployment's annotations are workers/message and
      // workers/triggered_by only; never workers/tag).
      deploy(s, [v.id], { 'workers/triggered_by': 'upload' });
      // `deployment_id` carries the new version's id (wrangler reads it as such:
      // deploy-helpers, "version id not deployment id").
      return { ...scriptResult(s), deployment_id: v.id, startup_time_ms: 10 };
    }],
    // POST …/workers/scripts/{name}/versions (…/scripts/subresources/versions/methods/create:
    // {id, number, metadata, resources{bindings, script}, startup_time_ms}) — an existing
    // Worker without migrations to apply; deployed by the next POST …/deployments.
    ['POST', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/versions$/, async ({ m, req, raw }) => {
      const s = script(m[2]);
      const upload = await readUpload(req, raw);
      checkBindings(upload.metadata);
      applyMigrations(s, upload.metadata?.migrations);
      const previous = s.upload;
      s.upload = upload;
      const v = addVersion(s, versionAnnotations(upload.metadata));
      for (const [n, sec] of secretsOf(upload.metadata)) v.secrets.set(n, sec); // live when deployed
      s.upload = previous; // not deployed yet
      s.pending = v;
      return { id: v.id, number: v.number, metadata: v.metadata, annotations: v.annotations, resources: { bindings: upload.metadata?.bindings ?? [], script: { etag: hex32(), handlers: ['fetch'] } }, startup_time_ms: 10 };
    }],
    // GET …/workers/scripts/{name}/deployments (…/scripts/subresources/deployments/methods/
    // list: {deployments: [{id, source, strategy, author_email, created_on, annotations,
    // versions: [{version_id, percentage}]}]}, latest first).
    ['GET', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/deployments$/, ({ m }) => ({ deployments: script(m[2]).deployments })],
    // POST …/deployments ({strategy, versions, annotations}) → the deployment.
    ['POST', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/deployments$/, ({ m, json }) => {
      const s = script(m[2]);
      const ids = (json?.versions ?? []).map((v) => v.version_id);
      const versions = ids.map((id) => s.versions.find((v) => v.id === id));
      if (!ids.length || versions.some((v) => !v)) throw new ApiError(400, 10000, 'unknown version');
      s.upload = versions[0].upload;
      s.secrets = new Map(versions[0].secrets);
      s.pending = null;
      s.modified_on = now();
      const message = json?.annotations?.['workers/message'];
      return deploy(s, ids, { 'workers/triggered_by': 'deployment', ...(message ? { 'workers/message': String(message).slice(0, 100) } : {}) });
    }],
    // GET …/workers/scripts/{name}/versions/{id} (…/scripts/subresources/versions/methods/get:
    // {id, number, metadata, resources{bindings, script, script_runtime}}; `annotations`
    // {workers/message, workers/tag, workers/triggered_by} as the Workers API's Version has
    // them and as wrangler's `versions view` reads them). Secret values are not returned.
    ['GET', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/versions\/([^/]+)$/, ({ m }) => {
      const v = script(m[2]).versions.find((x) => x.id === m[3]);
      if (!v) throw new ApiError(404, 10222, 'version not found');
      const md = v.upload?.metadata ?? {};
      return {
        id: v.id,
        number: v.number,
        metadata: v.metadata,
        annotations: v.annotations,
        resources: {
          bindings: (md.bindings ?? []).map((b) => (b.type === 'secret_text' ? { name: b.name, type: b.type } : b)),
          script: { etag: hex32(), handlers: ['fetch'], last_deployed_from: 'wrangler' },
          script_runtime: { compatibility_date: md.compatibility_date, compatibility_flags: md.compatibility_flags ?? [], usage_model: 'standard' },
        },
      };
    }],
    // PATCH …/script-settings (logpush, tail_consumers, observability, tags) → the settings.
    ['PATCH', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/script-settings$/, ({ m, json }) => {
      const s = script(m[2]);
      Object.assign(s.settings, json ?? {});
      return s.settings;
    }],
    // GET …/workers/scripts/{name}/settings (…/scripts/subresources/settings/methods/get:
    // bindings, compatibility_date, …); wrangler's provisioning step reads the bindings.
    ['GET', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/settings$/, ({ m }) => {
      const s = script(m[2]);
      // Secret values are never returned: {name, type} only.
      const bindings = (s.upload?.metadata?.bindings ?? []).map((b) => (b.type === 'secret_text' ? { name: b.name, type: b.type } : b));
      return { bindings, compatibility_date: s.upload?.metadata?.compatibility_date, compatibility_flags: [], ...s.settings };
    }],
    // GET …/workers/services/{name} (the service: default_environment.script with
    // migration_tag and last_deployed_from — what deploy-helpers' getMigrationsToUpload and
    // preUploadApiChecks read; shape from wrangler's msw handler mswSuccessLastDeployment).
    ['GET', /^\/accounts\/([^/]+)\/workers\/services\/([^/]+)$/, ({ m }) => {
      const s = script(m[2]);
      return {
        id: s.name,
        default_environment: {
          environment: 'production',
          created_on: s.created_on,
          modified_on: s.modified_on,
          script: { ...scriptResult(s), last_deployed_from: 'wrangler', migration_tag: s.migrationTag ?? undefined },
        },
        created_on: s.created_on,
        modified_on: s.modified_on,
      };
    }],

    // workers.dev: GET /accounts/{a}/workers/subdomain (…/workers/subresources/subdomains/
    // methods/get: {subdomain}; none registered → 10007).
    ['GET', /^\/accounts\/([^/]+)\/workers\/subdomain$/, () => {
      if (!state.subdomain) throw new ApiError(404, 10007, 'workers.api.error.subdomain_not_found');
      return { subdomain: state.subdomain };
    }],
    // GET /accounts/{a}/workers/workers/{name} (the Workers API's Worker,
    // …/api/resources/workers/subresources/beta/subresources/workers/methods/get: id, name,
    // created_on, updated_on, logpush, observability, subdomain{enabled, previews_enabled},
    // tags, tail_consumers, references); wrangler's deploy reads `subdomain` (and its `url`
    // when present) before enabling workers.dev.
    ['GET', /^\/accounts\/([^/]+)\/workers\/workers\/([^/]+)$/, ({ m }) => {
      const s = script(m[2]);
      return {
        id: s.tag,
        name: s.name,
        created_on: s.created_on,
        updated_on: s.modified_on,
        logpush: false,
        observability: { enabled: false },
        subdomain: { enabled: s.workersDev, previews_enabled: s.previews },
        tags: [],
        tail_consumers: [],
        references: { dispatch_namespace_outbounds: [], domains: [], durable_objects: [], queues: [], workers: [] },
      };
    }],
    // POST …/workers/scripts/{name}/subdomain {enabled, previews_enabled} (…/scripts/
    // subresources/subdomain/methods/create: the same fields back); wrangler sends it with
    // the header Cloudflare-Workers-Script-Api-Date.
    ['POST', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/subdomain$/, ({ m, json }) => {
      const s = script(m[2]);
      s.workersDev = Boolean(json?.enabled);
      s.previews = Boolean(json?.previews_enabled);
      return { enabled: s.workersDev, previews_enabled: s.previews };
    }],

    // Static assets: POST …/workers/scripts/{name}/assets-upload-session {manifest: {path:
    // {hash, size}}} → {jwt, buckets: [[hash, …]]} (…/scripts/subresources/assets/
    // subresources/upload/methods/create); every file is asked for on a first upload, none
    // already known; an empty list of buckets comes with the completion jwt.
    ['POST', /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/assets-upload-session$/, ({ json }) => {
      const hashes = [...new Set(Object.values(json?.manifest ?? {}).map((f) => f.hash))];
      const jwt = `upload-${hex32()}`;
      const missing = hashes.filter((h) => !state.knownAssets?.has(h));
      assetSessions.set(jwt, new Set(missing));
      return missing.length ? { jwt, buckets: [missing] } : { jwt: `completion-${hex32()}`, buckets: [] };
    }],
    // POST /accounts/{a}/workers/assets/upload?base64=true, multipart of base64 files named
    // by hash, Authorization: Bearer <upload jwt> (…/workers/subresources/assets/
    // subresources/upload/methods/create) → {jwt} once every file of the session arrived.
    ['POST', /^\/accounts\/([^/]+)\/workers\/assets\/upload$/, async ({ req, raw }) => {
      const jwt = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const pending = assetSessions.get(jwt);
      if (!pending) throw new ApiError(401, 10000, 'Authentication error: unknown upload session');
      const { parts } = await readUpload(req, raw);
      state.knownAssets ??= new Set();
      for (const p of parts) {
        pending.delete(p.field ?? p.name);
        state.knownAssets.add(p.field ?? p.name);
      }
      return pending.size ? {} : { jwt: `completion-${hex32()}` };
    }],
  ];

  /** Whether the request carries the token (Bearer) this stand-in accepts. */
  const authorized = (req) => req.headers.authorization === `Bearer ${token}` || /\/workers\/assets\/upload$/.test(req.url.split('?')[0]);

  const faults = []; // { method, re, status, code, message }
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/client\/v4/, '');
    let json;
    if (/json/.test(req.headers['content-type'] ?? '') && raw.length) {
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    const record = { method: req.method, path, query: Object.fromEntries(url.searchParams), contentType: req.headers['content-type'] ?? null, json, size: raw.length, status: 0 };
    requests.push(record);
    const send = (status, body) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!url.pathname.startsWith('/client/v4/')) return send(404, { success: false, errors: [{ code: 7000, message: 'No route for that URI' }], messages: [], result: null });
    if (!authorized(req)) return send(403, { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null });
    const route = routes.find(([method, re]) => method === req.method && re.test(path));
    if (route) used.add(route);
    // An injected failure (`failNext`): the next request of that method and path answers it.
    const fault = faults.findIndex((f) => f.method === req.method && f.re.test(path));
    if (fault >= 0) {
      const [{ status, code, message }] = faults.splice(fault, 1);
      return send(status, { success: false, errors: [{ code, message }], messages: [], result: null });
    }
    if (!route) {
      unhandled.push(`${req.method} ${path}`);
      return send(404, { success: false, errors: [{ code: 7003, message: 'Could not route to ' + path + ', perhaps your object identifier is invalid?' }], messages: [], result: null });
    }
    try {
      const out = await route[2]({ m: path.match(route[1]), query: url.searchParams, json, req, raw });
      const [result, info] = Array.isArray(out) && out.length === 2 && Array.isArray(out[0]) ? out : [out, undefined];
      send(200, envelope(result, info));
    } catch (e) {
      if (!(e instanceof ApiError)) {
        send(500, { success: false, errors: [{ code: 10013, message: `stand-in error: ${e.message}` }], messages: [], result: null });
        return;
      }
      send(e.status, { success: false, errors: [{ code: e.code, message: e.message }], messages: [], result: null });
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const apiBase = `http://127.0.0.1:${server.address().port}/client/v4`;

  // ---- the deployed worker (workers.dev) ----
  let running = null; // { name, generation, mf, dir }
  const stopRunning = async () => {
    if (!running) return;
    const r = running;
    running = null;
    await r.mf.dispose();
    rmSync(r.dir, { recursive: true, force: true });
  };
  /**
   * Miniflare for the script's deployed upload and secrets: the running one, the one being
   * started (a request that comes while it starts waits for it, rather than starting a
   * second one), or a new one, started after any start under way.
   */
  let starting = null; // { name, generation, promise }
  const workerFor = (name) => {
    const s = state.scripts.get(name);
    if (!s?.upload || !s.workersDev) return Promise.resolve(null);
    if (running && running.name === name && running.generation === s.generation) return Promise.resolve(running.mf);
    if (starting && starting.name === name && starting.generation === s.generation) return starting.promise;
    const previous = starting ? starting.promise.catch(() => {}) : Promise.resolve();
    const promise = previous.then(() => startWorker(name));
    const entry = { name, generation: s.generation, promise };
    starting = entry;
    promise.then(
      () => starting === entry && (starting = null),
      () => starting === entry && (starting = null),
    );
    return promise;
  };
  /** Starts (or reuses) Miniflare for the script's deployed upload and secrets. */
  const startWorker = async (name) => {
    const s = state.scripts.get(name);
    if (!s?.upload || !s.workersDev) return null;
    if (running && running.name === name && running.generation === s.generation) return running.mf;
    await stopRunning();
    const dir = mkdtempSync(join(tmpdir(), 'smsotp-standin-worker-'));
    const { metadata, parts } = s.upload;
    for (const p of parts) {
      if (!p.name || p.name.includes('..')) continue;
      mkdirSync(dirname(join(dir, p.name)), { recursive: true });
      writeFileSync(join(dir, p.name), p.bytes);
    }
    const bindings = {};
    const kvNamespaces = {};
    const durableObjects = {};
    const ratelimits = {};
    for (const b of metadata.bindings ?? []) {
      if (b.type === 'plain_text' || b.type === 'secret_text') bindings[b.name] = b.text;
      else if (b.type === 'json') bindings[b.name] = b.json;
      else if (b.type === 'kv_namespace') kvNamespaces[b.name] = b.namespace_id;
      else if (b.type === 'durable_object_namespace') durableObjects[b.name] = { className: b.class_name, useSQLite: true };
      else if (b.type === 'ratelimit') ratelimits[b.name] = { namespace_id: b.namespace_id, simple: b.simple };
    }
    // Secrets are the script's (set with an upload), kept by every later upload.
    for (const { name: n, text } of s.secrets.values()) bindings[n] = text;
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(dir, metadata.main_module),
      // Module names relative to the upload's folder (Miniflare's default root is the
      // working directory, which a temporary folder is outside of).
      modulesRoot: dir,
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: metadata.compatibility_date,
      compatibilityFlags: metadata.compatibility_flags ?? [],
      bindings,
      kvNamespaces,
      durableObjects,
      ratelimits,
      cf: false,
      log: new Log(LogLevel.WARN),
      // The worker's log lines, kept (not on this process's stdout, which a test runner reads).
      handleRuntimeStdio(stdout, stderr) {
        for (const stream of [stdout, stderr]) stream.on('data', (chunk) => workerLogs.push(...chunk.toString().split('\n').filter(Boolean)));
      },
    });
    await mf.ready;
    running = { name, generation: s.generation, mf, dir };
    return mf;
  };
  const devServer = createServer(async (req, res) => {
    try {
      const name = [...state.scripts.keys()].find((n) => state.scripts.get(n).workersDev);
      const mf = name ? await workerFor(name) : null;
      if (!mf) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('There is nothing here yet (stand-in: no worker deployed to workers.dev)');
        return;
      }
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const answer = await mf.dispatchFetch(`http://${name}.${state.subdomain}.workers.dev${req.url}`, {
        method: req.method,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host')),
        body: ['GET', 'HEAD'].includes(req.method) ? undefined : Buffer.concat(chunks),
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (e) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`stand-in: the deployed worker failed: ${e.message}`);
    }
  });
  await new Promise((r) => devServer.listen(0, '127.0.0.1', r));

  return {
    apiBase,
    token,
    accountId,
    accountName,
    email,
    workersDevUrl: `http://127.0.0.1:${devServer.address().port}`,
    requests,
    state,
    /** What the deployed worker logged. */
    workerLogs,
    unhandled: () => [...unhandled],
    /** The routes no request has used yet ("METHOD /pattern"). */
    unused: () => routes.filter((r) => !used.has(r)).map(([method, re]) => `${method} ${re.source}`),
    /** The requests whose method is `method` and whose path matches `re`. */
    calls: (method, re) => requests.filter((r) => r.method === method && re.test(r.path)),
    /** The next `method` request whose path matches `re` answers an API error instead. */
    failNext: (method, re, status, code, message) => faults.push({ method, re, status, code, message }),
    async close() {
      await starting?.promise.catch(() => {});
      await stopRunning();
      await new Promise((r) => server.close(r));
      await new Promise((r) => devServer.close(r));
    },
  };
}

// `node tests/deploy/cf-api-standin.mjs`: runs it and logs every request, to see what a
// wrangler command asks for (point wrangler at the printed base URL).
if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startCfApiStandin({ token: process.env.CLOUDFLARE_API_TOKEN ?? 'x' });
  console.log(`CLOUDFLARE_API_BASE_URL=${s.apiBase} CLOUDFLARE_API_TOKEN=${s.token} CLOUDFLARE_ACCOUNT_ID=${s.accountId}`);
  console.log(`workers.dev stand-in: ${s.workersDevUrl}`);
  let seen = 0;
  setInterval(() => {
    for (; seen < s.requests.length; seen++) {
      const r = s.requests[seen];
      console.log(r.status, r.method, r.path, Object.keys(r.query).length ? JSON.stringify(r.query) : '', r.contentType ?? '', r.json ? JSON.stringify(r.json).slice(0, 300) : '');
    }
  }, 200);
}
