// The runtime's own ceilings for `npm run bench:worker`, on the same workerd, with no smsotp
// code: a trivial route; a request to an existing and to a new, empty SQLite-backed Durable
// Object; and smsotp's design done in plain JS with no rules: the tenant found by the
// SHA-256 of its API key in KV (`TENANTS`, the same entries) through a per-isolate cache; a
// per-tenant limiter object that counts the minute (and, on a create, the day's SMS) in
// SQLite rows written only at checkpoints; 64 shard objects chosen by a hash of the number's
// prefix, each keeping one SQLite row per number (its OTPs in it) under the keys its OTP ids
// carry, with one alarm; the SMS POSTed to the local provider; a verify that reads and
// updates the row in the shard its id names. A create is one limiter call, one shard call and
// the provider POST; a verify one limiter call and one shard call, as smsotp's. What smsotp
// adds on top of that is its rules and checks.
import { DurableObject } from 'cloudflare:workers';

export class Empty extends DurableObject {
  async fetch() {
    return new Response('{}');
  }
}

/** As smsotp's limiter: a counter is written every 1/divisor of its limit (at least 1). */
const step = (limit, divisor) => Math.max(1, Math.floor(limit / divisor));

// As smsotp's TenantLimiter: the minute's count (and the day's SMS) each in one SQLite row,
// kept in memory and written when its window opens, every step-th unit and at the limit; a
// create asks once for both; the first create sets the clean-up alarm.
export class Limiter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS rate_window (id INTEGER PRIMARY KEY CHECK (id = 0), minute INTEGER NOT NULL, used INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS day_sends (id INTEGER PRIMARY KEY CHECK (id = 0), day INTEGER NOT NULL, used INTEGER NOT NULL)`);
    this.counts = {};
    this.alarmSet = false;
  }
  take(table, column, divisor, window, limit) {
    const sql = this.ctx.storage.sql;
    if (!(table in this.counts)) {
      const row = sql.exec(`SELECT ${column} AS window, used FROM ${table} WHERE id = 0`).toArray()[0];
      this.counts[table] = row ? { window: row.window, used: Math.min(limit, row.used + step(limit, divisor) - 1) } : null;
    }
    const stored = this.counts[table];
    let used = stored && stored.window === window ? stored.used : 0;
    const allowed = limit === 0 || used < limit;
    if (allowed) used++;
    if (limit > 0 && allowed && (used === 1 || used % step(limit, divisor) === 0 || used === limit)) {
      sql.exec(`INSERT INTO ${table} (id, ${column}, used) VALUES (0, ?, ?)
        ON CONFLICT (id) DO UPDATE SET ${column} = excluded.${column}, used = excluded.used`, window, used);
    }
    this.counts[table] = { window, used };
    return { used, allowed };
  }
  async fetch(request) {
    const ask = await request.json();
    const now = Date.now();
    const minute = this.take('rate_window', 'minute', 50, Math.floor(now / 60_000), ask.limit);
    if (ask.ask === 'create' && minute.allowed) {
      this.take('day_sends', 'day', 100, Math.floor(now / 86_400_000), ask.dailyCap);
      if (!this.alarmSet) {
        if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + 3_600_000);
        this.alarmSet = true;
      }
    }
    return Response.json({ window: { limit: ask.limit, remaining: ask.limit - minute.used, allowed: minute.allowed } });
  }
  async alarm() {}
}

// As smsotp's: one row per (tenant, number) under (prefix key, number key, tenant, phone),
// WITHOUT ROWID and no other index; the id carries both keys. A create reads the prefix's
// recent SMS (the prefix rule's data) and its block, then the number's row, and upserts the
// row; a verify reads the row by its keys and upserts it; one alarm per shard (the hourly
// clean-up).
export class Shard extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS numbers (pk INTEGER NOT NULL, nk INTEGER NOT NULL,
      tenant TEXT NOT NULL, phone TEXT NOT NULL, forget_at INTEGER NOT NULL, last_send_at INTEGER NOT NULL,
      sends TEXT NOT NULL, verified_at INTEGER NOT NULL, state TEXT NOT NULL,
      PRIMARY KEY (pk, nk, tenant, phone)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS prefixes (pk INTEGER NOT NULL, tenant TEXT NOT NULL, prefix TEXT NOT NULL,
      blocked_until INTEGER NOT NULL, PRIMARY KEY (pk, tenant, prefix)) WITHOUT ROWID`);
    this.alarmSet = false;
  }
  save(pk, nk, phone, { sends, verifiedAt, ...state }) {
    this.ctx.storage.sql.exec(
      `INSERT INTO numbers (pk, nk, tenant, phone, forget_at, last_send_at, sends, verified_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pk, nk, tenant, phone) DO UPDATE SET forget_at = excluded.forget_at,
         last_send_at = excluded.last_send_at, sends = excluded.sends, verified_at = excluded.verified_at,
         state = excluded.state`,
      pk, nk, 'acme', phone, Date.now() + 86_400_000, sends.at(-1) ?? 0, JSON.stringify(sends), verifiedAt, JSON.stringify(state));
  }
  load(row) {
    return { ...JSON.parse(row.state), sends: JSON.parse(row.sends), verifiedAt: row.verified_at };
  }
  async fetch(request) {
    const op = await request.json();
    const sql = this.ctx.storage.sql;
    const columns = 'nk, tenant, phone, sends, verified_at, state';
    if (op.op === 'create') {
      const r = op.record;
      const prefix = r.phoneNumber.slice(0, -4);
      const recent = sql.exec(`SELECT nk, tenant, phone, sends, verified_at FROM numbers
        WHERE pk = ? AND tenant = ? AND last_send_at > ? AND substr(phone, 1, length(phone) - 4) = ?`,
      op.pk, 'acme', r.createdAt - 3_600_000, prefix).toArray();
      recent.flatMap((x) => JSON.parse(x.sends));
      sql.exec('SELECT blocked_until FROM prefixes WHERE pk = ? AND tenant = ? AND prefix = ?', op.pk, 'acme', prefix).toArray();
      const mine = sql.exec(`SELECT ${columns} FROM numbers WHERE pk = ? AND nk = ? AND tenant = ? AND phone = ?`,
        op.pk, op.nk, 'acme', r.phoneNumber).toArray()[0];
      const state = mine ? this.load(mine) : { sends: [], verifiedAt: 0, earlier: [] };
      if (state.current) state.earlier.push(state.current.record);
      state.current = { record: r, sends: 1, lastSendAt: r.createdAt };
      state.sends.push(r.createdAt);
      this.save(op.pk, op.nk, r.phoneNumber, state);
      if (!this.alarmSet) {
        await this.ctx.storage.setAlarm(r.createdAt + 3_600_000);
        this.alarmSet = true;
      }
      return Response.json(r);
    }
    const row = sql.exec(`SELECT ${columns} FROM numbers WHERE pk = ? AND nk = ?`, op.pk, op.nk).toArray()
      .find((x) => JSON.parse(x.state).current?.record.otpId === op.otpId);
    const state = this.load(row);
    state.current.record.status = 'VERIFIED';
    state.verifiedAt = Date.now();
    this.save(op.pk, op.nk, row.phone, state);
    return Response.json(state.current.record);
  }
  async alarm() {}
}

