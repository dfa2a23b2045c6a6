// The delivery soak (issue 20): many OTPs on the built worker (workerd, via
// tests/worker/harness.mjs) routed `{"*": ["twilio", "vonage"]}` to the provider stand-ins
// (tests/worker/standins.mjs: real HTTP servers on 127.0.0.1 speaking Twilio's and Vonage's
// wire formats, posting signed delivery reports), while Twilio, the first provider, fails on
// purpose. "Every OTP whose first provider failed is delivered by the next."
//
// Used by tests/soak/soak.test.mjs (npm test: 150 OTPs) and run directly by scripts/soak.sh
// (npm run soak: 2,000):
//   node tests/soak/delivery-soak.mjs [--otps N] [--seed N] [--max-seconds S]
//
// How faults are injected. The stand-ins' controls are per provider, so the OTPs are created
// in batches of 4–10 concurrent creates, each batch with one behaviour of Twilio's (a seeded
// draw per batch; Twilio's controls are set before the batch and the batch is awaited before
// they change; the controls that shape reports are copied when a message is accepted):
// - `delivered`: Twilio takes the message and reports sent, delivered;
// - `send-fail`: Twilio answers 500 (batches of at least 6: the circuit breaker's 5 in a row);
// - `send-hang`: Twilio never answers (the worker gives up after SMS_TIMEOUT_MS);
// - `report-fail`: Twilio takes it and reports `undelivered` (after `sent`) or `failed`;
// - `silent`: Twilio takes it and never reports; 40 % of these are verified at once with the
//   PIN Twilio received, before deliveryTimeout.
// Vonage always takes the message and reports delivered. After a batch of send failures
// the next batch comes at once (it meets the open circuit: Twilio skipped; the batch after it
// waits) or after CIRCUIT_OPEN_MS (the circuit half-open: Twilio tried again), alternately. The last batch is
// `delivered`, after CIRCUIT_OPEN_MS: Twilio must be used again.
//
// The model, checked once the timeouts passed and the reports settled, per OTP (`GET
// /otp/{id}` and what each stand-in received, matched by our reference `{otpId}.{n}`: in
// Twilio's StatusCallback URL, Vonage's client-ref):
// - Twilio tried (it received the OTP's message) or skipped: skipped only while the circuit
//   could be open (the last Twilio failure less than CIRCUIT_OPEN_MS before), and never
//   tried when it must be open (5 failures in a row, the last well within CIRCUIT_OPEN_MS);
//   a skipped OTP: 201, one attempt, Vonage's, delivered;
// - delivered: one attempt, Twilio's, delivered; Vonage never received it;
// - send-fail, send-hang: 201; one attempt, Vonage's (reference .1), delivered; the PIN the
//   same as the one Twilio was handed;
// - report-fail, silent: two attempts, Twilio's (the reported failure, or `expired`) then
//   Vonage's (reference .2), delivered; Vonage received the same PIN as Twilio;
// - silent and verified at once: VERIFIED, one attempt; Vonage never received it;
// - every pending OTP then verifies with the PIN of its last message;
// - the totals: each stand-in received exactly the messages the model says, nothing for an
//   unknown OTP, at most one per OTP and provider;
// - the breaker: `provider.circuit_open` for Twilio logged at least once, and a later batch
//   delivered by Twilio;
// - the log: one `sms.failed` per Twilio send failure, no other error-level event, no PIN
//   (every 6-digit PIN either stand-in received, against every token of the log).
import { fileURLToPath } from 'node:url';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { call, startWorker, TENANTS } from '../worker/harness.mjs';
import { STANDIN_SECRETS, standinEnv, startStandins } from '../worker/standins.mjs';

const PUBLIC_URL = 'https://otp.example';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Twilio's behaviours and how often a batch draws each. */
const BEHAVIOURS = [
  ['delivered', 30],
  ['send-fail', 15],
  ['send-hang', 10],
  ['report-fail', 20],
  ['silent', 25],
];
/** Share of the silent OTPs verified at once. */
const VERIFY_SILENT = 0.4;

/** mulberry32: a small seeded generator, so a failing run can be repeated (--seed). */
function rngFrom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid French mobile numbers, a new one per call (one number per OTP: its row is its own). */
function numbers(seed) {
  let n = (seed % 1000) * 10000;
  return () => {
    for (;;) {
      const number = `+3367${String(n++ % 10000000).padStart(7, '0')}`;
      if (parsePhoneNumberFromString(number)?.isValid()) return number;
    }
  };
}

