// The worker the Twilio SDK tests run against: the built worker on workerd (the worker
// tests' harness), its SMS sent through the webhook provider to a local HTTP stand-in
// (tests/worker/fake-upstream.mjs) that keeps every message, and three tenants with
// Twilio credentials in the dev-file form (worker/tenants.example.json's, as `load-dev`
// reads it):
// - acme: an auth token, an API key and an imported service (the contract's dev tenant);
// - globex: another account, to show that one account cannot reach another's resources;
// - initech: a strict policy, for the refusals: France only, at most 2 unverified SMS per
//   number range (E.164 without its last 4 digits) per hour, 30 s before a resend.
// Limits: no resend cooldown (a resend is the next create) and per-number caps far above
// what a test sends, so that the per-verification limits (5 checks, 5 sends) are the ones a
// test meets; tenant request rate unlimited.
import { createServer } from 'node:http';
import { startWorker, TENANTS } from '../worker/harness.mjs';
import { startUpstream } from '../worker/fake-upstream.mjs';

export const ACME = Object.freeze({
  accountSid: 'ACac3e00000000000000000000000000a1',
  authToken: 'acme-twilio-auth-token-0123456789abcdef',
  apiKeySid: 'SKac3e00000000000000000000000000b2',
  apiKeySecret: 'acme-twilio-api-key-secret-0123456789',
  serviceSid: 'VAac3e00000000000000000000000000c3',
  serviceName: 'Acme',
});
export const GLOBEX = Object.freeze({
  accountSid: 'AC91be00000000000000000000000000a1',
  authToken: 'globex-twilio-auth-token-0123456789abcdef',
});
export const INITECH = Object.freeze({
  accountSid: 'AC1e7c00000000000000000000000000a1',
  authToken: 'initech-twilio-auth-token-0123456789abcd',
});

const LIMITS = {
  resendCooldowns: [0],
  sendsPer10Minutes: 1000,
  sendsPerDay: 1000,
  prefixUnverifiedPerHour: 0,
  ipSendsPerHour: 0,
  failuresBeforeLock: 100,
  lockSeconds: 60,
};

const tenants = () => [
  ...TENANTS.map((t) => {
    if (t.id === 'acme') {
      return {
        ...t,
        twilio: {
          accountSid: ACME.accountSid,
          authToken: ACME.authToken,
          apiKeys: [{ sid: ACME.apiKeySid, secret: ACME.apiKeySecret }],
          services: [{ sid: ACME.serviceSid, friendlyName: ACME.serviceName }],
        },
      };
    }
    if (t.id === 'globex') return { ...t, twilio: { accountSid: GLOBEX.accountSid, authToken: GLOBEX.authToken } };
    return t;
  }),
  {
    id: 'initech',
    apiKeys: ['initech-test-key-0123456789'],
    webhookSecret: 'whsec_aW5pdGVjaC13ZWJob29rLXNlY3JldC0wMTIzNDU=',
    allowedCountries: ['FR'],
    limits: { prefixUnverifiedPerHour: 2, prefixBlockSeconds: 600, resendCooldowns: [30] },
    twilio: { accountSid: INITECH.accountSid, authToken: INITECH.authToken },
  },
];

/**
 * Starts the SMS stand-in and the worker; returns { url, smsTo(number), inboxUrl, logs,
 * dispose }. `smsTo(number)`: the texts of the SMS the stand-in received for that number,
 * oldest first; `inboxUrl`: the same over HTTP for the Python SDK's script,
 * `GET {inboxUrl}?to=<E.164>` → a JSON array of texts.
 */
export async function startTwilioWorker() {
  const up = await startUpstream();
  const smsTo = (number) => up.smsTo(number).map((sms) => sms.text);
  const inbox = createServer((req, res) => {
    const to = new URL(req.url, 'http://inbox').searchParams.get('to');
    res.writeHead(to ? 200 : 400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(to ? smsTo(to) : { error: 'to= is required' }));
  });
  await new Promise((resolve) => inbox.listen(0, '127.0.0.1', resolve));
  const closeInbox = () => new Promise((resolve) => { inbox.closeAllConnections?.(); inbox.close(resolve); });
  let w;
  try {
    w = await startWorker(
      {
        SMS_PROVIDER: 'webhook',
        SMS_WEBHOOK_URL: `${up.url}/webhook`,
        RATE_LIMIT_PER_MINUTE: '0',
        NUMBER_LIMITS: JSON.stringify(LIMITS),
      },
      { tenants: tenants() },
    );
  } catch (e) {
    await Promise.all([up.close(), closeInbox()]);
    throw e;
  }
  return {
    url: w.url,
    logs: w.logs,
    smsTo,
    inboxUrl: `http://127.0.0.1:${inbox.address().port}/sms`,
    async dispose() {
      await w.dispose();
      await Promise.all([up.close(), closeInbox()]);
    },
  };
}

/** The code in a Verify SMS ("Your Acme verification code is: 123456", in the recipient's language, maybe with a warning after it). */
export function codeOf(text) {
  // The first run of 4 to 10 digits: the message's language follows the recipient's
  // country (a French number's is French), and the names used here have no digits.
  const m = /(?<![\d.])(\d{4,10})(?![\d.])/.exec(text);
  if (!m) throw new Error(`no verification code in the SMS ${JSON.stringify(text)}`);
  return m[1];
}

/** A code of the same length that is not `code`. */
export const wrongCode = (code) => [...code].map((d) => String((Number(d) + 1) % 10)).join('');
