// Local stand-ins for the outside messaging APIs the worker calls: one real HTTP server on
// 127.0.0.1 that speaks each provider's wire format (as their own documentation describes
// it), checks every send against that format, answers as the provider does, and then posts
// delivery reports back with the provider's real signature. Unlike fake-upstream.mjs (a
// simpler stand-in other tests rely on), this one closes the loop: send → accept → report.
//
// Providers (base URL `url`, the real path prefixes below it):
// - Twilio Messages and Calls, `POST /2010-04-01/Accounts/{sid}/(Messages|Calls).json`;
//   reports to the send's `StatusCallback`, signed `X-Twilio-Signature`
//   (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
// - Vonage SMS API, `POST /sms/json`; delivery receipts to the send's `callback` (or the
//   account default), signed with `sig` + `timestamp` parameters
//   (https://developer.vonage.com/getting-started/concepts/signing-messages).
// - SMS.cx, `POST /sms`; `dlr_update` callbacks to the account-level webhook (`smscx.reportUrl`):
//   SMS.cx documents no signature, so the secret token in that URL is the authentication.
// - WhatsApp Cloud API, `POST /{version}/{phone-number-id}/messages`; status webhooks to the
//   app-level webhook (`whatsapp.reportUrl`), signed `X-Hub-Signature-256`
//   (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/).
// - Our generic webhook provider, `POST /webhook`; reports to the send's `reportUrl`, signed
//   Standard Webhooks style (https://www.standardwebhooks.com/).
//
// Controls per provider (`standins.control(provider, patch)`, any time): `mode` 'ok' |
// 'fail' (5xx in the provider's error format) | 'hang' (never answers) | 'reject' (the
// provider's refusal of the number); `report` (statuses to post after an accepted send,
// default ['sent', 'delivered']; [] for none), `errorCode`, `delayMs` (before each report),
// `lateMs` (extra wait before the first), `badSignature`, `noSignature`, `duplicate`,
// `outOfOrder` (the statuses in reverse order). `postUnknown(provider)` posts a report for a
// message id no send ever had.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

/** The stand-ins' secrets and account settings, to give the worker the same values. */
export const STANDIN_SECRETS = Object.freeze({
  twilioAccountSid: 'AC0123456789abcdef0123456789abcdef',
  twilioAuthToken: 'standin-twilio-auth-token-0123',
  twilioVoiceFrom: '+15005550006',
  vonageApiKey: 'standinkey',
  vonageApiSecret: 'standin-vonage-secret',
  vonageSignatureSecret: 'standin-vonage-signature-secret-0123456789',
  // Vonage's names for the methods (as its SDKs spell them): md5hash, md5, sha1, sha256, sha512.
  vonageSignatureMethod: 'sha256',
  smscxApiKey: 'standin-smscx-api-key',
  smscxWebhookToken: 'standin-smscx-webhook-token-0123456789',
  whatsappAccessToken: 'standin-whatsapp-access-token',
  whatsappPhoneNumberId: '106540352242922',
  whatsappBusinessAccountId: '102290129340398',
  whatsappDisplayNumber: '15550783881',
  whatsappTemplate: 'smsotp_code',
  whatsappTemplateLanguages: ['en', 'fr', 'de'],
  whatsappAppSecret: 'standin-whatsapp-app-secret-0123456789',
  whatsappVerifyToken: 'standin-whatsapp-verify-token',
  // Standard Webhooks: "whsec_" + base64 of the key bytes.
  webhookSecret: `whsec_${Buffer.from('standin-sms-webhook-secret-0123456789').toString('base64')}`,
});

const PROVIDERS = ['twilio', 'vonage', 'smscx', 'whatsapp', 'webhook'];

/** A provider's controls as they start. */
function defaultControls() {
  return {
    mode: 'ok',
    report: ['sent', 'delivered'],
    errorCode: undefined,
    delayMs: 20,
    lateMs: 0,
    badSignature: false,
    noSignature: false,
    duplicate: false,
    outOfOrder: false,
  };
}

