#!/usr/bin/env node
// `npm run stats -- <tenant> [--local] …`: a tenant's statistics (GET /v1/stats) as a table
// in the terminal — per country unless asked otherwise, with a total row.
//
// The statistics live in the tenant's Durable Object, which only the worker reads, so this
// asks the API with one of the tenant's secret keys:
// - `--local`: the worker of `npm run dev` (http://127.0.0.1:8787, or `--url`), with the
//   tenant's first API key from worker/tenants.dev.json (the development file holds keys in
//   clear);
// - otherwise the deployment (`--url`, else PUBLIC_URL in worker/wrangler.toml), with the key
//   from SMSOTP_SECRET_KEY or asked for without echo (keys are stored hashed: nothing else
//   holds one).
// The tenant named must be the key's: the answer's `tenant` is compared (a key of another
// tenant would show that tenant's figures under this one's name).
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../', import.meta.url));

const USAGE = `usage: npm run stats -- <tenant> [--local] [--url <base URL>] [--from <ISO 8601>]
                       [--to <ISO 8601>] [--group-by country|channel|provider|hour[,…]] [--json]

  The tenant's statistics: OTPs created and verified (conversion), messages sent and their
  delivery, refusals by abuse control, SMS parts and cost. Default: the last 24 hours by country.
  --local     the worker of npm run dev, with the tenant's key from worker/tenants.dev.json
  --url       the API's base URL (default: http://127.0.0.1:8787 with --local, else PUBLIC_URL
              in worker/wrangler.toml)
  --json      the API's answer as it is
  The secret key: SMSOTP_SECRET_KEY, else asked for (not echoed).`;

function fail(message) {
  console.error(`stats: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { local: false, json: false, groupBy: 'country' };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--local') opts.local = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--url') opts.url = value();
    else if (a === '--from') opts.from = value();
    else if (a === '--to') opts.to = value();
    else if (a === '--group-by') opts.groupBy = value();
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('--')) fail(`unknown option ${a}\n${USAGE}`);
    else rest.push(a);
  }
  if (rest.length !== 1) fail(`name one tenant\n${USAGE}`);
  opts.tenant = rest[0];
  return opts;
}

/** The tenant's first API key in the development file (keys in clear there). */
function devKey(tenant) {
  const file = join(root, 'worker', 'tenants.dev.json');
  if (!existsSync(file)) fail('worker/tenants.dev.json is missing: run npm run dev once (it creates it), or leave out --local');
  const tenants = JSON.parse(readFileSync(file, 'utf8'));
  const t = (Array.isArray(tenants) ? tenants : tenants.tenants ?? []).find((x) => x.id === tenant);
  if (!t) fail(`no tenant ${JSON.stringify(tenant)} in worker/tenants.dev.json`);
  const key = t.apiKeys?.[0];
  if (!key) fail(`tenant ${tenant} has no API key in worker/tenants.dev.json`);
  return typeof key === 'string' ? key : key.key;
}

/** PUBLIC_URL from worker/wrangler.toml's [vars], if set. */
function publicUrl() {
  const toml = readFileSync(join(root, 'worker', 'wrangler.toml'), 'utf8');
  return toml.match(/^\s*PUBLIC_URL\s*=\s*"([^"]+)"/m)?.[1];
}

/** Reads a secret from the terminal without echoing it. */
function askSecret(question) {
  return new Promise((resolve) => {
    if (!process.stdin.isTTY) {
      // A pipe: the first line.
      const rl = createInterface({ input: process.stdin });
      rl.once('line', (line) => {
        rl.close();
        resolve(line.trim());
      });
      return;
    }
    process.stdout.write(question);
    const rl = createInterface({ input: process.stdin, output: null, terminal: true });
    rl.question('', (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer.trim());
    });
  });
}

const num = (n) => (n === null || n === undefined ? '—' : String(n));
const pct = (r) => (r === null || r === undefined ? '—' : `${r.toFixed(1)} %`);

/** The answer's groups as rows of text, with a total row. */
export function table(answer) {
  const dims = answer.groupBy;
  const head = [...(dims.length ? dims : ['all']), 'attempts', 'converted', 'rate', 'sent', 'delivered', 'undelivered', 'failed', 'max tries', 'expired', 'refused', 'parts', 'cost'];
  const refusedText = (r) => Object.entries(r).map(([code, n]) => `${code}×${n}`).join(' ') || '—';
  const row = (g, label) => [
    ...(label ? [label, ...dims.slice(1).map(() => '')] : dims.length ? dims.map((d) => (d === 'provider' ? (g.provider ?? '(none)') : g[d])) : ['total']),
    num(g.attempts), num(g.converted), pct(g.conversionRate), num(g.sent), num(g.delivered), num(g.undelivered),
    num(g.deliveryFailed), num(g.failedMaxAttempts), num(g.expired), refusedText(g.refused), num(g.parts), g.cost.toFixed(6).replace(/\.?0+$/, '') || '0',
  ];
  const rows = answer.groups.map((g) => row(g));
  if (dims.length && answer.groups.length > 1) {
    const t = { attempts: 0, converted: 0, sent: 0, delivered: 0, undelivered: 0, deliveryFailed: 0, failedMaxAttempts: 0, expired: 0, parts: 0, cost: 0, refused: {} };
    for (const g of answer.groups) {
      for (const k of Object.keys(t)) if (typeof t[k] === 'number') t[k] += g[k];
      for (const [c, n] of Object.entries(g.refused)) t.refused[c] = (t.refused[c] ?? 0) + n;
    }
    t.cost = Math.round(t.cost * 1e6) / 1e6;
    t.conversionRate = t.attempts ? (t.converted / t.attempts) * 100 : null;
    rows.push(row(t, 'total'));
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const numeric = (i) => i >= (dims.length || 1) && head[i] !== 'refused';
  const line = (cells) => cells.map((c, i) => (numeric(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const base = (opts.url ?? (opts.local ? 'http://127.0.0.1:8787' : publicUrl()))?.replace(/\/$/, '');
  if (!base) fail('no URL: give --url, or set PUBLIC_URL in worker/wrangler.toml (npm run deploy does)');
  const key = opts.local ? devKey(opts.tenant) : process.env.SMSOTP_SECRET_KEY || (await askSecret(`Secret key of ${opts.tenant}: `));
  if (!key) fail('no secret key');
  const query = new URLSearchParams();
  if (opts.from) query.set('from', opts.from);
  if (opts.to) query.set('to', opts.to);
  if (opts.groupBy) query.set('groupBy', opts.groupBy);
  let res;
  try {
    res = await fetch(`${base}/v1/stats?${query}`, { headers: { Authorization: `Bearer ${key}` } });
  } catch (e) {
    fail(`${base} did not answer (${e.cause?.code ?? e.message})${opts.local ? ': is npm run dev running?' : ''}`);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) fail(`${res.status}: ${body?.error?.message ?? 'no JSON answer'}${body?.error?.field ? ` (${body.error.field})` : ''}`);
  if (body.tenant !== undefined && body.tenant !== opts.tenant) fail(`the key is tenant ${body.tenant}'s, not ${opts.tenant}'s`);
  if (opts.json) {
    console.log(JSON.stringify(body, null, 2));
    return;
  }
  console.log(`${opts.tenant}: ${body.from} to ${body.to}${body.groups.length ? '' : ' — nothing counted'}`);
  if (body.groups.length) for (const l of table(body)) console.log(l);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
