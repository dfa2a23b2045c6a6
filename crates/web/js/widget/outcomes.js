// What the widget does and says for each error of the API (or of the network): the event it
// dispatches (widget/states.js: where the error leads) and the message it announces. Pure,
// unit-tested in tests/widget-unit/outcomes.test.mjs.
//
// The codes are named from the core's `ErrorCode` (widget/error-codes.js, generated), so a
// code the core renumbers or removes is a build error here, not a silently generic message.
// An error whose code has no entry is shown by its kind: a rate limit (status 429 or type
// `rate_limit`: "try again in …" from its `retryAfter`), the network, else "Something went
// wrong" in the error state, whose "Try again" returns to the interrupted step.
import * as ErrorCode from './error-codes.js';
import { durationText } from './messages/index.js';

/**
 * The outcomes of API error codes, by code. An outcome is named by the message it shows (a key
 * of widget/messages/en.js) and is the event the element dispatches (widget/states.js: where
 * it leads). `step: 'phone'`: the row applies to the phone step only (there the number is
 * refused and the person corrects it in place; elsewhere such a code is unexpected and shown
 * by its kind, as every code without a row is).
 */
export const OUTCOMES = [
  // A wrong code with attempts left: the code step again ("1 attempt left" or "{n} attempts").
  { codes: [ErrorCode.InvalidPin], outcome: 'wrongCode' },
  // NumberLocked is a 429, but a lock, not a wait: "Change number" is all that is left.
  { codes: [ErrorCode.Failed, ErrorCode.FailedLastAttempt, ErrorCode.NumberLocked], outcome: 'locked' },
  { codes: [ErrorCode.Expired, ErrorCode.PinExpired], outcome: 'expired' },
  { codes: [ErrorCode.PhoneNumberInvalid], step: 'phone', outcome: 'invalidNumber' },
  { codes: [ErrorCode.CountryNotAllowed, ErrorCode.NumberTypeBlocked], step: 'phone', outcome: 'notAllowed' },
  { codes: [ErrorCode.TurnstileTokenMissing, ErrorCode.TurnstileRefused], outcome: 'securityCheck' },
];

/**
 * The outcome of `err` (an `OtpError`, or `{ code, type }`) during `step` (`phone`, `code`,
 * `expired` or `init`): its row's, else by its kind — `rateLimited` (status 429 or type
 * `rate_limit`, with a `retryAfter`; `rateLimitedLater` without), `network`, `error`.
 */
export function outcomeOf(err, step) {
  const code = err?.code ?? 0;
  const type = err?.type ?? 'error';
  const outcome =
    OUTCOMES.find((o) => o.codes.includes(code) && (!o.step || o.step === step))?.outcome ??
    (err?.status === 429 || type === 'rate_limit' ? (Number(err.retryAfter) > 0 ? 'rateLimited' : 'rateLimitedLater') : type === 'network_error' ? 'network' : 'error');
  return outcome === 'wrongCode' && err.attemptsLeft === 1 ? 'wrongCodeOneLeft' : outcome;
}

/**
 * The placeholders of an outcome's message: {n} the attempts left, {t} the wait before
 * retrying written out in `lang`, the messages' language ("45 seconds", "3 minutes").
 */
export function outcomeVars(err, lang) {
  const wait = Number(err?.retryAfter);
  return { n: err?.attemptsLeft, t: wait > 0 ? durationText(wait, lang) : '' };
}
