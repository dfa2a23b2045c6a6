// The built worker on local workerd for schemathesis (scripts/test-conformance.sh): the
// test harness's worker (tests/worker/harness.mjs) with its SMS going to the local
// stand-in provider, rate limiting on (every answer carries the X-Rate-Limit-* headers, and
// schemathesis' busiest minutes meet the limit's 429s), the default per-number limits, acme
// with a publishable key for ORIGIN, and a token signing key (so the browser API's right
// PIN gets a token). Faults, so that their answers are checked too: the stand-in provider
// fails now and then (a 5xx or a refusal: 502 and a FAILED OTP; a 200 with an unreadable
// body, which the webhook provider must take as sent);
// CONFORMANCE_FAULTS=0 turns them off. Nothing leaves 127.0.0.1: schemathesis generates
// callback URLs of real-looking public hosts, and the worker's fetch to any host but the
// local stand-ins is answered here as an unreachable host (a failed callback, retried
// later, which is what the worker must cope with anyway); their count is in the summary. (KV read faults are not injected: a key the tenant
// cache does not know is then answered 503, rightly, which schemathesis' check that bad
// credentials get a 401 would count against us; tests/worker/kv-faults.test.mjs has them.) Prints one line
// `{"url": …, "apiKey": …, "publishableKey": …, "origin": …, "twilioAccountSid": …,
// "twilioAuthToken": …, "twilioServiceSid": …, "twilioUpdatedServiceSid": …, "stop": …}`
// and stays up until
// a POST to `stop` (a local control URL: Miniflare's exit hooks end the process on SIGTERM
// before a handler of ours could run); then writes the worker's log lines to
// $CONFORMANCE_LOG and what was injected to $CONFORMANCE_LOG.faults.json, when set, and
// exits: `{providerFaults: [{otpId, mode}], sends: {mode: count}, kvReadFaults,
// blockedFetches}`, where providerFaults are the SMS whose reply must make the worker
// answer 502 (mustFail, below), each to be matched with exactly one 502.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { startWorker, KEYS, TENANTS } from '../worker/harness.mjs';
import { kvStats } from '../worker/kv-standin.mjs';
import { startUpstream } from '../worker/fake-upstream.mjs';

export const ORIGIN = 'https://shop.example';
export const PK = 'pk_acme_conformance_0123456789';
// acme's Twilio Verify v2 credentials and imported service, as in the dev tenants
// (worker/tenants.example.json): the `/v2` operations' Basic auth, and services that exist
// for their path parameters (tests/conformance/hooks.py): the first for verifications, the
// second for the generated service updates, so that the first keeps its settings.
export const TWILIO = {
  accountSid: 'ACac3e00000000000000000000000000a1',
  authToken: 'acme-twilio-auth-token-0123456789abcdef',
  services: [
    { sid: 'VAac3e00000000000000000000000000c3', friendlyName: 'Acme' },
    { sid: 'VAac3e00000000000000000000000000c4', friendlyName: 'Acme updates' },
  ],
};

const { privateKey } = generateKeyPairSync('ed25519');
const { d, x } = privateKey.export({ format: 'jwk' });
const signingKey = { kty: 'OKP', crv: 'Ed25519', d, x, kid: 'conformance', use: 'sig', alg: 'EdDSA' };

const limits = process.env.CONFORMANCE_NUMBER_LIMITS; // unset: the defaults
const up = await startUpstream();
// Each SMS the stand-in receives, with the mode it answered in (read in the same tick as
// its answer), so that the failures sent on purpose can be counted.
const push = up.received.push.bind(up.received);
up.received.push = (entry) => push({ ...entry, mode: up.state.mode });
const [acme, globex] = TENANTS;
let blocked = 0;
async function outbound(request) {
  const url = new URL(request.url);
  if (url.hostname !== '127.0.0.1') {
    blocked++;
    throw new Error(`conformance run: ${url.host} is not a local address`);
  }
  const body = ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer();
  // Hop-by-hop and length headers are the new request's own.
  const headers = [...request.headers].filter(([name]) => !['content-length', 'host', 'connection', 'transfer-encoding'].includes(name));
  return fetch(request.url, { method: request.method, headers, body });
}