/** The 6-digit code of an SMS a stand-in received. */
const pinOf = (entry) => String((entry.form ?? entry.json ?? {}).Body ?? (entry.form ?? entry.json ?? {}).text ?? '').match(/(\d{6})/)?.[1];

/** Our reference `{otpId}.{n}` an entry carries (Twilio: its StatusCallback's `otp`; Vonage: client-ref). */
function referenceOf(entry) {
  const body = entry.form ?? entry.json ?? {};
  if (entry.provider === 'twilio') {
    try {
      return new URL(body.StatusCallback).searchParams.get('otp');
    } catch {
      return null;
    }
  }
  return body['client-ref'] ?? null;
}

/** Twilio's controls for a behaviour (over the defaults). */
function controlsFor(behaviour, rng) {
  switch (behaviour) {
    case 'delivered': return { mode: 'ok', report: ['sent', 'delivered'] };
    case 'send-fail': return { mode: 'fail' };
    case 'send-hang': return { mode: 'hang' };
    case 'report-fail': return rng() < 0.5 ? { mode: 'ok', report: ['sent', 'undelivered'], errorCode: '30003' } : { mode: 'ok', report: ['failed'], errorCode: '30008' };
    case 'silent': return { mode: 'ok', report: [] };
    default: throw new Error(behaviour);
  }
}

/**
 * Runs the delivery soak. Options: `otps` (count), `seed`, `maxSeconds` (no batch starts
 * past it: a failure), `smsTimeoutMs`, `circuitOpenMs`, `deliveryTimeout` (seconds), `log`.
 * Returns `{ failures, report, text }` (`failures` empty when everything held).
 */
