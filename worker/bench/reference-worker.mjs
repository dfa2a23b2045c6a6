// The runtime's own ceilings for `npm run bench:worker`, on the same workerd, with no smsotp
// code: a trivial route; a request to an existing and to a new, empty SQLite-backed Durable
// Object; and smsotp's storage design done in plain JS with no rules: a per-tenant limiter
// object counting in one SQLite row; 64 shard objects chosen by a hash of the number, each keeping OTPs as SQLite rows
// with one alarm; the SMS POSTed to the local provider; a verify that reads and updates the
// row in the shard its id names. What smsotp adds on top of that is its rules and checks.
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

export class Shard extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS otps (id TEXT PRIMARY KEY, tenant TEXT NOT NULL,
      status TEXT NOT NULL, expires_at INTEGER NOT NULL, forget_at INTEGER NOT NULL, record TEXT NOT NULL)`);
    this.alarmSet = false;
  }
  async fetch(request) {
    const op = await request.json();
    const sql = this.ctx.storage.sql;
    if (op.op === 'create') {
      const r = op.record;
      sql.exec('INSERT INTO otps VALUES (?, ?, ?, ?, ?, ?)', r.otpId, 'acme', 'PENDING', r.createdAt + 300_000, r.createdAt + 86_700_000, JSON.stringify(r));
      if (!this.alarmSet) {
        await this.ctx.storage.setAlarm(r.createdAt + 300_000);
        this.alarmSet = true;
      }
      return Response.json(r);
    }
    const record = JSON.parse(sql.exec('SELECT record FROM otps WHERE id = ?', op.otpId).one().record);
    record.status = 'VERIFIED';
    sql.exec('UPDATE otps SET status = ?, record = ? WHERE id = ?', 'VERIFIED', JSON.stringify(record), op.otpId);
    return Response.json(record);
  }
  async alarm() {}
}

const limit = (env) => env.LIMITER.get(env.LIMITER.idFromName('acme')).fetch('https://limiter/');
const shard = (env, n) => env.SHARD.get(env.SHARD.idFromName(`shard-${n}`));
/** A cheap stand-in for the keyed hash: the shard of a number, 0–63. */
const shardOf = (number) => [...number].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) & 63;

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
      const n = shardOf(phoneNumber);
      // The id names its shard in its first byte, as smsotp's.
      const otpId = n.toString(16).padStart(2, '0') + crypto.randomUUID().slice(2);
      const record = { otpId, phoneNumber, status: 'PENDING', attempts: 0, createdAt: Date.now() };
      await shard(env, n).fetch('https://shard/', { method: 'POST', body: JSON.stringify({ op: 'create', record }) });
      await fetch(env.PROVIDER_URL, { method: 'POST', body: JSON.stringify({ otpId, text: 'Your code is 123456' }) });
      return Response.json(record, { status: 201 });
    }
    const otpId = path.slice('/otp/'.length);
    const res = await shard(env, parseInt(otpId.slice(0, 2), 16)).fetch('https://shard/', { method: 'POST', body: JSON.stringify({ op: 'check', otpId }) });
    return Response.json({ status: (await res.json()).status });
  },
};