const w = await startWorker(
  {
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: `${up.url}/webhook`,
    // High enough that schemathesis is not throttled, low enough to be on.
    RATE_LIMIT_PER_MINUTE: process.env.CONFORMANCE_RATE_LIMIT ?? '2500',
    BROWSER_RATE_LIMIT_PER_MINUTE: process.env.CONFORMANCE_RATE_LIMIT ?? '2500',
    NUMBER_LIMITS: limits === undefined ? undefined : limits,
    TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [signingKey] }),
    PUBLIC_URL: 'https://otp.example',
  },
  {
    tenants: [
      {
        ...acme,
        publishableKeys: [{ key: PK, origins: [ORIGIN] }],
        turnstile: 'off',
        allowAllCountries: true,
        browser: { template: 'Your Acme code: {{pin}}' },
        testNumbers: { '+15005550006': '123456' },
        twilio: TWILIO,
        // The browser API counts every SMS against the connecting IP (127.0.0.1 here):
        // the default 10 an hour would leave it answering 2114 after a few seconds.
        limits: { ipSendsPerHour: 100000, ipv6Net48SendsPerHour: 100000, browserDailySendCap: 0 },
      },
      globex,
    ],
    outbound,
    // Every request comes from 127.0.0.1: the per-IP budget would throttle the run.
    ipLimit: 1000000,
  },
);
// What the worker must answer to each reply of the stand-in, by the webhook provider's rule
// (worker/src/providers/webhook.rs: any 2xx is success, the body is not read): the
// stand-in's status for each mode (tests/worker/fake-upstream.mjs). 'garbage' is a 200 with
// an HTML body: a success for the webhook provider (a 502 for it would be a bug), whereas
// '500' and 'reject' (422) must give a 502 and a FAILED OTP.
const WEBHOOK_REPLY_STATUS = { ok: 200, garbage: 200, 500: 500, reject: 422 };
const mustFail = (mode) => {
  const status = WEBHOOK_REPLY_STATUS[mode];
  if (status === undefined) throw new Error(`no rule for the stand-in's mode ${mode}`);
  return status < 200 || status > 299;
};
// Every 250 ms a new weather: mostly fair.
let faults;
if (process.env.CONFORMANCE_FAULTS !== '0') {
  faults = setInterval(() => {
    const r = Math.random();
    up.state.mode = r < 0.04 ? '500' : r < 0.07 ? 'garbage' : r < 0.1 ? 'reject' : 'ok';
  }, 250);
}

const control = createServer((req, res) => {
  res.end();
  if (req.method === 'POST' && req.url === '/stop') stop();
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
const stopUrl = `http://127.0.0.1:${control.address().port}/stop`;

console.log(JSON.stringify({
  url: w.url, apiKey: KEYS.acme, publishableKey: PK, origin: ORIGIN,
  twilioAccountSid: TWILIO.accountSid, twilioAuthToken: TWILIO.authToken,
  twilioServiceSid: TWILIO.services[0].sid, twilioUpdatedServiceSid: TWILIO.services[1].sid,
  stop: stopUrl,
}));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(faults);
  if (process.env.CONFORMANCE_LOG) {
    writeFileSync(process.env.CONFORMANCE_LOG, w.logs.join('\n') + '\n');
    const sends = up.received.filter((e) => e.path === '/webhook');
    // Each SMS that must have made the worker answer 502, by the OTP it was for.
    const providerFaults = sends.filter((e) => mustFail(e.mode)).map((e) => ({ otpId: JSON.parse(e.body).otpId, mode: e.mode }));
    const modes = {};
    for (const e of sends) modes[e.mode] = (modes[e.mode] ?? 0) + 1;
    const { failedReads } = kvStats(w.mf);
    writeFileSync(`${process.env.CONFORMANCE_LOG}.faults.json`, JSON.stringify({ providerFaults, sends: modes, kvReadFaults: failedReads, blockedFetches: blocked }));
  }
  await w.dispose();
  await up.close();
  process.exit(0);
}
