// The built worker on local workerd for schemathesis (scripts/test-conformance.sh): the
// test harness's worker (tests/worker/harness.mjs) with its SMS going to the local
// stand-in provider, rate limiting on (so every answer carries the X-Rate-Limit-* headers),
// the default per-number limits, acme with a publishable key for ORIGIN, and a token
// signing key (so the browser API's right PIN gets a token). Prints one line
// `{"url": …, "apiKey": …, "publishableKey": …, "origin": …}` and stays up until SIGINT or
// SIGTERM (or its stdin closes).
import { generateKeyPairSync } from 'node:crypto';
import { startWorker, KEYS, TENANTS } from '../worker/harness.mjs';
import { startUpstream } from '../worker/fake-upstream.mjs';

export const ORIGIN = 'https://shop.example';
export const PK = 'pk_acme_conformance_0123456789';

const { privateKey } = generateKeyPairSync('ed25519');
const { d, x } = privateKey.export({ format: 'jwk' });
const signingKey = { kty: 'OKP', crv: 'Ed25519', d, x, kid: 'conformance', use: 'sig', alg: 'EdDSA' };

const limits = process.env.CONFORMANCE_NUMBER_LIMITS; // unset: the defaults
const up = await startUpstream();
const [acme, globex] = TENANTS;
const w = await startWorker(
  {
    SMS_PROVIDER: 'webhook',
    SMS_WEBHOOK_URL: `${up.url}/webhook`,
    // High enough that schemathesis is not throttled, low enough to be on.
    RATE_LIMIT_PER_MINUTE: '100000',
    NUMBER_LIMITS: limits === undefined ? undefined : limits,
    TOKEN_SIGNING_KEYS: JSON.stringify({ keys: [signingKey] }),
    PUBLIC_URL: 'https://otp.example',
  },
  {
    tenants: [
      {
        ...acme,
        publishableKeys: [{ key: PK, origins: [ORIGIN] }],
        browser: { template: 'Your Acme code: {{pin}}' },
        testNumbers: { '+15005550006': '123456' },
        // The browser API counts every SMS against the connecting IP (127.0.0.1 here):
        // the default 10 an hour would leave it answering 2114 after a few seconds.
        limits: { ipSendsPerHour: 100000 },
      },
      globex,
    ],
  },
);
console.log(JSON.stringify({ url: w.url, apiKey: KEYS.acme, publishableKey: PK, origin: ORIGIN }));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await w.dispose();
  await up.close?.();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
