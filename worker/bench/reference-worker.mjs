// The runtime's own ceilings for `npm run bench:worker`, on the same workerd, with no smsotp
// code: a trivial route; a request to an existing and to a new, empty SQLite-backed Durable
// Object; and the storage design done in plain JS with no rules (a per-tenant
// limiter object; per OTP a new object that stores the record, sets its expiry alarm and
// copies it to KV; the SMS POSTed to the local provider; a verify that updates object and
// KV). What smsotp adds on top of that is its rules and its checks.
import { DurableObject } from 'cloudflare:workers';

export class Empty extends DurableObject {
  async fetch() {
    return new Response('{}');
  }
}

export class Limiter extends DurableObject {
  count = 0;
  async fetch() {
    this.count++;
    return Response.json({ remaining: 1e9 - this.count });
  }
}

export class Guard extends DurableObject {
  record = null;
  async fetch(request) {
    const op = await request.json();
    if (op.op === 'init') {
      this.record = op.record;
      await this.ctx.storage.put('record', this.record);
      await this.ctx.storage.setAlarm(Date.now() + 300_000);
    } else {
      this.record ??= await this.ctx.storage.get('record');
      this.record.attempts += 1;
      this.record.status = 'VERIFIED';
      await this.ctx.storage.put('record', this.record);
    }
    await this.env.OTPS.put(`otp:${this.record.otpId}`, JSON.stringify(this.record), { expirationTtl: 86_700 });
    return Response.json(this.record);
  }
  async alarm() {}
}

const limit = (env) => env.LIMITER.get(env.LIMITER.idFromName('acme')).fetch('https://limiter/');
const guard = (env, id) => env.GUARD.get(env.GUARD.idFromName(id));

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/health') return new Response('{"status":"ok"}');
    if (path === '/same' || path === '/new') {
      const name = path === '/same' ? 'one' : crypto.randomUUID();
      return env.EMPTY.get(env.EMPTY.idFromName(name)).fetch('https://empty/', { method: 'POST', body: '{}' });
    }
    await request.arrayBuffer(); // read the body, as the real worker does
    await limit(env);
    if (path === '/otp') {
      const otpId = crypto.randomUUID();
      const record = { otpId, status: 'PENDING', attempts: 0, createdAt: Date.now() };
      await guard(env, otpId).fetch('https://guard/', { method: 'POST', body: JSON.stringify({ op: 'init', record }) });
      await fetch(env.PROVIDER_URL, { method: 'POST', body: JSON.stringify({ otpId, text: 'Your code is 123456' }) });
      return Response.json(record, { status: 201 });
    }
    const otpId = path.slice('/otp/'.length);
    const res = await guard(env, otpId).fetch('https://guard/', { method: 'POST', body: '{"op":"check"}' });
    return Response.json({ status: (await res.json()).status });
  },
};
