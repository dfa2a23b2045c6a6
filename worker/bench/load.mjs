// `npm run bench:worker` (not a test): the built worker and its plain-JS twin of the same
// design (reference-worker.mjs) on local workerd (Miniflare), each in its own workerd
// process, with a local HTTP server as their SMS provider (SMS_PROVIDER=webhook). Both run as
// deployed: ENVIRONMENT=production, the tenant in a plain KV namespace TENANTS (the entries
// `npm run tenant` writes), Durable Objects in in-memory SQLite (on disk, each commit's fsync
// made the figures follow the machine's disk and the other processes using it, not the
// code; BENCH_PERSIST=1 puts them on disk). Prints, side by side:
// - throughput: GET /health (the trivial route) and create+verify cycles (POST /otp, the PIN
//   taken from the provider request, POST /otp/{id}), requests/s, p50/p99, and the ratio of
//   smsotp to its twin;
// - CPU: each workerd process's CPU time (/proc/<pid>/stat utime+stime) over a phase,
//   divided by the requests of the phase (everything the process does for them: HTTP, the
//   worker, its Durable Objects, SQLite, KV), per trivial request, per create and per
//   verify; and a fresh process's start and first request (compiling the wasm);
// - cost: the `usage` of every request's log line summed per verified OTP and priced at
//   Workers Paid list prices (prices.json).
// Bounded: fixed duration and concurrency, loopback only. Uses both cores: run it alone.
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log, LogLevel, Miniflare } from 'miniflare4';
import { KEYS, PIN_HASH_KEY, TENANTS } from '../../tests/worker/harness.mjs';
import { devTenantsToEntries, nowIso } from '../../scripts/tenants-kv.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Another build of the worker to measure (a copy of worker/build), to compare two versions.
const BUILD = process.env.BENCH_BUILD ?? `${root}worker/build`;
const DURATION_MS = Number(process.env.BENCH_MS ?? 8000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
// High enough that the bench never hits it; its checkpoints are then one row per minute
// (the cost section says what a tenant near its limit adds).
const RATE_LIMIT = process.env.BENCH_RATE_LIMIT ?? '100000000';
// The day's SMS cap (default 10 000) would stop a long run; counted all the same.
const DAILY_CAP = 100_000_000;
/** The webhook provider's report secret (Standard Webhooks, `whsec_` + base64). */
const REPORT_SECRET = `whsec_${Buffer.from('bench-report-secret-0123456789').toString('base64')}`;
const TENANT_RECORDS = TENANTS.map((t) => (t.id === 'acme' ? { ...t, limits: { dailySendCap: DAILY_CAP }, ...(process.env.BENCH_GUARD ? { guard: { mode: process.env.BENCH_GUARD } } : {}) } : t));

// ---- CPU time of a workerd process, from /proc (Linux) ----
let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 on every Linux this runs on.
}
/** pid → { ppid, comm } of every process. */
function processes() {
  const all = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      all.set(Number(name), { ppid, comm });
    } catch {
      // Gone meanwhile.
    }
  }
  return all;
}
/** The workerd processes under this Node process (Miniflare's; not other users'). */
function ourWorkerds() {
  const all = processes();
  const mine = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 10; p = all.get(p)?.ppid ?? 0, hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...all].filter(([pid, { comm }]) => comm.startsWith('workerd') && mine(pid)).map(([pid]) => pid);
}
/** utime + stime of `pid`, in ms (all its threads). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

// ---- the SMS provider ----
const pins = new Map();
const waiting = new Map();
const provider = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const { otpId, text } = JSON.parse(raw);
    const pin = text.match(/\d{6}/)[0];
    pins.set(otpId, pin);
    waiting.get(otpId)?.(pin);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
});
await new Promise((r) => provider.listen(0, '127.0.0.1', r));
const localProvider = `http://127.0.0.1:${provider.address().port}/sms`;
// Production refuses an http: provider URL (a fail-open setting): both workers are given an
// https one, and every outbound fetch of theirs is answered by the local server, so both
// pay the same hop.
const providerUrl = 'https://sms.bench.example/sms';
const outboundService = async (request) => {
  // The body is passed as bytes: its length is fetch's to set (undici refuses a
  // `content-length` header given with a body: "invalid content-length header").
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  return fetch(localProvider, { method: request.method, headers, body: await request.arrayBuffer() });
};

/**
 * Starts a worker in its own workerd process, with the tenants in its KV namespace
 * TENANTS and its Durable Objects in memory (BENCH_PERSIST=1: a temporary directory):
 * { mf, url, logs, pids, startCpuMs, cpu(), dispose() }.
 */
