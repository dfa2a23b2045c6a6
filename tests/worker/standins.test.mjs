// What this proves, in plain Node (no worker): the provider stand-ins (standins.mjs) answer
// each send as the provider's documentation says (answer shape, ids, documented errors when
// a field or the credentials are wrong), post delivery reports to where each provider posts
// them, and sign them so that a verifier written here, independently of standins.mjs, from
// the providers' docs, accepts them; Twilio's algorithm reproduces the worked example of
// Twilio's webhook-security docs. Each fault mode (fail, hang, reject, silent, bad or no
// signature, duplicate, out of order, late, unknown message id) does what it says.
import assert from 'node:assert/strict';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { STANDIN_SECRETS, metaSubscriptionCheck, standinEnv, startStandins } from './standins.mjs';

const S = STANDIN_SECRETS;

// ---- Independent verifiers (written from the docs, not imported from standins.mjs). ----

function sameText(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Twilio: URL + sorted name+value pairs, HMAC-SHA1 with the auth token, base64. */
function twilioValid(token, url, params, header) {
  let data = url;
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return sameText(createHmac('sha1', token).update(data).digest('base64'), header ?? '');
}

/** Vonage: sorted `&k=v` (values' & and = as _), md5hash or HMAC; case-insensitive hex. */
function vonageValid(secret, method, params) {
  if (!params.sig) return false;
  let signed = '';
  for (const k of Object.keys(params).sort()) if (k !== 'sig') signed += `&${k}=${String(params[k]).split('&').join('_').split('=').join('_')}`;
  const expected = method === 'md5hash'
    ? createHash('md5').update(signed + secret).digest('hex')
    : createHmac(method, secret).update(signed).digest('hex');
  return sameText(expected.toLowerCase(), params.sig.toLowerCase());
}

/** Meta: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(app secret, raw body). */
function metaValid(secret, raw, header) {
  return sameText(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`, header ?? '');
}

/** Standard Webhooks: HMAC-SHA256(base64-decoded key after whsec_, id.ts.body), "v1,"+base64. */
function standardValid(secret, headers, raw) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${raw}`).digest('base64');
  return String(headers['webhook-signature'] ?? '').split(' ').some((sig) => sameText(sig, `v1,${mac}`));
}

// ---- A receiver standing in for the worker's report endpoints. ----

async function startReceiver() {
  const got = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://x');
      // Meta's subscription check, answered as the worker should.
      if (req.method === 'GET' && url.searchParams.get('hub.mode') === 'subscribe') {
        const ok = url.searchParams.get('hub.verify_token') === S.whatsappVerifyToken;
        res.writeHead(ok ? 200 : 403, { 'Content-Type': 'text/plain' });
        return res.end(ok ? url.searchParams.get('hub.challenge') : 'forbidden');
      }
      got.push({ method: req.method, path: req.url, headers: req.headers, raw });
      res.writeHead(url.pathname.includes('/gone') ? 404 : 204);
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, got, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

let standins;
let receiver;
const basic = `Basic ${Buffer.from(`${S.twilioAccountSid}:${S.twilioAuthToken}`).toString('base64')}`;
const formPost = (path, fields, headers = {}) => fetch(`${standins.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
const jsonPost = (path, body, headers = {}) => fetch(`${standins.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
const OTP = '0b9f2c1e-6a3d-4f8e-9b7a-2c4d6e8f0a1b';
const twilioSms = (extra = {}) => formPost(`/2010-04-01/Accounts/${S.twilioAccountSid}/Messages.json`, { To: '+33612345678', From: '+15005550006', Body: 'Your code is 123456', StatusCallback: `${receiver.url}/v1/delivery/twilio?otp=${OTP}`, ...extra }, { Authorization: basic });
const webhookSend = (extra = {}) => jsonPost('/webhook', { to: '+33612345678', from: 'ACME', text: 'Code 123456', otpId: OTP, messageId: `${OTP}.1`, reportUrl: `${receiver.url}/v1/delivery/webhook`, channel: 'sms', ...extra });
/** The reports the receiver got on `path`, once `n` of them have arrived. */
async function reportsAt(path, n) {
  await standins.waitFor(() => receiver.got.filter((r) => r.path.startsWith(path)).length >= n, 5000);
  await standins.settled();
  return receiver.got.filter((r) => r.path.startsWith(path));
}

before(async () => {
  receiver = await startReceiver();
  standins = await startStandins();
  standinEnv(standins, receiver.url);
});
after(async () => {
  await standins.close();
  await receiver.close();
});
beforeEach(async () => {
  await standins.settled();
  standins.resetControls();
  receiver.got.length = 0;
});

describe('signature algorithms', () => {
  test("Twilio's worked example from its webhook-security docs verifies", () => {
    // https://www.twilio.com/docs/usage/webhooks/webhooks-security (the docs' example).
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
    assert.ok(twilioValid('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='));
    assert.ok(!twilioValid('12346', 'https://mycompany.com/myapp.php?foo=1&bar=2', params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='));
  });
});

describe('Twilio', () => {
  test('a message is accepted as Twilio does, and signed reports follow to its StatusCallback', async () => {
    const res = await twilioSms();
    assert.equal(res.status, 201);
    const m = await res.json();
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.status, 'queued');
    assert.equal(m.account_sid, S.twilioAccountSid);
    assert.equal(m.to, '+33612345678');
    const got = await reportsAt('/v1/delivery/twilio', 2);
    const statuses = got.map((r) => Object.fromEntries(new URLSearchParams(r.raw)));
    assert.deepEqual(statuses.map((p) => p.MessageStatus), ['sent', 'delivered']);
    for (const [i, r] of got.entries()) {
      const p = statuses[i];
      assert.equal(p.MessageSid, m.sid);
      assert.equal(p.AccountSid, S.twilioAccountSid);
      assert.equal(p.ApiVersion, '2010-04-01');
      assert.match(r.headers['content-type'], /^application\/x-www-form-urlencoded/);
      assert.ok(twilioValid(S.twilioAuthToken, `${receiver.url}${r.path}`, p, r.headers['x-twilio-signature']), 'signature verifies');
    }
    assert.deepEqual(standins.reports.slice(-2).map((r) => r.answeredStatus), [204, 204]);
    assert.equal(standins.counts().twilio.sms >= 1, true);
  });

  test('a call is accepted (CA sid) and its status callback carries CallSid and CallStatus', async () => {
    const res = await formPost(`/2010-04-01/Accounts/${S.twilioAccountSid}/Calls.json`, { To: '+33612345678', From: S.twilioVoiceFrom, Twiml: '<Response><Say language="fr-FR">1, 2, 3</Say></Response>', StatusCallback: `${receiver.url}/v1/delivery/twilio-call?otp=${OTP}` }, { Authorization: basic });
    assert.equal(res.status, 201);
    const call = await res.json();
    assert.match(call.sid, /^CA[0-9a-f]{32}$/);
    const got = await reportsAt('/v1/delivery/twilio-call', 2);
    const p = Object.fromEntries(new URLSearchParams(got[1].raw));
    assert.equal(p.CallSid, call.sid);
    assert.equal(p.CallStatus, 'completed');
    assert.ok(twilioValid(S.twilioAuthToken, `${receiver.url}${got[1].path}`, p, got[1].headers['x-twilio-signature']));
  });

  test('wrong credentials, a missing Body or a To without + get Twilio errors', async () => {
    const bad = await formPost(`/2010-04-01/Accounts/${S.twilioAccountSid}/Messages.json`, { To: '+33612345678', From: 'x', Body: 'b' }, { Authorization: 'Basic eDp5' });
    assert.equal(bad.status, 401);
    assert.equal((await bad.json()).code, 20003);
    const noBody = await twilioSms({ Body: '' });
    assert.equal(noBody.status, 400);
    assert.equal((await noBody.json()).code, 21602);
    const noPlus = await twilioSms({ To: '33612345678' });
    assert.deepEqual([noPlus.status, (await noPlus.json()).code], [400, 21211]);
  });

  test("'fail' answers 5xx, 'reject' the number's 4xx, in Twilio's error format", async () => {
    standins.control('twilio', { mode: 'fail' });
    const fail = await twilioSms();
    assert.equal(fail.status, 500);
    assert.deepEqual(Object.keys(await fail.json()).sort(), ['code', 'message', 'more_info', 'status']);
    standins.control('twilio', { mode: 'reject' });
    const reject = await twilioSms();
    assert.equal(reject.status, 400);
    assert.equal((await reject.json()).code, 21614);
  });

  test("'undelivered' reports carry ErrorCode; a bad or no signature does not verify", async () => {
    standins.control('twilio', { report: ['undelivered'], errorCode: 30005, badSignature: true });
    await twilioSms();
    const [r] = await reportsAt('/v1/delivery/twilio', 1);
    const p = Object.fromEntries(new URLSearchParams(r.raw));
    assert.deepEqual([p.MessageStatus, p.ErrorCode], ['undelivered', '30005']);
    assert.ok(!twilioValid(S.twilioAuthToken, `${receiver.url}${r.path}`, p, r.headers['x-twilio-signature']));
    receiver.got.length = 0;
    standins.control('twilio', { badSignature: false, noSignature: true });
    await twilioSms();
    const [n] = await reportsAt('/v1/delivery/twilio', 1);
    assert.equal(n.headers['x-twilio-signature'], undefined);
  });
});

describe('Vonage', () => {
  const send = (extra = {}) => formPost('/sms/json', { api_key: S.vonageApiKey, api_secret: S.vonageApiSecret, from: 'ACME', to: '33612345678', text: 'Code 123456', type: 'text', 'client-ref': OTP, callback: `${receiver.url}/v1/delivery/vonage`, ...extra });

  test('accepted as Vonage answers; receipts are signed with the chosen method', async () => {
    for (const method of ['sha256', 'md5hash', 'sha512']) {
      receiver.got.length = 0;
      standins.settings.vonage.method = method;
      const res = await send();
      assert.equal(res.status, 200);
      const a = await res.json();
      assert.equal(a['message-count'], '1');
      assert.equal(a.messages[0].status, '0');
      assert.ok(a.messages[0]['message-id']);
      const got = await reportsAt('/v1/delivery/vonage', 2);
      const receipts = got.map((r) => Object.fromEntries(new URLSearchParams(r.raw)));
      assert.deepEqual(receipts.map((d) => d.status), ['accepted', 'delivered']);
      for (const d of receipts) {
        for (const field of ['msisdn', 'to', 'network-code', 'messageId', 'price', 'status', 'scts', 'err-code', 'api-key', 'message-timestamp', 'client-ref', 'timestamp', 'sig']) assert.ok(field in d, `${field} present`);
        assert.equal(d.messageId, a.messages[0]['message-id']);
        assert.equal(d['client-ref'], OTP);
        assert.ok(vonageValid(S.vonageSignatureSecret, method, d), `${method} signature verifies`);
        assert.ok(!vonageValid('wrong', method, d));
      }
    }
    standins.settings.vonage.method = S.vonageSignatureMethod;
  });

  test('JSON receipts when the option says so, signed the same way', async () => {
    standins.settings.vonage.format = 'json';
    try {
      await send();
      const [r] = await reportsAt('/v1/delivery/vonage', 1);
      assert.match(r.headers['content-type'], /^application\/json/);
      assert.ok(vonageValid(S.vonageSignatureSecret, S.vonageSignatureMethod, JSON.parse(r.raw)));
    } finally {
      standins.settings.vonage.format = 'form';
    }
  });

  test('bad credentials, a + in to, and the modes answer as Vonage does', async () => {
    const creds = await (await send({ api_secret: 'nope' })).json();
    assert.equal(creds.messages[0].status, '4');
    assert.equal((await (await send({ to: '+33612345678' })).json()).messages[0].status, '3');
    standins.control('vonage', { mode: 'reject' });
    const reject = await send();
    assert.equal(reject.status, 200);
    assert.equal((await reject.json()).messages[0].status, '6');
    standins.control('vonage', { mode: 'fail' });
    assert.equal((await send()).status, 500);
  });

  test("'failed' carries a non-zero err-code; no signature means no sig", async () => {
    standins.control('vonage', { report: ['undelivered'], errorCode: 2, noSignature: true });
    await send();
    const [r] = await reportsAt('/v1/delivery/vonage', 1);
    const d = Object.fromEntries(new URLSearchParams(r.raw));
    assert.deepEqual([d.status, d['err-code'], d.sig], ['failed', '2', undefined]);
  });
});

describe('SMS.cx', () => {
  const send = (extra = {}, key = S.smscxApiKey) => jsonPost('/sms', { to: '+33612345678', from: 'ACME', text: 'Code 123456', trackData: OTP, idempotencyId: OTP, ...extra }, { 'X-API-KEY': key });

  test('accepted as SMS.cx answers; dlr_update goes to the account webhook with its token', async () => {
    const res = await send();
    assert.equal(res.status, 200);
    const a = await res.json();
    assert.equal(a.info.totalValid, 1);
    assert.equal(a.data[0].status, 'ACCEPTED');
    assert.equal(a.data[0].trackData, OTP);
    const [r] = await reportsAt('/v1/delivery/smscx', 1); // 'sent' is not an SMS.cx receipt
    assert.equal(new URL(r.path, 'http://x').searchParams.get('token'), S.smscxWebhookToken);
    const body = JSON.parse(r.raw);
    assert.equal(body.event, 'dlr_update');
    assert.deepEqual(Object.keys(body.data[0]).sort(), ['campaignId', 'datetime', 'errorCode', 'msgId', 'status', 'statusCode', 'trackData']);
    assert.deepEqual([body.data[0].msgId, body.data[0].status, body.data[0].trackData], [a.data[0].msgId, 'DELIVERED', OTP]);
  });

  test('a wrong key, a non-UUID trackData and a bad number get SMS.cx errors; the modes too', async () => {
    const key = await send({}, 'nope');
    assert.equal(key.status, 401);
    assert.equal((await key.json()).error.type, 'invalid_api_key');
    assert.equal((await send({ trackData: 'not-a-uuid' })).status, 400);
    assert.equal((await (await send({ to: '0612345678' })).json()).error.code, 1207);
    standins.control('smscx', { mode: 'reject' });
    assert.equal((await (await send()).json()).error.code, 1119);
    standins.control('smscx', { mode: 'fail' });
    assert.equal((await send()).status, 500);
  });

  test('a bad or no token is what a forged SMS.cx report looks like', async () => {
    standins.control('smscx', { badSignature: true, report: ['failed'] });
    await send();
    const [r] = await reportsAt('/v1/delivery/smscx', 1);
    assert.notEqual(new URL(r.path, 'http://x').searchParams.get('token'), S.smscxWebhookToken);
    assert.equal(JSON.parse(r.raw).data[0].status, 'FAILED');
  });
});

describe('WhatsApp', () => {
  const template = (code = '123456') => ({
    messaging_product: 'whatsapp', recipient_type: 'individual', to: '33612345678', type: 'template',
    template: { name: S.whatsappTemplate, language: { code: 'fr' }, components: [
      { type: 'body', parameters: [{ type: 'text', text: code }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: code }] },
    ] },
    biz_opaque_callback_data: OTP,
  });
  const send = (body = template(), token = S.whatsappAccessToken, id = S.whatsappPhoneNumberId) => jsonPost(`/v21.0/${id}/messages`, body, { Authorization: `Bearer ${token}` });

  test('a template is accepted as Meta answers; statuses reach the app webhook, signed', async () => {
    const res = await send();
    assert.equal(res.status, 200);
    const a = await res.json();
    assert.equal(a.messaging_product, 'whatsapp');
    assert.deepEqual(a.contacts, [{ input: '33612345678', wa_id: '33612345678' }]);
    assert.match(a.messages[0].id, /^wamid\./);
    const got = await reportsAt('/v1/delivery/whatsapp', 2);
    for (const r of got) assert.ok(metaValid(S.whatsappAppSecret, r.raw, r.headers['x-hub-signature-256']));
    const statuses = got.map((r) => JSON.parse(r.raw)).map((b) => {
      assert.equal(b.object, 'whatsapp_business_account');
      return b.entry[0].changes[0].value.statuses[0];
    });
    assert.deepEqual(statuses.map((s) => s.status), ['sent', 'delivered']);
    assert.deepEqual([statuses[1].id, statuses[1].recipient_id, statuses[1].biz_opaque_callback_data], [a.messages[0].id, '33612345678', OTP]);
  });

  test('a wrong token, phone number id, template or parameters get Graph errors', async () => {
    assert.equal((await (await send(template(), 'nope')).json()).error.code, 190);
    assert.equal((await send(template(), S.whatsappAccessToken, '999')).status, 400);
    const t = template();
    t.template.name = 'other';
    assert.equal((await (await send(t)).json()).error.code, 132001);
    const noButton = template();
    noButton.template.components.pop();
    assert.equal((await (await send(noButton)).json()).error.code, 132000);
    standins.control('whatsapp', { mode: 'reject' });
    assert.equal((await (await send()).json()).error.code, 131030);
  });

  test("'failed' carries errors[]; a bad signature does not verify", async () => {
    standins.control('whatsapp', { report: ['failed'], badSignature: true });
    await send();
    const [r] = await reportsAt('/v1/delivery/whatsapp', 1);
    const s = JSON.parse(r.raw).entry[0].changes[0].value.statuses[0];
    assert.equal(s.status, 'failed');
    assert.equal(s.errors[0].code, 131026);
    assert.ok(!metaValid(S.whatsappAppSecret, r.raw, r.headers['x-hub-signature-256']));
  });

  test("Meta's subscription check helper gets the challenge back only with the right token", async () => {
    const ok = await metaSubscriptionCheck(`${receiver.url}/v1/delivery/whatsapp`, S.whatsappVerifyToken, '1158201444');
    assert.deepEqual([ok.status, ok.body, ok.ok], [200, '1158201444', true]);
    const no = await metaSubscriptionCheck(`${receiver.url}/v1/delivery/whatsapp`, 'wrong');
    assert.equal(no.ok, false);
    assert.equal(no.status, 403);
  });
});

describe('webhook provider', () => {
  test('accepted; reports signed Standard Webhooks style reach reportUrl', async () => {
    const res = await webhookSend();
    assert.equal(res.status, 200);
    const got = await reportsAt('/v1/delivery/webhook', 2);
    for (const r of got) assert.ok(standardValid(S.webhookSecret, r.headers, r.raw));
    assert.deepEqual(got.map((r) => JSON.parse(r.raw)), [
      { otpId: OTP, messageId: `${OTP}.1`, status: 'sent', errorCode: null, errorText: null },
      { otpId: OTP, messageId: `${OTP}.1`, status: 'delivered', errorCode: null, errorText: null },
    ]);
  });

  test('a missing field is a 400; the modes answer 503 and 422', async () => {
    assert.equal((await webhookSend({ otpId: undefined })).status, 400);
    standins.control('webhook', { mode: 'fail' });
    assert.equal((await webhookSend()).status, 503);
    standins.control('webhook', { mode: 'reject' });
    assert.equal((await webhookSend()).status, 422);
  });
});

describe('faults', () => {
  test("'hang' never answers (the caller's timeout ends it)", async () => {
    standins.control('webhook', { mode: 'hang' });
    await assert.rejects(fetch(`${standins.url}/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
  });

  test("silent ('report: []') posts nothing", async () => {
    standins.control('webhook', { report: [] });
    const before = standins.reports.length;
    await webhookSend();
    await new Promise((r) => setTimeout(r, 150));
    await standins.settled();
    assert.equal(standins.reports.length, before);
    assert.equal(receiver.got.length, 0);
  });

  test('duplicate posts every report twice; outOfOrder posts delivered before sent', async () => {
    standins.control('webhook', { duplicate: true, outOfOrder: true });
    await webhookSend();
    const got = await reportsAt('/v1/delivery/webhook', 4);
    assert.deepEqual(got.map((r) => JSON.parse(r.raw).status), ['delivered', 'delivered', 'sent', 'sent']);
  });

  test('late waits lateMs before the first report', async () => {
    standins.control('webhook', { lateMs: 400, delayMs: 0, report: ['delivered'] });
    const t0 = Date.now();
    await webhookSend();
    await reportsAt('/v1/delivery/webhook', 1);
    assert.ok(Date.now() - t0 >= 380, 'the report came late');
  });

  test('bad and no signatures (webhook provider)', async () => {
    standins.control('webhook', { badSignature: true, report: ['delivered'] });
    await webhookSend();
    const [bad] = await reportsAt('/v1/delivery/webhook', 1);
    assert.ok(!standardValid(S.webhookSecret, bad.headers, bad.raw));
    receiver.got.length = 0;
    standins.control('webhook', { badSignature: false, noSignature: true });
    await webhookSend();
    const [none] = await reportsAt('/v1/delivery/webhook', 1);
    assert.equal(none.headers['webhook-signature'], undefined);
  });

  test('postUnknown posts a validly signed report for an id no send had, and records the answer', async () => {
    const twilio = await standins.postUnknown('twilio', { url: `${receiver.url}/v1/delivery/twilio?otp=${OTP}` });
    const p = Object.fromEntries(new URLSearchParams(twilio.body));
    assert.ok(!standins.accepted.some((m) => m.id === p.MessageSid));
    assert.ok(twilioValid(S.twilioAuthToken, twilio.url, p, twilio.headers['X-Twilio-Signature']));
    assert.equal(twilio.answeredStatus, 204);
    const wa = await standins.postUnknown('whatsapp');
    assert.ok(metaValid(S.whatsappAppSecret, wa.body, wa.headers['X-Hub-Signature-256']));
    const gone = await standins.postUnknown('webhook', { url: `${receiver.url}/gone` });
    assert.equal(gone.answeredStatus, 404);
    assert.ok(standins.reports.includes(gone));
  });

  test('counts() counts accepted sends per provider and kind; standinEnv names every variable', async () => {
    const c = standins.counts();
    assert.ok(c.twilio.sms >= 1 && c.twilio.voice >= 1 && c.vonage.sms >= 1 && c.smscx.sms >= 1 && c.whatsapp.whatsapp >= 1 && c.webhook.sms >= 1);
    const env = standinEnv(standins);
    assert.match(env.TWILIO_ACCOUNT_SID, /^AC[0-9a-f]{32}$/);
    assert.equal(env.SMS_WEBHOOK_URL, `${standins.url}/webhook`);
    assert.equal(Object.keys(env).length, 21);
    assert.ok(Object.values(env).every((v) => typeof v === 'string' && v.length));
  });
});
