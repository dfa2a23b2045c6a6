// After a conformance run (scripts/test-conformance.sh): no 5xx of our own. Reads the
// worker's log lines, what the launcher injected (worker.mjs: <log>.faults.json) and the
// 5xx answers schemathesis received (hooks.py: after_call), and checks, with no slack:
// - no internal error logged, no 500, no 503 beyond KV reads failed on purpose (none are);
// - every 502 the worker answered reached schemathesis (the same count in both), is a
//   `provider_error` naming its OTP, and is matched with exactly one SMS whose reply must
//   produce a 502 (a 5xx or a refusal, not the 'garbage' 200 the webhook provider accepts)
//   for that OTP; every such SMS has its 502; the worker logged `sms.failed` for exactly
//   those OTPs.
// - the Twilio Verify v2 routes (`/v2/…`) answer the same failure with Twilio's 503 20503
//   to `POST …/Verifications`, which names no OTP (neither its body nor the request's log
//   line): every 503 on `/v2` reached schemathesis, is such a 503, and their number is
//   exactly the number of those SMS left without a 502 (each SMS failed on purpose gives
//   one failure answer, a 502 by its OTP or a Twilio 503).
// Prints the figures and each mismatch; exits 1 on any.
import { readFileSync } from 'node:fs';

const [logPath, responsesPath] = process.argv.slice(2);
const events = readFileSync(logPath, 'utf8').split('\n').filter((l) => l.startsWith('{'))
  .map((l) => { try { return JSON.parse(l); } catch { return {}; } });
const injected = JSON.parse(readFileSync(`${logPath}.faults.json`, 'utf8'));
let responses = [];
try {
  responses = readFileSync(responsesPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}

const problems = [];
/** A Twilio Verify v2 route (a log line's `route`, a recorded answer's `path`). */
const twilio = (path) => typeof path === 'string' && path.startsWith('/v2/');
const requests = events.filter((e) => e.event === 'request');
const status = (n) => requests.filter((e) => e.status === n).length;
const internal = events.filter((e) => e.event === 'internal');
if (internal.length) problems.push(`${internal.length} internal errors logged, e.g. ${JSON.stringify(internal[0])}`);
if (status(500)) problems.push(`${status(500)} answers 500`);
// 503s but Twilio's provider failures on /v2 (matched below).
const our503 = requests.filter((e) => e.status === 503 && !twilio(e.route)).length;
if (our503 > injected.kvReadFaults) problems.push(`${our503} answers 503, ${injected.kvReadFaults} KV reads failed on purpose`);
const other5xx = requests.filter((e) => e.status >= 500 && ![500, 502, 503].includes(e.status));
if (other5xx.length) problems.push(`other 5xx: ${other5xx.map((e) => e.status).join(', ')}`);

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const answered502 = responses.filter((r) => r.status === 502);
if (answered502.length !== status(502)) {
  problems.push(`the worker answered ${status(502)} × 502, schemathesis recorded ${answered502.length}: each 502 must be seen to be matched`);
}
const twilio503 = requests.filter((e) => e.status === 503 && twilio(e.route));
const answeredTwilio503 = responses.filter((r) => r.status === 503 && twilio(r.path));
if (answeredTwilio503.length !== twilio503.length) {
  problems.push(`the worker answered ${twilio503.length} × 503 on /v2, schemathesis recorded ${answeredTwilio503.length}: each must be seen to be matched`);
}
const startRoute = /^\/v2\/Services\/[^/]+\/Verifications\/?$/;
for (const e of twilio503) {
  if (e.method !== 'POST' || !startRoute.test(e.route)) problems.push(`a 503 on /v2 that sends no SMS: ${JSON.stringify(e)}`);
}
for (const r of answeredTwilio503) {
  if (r.body?.code !== 20503) problems.push(`a 503 on /v2 that is not 20503: ${r.method} ${r.path} ${JSON.stringify(r.body).slice(0, 200)}`);
}
// Faults still unmatched, by OTP id (a list: a fault is used once).
const open = new Map();
for (const f of injected.providerFaults) open.set(f.otpId, [...(open.get(f.otpId) ?? []), f]);
let matched = 0;
for (const r of answered502) {
  const otpId = r.body?.error?.message?.match(uuid)?.[0];
  const what = `${r.method} ${r.path} → 502 ${JSON.stringify(r.body).slice(0, 200)}`;
  if (r.body?.error?.type !== 'provider_error' || !otpId) {
    problems.push(`a 502 that is not a provider_error naming its OTP: ${what}`);
    continue;
  }
  const list = open.get(otpId);
  if (!list?.length) {
    problems.push(`a 502 without an injected fault that must produce it: ${what}`);
    continue;
  }
  list.shift();
  matched++;
}
// What the 502s left: one Twilio 503 each.
const unmatched = [...open.values()].flat();
if (unmatched.length !== answeredTwilio503.length) {
  problems.push(`${unmatched.length} SMS failed on purpose without a 502, ${answeredTwilio503.length} Twilio 503s: ` +
    JSON.stringify(unmatched.slice(0, 5)));
} else {
  matched += unmatched.length;
}
const failedLogged = events.filter((e) => e.event === 'sms.failed').map((e) => e.otpId).sort();
const faultIds = injected.providerFaults.map((f) => f.otpId).sort();
if (JSON.stringify(failedLogged) !== JSON.stringify(faultIds)) {
  problems.push(`sms.failed logged for ${failedLogged.length} OTPs, ${faultIds.length} SMS failed on purpose: ${JSON.stringify(failedLogged.filter((x) => !faultIds.includes(x)).concat(faultIds.filter((x) => !failedLogged.includes(x)))).slice(0, 300)}`);
}

const sends = Object.entries(injected.sends).map(([mode, n]) => `${n} ${mode}`).join(', ');
console.log(`worker: ${requests.length} requests; SMS replies: ${sends || 'none'}; ${injected.providerFaults.length} must give 502 (on /v2: 503); ` +
  `${status(502)} answers 502 and ${twilio503.length} × 503 on /v2, ${matched} matched one-to-one; ${our503} other answers 503 (${injected.kvReadFaults} KV reads failed on purpose), ` +
  `${status(500)} answers 500, ${internal.length} internal errors logged; ${injected.blockedFetches} fetches to non-local hosts refused`);
for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
if (problems.length > 20) console.error(`  … ${problems.length - 20} more`);
process.exit(problems.length ? 1 : 0);