async function start(options) {
  const before = new Set(ourWorkerds());
  const logs = [];
  const storage = process.env.BENCH_PERSIST === '1' ? mkdtempSync(join(tmpdir(), 'smsotp-bench-')) : undefined;
  const capture = (stream) => stream.on('data', (chunk) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const mf = new Miniflare({
    outboundService,
    ...options,
    modules: true,
    compatibilityDate: '2026-08-01',
    kvNamespaces: { TENANTS: 'bench-tenants' },
    cf: false,
    ...(storage ? { durableObjectsPersist: storage } : {}),
    log: new Log(LogLevel.WARN),
    handleRuntimeStdio(stdout, stderr) {
      capture(stdout);
      capture(stderr);
    },
  });
  const url = new URL(await mf.ready);
  const kv = await mf.getKVNamespace('TENANTS');
  for (const { key, value } of devTenantsToEntries(TENANT_RECORDS, nowIso())) await kv.put(key, value);
  const pids = ourWorkerds().filter((p) => !before.has(p));
  if (pids.length === 0) throw new Error('no workerd process found under this Node process');
  const cpu = () => pids.reduce((n, p) => n + cpuMs(p), 0);
  return {
    mf, url, logs, pids, cpu, startCpuMs: cpu(),
    dispose: async () => {
      await mf.dispose();
      if (storage) rmSync(storage, { recursive: true, force: true });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
function request(target, method, path, body) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      { host: target.url.hostname, port: target.url.port, method, path, agent, headers: { 'X-API-KEY': KEYS.acme, 'Content-Type': 'application/json' } },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, body: data, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Runs `once` (→ the responses of one iteration, or null: nothing left to do) from
 * CONCURRENCY loops for DURATION_MS; the requests/s, latencies, and the workerd CPU time of
 * `target` per request over the phase.
 */
async function run(target, name, once) {
  const latencies = [];
  let requests = 0;
  let failures = 0;
  const end = Date.now() + DURATION_MS;
  const cpu0 = target.cpu();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const results = await once();
      if (results === null) return;
      for (const r of results) {
        requests++;
        latencies.push(r.ms);
        if (r.status >= 300) failures++;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = target.cpu() - cpu0;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { name, 'req/s': requests / seconds, p50: q(0.5), p99: q(0.99), requests, failures, cpuPerRequest: cpu / requests };
}

/** The rows as a table; `vs trivial`: against the same worker's GET /health (`ceiling`). */
function table(rows) {
  console.table(rows.map((r) => ({
    route: r.name,
    'requests/s': r['req/s'].toFixed(0),
    'vs trivial': `${(r['req/s'] / r.ceiling).toFixed(2)}×`,
    'p50 ms': r.p50.toFixed(1),
    'p99 ms': r.p99.toFixed(1),
    'CPU ms/req': r.cpuPerRequest.toFixed(2),
    requests: r.requests,
    failures: r.failures,
  })));
}

/**
 * A valid French mobile number never used before in this run (a second OTP for a number
 * would replace the first before its verify), spread over the prefixes and shards as real
 * traffic is: a stride prime to 10^7 from a random start.
 */
let numbers = Math.floor(Math.random() * 1e7);
const randomNumber = () => `+3361${String((numbers = (numbers + 7919) % 1e7)).padStart(7, '0')}`;

/** The first request of a fresh process (GET /health): its latency and the CPU it took. */
async function firstRequest(target, path) {
  const cpu0 = target.cpu();
  const r = await request(target, 'GET', path);
  return { ms: r.ms, cpuMs: target.cpu() - cpu0 };
}

// ---- the workers under test, each in its own fresh workerd process ----
const smsotp = await start({
  scriptPath: join(BUILD, 'index.js'),
  modulesRoot: BUILD,
  modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
  durableObjects: {
    OTP_SHARD: { className: 'OtpShard', useSQLite: true },
    TENANT_LIMITER: { className: 'TenantLimiter', useSQLite: true },
  },
  bindings: {
    ENVIRONMENT: 'production',
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: providerUrl,
    // Report URLs are handed out (PUBLIC_URL), and the provider's reports are signed with
    // SMS_WEBHOOK_SECRET: the cost section prices one delivery report per message.
    PUBLIC_URL: 'https://otp.bench.example',
    SMS_WEBHOOK_SECRET: REPORT_SECRET,
    PIN_HASH_KEY,
    RATE_LIMIT_PER_MINUTE: RATE_LIMIT,
  },
});
const smsotpFirst = await firstRequest(smsotp, '/health');
const twin = await start({
  scriptPath: fileURLToPath(new URL('./reference-worker.mjs', import.meta.url)),
  durableObjects: {
    EMPTY: { className: 'Empty', useSQLite: true },
    LIMITER: { className: 'Limiter', useSQLite: true },
    SHARD: { className: 'Shard', useSQLite: true },
  },
  bindings: { PROVIDER_URL: providerUrl, RATE_LIMIT_PER_MINUTE: RATE_LIMIT },
});
const twinFirst = await firstRequest(twin, '/health');

// ---- smsotp ----
const health = (target) => () => request(target, 'GET', '/health').then((r) => [r]);
async function create(target) {
  const created = await request(target, 'POST', '/otp', { phoneNumber: randomNumber() });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body} ${target.logs.filter((l) => l.includes("sms.failed")).slice(-1)}`);
  const { otpId } = JSON.parse(created.body);
  const pin = pins.get(otpId) ?? (await new Promise((resolve) => waiting.set(otpId, resolve)));
  pins.delete(otpId);
  waiting.delete(otpId);
  return { created, otpId, pin };
}
async function verify(target, otpId, pin) {
  const verified = await request(target, 'POST', `/otp/${otpId}`, { pin });
  if (verified.status !== 200) throw new Error(`verify answered ${verified.status}: ${verified.body}`);
  return verified;
}
const cycle = (target) => async () => {
  const { created, otpId, pin } = await create(target);
  return [created, await verify(target, otpId, pin)];
};
/** Creates only (their OTPs kept in `pending`), then verifies only (of `pending`). */
const createOnly = (target, pending) => async () => {
  const c = await create(target);
  pending.push(c);
  return [c.created];
};
/** One signed `delivered` report per pending OTP's message, as the webhook provider posts it. */
const reportOnly = (target, pending) => {
  let next = 0;
  return async () => {
    const c = pending[next++];
    if (!c) return null;
    const body = JSON.stringify({ otpId: c.otpId, messageId: `${c.otpId}.1`, status: 'delivered' });
    const id = `msg_${next}`;
    const ts = Math.floor(Date.now() / 1000);
    const key = Buffer.from(REPORT_SECRET.slice('whsec_'.length), 'base64');
    const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
    const r = await new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        { host: target.url.hostname, port: target.url.port, method: 'POST', path: '/v1/delivery/webhook', agent, headers: { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` } },
        (res) => {
          let data = '';
          res.on('data', (chunk) => (data += chunk));
          res.on('end', () => resolve({ status: res.statusCode, body: data, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    if (r.status !== 200) throw new Error(`report answered ${r.status}: ${r.body}`);
    return [r];
  };
};
const verifyOnly = (target, pending) => async () => {
  const c = pending.pop();
  return c ? [await verify(target, c.otpId, c.pin)] : null;
};

/** The phases every worker runs, in this order: the same for smsotp and its twin. */
async function phases(target, label) {
  await run(target, 'warm-up', cycle(target));
  const pending = [];
  const rows = [
    await run(target, `GET /health (trivial route)`, health(target)),
    await run(target, `create + verify (2 requests per cycle)`, cycle(target)),
  ];
  const logsBefore = target.logs.length;
  rows.push(await run(target, 'create only (POST /otp)', createOnly(target, pending)));
  // smsotp only (the twin has no reports): one delivery report per message created.
  if (label === 'smsotp') rows.push(await run(target, 'delivery report (POST /v1/delivery/webhook)', reportOnly(target, pending)));
  rows.push(await run(target, 'verify only (POST /otp/{id})', verifyOnly(target, pending)));
  for (const r of rows) Object.assign(r, { name: `${label}: ${r.name}`, ceiling: rows[0]['req/s'] });
  return { rows, logsBefore };
}

const ours = await phases(smsotp, 'smsotp');
// Requests that end after their phase still log: let the last lines arrive.
await new Promise((r) => setTimeout(r, 500));
const theirs = await phases(twin, 'twin');
const emptyRows = [
  await run(twin, 'JS: existing Durable Object (empty)', () => request(twin, 'GET', '/same').then((r) => [r])),
  await run(twin, 'JS: new Durable Object per request (empty)', () => request(twin, 'GET', '/new').then((r) => [r])),
];

console.log(`throughput and CPU (concurrency ${CONCURRENCY}, ${DURATION_MS} ms per phase; CPU: the worker's whole workerd process per request of the phase):`);
for (const r of emptyRows) r.ceiling = theirs.rows[0]['req/s'];
table([...ours.rows, ...theirs.rows, ...emptyRows]);
const [oursHealth, oursCycle, oursCreate, oursReport, oursVerify] = ours.rows;
const [twinHealth, twinCycle, twinCreate, twinVerify] = theirs.rows;
const ratio = oursCycle['req/s'] / twinCycle['req/s'];
console.log(`create+verify requests/s: smsotp ${oursCycle['req/s'].toFixed(0)}, its plain-JS twin ${twinCycle['req/s'].toFixed(0)}: ${ratio.toFixed(2)}× (target ≥ 0.9×); trivial route: smsotp ${oursHealth['req/s'].toFixed(0)}, JS ${twinHealth['req/s'].toFixed(0)} (${(oursHealth['req/s'] / twinHealth['req/s']).toFixed(2)}×)`);
const cpuLine = (what, a, b) => `${what}: smsotp ${a.toFixed(2)} ms, twin ${b.toFixed(2)} ms (${(a / b).toFixed(2)}×, +${(a - b).toFixed(2)} ms)`;
console.log('workerd CPU time per request:');
console.log(`  ${cpuLine('trivial (GET /health)', oursHealth.cpuPerRequest, twinHealth.cpuPerRequest)}`);
console.log(`  ${cpuLine('create', oursCreate.cpuPerRequest, twinCreate.cpuPerRequest)}`);
console.log(`  ${cpuLine('verify', oursVerify.cpuPerRequest, twinVerify.cpuPerRequest)}`);
console.log(`  delivery report (smsotp only): ${oursReport.cpuPerRequest.toFixed(2)} ms`);
console.log(`  ${cpuLine('create+verify cycle, per request', oursCycle.cpuPerRequest, twinCycle.cpuPerRequest)}`);
console.log(`fresh process (for the record): start to ready ${smsotp.startCpuMs.toFixed(0)} ms CPU (twin ${twin.startCpuMs.toFixed(0)}); first request GET /health ${smsotpFirst.ms.toFixed(0)} ms, ${smsotpFirst.cpuMs.toFixed(0)} ms CPU (twin ${twinFirst.ms.toFixed(0)} ms, ${twinFirst.cpuMs.toFixed(0)} ms CPU); CPU resolution ${1000 / CLK_TCK} ms`);

// ---- cost: what a verified OTP uses on Cloudflare, from the log lines of the create-only
// and verify-only phases (every request's `usage`; the shards' alarms log theirs) ----
const prices = JSON.parse(readFileSync(new URL('./prices.json', import.meta.url), 'utf8'));
const lines = smsotp.logs.slice(ours.logsBefore).flatMap((l) => {
  try {
    return [JSON.parse(l)];
  } catch {
    return [];
  }
});
const requestsOf = (route) => lines.filter((l) => l.event === 'request' && l.route === route && l.status < 300);
const sum = (list, key) => list.reduce((n, l) => n + (l.usage?.[key] ?? 0), 0);
const creates = requestsOf('/otp');
const verifies = requestsOf('/otp/{otpId}');
const reports = requestsOf('/v1/delivery/{provider}');
const alarms = lines.filter((l) => l.event === 'alarm');
if (verifies.length > 0) {
  // Per verified OTP: a create's usage (averaged over the creates) + a verify's.
  const perCreate = (key) => sum(creates, key) / creates.length;
  const perVerify = (key) => sum(verifies, key) / verifies.length;
  // One delivery report per message: a report's usage, averaged over the reports.
  const perReport = (key) => (reports.length ? sum(reports, key) / reports.length : 0);
  const per = (key) => perCreate(key) + perVerify(key) + perReport(key) + sum(alarms, key) / verifies.length;
  const u = {
    workerRequests: reports.length ? 3 : 2,
    doCalls: per('doCalls'),
    limiterCalls: per('limiterCalls'),
    rowsRead: per('rowsRead'),
    rowsWritten: per('rowsWritten'),
    limiterRowsWritten: per('limiterRowsWritten'),
    kvReads: per('kvReads'),
    // No KV writes: the worker never writes KV (tenants are written out of band, by
    // `npm run tenant`; tests/worker/kv-faults.test.mjs asserts none on the request path),
    // so the log line's `usage` has no KV writes to count and nothing to price.
    subrequests: per('subrequests'),
  };
  const cpuPerOtp = oursCreate.cpuPerRequest + oursReport.cpuPerRequest + oursVerify.cpuPerRequest;
  const p = prices;
  const dollars = {
    'Workers requests': u.workerRequests * p.workers.requestPerMillion,
    'Durable Object requests: shards (incl. alarms)': (u.doCalls - u.limiterCalls) * p.durableObjects.requestPerMillion,
    'Durable Object requests: tenant limiter': u.limiterCalls * p.durableObjects.requestPerMillion,
    'SQLite rows written: shards': (u.rowsWritten - u.limiterRowsWritten) * p.durableObjects.rowsWrittenPerMillion,
    'SQLite rows written: tenant limiter': u.limiterRowsWritten * p.durableObjects.rowsWrittenPerMillion,
    'SQLite rows read': u.rowsRead * p.durableObjects.rowsReadPerMillion,
    'KV reads': u.kvReads * p.kv.readPerMillion,
  };
  const total = Object.values(dollars).reduce((a, b) => a + b, 0);
  console.log(`usage per verified OTP (${creates.length} creates, ${verifies.length} verifies, ${alarms.length} alarms):`, Object.fromEntries(Object.entries(u).map(([k, v]) => [k, Number(v.toFixed(3))])));
  console.table(Object.entries(dollars).map(([item, usd]) => ({ item, 'USD per 1 M verified OTPs': usd.toFixed(3) })));
  const limit = Number(RATE_LIMIT);
  const nearLimit = (2 * 50) / 600;
  // What one report costs on its own: its request, its Durable Object call, its rows.
  const report = reports.length
    ? p.workers.requestPerMillion + perReport('doCalls') * p.durableObjects.requestPerMillion
      + perReport('rowsWritten') * p.durableObjects.rowsWrittenPerMillion + perReport('rowsRead') * p.durableObjects.rowsReadPerMillion
    : 0;
  console.log(`total: $${total.toFixed(2)} per 1 million verified OTPs with one delivery report per message (${reports.length} reports: $${report.toFixed(2)} per million reports, ${perReport('doCalls').toFixed(2)} Durable Object calls and ${perReport('rowsWritten').toFixed(2)} rows written each; $${(total - report).toFixed(2)} without it) at Workers Paid list prices of ${p.read} (target ≤ $4.50), against Twilio Verify's $${(p.twilioVerifyPerVerification * 1e6).toLocaleString('en')} before the SMS.`);
  console.log(`  not included: Durable Object duration (not measurable here); Workers CPU time: at most $${(cpuPerOtp * p.workers.cpuMsPerMillion).toFixed(3)} (${cpuPerOtp.toFixed(2)} ms, workerd's whole process here, the objects' included, on this machine); the limiter's minute counter at RATE_LIMIT_PER_MINUTE=${limit} is written ~once a minute here, but a tenant running at its limit L writes it 50 times per L requests (L = 600: ${nearLimit.toFixed(3)} rows, $${(nearLimit * p.durableObjects.rowsWrittenPerMillion).toFixed(2)} per 1 M OTPs more).`);
}

await twin.dispose();
await smsotp.dispose();
provider.close();
agent.destroy();