export async function deliverySoak({
  otps = 150,
  seed = Date.now() % 2 ** 31,
  maxSeconds = 300,
  smsTimeoutMs = 1500,
  circuitOpenMs = 2000,
  deliveryTimeout = 5,
  log = () => {},
} = {}) {
  const started = Date.now();
  const rng = rngFrom(seed);
  const failures = [];
  const fail = (what) => failures.push(what);
  const nextNumber = numbers(seed);

  // The plan: batches with one behaviour each; at least one batch of send failures; the last
  // batch delivered, after a pause of CIRCUIT_OPEN_MS.
  const total = BEHAVIOURS.reduce((s, [, w]) => s + w, 0);
  const draw = () => {
    let x = rng() * total;
    for (const [b, w] of BEHAVIOURS) if ((x -= w) < 0) return b;
    return BEHAVIOURS[0][0];
  };
  const batches = [];
  let planned = 0;
  let failureBatches = 0;
  let pauseNext = false;
  while (planned < otps) {
    let behaviour = draw();
    const left = otps - planned;
    // The last batch: delivered (Twilio used again after the breaker).
    if (left <= 10) behaviour = 'delivered';
    // The middle of the run: a batch of send failures if none came yet.
    else if (planned >= otps / 2 && !batches.some((b) => b.behaviour === 'send-fail')) behaviour = 'send-fail';
    let size = 4 + Math.floor(rng() * 7);
    if (behaviour === 'send-fail') size = Math.max(size, 6);
    size = left <= 10 ? left : Math.min(size, left - 4);
    const prev = batches.at(-1);
    // After a batch of send failures, the next comes at once (it meets the open circuit, and
    // the one after it waits CIRCUIT_OPEN_MS) or after CIRCUIT_OPEN_MS (half-open),
    // alternately: both happen in every run, and most batches meet a closed circuit.
    const afterFailures = prev && ['send-fail', 'send-hang'].includes(prev.behaviour);
    let pause = left <= 10 || pauseNext;
    pauseNext = false;
    if (afterFailures && !pause) {
      failureBatches++;
      if (failureBatches % 2 === 0) pause = true;
      else pauseNext = true;
    }
    const pauseMs = pause ? circuitOpenMs + 400 : 0;
    batches.push({ index: batches.length, behaviour, size, pauseMs, controls: controlsFor(behaviour, rng) });
    planned += size;
  }

  const standins = await startStandins();
  standins.setReportUrls({
    smscx: `${PUBLIC_URL}/v1/delivery/smscx?token=${STANDIN_SECRETS.smscxWebhookToken}`,
    whatsapp: `${PUBLIC_URL}/v1/delivery/whatsapp`,
  });
  const tenants = TENANTS.map((t) => (t.id === 'acme' ? { ...t, deliveryTimeout, maxFailovers: 1 } : t));
  const w = await startWorker(
    {
      ...standinEnv(standins),
      SMS_PROVIDER: undefined,
      SMS_ROUTES: JSON.stringify({ '*': ['twilio', 'vonage'] }),
      PUBLIC_URL,
      SMS_TIMEOUT_MS: String(smsTimeoutMs),
      CIRCUIT_OPEN_MS: String(circuitOpenMs),
      RATE_LIMIT_PER_MINUTE: '0',
    },
    { tenants },
  );
  standins.setDeliverTo((url) => url.replace(PUBLIC_URL, w.url));
  log(`delivery soak: worker up in ${((Date.now() - started) / 1000).toFixed(1)} s; ${batches.length} batches planned`);

  const models = [];
  const circuitOpenings = () => w.logs.filter((l) => l.includes('"provider.circuit_open"') && l.includes('"twilio"')).length;
  const loadStart = Date.now();
  let stoppedEarly = false;
  for (const batch of batches) {
    if (batch.pauseMs) await sleep(batch.pauseMs);
    if ((Date.now() - started) / 1000 > maxSeconds) {
      stoppedEarly = true;
      fail(`past ${maxSeconds} s: ${batches.length - batch.index} batches not started`);
      break;
    }
    batch.openingsBefore = circuitOpenings();
    standins.resetControls();
    standins.control('twilio', batch.controls);
    batch.startedAt = Date.now();
    const created = await Promise.all(Array.from({ length: batch.size }, async () => {
      const m = { batch: batch.index, behaviour: batch.behaviour, phone: nextNumber(), createdAt: Date.now() };
      const r = await call(w, 'POST', '/otp', { phoneNumber: m.phone });
      m.createMs = Date.now() - m.createdAt;
      m.createStatus = r.status;
      m.createBody = r.body;
      m.otpId = r.body?.otpId;
      if (r.status !== 201) fail(`batch ${batch.index} (${batch.behaviour}): create answered ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      return m;
    }));
    batch.endedAt = Date.now();
    models.push(...created);
    // A share of the silent ones verified at once, by the PIN Twilio received (before
    // deliveryTimeout: nothing more must be sent for them).
    if (batch.behaviour === 'silent') {
      await Promise.all(created.filter((m) => m.otpId && rng() < VERIFY_SILENT).map(async (m) => {
        const entry = standins.received.find((e) => e.provider === 'twilio' && e.accepted && referenceOf(e)?.startsWith(`${m.otpId}.`));
        if (!entry) return; // skipped by the breaker: nothing to verify with yet
        m.verifiedEarly = true;
        const v = await call(w, 'POST', `/otp/${m.otpId}`, { pin: pinOf(entry) });
        m.verifiedAt = Date.now();
        if (v.status !== 200) fail(`${m.otpId} (silent): the early verify answered ${v.status} ${JSON.stringify(v.body).slice(0, 200)}`);
        if (m.verifiedAt - m.createdAt > deliveryTimeout * 1000 - 500) fail(`${m.otpId} (silent): verified only ${m.verifiedAt - m.createdAt} ms after its create (not before the timeout)`);
      }));
    }
  }
  const loadSeconds = (Date.now() - loadStart) / 1000;
  standins.resetControls();

  // Wait out every timeout (the last message Twilio took + deliveryTimeout + a margin for
  // the alarm), then until the failovers the model expects came and the reports settled.
  const lastTaken = Math.max(0, ...standins.received.filter((e) => e.provider === 'twilio' && e.accepted).map((e) => e.at));
  const waitUntil = lastTaken + deliveryTimeout * 1000 + 2500;
  log(`delivery soak: ${models.length} OTPs created in ${loadSeconds.toFixed(1)} s; waiting ${Math.max(0, waitUntil - Date.now())} ms for the timeouts`);
  if (waitUntil > Date.now()) await sleep(waitUntil - Date.now());

  /** What each stand-in received per OTP: {twilio: [...], vonage: [...]}. */
  const byOtp = () => {
    const map = new Map();
    const unknown = [];
    for (const e of standins.received) {
      if (e.provider !== 'twilio' && e.provider !== 'vonage') {
        unknown.push(e);
        continue;
      }
      const ref = referenceOf(e);
      const otpId = ref?.replace(/\.\d+$/, '');
      const slot = map.get(otpId) ?? { twilio: [], vonage: [] };
      slot[e.provider].push({ ...e, reference: ref, pin: pinOf(e) });
      map.set(otpId, slot);
    }
    return { map, unknown };
  };

  // The model's expectation per OTP, from its behaviour and whether Twilio was tried.
  const expectFor = (m, seen) => {
    const tried = seen.twilio.length > 0;
    if (!tried) return { skipped: true, vonage: 1, attempts: [['vonage', 'delivered']] };
    switch (m.behaviour) {
      case 'delivered': return { vonage: 0, attempts: [['twilio', 'delivered']] };
      case 'send-fail':
      case 'send-hang': return { vonage: 1, inRequest: true, attempts: [['vonage', 'delivered']] };
      case 'report-fail': return { vonage: 1, attempts: [['twilio', ['undelivered', 'failed']], ['vonage', 'delivered']] };
      case 'silent': return m.verifiedEarly ? { vonage: 0, verified: true, attempts: [['twilio', null]] } : { vonage: 1, attempts: [['twilio', 'expired'], ['vonage', 'delivered']] };
      default: throw new Error(m.behaviour);
    }
  };
  const live = models.filter((m) => m.otpId);
  const vonageExpected = () => {
    const { map } = byOtp();
    return live.reduce((s, m) => s + expectFor(m, map.get(m.otpId) ?? { twilio: [], vonage: [] }).vonage, 0);
  };
  const settleEnd = Date.now() + 20000;
  while (Date.now() < settleEnd && standins.received.filter((e) => e.provider === 'vonage').length < vonageExpected()) await sleep(250);
  await standins.settled();
  // Each OTP's GET, polled until its last attempt reached its final status (a report may
  // still be on its way), then a last look at the stand-ins.
  const gets = new Map();
  const pollEnd = Date.now() + 15000;
  for (const m of live) {
    for (;;) {
      const g = await call(w, 'GET', `/otp/${m.otpId}`);
      gets.set(m.otpId, g);
      const atts = g.body?.delivery?.attempts ?? [];
      const { map } = byOtp();
      const want = expectFor(m, map.get(m.otpId) ?? { twilio: [], vonage: [] });
      const done = g.status === 200 && atts.length >= want.attempts.length && (want.attempts.at(-1)[1] === null || atts.at(-1)?.status === want.attempts.at(-1)[1] || [].concat(want.attempts.at(-1)[1]).includes(atts.at(-1)?.status));
      if (done || Date.now() > pollEnd) break;
      await sleep(200);
    }
  }
  await sleep(500);
  await standins.settled();
  const { map: seenBy, unknown } = byOtp();

  // Twilio's outcomes in time (the breaker's inputs), each with its OTP's batch: a failure
  // when the worker saw it (a 500 at once, a hang after SMS_TIMEOUT_MS, and at the latest
  // when its create answered), a success when Twilio took the message.
  const batchOf = new Map(live.map((m) => [m.otpId, batches[m.batch]]));
  const twilioEvents = [];
  for (const [otpId, seen] of seenBy) {
    const e = seen.twilio[0];
    const b = batchOf.get(otpId);
    if (!e || !b) continue;
    const at = e.accepted || e.answeredStatus !== null ? e.at : Math.min(e.at + smsTimeoutMs, b.endedAt);
    twilioEvents.push({ ok: !!e.accepted, at, batch: b.index });
  }
  twilioEvents.sort((a, b) => a.at - b.at);
  /**
   * Must Twilio's circuit be open all through batch `b`: the batches before it ended with 5
   * failures in a row, the last one well within CIRCUIT_OPEN_MS of its start.
   */
  const mustBeOpen = (b) => {
    const last5 = twilioEvents.filter((e) => e.batch < b.index).slice(-5);
    return last5.length === 5 && last5.every((e) => !e.ok) && last5.at(-1).at + circuitOpenMs > b.startedAt + 1000;
  };
  /** The last Twilio failure the worker saw up to the end of batch `b` (ms), or -Infinity. */
  const lastFailureBy = (b) => Math.max(-Infinity, ...twilioEvents.filter((e) => !e.ok && e.batch <= b.index).map((e) => e.at));

  const counts = { byBehaviour: {}, skipped: 0, inRequestFailovers: 0, reportFailovers: 0, silenceFailovers: 0, verifiedEarly: 0, verifiedLate: 0 };
  for (const [b] of BEHAVIOURS) counts.byBehaviour[b] = 0;
  let vonageModel = 0;
  let twilioModel = 0;
  for (const m of live) {
    counts.byBehaviour[m.behaviour]++;
    const seen = seenBy.get(m.otpId) ?? { twilio: [], vonage: [] };
    const want = expectFor(m, seen);
    const g = gets.get(m.otpId);
    const tag = `${m.otpId} (batch ${m.batch}, ${m.behaviour}${want.skipped ? ', Twilio skipped' : ''})`;
    const batch = batches[m.batch];
    if (seen.twilio.length > 1) fail(`${tag}: Twilio received ${seen.twilio.length} messages`);
    if (seen.vonage.length !== want.vonage) fail(`${tag}: Vonage received ${seen.vonage.length} messages, the model says ${want.vonage}`);
    vonageModel += want.vonage;
    twilioModel += want.skipped ? 0 : 1;
    // The breaker: skipped only while open; tried never while it must be open.
    if (want.skipped) {
      counts.skipped++;
      batch.skipped = (batch.skipped ?? 0) + 1;
      const last = lastFailureBy(batch);
      if (!(batch.startedAt - last <= circuitOpenMs + 750)) fail(`${tag}: Twilio skipped, but its last failure was ${batch.startedAt - last} ms before the batch (circuit open ${circuitOpenMs} ms)`);
    } else if (mustBeOpen(batch)) fail(`${tag}: Twilio tried while its circuit must be open (5 failures in a row, the last ${batch.startedAt - lastFailureBy(batches[batch.index - 1])} ms before the batch)`);
    // The Twilio message's fate matches the batch's behaviour.
    const tw = seen.twilio[0];
    if (tw) {
      const failedSend = m.behaviour === 'send-fail' || m.behaviour === 'send-hang';
      if (failedSend === !!tw.accepted) fail(`${tag}: Twilio ${tw.accepted ? 'took' : 'refused'} the message (answered ${tw.answeredStatus})`);
      if (tw.reference !== `${m.otpId}.1`) fail(`${tag}: Twilio got reference ${tw.reference}`);
      if (m.behaviour === 'send-hang' && m.createMs < smsTimeoutMs * 0.9) fail(`${tag}: the create answered after ${m.createMs} ms, before SMS_TIMEOUT_MS`);
    }
    // Vonage's message: the same PIN; .1 within the request (or skipped), .2 for a failover.
    for (const v of seen.vonage) {
      if (tw && v.pin !== tw.pin) fail(`${tag}: Vonage received PIN ${v.pin === undefined ? 'none' : 'another'} than Twilio's`);
      const ref = want.skipped || want.inRequest ? `${m.otpId}.1` : `${m.otpId}.2`;
      if (v.reference !== ref) fail(`${tag}: Vonage got reference ${v.reference}, expected ${ref}`);
      if (!v.accepted) fail(`${tag}: Vonage did not take the message (answered ${v.answeredStatus})`);
    }
    if (want.skipped) {
      // nothing more
    } else if (want.inRequest) counts.inRequestFailovers++;
    else if (want.vonage && m.behaviour === 'report-fail') counts.reportFailovers++;
    else if (want.vonage && m.behaviour === 'silent') counts.silenceFailovers++;
    if (m.verifiedEarly) counts.verifiedEarly++;
    // The OTP's delivery as GET shows it.
    if (!g || g.status !== 200) {
      fail(`${tag}: GET answered ${g?.status} ${JSON.stringify(g?.body).slice(0, 200)}`);
      continue;
    }
    const d = g.body.delivery;
    const atts = d?.attempts ?? [];
    const shape = JSON.stringify(atts.map((a) => [a.provider, a.status, a.reference]));
    if (atts.length !== want.attempts.length) fail(`${tag}: ${atts.length} attempts, the model says ${want.attempts.length}: ${shape}`);
    else {
      want.attempts.forEach(([provider, status], i) => {
        const a = atts[i];
        if (a.provider !== provider) fail(`${tag}: attempt ${i + 1} by ${a.provider}, expected ${provider}: ${shape}`);
        if (status !== null && ![].concat(status).includes(a.status)) fail(`${tag}: attempt ${i + 1} ${a.status}, expected ${[].concat(status).join(' or ')}: ${shape}`);
        const sent = (provider === 'twilio' ? seen.twilio : seen.vonage).at(provider === 'twilio' ? 0 : -1);
        if (sent && a.reference !== sent.reference) fail(`${tag}: attempt ${i + 1}'s reference ${a.reference}, the provider got ${sent.reference}`);
      });
      if (d.provider !== want.attempts.at(-1)[0]) fail(`${tag}: delivery.provider ${d.provider}, expected ${want.attempts.at(-1)[0]}`);
    }
    if (m.behaviour === 'report-fail' && !want.skipped && atts[0]?.errorCode !== batch.controls.errorCode) fail(`${tag}: the failure report's error code ${atts[0]?.errorCode}, Twilio sent ${batch.controls.errorCode}`);
    const status = want.verified ? 'VERIFIED' : 'PENDING';
    if (g.body.status !== status) fail(`${tag}: status ${g.body.status}, expected ${status}`);
  }

  // Every pending OTP verifies with the PIN of its last message (the same PIN throughout).
  await Promise.all(live.filter((m) => gets.get(m.otpId)?.body?.status === 'PENDING').map(async (m) => {
    const seen = seenBy.get(m.otpId);
    const last = seen?.vonage.at(-1) ?? seen?.twilio.at(-1);
    if (!last?.pin) return fail(`${m.otpId}: no message to verify with`);
    const v = await call(w, 'POST', `/otp/${m.otpId}`, { pin: last.pin });
    if (v.status !== 200) fail(`${m.otpId} (${m.behaviour}): verify with the PIN of its last message answered ${v.status} ${JSON.stringify(v.body).slice(0, 200)}`);
    else counts.verifiedLate++;
  }));

  // The totals: exactly the messages the model says, none for an unknown OTP.
  const twilioAll = standins.received.filter((e) => e.provider === 'twilio');
  const vonageAll = standins.received.filter((e) => e.provider === 'vonage');
  const ids = new Set(live.map((m) => m.otpId));
  for (const [otpId, seen] of seenBy) if (!ids.has(otpId)) fail(`messages for an OTP not created here (${otpId}): ${seen.twilio.length} Twilio, ${seen.vonage.length} Vonage`);
  if (unknown.length) fail(`${unknown.length} requests to other endpoints of the stand-ins: ${unknown.slice(0, 3).map((e) => `${e.method} ${e.path}`).join(', ')}`);
  if (twilioAll.length !== twilioModel) fail(`Twilio received ${twilioAll.length} messages, the model says ${twilioModel}`);
  if (vonageAll.length !== vonageModel) fail(`Vonage received ${vonageAll.length} messages, the model says ${vonageModel}`);
  // Every report the stand-ins posted was taken.
  const reportAnswers = {};
  for (const r of standins.reports) reportAnswers[r.answeredStatus] = (reportAnswers[r.answeredStatus] ?? 0) + 1;
  for (const [status, n] of Object.entries(reportAnswers)) if (status !== '200') fail(`${n} delivery reports answered ${status}`);

  // The breaker opened on a batch of send failures, and Twilio delivered again later.
  const openings = circuitOpenings();
  if (openings === 0) fail('the circuit breaker never opened (no provider.circuit_open for twilio in the log)');
  const firstOpenBatch = batches.find((b) => b.openingsBefore > 0);
  const openedAfter = firstOpenBatch ? batches[firstOpenBatch.index - 1] : batches.at(-1);
  if (openings > 0 && openedAfter && !['send-fail', 'send-hang'].includes(openedAfter.behaviour)) fail(`the circuit first opened by batch ${openedAfter.index}, a ${openedAfter.behaviour} batch`);
  const reusedAfter = live.some((m) => m.behaviour === 'delivered' && firstOpenBatch && m.batch >= firstOpenBatch.index && (seenBy.get(m.otpId)?.twilio[0]?.accepted));
  if (openings > 0 && !reusedAfter) fail('Twilio never delivered again after its circuit opened');

  // The log: one sms.failed per Twilio send failure, no other error; no PIN anywhere.
  const events = w.logs.filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l); } catch { return {}; } });
  const errors = {};
  for (const e of events.filter((x) => x.level === 'error')) errors[e.event] = (errors[e.event] ?? 0) + 1;
  const twilioFailures = twilioAll.filter((e) => !e.accepted).length;
  for (const [event, n] of Object.entries(errors)) {
    const want = event === 'sms.failed' ? twilioFailures : 0;
    if (n !== want) fail(`${n} error-level log events ${event} (expected ${want})`);
  }
  if (twilioFailures && !errors['sms.failed']) fail(`no sms.failed in the log for ${twilioFailures} Twilio send failures`);
  const pins = new Set([...twilioAll, ...vonageAll].map(pinOf).filter(Boolean));
  const leaks = [];
  w.logs.forEach((line, i) => {
    for (const token of line.split(/[^A-Za-z0-9]+/)) if (pins.has(token)) leaks.push(`log line ${i}: ${token}`);
  });
  for (const leak of leaks.slice(0, 10)) fail(`a PIN in ${leak}`);
  if (leaks.length > 10) fail(`… ${leaks.length - 10} more PINs in the log`);

  const report = {
    seed,
    otps: live.length,
    planned: otps,
    batches: batches.filter((b) => b.startedAt).length,
    sequence: batches.filter((b) => b.startedAt).map((b) => `${b.pauseMs ? '… ' : ''}${b.behaviour}×${b.size}${b.skipped ? ` (${b.skipped} skipped)` : ''}`).join(', '),
    stoppedEarly,
    counts,
    twilio: { received: twilioAll.length, took: twilioAll.filter((e) => e.accepted).length, answered500: twilioAll.filter((e) => e.answeredStatus === 500).length, hung: twilioAll.filter((e) => e.answeredStatus === null).length },
    vonage: { received: vonageAll.length },
    reports: { posted: standins.reports.length, answers: reportAnswers },
    circuitOpenings: openings,
    createMs: (() => {
      const ms = live.filter((m) => m.behaviour !== 'send-hang').map((m) => m.createMs).sort((a, b) => a - b);
      return { p50: ms[Math.floor(ms.length / 2)], max: ms.at(-1) };
    })(),
    warnings: (() => {
      const n = {};
      for (const e of events.filter((x) => x.level === 'warn')) n[e.event] = (n[e.event] ?? 0) + 1;
      return n;
    })(),
    pinsScanned: pins.size,
    logLines: w.logs.length,
    loadSeconds,
    seconds: (Date.now() - started) / 1000,
    failures: failures.length,
  };
  await w.dispose();
  await standins.close();
  return { failures, report, text: format(report, failures) };
}

