// The runtime's own ceilings for `npm run bench:worker`: the smallest JS worker that answers
// a trivial route, and one that sends each request to a *new*, empty SQLite-backed Durable
// Object (what any design with one object per OTP id pays once per OTP). No smsotp code.
import { DurableObject } from 'cloudflare:workers';

export class Empty extends DurableObject {
  async fetch() {
    return new Response('{}');
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/health') return new Response('{"status":"ok"}');
    const name = path === '/same' ? 'one' : crypto.randomUUID();
    return env.EMPTY.get(env.EMPTY.idFromName(name)).fetch('https://empty/', { method: 'POST', body: '{}' });
  },
};
