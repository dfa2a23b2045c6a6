// The runtime's own ceilings for `npm run bench:worker`, on the same workerd, with no smsotp
// code: a trivial route; a request to an existing and to a new, empty SQLite-backed Durable
// Object; and smsotp's storage design done in plain JS with no rules: a per-tenant limiter
// object counting in one SQLite row; 64 shard objects chosen by a hash of the number's
// prefix, each keeping one SQLite row per number (its OTPs in it) under the keys its OTP ids
// carry, with one alarm; the SMS POSTed to the local provider; a verify that reads and
// updates the row in the shard its id names. What smsotp adds on top of that is its rules and checks.
import { DurableObject } from 'cloudflare:workers';

export class Empty extends DurableObject {
  async fetch() {
    return new Response('{}');
  }
}

// As smsotp's: the minute's count in one SQLite row, written on every counted request.
export class Limiter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS rate_window (id INTEGER PRIMARY KEY, minute INTEGER, used INTEGER)');
    this.window = null;
  }
  async fetch() {
    const minute = Math.floor(Date.now() / 60_000);
    this.window ??= this.ctx.storage.sql.exec('SELECT minute, used FROM rate_window WHERE id = 0').toArray()[0] ?? { minute, used: 0 };
    const used = this.window.minute === minute ? this.window.used + 1 : 1;
    this.ctx.storage.sql.exec('INSERT OR REPLACE INTO rate_window (id, minute, used) VALUES (0, ?, ?)', minute, used);
    this.window = { minute, used };
    return Response.json({ remaining: 1e9 - used });
  }
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

const limit = (env) => env.LIMITER.get(env.LIMITER.idFromName('acme')).fetch('https://limiter/');
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

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/health') return new Response('{"status":"ok"}');
    if (path === '/same' || path === '/new') {
      const name = path === '/same' ? 'one' : crypto.randomUUID();
      return env.EMPTY.get(env.EMPTY.idFromName(name)).fetch('https://empty/', { method: 'POST', body: '{}' });
    }
    const body = await request.text(); // read the body, as the real worker does
    await limit(env);
    if (path === '/otp') {
      const { phoneNumber } = JSON.parse(body);
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
    const otpId = path.slice('/otp/'.length);
    const { n, pk, nk } = keysOfId(otpId);
    const res = await shard(env, n).fetch('https://shard/', { method: 'POST', body: JSON.stringify({ op: 'check', otpId, pk, nk }) });
    return Response.json({ status: (await res.json()).status });
  },
};