/** The printable summary. */
function format(r, failures) {
  const c = r.counts;
  const lines = [
    `delivery soak (seed ${r.seed}): ${r.otps} of ${r.planned} OTPs in ${r.batches} batches, ${r.loadSeconds.toFixed(1)} s of creates, ${r.seconds.toFixed(1)} s in all`,
    `  batches (… after a pause of CIRCUIT_OPEN_MS): ${r.sequence}`,
    `  Twilio's behaviour per OTP: ${Object.entries(c.byBehaviour).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  Twilio: ${r.twilio.received} messages (${r.twilio.took} taken, ${r.twilio.answered500} answered 500, ${r.twilio.hung} left hanging), skipped by the open circuit for ${c.skipped} OTPs; circuit opened ${r.circuitOpenings} times`,
    `  failovers to Vonage: ${c.inRequestFailovers} within the request, ${c.reportFailovers} after a failure report, ${c.silenceFailovers} after a silence; Vonage received ${r.vonage.received}`,
    `  verified: ${c.verifiedEarly} silent OTPs before their timeout (nothing more sent), ${c.verifiedLate} at the end with the PIN of their last message`,
    `  reports posted ${r.reports.posted} (answers ${Object.entries(r.reports.answers).map(([k, n]) => `${k}: ${n}`).join(', ')}); create p50 ${r.createMs.p50} ms, max ${r.createMs.max} ms (without hangs); ${r.pinsScanned} PINs looked for in ${r.logLines} log lines`,
    `  warn-level log events: ${Object.entries(r.warnings).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    failures.length === 0 ? 'delivery soak: OK — every OTP whose first provider failed was delivered by the next, with the same PIN; totals as the model says; no PIN in the log' : `delivery soak: ${failures.length} FAILURES`,
    ...failures.slice(0, 30).map((x) => `  ✗ ${x}`),
  ];
  return lines.join('\n');
}

// Run directly: the CLI of scripts/soak.sh.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const { failures, text } = await deliverySoak({
    otps: arg('otps', 2000),
    seed: arg('seed', Date.now() % 2 ** 31),
    maxSeconds: arg('max-seconds', 1800),
    log: (line) => console.error(line),
  });
  console.log(text);
  process.exit(failures.length === 0 ? 0 : 1);
}
