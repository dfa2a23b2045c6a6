// `npm run bench:worker` (not a test): the built worker on local workerd (Miniflare), with a
// local HTTP server as its SMS provider (SMS_PROVIDER=webhook). Side by side in one run:
// the trivial route GET /health (the runtime's ceiling) and create+verify cycles (POST /otp,
// the PIN taken from the provider request, POST /otp/{id}). Bounded: fixed duration and
// concurrency, loopback only. Prints requests/s, p50/p99 latency and the ratio.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare4';
import { startWorker, KEYS } from '../../tests/worker/harness.mjs';

const DURATION_MS = Number(process.env.BENCH_MS ?? 8000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

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

// The reference worker (no smsotp code) on the same workerd build: the runtime's own cost of
// a trivial request, a request to an existing Durable Object, and one to a new one.
const reference = new Miniflare({
  modules: true,
  scriptPath: fileURLToPath(new URL('./reference-worker.mjs', import.meta.url)),
  compatibilityDate: '2026-08-01',
  cf: false,
  durableObjects: {
    EMPTY: { className: 'Empty', useSQLite: true },
    LIMITER: { className: 'Limiter', useSQLite: true },
    SHARD: { className: 'Shard', useSQLite: true },
  },
  bindings: { PROVIDER_URL: `http://127.0.0.1:${provider.address().port}/sms` },
});
const referenceUrl = new URL(await reference.ready);

const w = await startWorker({
  SMS_PROVIDER: 'webhook',
  SMS_WEBHOOK_URL: `http://127.0.0.1:${provider.address().port}/sms`,
  RATE_LIMIT_PER_MINUTE: process.env.BENCH_RATE_LIMIT ?? '100000000',
});
let target = new URL(w.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      { host: target.hostname, port: target.port, method, path, agent, headers: { 'X-API-KEY': KEYS.acme, 'Content-Type': 'application/json' } },
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

async function run(name, once) {
  const latencies = [];
  let requests = 0;
  let failures = 0;
  const end = Date.now() + DURATION_MS;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const results = await once();
      for (const r of results) {
        requests++;
        latencies.push(r.ms);
        if (r.status >= 300) failures++;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { name, 'req/s': requests / seconds, p50: q(0.5), p99: q(0.99), requests, failures };
}

const health = () => request('GET', '/health').then((r) => [r]);
/** A random valid French mobile number: OTPs spread over the shards, as real traffic does. */
const randomNumber = () => `+3361${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
async function cycle() {
  const created = await request('POST', '/otp', { phoneNumber: randomNumber() });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body}`);
  const { otpId } = JSON.parse(created.body);
  const pin = pins.get(otpId) ?? (await new Promise((resolve) => waiting.set(otpId, resolve)));
  const verified = await request('POST', `/otp/${otpId}`, { pin });
  pins.delete(otpId);
  waiting.delete(otpId);
  if (verified.status !== 200) throw new Error(`verify answered ${verified.status}: ${verified.body}`);
  return [created, verified];
}

function table(rows) {
  const ceiling = rows[0]['req/s'];
  console.table(rows.map((r) => ({
    route: r.name,
  'requests/s': r['req/s'].toFixed(0),
  'vs trivial': `${(r['req/s'] / ceiling).toFixed(2)}×`,
  'p50 ms': r.p50.toFixed(1),
  'p99 ms': r.p99.toFixed(1),
  requests: r.requests,
    failures: r.failures,
  })));
}

await run('warm-up', cycle);
const healthRow = await run('GET /health (trivial route)', health);
const logsBefore = w.logs.length;
const cycleRow = await run('create + verify (2 requests per cycle)', cycle);
const rows = [healthRow, cycleRow];
console.log('smsotp worker:');
table(rows);
console.log(`cycles/s: ${(rows[1]['req/s'] / 2).toFixed(0)} (concurrency ${CONCURRENCY}, ${DURATION_MS} ms each)`);

// What a verified OTP costs on Cloudflare: every request's log line says what it used
// (Durable Object calls, SQLite rows, KV, subrequests); the shards' alarms log theirs.
await new Promise((r) => setTimeout(r, 500)); // the last log lines
const prices = JSON.parse(readFileSync(new URL('./prices.json', import.meta.url), 'utf8'));
const lines = w.logs.slice(logsBefore).flatMap((l) => {
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
const alarms = lines.filter((l) => l.event === 'alarm');
const cycles = Math.min(creates.length, verifies.length);
if (cycles > 0) {
  const all = [...creates, ...verifies, ...alarms];
  const per = (key) => sum(all, key) / cycles;
  const usage = { workerRequests: (creates.length + verifies.length) / cycles, doCalls: per('doCalls'), rowsRead: per('rowsRead'), rowsWritten: per('rowsWritten'), kvReads: per('kvReads'), kvWrites: per('kvWrites'), subrequests: per('subrequests') };
  const p = prices;
  const dollars = {
    'Workers requests': usage.workerRequests * p.workers.requestPerMillion,
    'Durable Object requests (incl. alarms)': usage.doCalls * p.durableObjects.requestPerMillion,
    'SQLite rows written': usage.rowsWritten * p.durableObjects.rowsWrittenPerMillion,
    'SQLite rows read': usage.rowsRead * p.durableObjects.rowsReadPerMillion,
    'KV reads': usage.kvReads * p.kv.readPerMillion,
    'KV writes': usage.kvWrites * p.kv.writePerMillion,
  };
  const total = Object.values(dollars).reduce((a, b) => a + b, 0);
  console.log(`usage per verified OTP (create + verify, ${cycles} cycles, alarms included):`, Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, Number(v.toFixed(2))])));
  console.table(Object.entries(dollars).map(([item, usd]) => ({ item, 'USD per 1 M verified OTPs': usd.toFixed(2) })));
  console.log(`total: $${total.toFixed(2)} per 1 million verified OTPs at Workers Paid list prices of ${p.read} (target ≤ $3; CPU time and Durable Object duration not included: not measurable here), against Twilio Verify's $${(p.twilioVerifyPerVerification * 1e6).toLocaleString('en')} before the SMS`);
}

// The same measurement on the reference worker.
const smsotpTarget = target;
target = referenceUrl;
const get = (path) => () => request('GET', path).then((r) => [r]);
await run('warm-up', get('/health'));
const referenceRows = [
  await run('GET /health (trivial JS worker)', get('/health')),
  await run('existing Durable Object (JS, empty)', get('/same')),
  await run('new Durable Object per request (JS, empty)', get('/new')),
  await run('the same storage design in plain JS, create + verify', async () => {
    const created = await request('POST', '/otp', { phoneNumber: randomNumber() });
    const verified = await request('POST', `/otp/${JSON.parse(created.body).otpId}`, {});
    return [created, verified];
  }),
];
console.log('reference: the runtime alone, no smsotp code:');
table(referenceRows);
const plainJs = referenceRows[3]['req/s'];
const ours = rows[1]['req/s'];
console.log(`create+verify requests/s: smsotp ${ours.toFixed(0)}, the same storage design in plain JS ${plainJs.toFixed(0)}: smsotp is ${(ours / plainJs).toFixed(2)}× its design's ceiling (target ≥ 0.9×); vs each worker's trivial route: smsotp ${(ours / rows[0]['req/s']).toFixed(2)}×, plain JS ${(plainJs / referenceRows[0]['req/s']).toFixed(2)}×`);
target = smsotpTarget;
await reference.dispose();
await w.dispose();
provider.close();
agent.destroy();
