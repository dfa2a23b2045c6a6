// Delivery end to end on workerd, against the provider stand-ins (standins.mjs: real HTTP
// servers on 127.0.0.1 speaking each provider's wire format and signing their reports as
// the provider documents): each provider's reports reach `delivery` on the OTP (and a bad
// or missing signature changes nothing); reports late, twice, out of order or for unknown
// messages; each trigger of failover (a send error within the request, a failure report,
// a silence past `deliveryTimeout`) carries the same PIN through the next provider or
// channel; a verified OTP gets no failover; failovers count against the caps; the circuit
// breaker skips a failing provider and tries it again; WhatsApp and voice; `delivery` in
// GET, in the browser API and in callbacks. Every message each stand-in received is
// counted.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { call, KEYS, startWorker, TENANTS, tokenVars, until } from './harness.mjs';
import { STANDIN_SECRETS, metaSubscriptionCheck, standinEnv, startStandins } from './standins.mjs';

const PUBLIC_URL = 'https://otp.example';
const FR = '+33612345678';

let standins;
before(async () => {
  standins = await startStandins();
});
after(async () => {
  await standins?.close();
});

/** Sleeps `ms` (waiting out a delivery timeout, never timing a result). */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/**
 * A worker whose providers are the stand-ins, `vars` over them, its tenant `acme` with
 * `policy` (channels, fallback, limits, …). Reports the stand-ins post to `PUBLIC_URL` are
 * delivered to the worker's local address (signed over the public URL, as a provider does).
 */
async function withWorker(vars, policy, fn) {
  standins.resetControls();
  const env = standinEnv(standins);
  standins.setReportUrls({
    smscx: `${PUBLIC_URL}/v1/delivery/smscx?token=${STANDIN_SECRETS.smscxWebhookToken}`,
    whatsapp: `${PUBLIC_URL}/v1/delivery/whatsapp`,
  });
  const tenants = TENANTS.map((t) => (t.id === 'acme' ? { ...t, ...policy } : t));
  const w = await startWorker(
    { ...env, PUBLIC_URL, SMS_TIMEOUT_MS: '1500', SMS_PROVIDER: undefined, ...vars },
    { tenants },
  );
  standins.setDeliverTo((url) => url.replace(PUBLIC_URL, w.url));
  const from = standins.received.length;
  const reportsFrom = standins.reports.length;
  try {
    return await fn(w, {
      tried: (provider) => standins.received.slice(from).filter((r) => r.provider === provider),
      accepted: (provider) => standins.received.slice(from).filter((r) => r.provider === provider && r.accepted),
      reports: () => standins.reports.slice(reportsFrom),
    });
  } finally {
    await standins.settled?.();
    await w.dispose();
  }
}

const otp = (w, id) => call(w, 'GET', `/otp/${id}`);
const create = (w, body = {}) => call(w, 'POST', '/otp', { phoneNumber: FR, ...body });

/** The code a stand-in received for a message (SMS text, WhatsApp parameter, call TwiML). */
function codeOf(entry) {
  const body = entry.form ?? entry.json ?? {};
  if (entry.provider === 'whatsapp') return body.template.components[0].parameters[0].text;
  if (entry.kind === 'voice') return [...body.Twiml.matchAll(/(\d)/g)].map((m) => m[1]).join('').slice(0, 6);
  const text = body.Body ?? body.text;
  return text.match(/(\d{6})/)[1];
}