const limiter = (env, tenant, ask) =>
  env.LIMITER.get(env.LIMITER.idFromName(tenant)).fetch('https://limiter/', { method: 'POST', body: JSON.stringify(ask) });
const shard = (env, n) => env.SHARD.get(env.SHARD.idFromName(`shard-${n}`));
/** A cheap stand-in for the keyed hashes: a 32-bit hash of a string. */
const hash = (text, seed) => [...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, seed);
/** The shard (0–63), prefix key and number key of a number, as smsotp's. */
const keysOf = (number) => ({ n: hash(number.slice(0, -4), 7) & 63, pk: hash(number.slice(0, -4), 11), nk: hash(number, 13) });
const hex = (v, digits) => v.toString(16).padStart(digits, '0');
/** The keys back from an id (shard in byte 0, prefix key in bytes 1–4, number key in 5, 7, 9, 10). */
const keysOfId = (id) => {
  const b = id.replaceAll('-', '');
  return { n: parseInt(b.slice(0, 2), 16), pk: parseInt(b.slice(2, 10), 16), nk: parseInt(b.slice(10, 12) + b.slice(14, 16) + b.slice(18, 22), 16) };
};

// As smsotp's tenant.rs: the key's SHA-256 on every request, then a per-isolate cache by
// hash, fresh for 60 s; on a miss, `apikey:<hash>` then `tenant:<id>` from KV, the record
// parsed and the hash checked against its apiKeys.
const FRESH_MS = 60_000;
const tenants = new Map();
async function tenantOf(request, env) {
  const key = request.headers.get('X-API-KEY');
  if (!key) return null;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  const keyHash = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  const now = Date.now();
  const hit = tenants.get(keyHash);
  if (hit && now - hit.at < FRESH_MS) return hit.tenant;
  let tenant = null;
  const id = await env.TENANTS.get(`apikey:${keyHash}`, { cacheTtl: 60 });
  if (id) {
    const record = JSON.parse(await env.TENANTS.get(`tenant:${id.trim()}`, { cacheTtl: 60 }));
    if (record.apiKeys.some((k) => k.hash === keyHash)) tenant = { id: record.id, dailyCap: record.limits?.dailySendCap ?? 10_000 };
  }
  tenants.set(keyHash, { tenant, at: now });
  return tenant;
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/health') return new Response('{"status":"ok"}');
    if (path === '/same' || path === '/new') {
      const name = path === '/same' ? 'one' : crypto.randomUUID();
      return env.EMPTY.get(env.EMPTY.idFromName(name)).fetch('https://empty/', { method: 'POST', body: '{}' });
    }
    const body = await request.text(); // read the body, as the real worker does
    const tenant = await tenantOf(request, env);
    if (!tenant) return Response.json({ error: 'invalid_api_key' }, { status: 401 });
    const limit = Number(env.RATE_LIMIT_PER_MINUTE);
    if (path === '/otp') {
      const { phoneNumber } = JSON.parse(body);
      await limiter(env, tenant.id, { ask: 'create', limit, dailyCap: tenant.dailyCap });
      const { n, pk, nk } = keysOf(phoneNumber);
      // The id names its shard and the number's keys, as smsotp's.
      const r = crypto.randomUUID().replaceAll('-', '');
      const k = hex(nk, 8);
      const h = hex(n, 2) + hex(pk, 8) + k.slice(0, 2) + '4' + r[13] + k.slice(2, 4) + '89ab'[parseInt(r[16], 16) & 3] + r[17] + k.slice(4, 8) + r.slice(22);
      const otpId = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      const record = { otpId, phoneNumber, status: 'PENDING', attempts: 0, createdAt: Date.now() };
      await shard(env, n).fetch('https://shard/', { method: 'POST', body: JSON.stringify({ op: 'create', record, pk, nk }) });
      await fetch(env.PROVIDER_URL, { method: 'POST', body: JSON.stringify({ otpId, text: 'Your code is 123456' }) });
      return Response.json(record, { status: 201 });
    }
    await limiter(env, tenant.id, { ask: 'take', limit });
    const otpId = path.slice('/otp/'.length);
    const { n, pk, nk } = keysOfId(otpId);
    const res = await shard(env, n).fetch('https://shard/', { method: 'POST', body: JSON.stringify({ op: 'check', otpId, pk, nk }) });
    return Response.json({ status: (await res.json()).status });
  },
};