const hex = (bytes) => randomBytes(bytes).toString('hex');
const isUuid = (s) => typeof s === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(s);
const isE164 = (s) => typeof s === 'string' && /^\+[1-9]\d{6,14}$/.test(s);
const isHttpUrl = (s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const unixNow = () => Math.floor(Date.now() / 1000);

// ---- Signatures, each as its provider documents it (exported: tests and other stand-ins
// may sign with them, but standins.test.mjs checks them against its own computation). ----

/** Twilio: base64(HMAC-SHA1(auth token, URL + each POST param name+value, sorted by name)). */
export function twilioSignature(authToken, url, params) {
  const data = Object.keys(params).sort().reduce((acc, name) => acc + name + params[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * Vonage signed webhooks: the parameters but `sig`, sorted by name, as `&name=value` with
 * `&` and `=` in values replaced by `_`; md5hash is MD5(that + secret) in lowercase hex, the
 * HMAC methods HMAC(secret, that) in uppercase hex (compare without case either way).
 */
export function vonageSignature(secret, method, params) {
  const signed = Object.keys(params)
    .filter((name) => name !== 'sig')
    .sort()
    .map((name) => `&${name}=${String(params[name]).replace(/[&=]/g, '_')}`)
    .join('');
  if (method === 'md5hash') return createHash('md5').update(signed + secret, 'utf8').digest('hex');
  if (!['md5', 'sha1', 'sha256', 'sha512'].includes(method)) throw new Error(`unknown Vonage signature method ${method}`);
  return createHmac(method, secret).update(signed, 'utf8').digest('hex').toUpperCase();
}

/** Meta: `sha256=` + hex HMAC-SHA256(app secret, the raw body). */
export function metaSignature(appSecret, rawBody) {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody, 'utf8').digest('hex')}`;
}

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256(key bytes after "whsec_", "id.timestamp.body"). */
export function standardWebhookSignature(secret, id, timestamp, rawBody) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`, 'utf8').digest('base64')}`;
}

// ---- Each provider's answers (error bodies as the provider's docs show them). ----

function twilioError(status, code, message) {
  return [status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }];
}

function metaError(status, code, message, details, type = 'OAuthException') {
  const error = { message, type, code, fbtrace_id: `A${hex(11)}` };
  if (details) error.error_data = { messaging_product: 'whatsapp', details };
  return [status, { error }];
}

function smscxError(status, type, code, message) {
  return [status, { error: { type, code, message, uri: 'https://docs.sms.cx/#errors' } }];
}

/** A Vonage SMS API answer: always one message entry, `status` "0" on success. */
function vonageAnswer(httpStatus, entry) {
  return [httpStatus, { 'message-count': '1', messages: [entry] }];
}

/** What a provider calls our abstract status names, for its reports. */
const STATUS_NAMES = {
  twilioSms: { sent: 'sent', delivered: 'delivered', undelivered: 'undelivered', failed: 'failed', read: 'read' },
  twilioVoice: { sent: 'ringing', delivered: 'completed', undelivered: 'no-answer', failed: 'failed' },
  vonage: { sent: 'accepted', delivered: 'delivered', undelivered: 'failed', failed: 'failed' },
  // SMS.cx documents only final receipts (DELIVERED, FAILED): 'sent' is not reported.
  smscx: { sent: null, delivered: 'DELIVERED', undelivered: 'FAILED', failed: 'FAILED' },
  whatsapp: { sent: 'sent', delivered: 'delivered', read: 'read', undelivered: 'failed', failed: 'failed' },
  webhook: {},
};
const FAILED = new Set(['undelivered', 'failed', 'expired', 'rejected', 'no-answer', 'busy']);

/**
 * Starts the stand-ins. `opts`: `secrets` (overrides of STANDIN_SECRETS), `controls`
 * ({provider: patch}), `smscx.reportUrl`, `whatsapp.reportUrl` (the account/app-level
 * webhooks), `vonage.reportUrl` (the account's default receipt URL), `vonage.format`
 * ('form' | 'json'), `vonage.method` (signature method, default the secrets' one),
 * `whatsapp.version` (accepted Graph version pattern, default any `vNN.N`).
 */
export async function startStandins(opts = {}) {
  const secrets = { ...STANDIN_SECRETS, ...(opts.secrets ?? {}) };
  const settings = {
    smscx: { reportUrl: opts.smscx?.reportUrl },
    whatsapp: { reportUrl: opts.whatsapp?.reportUrl },
    vonage: { reportUrl: opts.vonage?.reportUrl, format: opts.vonage?.format ?? 'form', method: opts.vonage?.method ?? secrets.vonageSignatureMethod },
  };
  const controls = Object.fromEntries(PROVIDERS.map((p) => [p, { ...defaultControls(), ...(opts.controls?.[p] ?? {}) }]));
  const received = [];
  const reports = [];
  const accepted = [];
  const pending = new Set();
  const waiters = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  // Where a report really goes: the URL the send named is the worker's public one
  // (PUBLIC_URL, which the signature covers), reached here at the worker's local address.
  let deliverTo = opts.deliverTo ?? ((url) => url);

  /** Posts one report and records it with the receiver's answer. */
  async function post(entry) {
    reports.push(entry);
    try {
      const res = await fetch(deliverTo(entry.url), { method: 'POST', headers: entry.headers, body: entry.body });
      entry.answeredStatus = res.status;
      entry.answerBody = await res.text();
    } catch (e) {
      entry.answeredStatus = null;
      entry.error = String(e?.cause?.code ?? e.message);
    }
    wake();
  }

  // ---- Report builders: (message, status name, control) → [{url, headers, body, status}]. ----

  function twilioReport(msg, name, c) {
    const voice = msg.kind === 'voice';
    const status = (voice ? STATUS_NAMES.twilioVoice : STATUS_NAMES.twilioSms)[name] ?? name;
    const params = voice
      ? {
          AccountSid: secrets.twilioAccountSid, ApiVersion: '2010-04-01', CallSid: msg.id, CallStatus: status,
          Called: msg.to, Caller: msg.from, Direction: 'outbound-api', From: msg.from, To: msg.to,
          Timestamp: new Date().toUTCString(), CallbackSource: 'call-progress-events', SequenceNumber: String(msg.seq++),
        }
      : {
          AccountSid: secrets.twilioAccountSid, ApiVersion: '2010-04-01', From: msg.from, MessageSid: msg.id,
          MessageStatus: status, SmsSid: msg.id, SmsStatus: status, To: msg.to,
        };
    if (voice && status === 'completed') params.CallDuration = '14';
    if (!voice && FAILED.has(name)) params.ErrorCode = String(c.errorCode ?? 30003);
    if (voice && FAILED.has(name) && c.errorCode) params.ErrorCode = String(c.errorCode);
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'User-Agent': 'TwilioProxy/1.1', 'I-Twilio-Idempotency-Token': randomUUID() };
    const key = c.badSignature ? 'not-the-auth-token' : secrets.twilioAuthToken;
    if (!c.noSignature) headers['X-Twilio-Signature'] = twilioSignature(key, msg.reportUrl, params);
    return { url: msg.reportUrl, headers, body: new URLSearchParams(params).toString(), status };
  }

  function vonageReport(msg, name, c) {
    const status = STATUS_NAMES.vonage[name] ?? name;
    const now = new Date();
    const p2 = (n) => String(n).padStart(2, '0');
    const params = {
      msisdn: msg.to, to: msg.from, 'network-code': '20810', messageId: msg.id, price: '0.03330000', status,
      scts: `${String(now.getUTCFullYear()).slice(2)}${p2(now.getUTCMonth() + 1)}${p2(now.getUTCDate())}${p2(now.getUTCHours())}${p2(now.getUTCMinutes())}`,
      'err-code': FAILED.has(name) || ['failed', 'expired', 'rejected'].includes(status) ? String(c.errorCode ?? 1) : '0',
      'api-key': secrets.vonageApiKey,
      'message-timestamp': now.toISOString().replace('T', ' ').slice(0, 19),
    };
    if (msg.clientRef !== undefined) params['client-ref'] = msg.clientRef;
    if (!c.noSignature) {
      params.timestamp = String(unixNow());
      const secret = c.badSignature ? 'not-the-signature-secret' : secrets.vonageSignatureSecret;
      params.sig = vonageSignature(secret, settings.vonage.method, params);
    }
    const json = settings.vonage.format === 'json';
    return {
      url: msg.reportUrl,
      headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: json ? JSON.stringify(params) : new URLSearchParams(params).toString(),
      status,
    };
  }

  function smscxReport(msg, name, c) {
    const status = name in STATUS_NAMES.smscx ? STATUS_NAMES.smscx[name] : name;
    if (status === null) return null;
    const failed = status !== 'DELIVERED';
    const item = {
      campaignId: msg.campaignId, msgId: msg.id, statusCode: failed ? 2 : 1, status,
      errorCode: failed ? (c.errorCode ?? 4001) : null,
      datetime: new Date().toISOString().replace('T', ' ').slice(0, 19),
      trackData: msg.trackData ?? null,
    };
    // The token is the only authentication SMS.cx's callback can carry: a wrong or no token.
    const url = new URL(msg.reportUrl);
    if (c.noSignature) url.searchParams.delete('token');
    else if (c.badSignature) url.searchParams.set('token', 'not-the-webhook-token');
    return { url: url.toString(), headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event: 'dlr_update', data: [item] }), status };
  }

  function whatsappReport(msg, name, c) {
    const status = STATUS_NAMES.whatsapp[name] ?? name;
    const item = { id: msg.id, status, timestamp: String(unixNow()), recipient_id: msg.waId };
    if (msg.bizOpaque !== undefined) item.biz_opaque_callback_data = msg.bizOpaque;
    if (status === 'sent' || status === 'delivered') item.pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'authentication' };
    if (status === 'failed') {
      const code = c.errorCode ?? 131026;
      item.errors = [{ code, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'Message failed to send because of an unknown error.' }, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' }];
    }
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: secrets.whatsappBusinessAccountId, changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: secrets.whatsappDisplayNumber, phone_number_id: secrets.whatsappPhoneNumberId }, statuses: [item] }, field: 'messages' }] }],
    });
    const headers = { 'Content-Type': 'application/json', 'User-Agent': 'facebookexternalua' };
    if (!c.noSignature) headers['X-Hub-Signature-256'] = metaSignature(c.badSignature ? 'not-the-app-secret' : secrets.whatsappAppSecret, body);
    return { url: msg.reportUrl, headers, body, status };
  }

  function webhookReport(msg, name, c) {
    const failed = FAILED.has(name);
    const body = JSON.stringify({
      otpId: msg.otpId, messageId: msg.id, status: name,
      errorCode: failed ? String(c.errorCode ?? 'unreachable') : null,
      errorText: failed ? 'The handset could not be reached' : null,
    });
    const headers = { 'Content-Type': 'application/json' };
    if (!c.noSignature) {
      const id = `msg_${hex(12)}`;
      const timestamp = String(unixNow());
      const secret = c.badSignature ? `whsec_${Buffer.from('not-the-webhook-secret').toString('base64')}` : secrets.webhookSecret;
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': standardWebhookSignature(secret, id, timestamp, body) });
    }
    return { url: msg.reportUrl, headers, body, status: name };
  }

  const BUILDERS = { twilio: twilioReport, vonage: vonageReport, smscx: smscxReport, whatsapp: whatsappReport, webhook: webhookReport };

  /** Posts `msg`'s reports as its provider's controls say (in the background). */
  function scheduleReports(msg) {
    const c = { ...controls[msg.provider] };
    if (!msg.reportUrl || !c.report?.length) return;
    const names = c.outOfOrder ? [...c.report].reverse() : [...c.report];
    const run = (async () => {
      if (c.lateMs) await sleep(c.lateMs);
      for (const name of names) {
        if (c.delayMs) await sleep(c.delayMs);
        const built = BUILDERS[msg.provider](msg, name, c);
        if (!built) continue;
        const times = c.duplicate ? 2 : 1;
        for (let i = 0; i < times; i++) await post({ provider: msg.provider, kind: msg.kind, messageId: msg.id, ...built });
      }
    })();
    pending.add(run);
    run.finally(() => pending.delete(run));
  }

  // ---- The send endpoints: check the request as the provider would, then answer. ----

  function twilio(req, entry, kind) {
    const basic = `Basic ${Buffer.from(`${secrets.twilioAccountSid}:${secrets.twilioAuthToken}`).toString('base64')}`;
    if (req.headers.authorization !== basic || entry.pathSid !== secrets.twilioAccountSid) return twilioError(401, 20003, 'Authenticate');
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return twilioError(400, 20001, 'Content-Type must be application/x-www-form-urlencoded');
    const f = entry.form;
    if (!f.To) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!f.From && !(kind === 'sms' && f.MessagingServiceSid)) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (kind === 'sms' && !f.Body) return twilioError(400, 21602, 'Message body is required.');
    if (kind === 'voice' && !f.Twiml && !f.Url) return twilioError(400, 21205, 'Url or Twiml is required.');
    if (f.Body && f.Body.length > 1600) return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (f.StatusCallback !== undefined && !isHttpUrl(f.StatusCallback)) return twilioError(400, 21609, 'Invalid StatusCallback URL');
    if (!isE164(f.To)) return twilioError(400, 21211, `The 'To' number ${f.To} is not a valid phone number.`);
    const c = controls.twilio;
    if (c.mode === 'fail') return twilioError(500, 20500, 'Internal Server Error');
    if (c.mode === 'reject') return kind === 'sms' ? twilioError(400, 21614, `'To' number ${f.To} is not a mobile number`) : twilioError(400, 21215, `Account not authorized to call ${f.To}.`);
    const id = (kind === 'sms' ? 'SM' : 'CA') + hex(16);
    const created = new Date().toUTCString();
    const msg = { provider: 'twilio', kind, id, to: f.To, from: f.From, reportUrl: f.StatusCallback, seq: 0 };
    const base = `/2010-04-01/Accounts/${secrets.twilioAccountSid}`;
    const body = kind === 'sms'
      ? {
          account_sid: secrets.twilioAccountSid, api_version: '2010-04-01', body: f.Body, date_created: created, date_sent: null,
          date_updated: created, direction: 'outbound-api', error_code: null, error_message: null, from: f.From,
          messaging_service_sid: f.MessagingServiceSid ?? null, num_media: '0', num_segments: String(Math.ceil(f.Body.length / 153) || 1),
          price: null, price_unit: 'USD', sid: id, status: 'queued', subresource_uris: { media: `${base}/Messages/${id}/Media.json` },
          to: f.To, uri: `${base}/Messages/${id}.json`,
        }
      : {
          account_sid: secrets.twilioAccountSid, answered_by: null, api_version: '2010-04-01', caller_name: null,
          date_created: created, date_updated: created, direction: 'outbound-api', duration: null, end_time: null,
          from: f.From, from_formatted: f.From, parent_call_sid: null, phone_number_sid: null, price: null, price_unit: 'USD',
          sid: id, start_time: null, status: 'queued', to: f.To, to_formatted: f.To, uri: `${base}/Calls/${id}.json`,
        };
    return [201, body, msg];
  }

  function vonage(req, entry) {
    const p = entry.form ?? entry.json ?? {};
    // Credentials as body fields, or HTTP Basic key:secret.
    let [key, secret] = [p.api_key, p.api_secret];
    const auth = req.headers.authorization ?? '';
    if (!key && auth.startsWith('Basic ')) [key, secret] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    if (!key || !secret) return vonageAnswer(200, { status: '2', 'error-text': `Missing ${key ? 'api_secret' : 'api_key'}` });
    if (key !== secrets.vonageApiKey || secret !== secrets.vonageApiSecret) return vonageAnswer(200, { status: '4', 'error-text': 'Bad Credentials' });
    for (const field of ['from', 'to', 'text']) {
      if (!p[field]) return vonageAnswer(200, { status: '2', 'error-text': `Missing ${field} param` });
    }
    if (!/^\d{7,15}$/.test(p.to)) return vonageAnswer(200, { status: '3', 'error-text': 'Invalid to param' });
    if (p.type !== undefined && !['text', 'unicode', 'binary'].includes(p.type)) return vonageAnswer(200, { status: '3', 'error-text': 'Invalid type param' });
    if (p.type !== 'unicode' && /[^\x00-\x7f£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà€]/.test(p.text)) return vonageAnswer(200, { status: '3', 'error-text': 'Invalid text param: not GSM characters, use type=unicode' });
    if (p['client-ref'] !== undefined && p['client-ref'].length > 40) return vonageAnswer(200, { status: '3', 'error-text': 'Invalid client-ref param' });
    if (p.callback !== undefined && !isHttpUrl(p.callback)) return vonageAnswer(200, { status: '3', 'error-text': 'Invalid callback param' });
    const c = controls.vonage;
    // Vonage's own errors arrive as HTTP 200; 'fail' is an outage in front of it (5xx).
    if (c.mode === 'fail') return vonageAnswer(500, { status: '5', 'error-text': 'Internal Error' });
    if (c.mode === 'reject') return vonageAnswer(200, { to: p.to, status: '6', 'error-text': 'Unroutable message - rejected' });
    const id = hex(8).toUpperCase();
    const msg = { provider: 'vonage', kind: 'sms', id, to: p.to, from: p.from, clientRef: p['client-ref'], reportUrl: p.callback ?? settings.vonage.reportUrl };
    const answer = { to: p.to, 'message-id': id, status: '0', 'remaining-balance': '15.53590000', 'message-price': '0.03330000', network: '20810' };
    if (p['client-ref'] !== undefined) answer['client-ref'] = p['client-ref'];
    return [...vonageAnswer(200, answer), msg];
  }

  function smscx(req, entry) {
    const bearer = req.headers.authorization === `Bearer ${secrets.smscxApiKey}`;
    if (req.headers['x-api-key'] !== secrets.smscxApiKey && !bearer) return smscxError(401, 'invalid_api_key', 401, 'Invalid API key');
    const b = entry.json;
    if (!b || typeof b !== 'object') return smscxError(400, 'invalid_param', 1100, 'The request body is not valid JSON');
    const to = Array.isArray(b.to) ? b.to[0] : b.to;
    if (!to) return smscxError(400, 'invalid_param', 1104, 'The parameter `to` is empty or not set');
    if (!b.from) return smscxError(400, 'invalid_param', 1105, 'The parameter `from` is empty or not set');
    if (b.from.length < 3 || b.from.length > 15) return smscxError(400, 'invalid_param', 1106, 'The parameter `from` is not valid (min 3, max 15 characters)');
    if (!b.text) return smscxError(400, 'invalid_param', 1107, 'The parameter `text` is empty or not set');
    if (b.dlrCallbackUrl !== undefined && !isHttpUrl(b.dlrCallbackUrl)) return smscxError(400, 'invalid_param', 1109, 'The parameter `dlrCallbackUrl` is not a valid URL');
    // SMS.cx documents both as the client's own UUID (v1-v5).
    if (b.trackData !== undefined && !isUuid(b.trackData)) return smscxError(400, 'invalid_param', 1111, 'The parameter `trackData` is not a valid UUID');
    if (b.idempotencyId !== undefined && !isUuid(b.idempotencyId)) return smscxError(400, 'invalid_param', 1111, 'The parameter `idempotencyId` is not a valid UUID');
    if (!isE164(to)) return smscxError(400, 'invalid_param', 1207, 'The phone number provided is not valid');
    const c = controls.smscx;
    if (c.mode === 'fail') return smscxError(500, 'internal_error', 500, 'Internal server error');
    if (c.mode === 'reject') return smscxError(403, 'no_coverage', 1119, 'No coverage or restricted destination');
    const id = randomUUID();
    const campaignId = randomUUID();
    const parts = Math.ceil(b.text.length / 153) || 1;
    const msg = { provider: 'smscx', kind: 'sms', id, campaignId, trackData: b.trackData, reportUrl: b.dlrCallbackUrl ?? settings.smscx.reportUrl };
    return [200, {
      info: { campaignId, totalPhoneNumbers: 1, totalValid: 1, totalInvalid: 0, totalCost: 0.041 * parts, totalParts: parts, dlrCallbackUrl: b.dlrCallbackUrl ?? null, scheduled: false },
      data: [{ msgId: id, status: 'ACCEPTED', statusCode: 0, errorCode: null, createdAt: new Date().toISOString(), inQuietHours: false, cost: 0.041 * parts, to, countryIso: 'FR', from: b.from, text: b.text, parts, trackData: b.trackData }],
    }, msg];
  }

  function whatsapp(req, entry) {
    if (req.headers.authorization !== `Bearer ${secrets.whatsappAccessToken}`) return metaError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (entry.phoneNumberId !== secrets.whatsappPhoneNumberId) return metaError(400, 100, `Unsupported post request. Object with ID '${entry.phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, null, 'GraphMethodException');
    const b = entry.json;
    const bad = (details) => metaError(400, 100, '(#100) Invalid parameter', details);
    if (!b || typeof b !== 'object') return bad('The request body is not valid JSON');
    if (b.messaging_product !== 'whatsapp') return bad('The parameter messaging_product is required.');
    if (!b.to || !/^\+?\d{7,15}$/.test(b.to)) return bad('The parameter to is required and must be a phone number.');
    if (b.type !== 'template' || !b.template) return bad('The parameter template is required.');
    const t = b.template;
    if (!t.name || !t.language?.code) return bad('The parameters template.name and template.language.code are required.');
    const langs = secrets.whatsappTemplateLanguages.map((l) => l.toLowerCase());
    if (t.name !== secrets.whatsappTemplate || !langs.includes(t.language.code.toLowerCase())) {
      return metaError(404, 132001, '(#132001) Template name does not exist in the translation', `template name (${t.name}) does not exist in ${t.language.code}`);
    }
    // An authentication template: the code as the body's one parameter and as the URL
    // button's (copy code / one-tap), the same code, at most 15 characters.
    const components = Array.isArray(t.components) ? t.components : [];
    const body = components.find((x) => x.type === 'body');
    const button = components.find((x) => x.type === 'button' && x.sub_type === 'url');
    const codeOf = (x) => (x?.parameters?.length === 1 && x.parameters[0].type === 'text' ? x.parameters[0].text : undefined);
    if (codeOf(body) === undefined || codeOf(button) === undefined || String(button.index) !== '0') {
      return metaError(400, 132000, '(#132000) Number of parameters does not match the expected number of params', 'body: 1 text parameter and button (sub_type url, index 0): 1 text parameter expected');
    }
    if (codeOf(body) !== codeOf(button) || String(codeOf(body)).length > 15) return metaError(400, 131008, '(#131008) Required parameter is missing', 'the code must be the same in the body and the button, at most 15 characters');
    if (b.biz_opaque_callback_data !== undefined && String(b.biz_opaque_callback_data).length > 512) return bad('biz_opaque_callback_data is longer than 512 characters');
    const c = controls.whatsapp;
    if (c.mode === 'fail') return metaError(500, 1, 'An unknown error has occurred.', null, 'OAuthException');
    const waId = b.to.replace(/^\+/, '');
    if (c.mode === 'reject') return metaError(400, 131030, '(#131030) Recipient phone number not in allowed list', 'Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.');
    const id = `wamid.${Buffer.from(`HBgL${waId}${hex(10)}`).toString('base64')}`;
    const msg = { provider: 'whatsapp', kind: 'whatsapp', id, waId, code: codeOf(body), bizOpaque: b.biz_opaque_callback_data, reportUrl: settings.whatsapp.reportUrl };
    return [200, { messaging_product: 'whatsapp', contacts: [{ input: b.to, wa_id: waId }], messages: [{ id, message_status: 'accepted' }] }, msg];
  }

  function webhook(req, entry) {
    const b = entry.json;
    if (!b || typeof b !== 'object') return [400, { error: 'body is not JSON' }];
    for (const field of ['to', 'text', 'otpId']) {
      if (typeof b[field] !== 'string' || !b[field]) return [400, { error: `missing ${field}` }];
    }
    if (b.reportUrl !== undefined && !isHttpUrl(b.reportUrl)) return [400, { error: 'reportUrl is not an http(s) URL' }];
    if (b.channel !== undefined && !['sms', 'voice', 'whatsapp'].includes(b.channel)) return [400, { error: 'unknown channel' }];
    const c = controls.webhook;
    if (c.mode === 'fail') return [503, { error: 'temporarily unavailable' }];
    if (c.mode === 'reject') return [422, { error: 'number refused' }];
    const id = b.messageId ?? `${b.otpId}.1`;
    const msg = { provider: 'webhook', kind: b.channel ?? 'sms', id, otpId: b.otpId, reportUrl: b.reportUrl };
    return [200, { accepted: true, messageId: id }, msg];
  }

  /** The provider and kind a request path names, with the ids it carries. */
  function route(method, path) {
    const p = path.split('?')[0];
    let m;
    if (method === 'POST' && (m = p.match(/^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/))) return { provider: 'twilio', kind: m[2] === 'Messages' ? 'sms' : 'voice', pathSid: m[1] };
    if (method === 'POST' && p === '/sms/json') return { provider: 'vonage', kind: 'sms' };
    if (method === 'POST' && p === '/sms') return { provider: 'smscx', kind: 'sms' };
    if (method === 'POST' && (m = p.match(/^\/(v\d+\.\d+)\/([^/]+)\/messages$/))) return { provider: 'whatsapp', kind: 'whatsapp', phoneNumberId: m[2] };
    if (method === 'POST' && p === '/webhook') return { provider: 'webhook', kind: 'sms' };
    return null;
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const r = route(req.method, req.url);
      const entry = { provider: r?.provider ?? null, kind: r?.kind ?? null, method: req.method, path: req.url, headers: req.headers, body: raw, at: Date.now() };
      const type = String(req.headers['content-type'] ?? '');
      if (type.startsWith('application/x-www-form-urlencoded')) entry.form = Object.fromEntries(new URLSearchParams(raw));
      else if (type.startsWith('application/json')) {
        try {
          entry.json = JSON.parse(raw);
        } catch {
          entry.json = undefined;
        }
      }
      if (r?.provider === 'webhook' && entry.json?.channel) entry.kind = entry.json.channel;
      received.push(entry);
      wake();
      const answer = (status, body) => {
        entry.answeredStatus = status;
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (!r) return answer(404, { error: 'no such endpoint on the stand-ins' });
      if (controls[r.provider].mode === 'hang') {
        entry.answeredStatus = null;
        return; // never answers
      }
      const handler = { twilio: (q, e) => twilio(q, e, r.kind), vonage, smscx, whatsapp, webhook }[r.provider];
      const [status, body, msg] = handler(req, Object.assign(entry, { pathSid: r.pathSid, phoneNumberId: r.phoneNumberId }));
      delete entry.pathSid;
      delete entry.phoneNumberId;
      if (msg) {
        entry.accepted = true;
        entry.messageId = msg.id;
        accepted.push(msg);
      }
      answer(status, body);
      if (msg) scheduleReports(msg);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  return {
    url,
    secrets,
    received,
    reports,
    /** The messages accepted, with their ids and report URLs. */
    accepted,
    controls,
    settings,
    /** Changes `provider`'s controls (a patch), for the sends that follow. */
    control(provider, patch) {
      if (!controls[provider]) throw new Error(`unknown provider ${provider}`);
      Object.assign(controls[provider], patch);
      return controls[provider];
    },
    /**
     * Sends reports to `fn(url)` instead of the URL the send named (signed over the
     * latter): the worker's PUBLIC_URL is not where a local test reaches it.
     */
    setDeliverTo(fn) {
      deliverTo = fn;
    },
    /** Every provider's controls back to the defaults. */
    resetControls() {
      for (const p of PROVIDERS) controls[p] = Object.assign(controls[p], defaultControls());
    },
    /** Sets the account/app-level webhooks (SMS.cx, WhatsApp) and Vonage's default. */
    setReportUrls({ smscx, whatsapp, vonage } = {}) {
      if (smscx !== undefined) settings.smscx.reportUrl = smscx;
      if (whatsapp !== undefined) settings.whatsapp.reportUrl = whatsapp;
      if (vonage !== undefined) settings.vonage.reportUrl = vonage;
    },
    /** Messages accepted, per provider and kind: {twilio: {sms: 1, voice: 0}, …}. */
    counts() {
      const out = Object.fromEntries(PROVIDERS.map((p) => [p, {}]));
      for (const m of accepted) out[m.provider][m.kind] = (out[m.provider][m.kind] ?? 0) + 1;
      return out;
    },
    /** Waits until `pred(received, reports)` holds (or throws after `ms`). */
    async waitFor(pred, ms = 15000) {
      const end = Date.now() + ms;
      while (!pred(received, reports)) {
        if (Date.now() > end) throw new Error('timed out waiting for the stand-ins');
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    /** Waits until every scheduled report has been posted. */
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    /**
     * Posts a report, signed as `provider` signs, for a message id no send ever had.
     * `url`: where (default: the last report URL that provider used, or its account-level
     * webhook); `status` (default 'delivered'); `kind` ('sms' | 'voice' for Twilio).
     */
    async postUnknown(provider, { url: to, status = 'delivered', kind } = {}) {
      const last = [...accepted].reverse().find((m) => m.provider === provider && m.reportUrl);
      const reportUrl = to ?? last?.reportUrl ?? settings[provider]?.reportUrl;
      if (!reportUrl) throw new Error(`no report URL known for ${provider}: pass one`);
      const k = kind ?? (provider === 'whatsapp' ? 'whatsapp' : 'sms');
      const ids = { twilio: (k === 'voice' ? 'CA' : 'SM') + hex(16), vonage: hex(8).toUpperCase(), smscx: randomUUID(), whatsapp: `wamid.${randomBytes(24).toString('base64')}`, webhook: `${randomUUID()}.1` };
      const msg = { provider, kind: k, id: ids[provider], to: '+33612345678', from: 'Standin', waId: '33612345678', otpId: randomUUID(), campaignId: randomUUID(), seq: 0, reportUrl, unknown: true };
      if (provider === 'vonage') msg.to = '33612345678';
      const c = { ...controls[provider], badSignature: false, noSignature: false };
      const built = BUILDERS[provider](msg, status, c);
      const entry = { provider, kind: k, messageId: msg.id, unknown: true, ...built };
      await post(entry);
      return entry;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await Promise.allSettled([...pending]);
    },
  };
}

/**
 * Meta's subscription check: a GET to `url` with `hub.mode=subscribe`, the verify token
 * and a challenge; returns {status, body, challenge, ok} (ok: the challenge came back as is).
 */
export async function metaSubscriptionCheck(url, verifyToken = STANDIN_SECRETS.whatsappVerifyToken, challenge = String(Math.floor(Math.random() * 1e9))) {
  const u = new URL(url);
  u.searchParams.set('hub.mode', 'subscribe');
  u.searchParams.set('hub.verify_token', verifyToken);
  u.searchParams.set('hub.challenge', challenge);
  const res = await fetch(u, { headers: { 'User-Agent': 'facebookplatform/1.0 (+http://developers.facebook.com)' } });
  const body = await res.text();
  return { status: res.status, body, challenge, ok: res.status === 200 && body === challenge };
}

/**
 * The worker variables that point every provider at `standins`. With `publicUrl` (the
 * worker's own address as the stand-ins reach it), the account-level webhooks are set too:
 * SMS.cx's to `{publicUrl}/v1/delivery/smscx?token=…`, WhatsApp's to
 * `{publicUrl}/v1/delivery/whatsapp`.
 */
export function standinEnv(standins, publicUrl) {
  const s = standins.secrets;
  if (publicUrl) {
    const base = publicUrl.replace(/\/$/, '');
    standins.setReportUrls({
      smscx: `${base}/v1/delivery/smscx?token=${encodeURIComponent(s.smscxWebhookToken)}`,
      whatsapp: `${base}/v1/delivery/whatsapp`,
    });
  }
  return {
    TWILIO_BASE_URL: standins.url,
    TWILIO_ACCOUNT_SID: s.twilioAccountSid,
    TWILIO_AUTH_TOKEN: s.twilioAuthToken,
    TWILIO_VOICE_FROM: s.twilioVoiceFrom,
    VONAGE_BASE_URL: standins.url,
    VONAGE_API_KEY: s.vonageApiKey,
    VONAGE_API_SECRET: s.vonageApiSecret,
    VONAGE_SIGNATURE_SECRET: s.vonageSignatureSecret,
    VONAGE_SIGNATURE_METHOD: standins.settings.vonage.method,
    SMSCX_BASE_URL: standins.url,
    SMSCX_API_KEY: s.smscxApiKey,
    SMSCX_WEBHOOK_TOKEN: s.smscxWebhookToken,
    SMS_WEBHOOK_URL: `${standins.url}/webhook`,
    SMS_WEBHOOK_SECRET: s.webhookSecret,
    WHATSAPP_BASE_URL: standins.url,
    WHATSAPP_ACCESS_TOKEN: s.whatsappAccessToken,
    WHATSAPP_PHONE_NUMBER_ID: s.whatsappPhoneNumberId,
    WHATSAPP_TEMPLATE: s.whatsappTemplate,
    WHATSAPP_TEMPLATE_LANGUAGES: s.whatsappTemplateLanguages.join(','),
    WHATSAPP_APP_SECRET: s.whatsappAppSecret,
    WHATSAPP_VERIFY_TOKEN: s.whatsappVerifyToken,
  };
}