describe('reports from each provider reach the OTP', () => {
  for (const provider of ['twilio', 'vonage', 'smscx', 'webhook']) {
    test(`${provider}: sent then delivered, signed; GET shows the provider's message id and status`, { timeout: 60000 }, async () => {
      await withWorker({ SMS_ROUTES: JSON.stringify({ '*': [provider] }) }, {}, async (w, seen) => {
        const r = await create(w);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.delivery.provider, provider);
        assert.equal(r.body.delivery.channel, 'sms');
        assert.equal(r.body.delivery.status, 'queued');
        assert.equal(r.body.delivery.attempts[0].reference, `${r.body.otpId}.1`);
        const got = await until(async () => {
          const g = await otp(w, r.body.otpId);
          return g.body.delivery?.status === 'delivered' && g;
        }, `${provider}'s delivered report`);
        const attempt = got.body.delivery.attempts[0];
        assert.equal(attempt.status, 'delivered');
        assert.equal(attempt.messageId, seen.accepted(provider)[0].messageId);
        assert.equal(seen.accepted(provider).length, 1);
        // Every report the stand-in posted was accepted.
        assert.ok(seen.reports().length >= 1);
        for (const rep of seen.reports()) assert.equal(rep.answeredStatus, 200, JSON.stringify(rep));
      });
    });
  }

  test('a bad or missing signature answers 401 and changes nothing; duplicates and out-of-order reports keep the most advanced status; an unknown message answers 200 and is logged', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: '{"*":["twilio"]}' }, {}, async (w, seen) => {
      standins.control('twilio', { badSignature: true });
      const bad = await create(w);
      await until(() => seen.reports().length >= 2, 'the badly signed reports');
      for (const rep of seen.reports()) assert.equal(rep.answeredStatus, 401);
      assert.equal((await otp(w, bad.body.otpId)).body.delivery.status, 'queued');

      standins.control('twilio', { badSignature: false, noSignature: true });
      const none = await create(w, { phoneNumber: '+33612345679' });
      await until(() => seen.reports().filter((r) => r.answeredStatus === 401).length >= 4, 'the unsigned reports');
      assert.equal((await otp(w, none.body.otpId)).body.delivery.status, 'queued');

      standins.control('twilio', { noSignature: false, duplicate: true, outOfOrder: true });
      const twice = await create(w, { phoneNumber: '+33612345670' });
      await until(async () => (await otp(w, twice.body.otpId)).body.delivery.status === 'delivered', 'delivered');
      await standins.settled();
      // Every report (delivered, sent, each twice) was taken; sent after delivered changed nothing.
      assert.equal((await otp(w, twice.body.otpId)).body.delivery.status, 'delivered');

      const unknown = await standins.postUnknown('twilio', { url: `${PUBLIC_URL}/v1/delivery/twilio?otp=3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b.1` });
      assert.equal(unknown.answeredStatus, 200);
      await until(() => w.logs.some((l) => l.includes('delivery.unknown')), 'delivery.unknown in the log');
    });
  });

  test('a report later than deliveryTimeout: the message shows expired, then delivered when the report comes (one provider: nothing to fail over to)', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: '{"*":["twilio"]}' }, { deliveryTimeout: 5 }, async (w, seen) => {
      standins.control('twilio', { report: ['delivered'], lateMs: 7000 });
      const r = await create(w);
      await until(async () => (await otp(w, r.body.otpId)).body.delivery.status === 'expired', 'expired after 5 s', 15000);
      await until(async () => (await otp(w, r.body.otpId)).body.delivery.status === 'delivered', 'the late report', 15000);
      assert.equal(seen.accepted('twilio').length, 1);
    });
  });

  test('Meta\'s subscription check: the challenge with the verify token, 401 without', { timeout: 60000 }, async () => {
    await withWorker({}, {}, async (w) => {
      const ok = await metaSubscriptionCheck(`${w.url}/v1/delivery/whatsapp`);
      assert.equal(ok.ok, true, JSON.stringify(ok));
      const wrong = await metaSubscriptionCheck(`${w.url}/v1/delivery/whatsapp`, 'not-the-token');
      assert.equal(wrong.status, 401);
      const other = await metaSubscriptionCheck(`${w.url}/v1/delivery/twilio`);
      assert.equal(other.status, 404);
    });
  });
});

describe('failover', () => {
  const routes = JSON.stringify({ '*': ['twilio', 'vonage'] });

  test('a send error moves to the next provider within the request (201); all failing is 502, the OTP FAILED, each failure named', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: routes }, {}, async (w, seen) => {
      standins.control('twilio', { mode: 'fail' });
      const r = await create(w);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const g = await otp(w, r.body.otpId);
      assert.equal(g.body.delivery.provider, 'vonage');
      assert.equal(g.body.delivery.attempts.length, 1);
      assert.equal(seen.tried('twilio').length, 1);
      assert.equal(seen.accepted('vonage').length, 1);

      standins.control('vonage', { mode: 'fail' });
      const dead = await create(w, { phoneNumber: '+33612345679' });
      assert.equal(dead.status, 502, JSON.stringify(dead.body));
      assert.equal(dead.body.error.code, 502);
      const line = w.logs.filter((l) => l.includes('"sms.failed"'));
      assert.ok(line.some((l) => l.includes('"provider":"twilio"')) && line.some((l) => l.includes('"provider":"vonage"')));
    });
  });

  test('a failure report sends the same PIN through the next provider; the PIN verifies', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: routes }, {}, async (w, seen) => {
      standins.control('twilio', { report: ['undelivered'], errorCode: '30003' });
      const r = await create(w);
      assert.equal(r.status, 201);
      await until(() => seen.accepted('vonage').length === 1, 'the failover to vonage');
      const [first] = seen.accepted('twilio');
      const [second] = seen.accepted('vonage');
      assert.equal(codeOf(second), codeOf(first), 'the same PIN');
      const g = await until(async () => {
        const g = await otp(w, r.body.otpId);
        return g.body.delivery.attempts.length === 2 && g.body.delivery.status === 'delivered' && g;
      }, 'two attempts, the second delivered');
      assert.equal(g.body.delivery.attempts[0].status, 'undelivered');
      assert.equal(g.body.delivery.attempts[0].errorCode, '30003');
      assert.equal(g.body.delivery.attempts[1].provider, 'vonage');
      const v = await call(w, 'POST', `/otp/${r.body.otpId}`, { pin: codeOf(first) });
      assert.equal(v.status, 200, JSON.stringify(v.body));
      assert.equal(seen.accepted('vonage').length, 1, 'at most maxFailovers (1)');
    });
  });

  test('no final report within deliveryTimeout fails over; a verified OTP gets nothing more', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: routes }, { deliveryTimeout: 5 }, async (w, seen) => {
      standins.control('twilio', { report: [] });
      const silent = await create(w);
      const started = Date.now();
      await until(() => seen.accepted('vonage').length === 1, 'the failover after 5 s of silence', 20000);
      assert.ok(Date.now() - started >= 4000, 'not before the timeout');
      const g = await otp(w, silent.body.otpId);
      assert.equal(g.body.delivery.attempts[0].status, 'expired');

      // Verified before its timeout: no failover.
      const done = await create(w, { phoneNumber: '+33612345679' });
      const sms = seen.accepted('twilio').at(-1);
      assert.equal((await call(w, 'POST', `/otp/${done.body.otpId}`, { pin: codeOf(sms) })).status, 200);
      await sleep(7000);
      assert.equal(seen.accepted('vonage').length, 1, 'nothing sent for the verified OTP');
    });
  });

  test('failovers count against the caps: sendsPerOtp 1 refuses one, and the tenant\'s daily cap too', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: routes, NUMBER_LIMITS: undefined }, { limits: { sendsPerOtp: 1 } }, async (w, seen) => {
      standins.control('twilio', { report: ['failed'] });
      await create(w);
      await until(() => w.logs.some((l) => l.includes('delivery.failover_refused')), 'the refusal');
      assert.equal(seen.accepted('vonage').length, 0);
    });
    await withWorker({ SMS_ROUTES: routes, NUMBER_LIMITS: undefined }, { limits: { dailySendCap: 1 } }, async (w, seen) => {
      standins.control('twilio', { report: ['failed'] });
      await create(w);
      await until(() => w.logs.some((l) => l.includes('delivery.failover_refused') && l.includes('cap')), 'the cap\'s refusal');
      assert.equal(seen.accepted('vonage').length, 0);
    });
  });

  test('the circuit breaker: 5 failures in a row skip the provider, tried again once open time passed', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: routes, CIRCUIT_OPEN_MS: '3000' }, {}, async (w, seen) => {
      standins.control('twilio', { mode: 'fail' });
      for (let i = 0; i < 5; i += 1) assert.equal((await create(w, { phoneNumber: `+3361234560${i}` })).status, 201);
      assert.equal(seen.tried('twilio').length, 5);
      assert.equal((await create(w, { phoneNumber: '+33612345606' })).status, 201);
      assert.equal(seen.tried('twilio').length, 5, 'skipped while open');
      assert.ok(w.logs.some((l) => l.includes('provider.circuit_open')));
      await sleep(3200);
      standins.control('twilio', { mode: 'ok' });
      const r = await create(w, { phoneNumber: '+33612345607' });
      assert.equal(seen.tried('twilio').length, 6, 'tried again');
      assert.equal(r.body.delivery.provider, 'twilio');
    });
  });
});

describe('channels', () => {
  test('voice: a call that says the code; channel on resend; a channel the tenant has not enabled is 2136', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: '{"*":["twilio"]}' }, { channels: ['sms', 'voice'] }, async (w, seen) => {
      // A French template for a French number: the call speaks French.
      const r = await create(w, { channel: 'voice', template: 'Code {{pin}}', template_fr: 'Votre code {{pin}}' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const [callSent] = seen.accepted('twilio');
      assert.equal(callSent.kind, 'voice');
      assert.match(callSent.form.Twiml, /<Say language="fr-FR">/);
      const g = await until(async () => {
        const g = await otp(w, r.body.otpId);
        return g.body.delivery.status === 'delivered' && g;
      }, 'the call completed');
      assert.equal(g.body.delivery.channel, 'voice');
      assert.equal((await call(w, 'POST', `/otp/${r.body.otpId}`, { pin: codeOf(callSent) })).status, 200);

      const sms = await create(w, { phoneNumber: '+33612345679' });
      const resent = await call(w, 'POST', `/otp/${sms.body.otpId}/resend`, { channel: 'voice' });
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      assert.equal(resent.body.delivery.channel, 'voice');
      assert.equal(seen.accepted('twilio').at(-1).kind, 'voice');

      const refused = await create(w, { phoneNumber: '+33612345670', channel: 'whatsapp' });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 2136);
      const bad = await create(w, { phoneNumber: '+33612345670', channel: 'fax' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 2135);
    });
  });

  test('whatsapp: the authentication template with the code twice, its language from the country or the request; its reports', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: '{"*":["twilio"]}' }, { channels: ['sms', 'whatsapp'] }, async (w, seen) => {
      const r = await create(w, { channel: 'whatsapp' });
      assert.equal(r.status, 201, JSON.stringify([r.body, seen.tried('whatsapp').map((e) => [e.path, e.answeredStatus, e.body]), w.logs.filter((l) => l.includes('sms.failed'))]));
      const [sent] = seen.accepted('whatsapp');
      const { template } = sent.json;
      assert.equal(template.name, STANDIN_SECRETS.whatsappTemplate);
      assert.equal(template.language.code, 'fr');
      assert.equal(template.components[1].parameters[0].text, codeOf(sent));
      await until(async () => (await otp(w, r.body.otpId)).body.delivery.status === 'delivered', 'delivered on WhatsApp');
      // A language the request asks for wins over the country, as for SMS templates.
      const german = await create(w, { channel: 'whatsapp', phoneNumber: '+33612345679', language: 'de' });
      assert.equal(german.status, 201, JSON.stringify(german.body));
      assert.equal(seen.accepted('whatsapp').at(-1).json.template.language.code, 'de');
      assert.equal(seen.accepted('twilio').length, 0);
    });
  });

  test('fallback: an SMS whose every provider failed is followed by a call', { timeout: 60000 }, async () => {
    await withWorker({ SMS_ROUTES: '{"*":["twilio"]}' }, { channels: ['sms', 'voice'], fallback: ['sms', 'voice'] }, async (w, seen) => {
      standins.control('twilio', { report: ['undelivered'] });
      const r = await create(w);
      await until(() => seen.accepted('twilio').some((m) => m.kind === 'voice'), 'the call');
      const [sms, voice] = seen.accepted('twilio');
      assert.equal(sms.kind, 'sms');
      assert.equal(codeOf(voice), codeOf(sms));
      const g = await otp(w, r.body.otpId);
      assert.deepEqual(g.body.delivery.attempts.map((a) => a.channel), ['sms', 'voice']);
    });
  });
});

describe('delivery where the tenant looks', () => {
  test('delivery_update callbacks (deliveryCallbacks) and delivery in the otp_update callback; the browser API\'s GET', { timeout: 60000 }, async () => {
    const got = [];
    const rx = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        got.push(JSON.parse(raw));
        res.writeHead(204).end();
      });
    });
    await new Promise((r) => rx.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${rx.address().port}/cb`;
    try {
      await withWorker({ SMS_ROUTES: '{"*":["twilio"]}', ...tokenVars(), PUBLIC_URL }, { deliveryCallbacks: true }, async (w, seen) => {
        const r = await create(w, { otpCallbackUrl: url });
        await until(() => got.some((e) => e.event === 'delivery_update' && e.data[0].delivery.status === 'delivered'), 'a delivery_update callback');
        const pin = codeOf(seen.accepted('twilio')[0]);
        assert.equal((await call(w, 'POST', `/otp/${r.body.otpId}`, { pin })).status, 200);
        const verified = await until(() => got.find((e) => e.event === 'otp_update' && e.data[0].status === 'VERIFIED'), 'the VERIFIED callback');
        assert.equal(verified.data[0].delivery.status, 'delivered');
      });
    } finally {
      rx.close();
    }
  });
});
