// What the widget does and says for every error code of the API
// (crates/web/js/widget/outcomes.js), over every code the core has (error-codes.js,
// generated from its `ErrorCode`, with each code's real HTTP status and type): each outcome
// is a message the widget has and an event its state machine knows, and the codes with an
// outcome of their own are exactly the ones listed here — the others are shown by kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ErrorCode from '../../crates/web/js/widget/error-codes.js';
import { ALL_ERROR_CODES } from '../../crates/web/js/widget/error-codes.js';
import { MESSAGES } from '../../crates/web/js/widget/messages/index.js';
import { OUTCOMES, outcomeOf, outcomeVars } from '../../crates/web/js/widget/outcomes.js';
import { FROM_ANY_STATE } from '../../crates/web/js/widget/states.js';

/** An error as BrowserClient throws it for `row` (a 429 with a Retry-After, a 2029 with attempts left). */
const errorOf = ({ code, status, type }) => ({ code, status, type, retryAfter: status === 429 ? 60 : null, attemptsLeft: code === ErrorCode.InvalidPin ? 2 : null });
const outcomes = (step) => Object.fromEntries(ALL_ERROR_CODES.map((row) => [row.name, outcomeOf(errorOf(row), step)]));

test('the generated codes: one named constant per code, the numbers the core gives', () => {
  assert.ok(ALL_ERROR_CODES.length > 60, `${ALL_ERROR_CODES.length} codes`);
  for (const { name, code } of ALL_ERROR_CODES) assert.equal(ErrorCode[name], code, name);
  assert.equal(ErrorCode.InvalidPin, 2029);
  assert.equal(ErrorCode.ClientSecretInvalid, 2130);
});

test('every outcome, for every code in every step, is a message of the widget and an event of its state machine', () => {
  for (const step of ['init', 'phone', 'code', 'expired']) {
    for (const [name, outcome] of Object.entries(outcomes(step))) {
      assert.ok(outcome in MESSAGES.en, `${step} ${name}: ${outcome} is not a message`);
      assert.ok(outcome in FROM_ANY_STATE, `${step} ${name}: ${outcome} is not an event`);
    }
  }
  for (const { codes } of OUTCOMES) for (const code of codes) assert.ok(ALL_ERROR_CODES.some((row) => row.code === code), `${code} in the table is not a code of the core`);
});

test('the codes with an outcome of their own; every other code of the core is shown by its kind', () => {
  const rateLimits = ALL_ERROR_CODES.filter((row) => row.status === 429 && row.name !== 'NumberLocked').map((row) => row.name);
  const own = {
    InvalidPin: 'wrongCode',
    Failed: 'locked',
    FailedLastAttempt: 'locked',
    NumberLocked: 'locked',
    Expired: 'expired',
    PinExpired: 'expired',
    TurnstileTokenMissing: 'securityCheck',
    TurnstileRefused: 'securityCheck',
    ...Object.fromEntries(rateLimits.map((name) => [name, 'rateLimited'])),
  };
  const inCodeStep = Object.fromEntries(Object.entries(outcomes('code')).filter(([, outcome]) => outcome !== 'error'));
  assert.deepEqual(inCodeStep, own);
  // In the phone step, the number's refusals are said at the phone field.
  const inPhoneStep = Object.fromEntries(Object.entries(outcomes('phone')).filter(([, outcome]) => outcome !== 'error'));
  assert.deepEqual(inPhoneStep, { ...own, PhoneNumberInvalid: 'invalidNumber', CountryNotAllowed: 'notAllowed', NumberTypeBlocked: 'notAllowed' });
  // The rate limits include the browser API's per-IP limit (2134) and its daily cap (2131).
  assert.ok(rateLimits.includes('ClientIpRateLimited') && rateLimits.includes('BrowserDailySendCap'), rateLimits.join(', '));
});

test('what the person reads is chosen from the error itself: attempts left, a wait or none, the network', () => {
  assert.equal(outcomeOf({ code: 2029, status: 400, type: 'invalid_pin', attemptsLeft: 1 }, 'code'), 'wrongCodeOneLeft');
  assert.equal(outcomeOf({ code: 2029, status: 400, type: 'invalid_pin', attemptsLeft: 4 }, 'code'), 'wrongCode');
  assert.equal(outcomeOf({ code: 2109, status: 429, type: 'rate_limit', retryAfter: 30 }, 'code'), 'rateLimited');
  assert.equal(outcomeOf({ code: 2109, status: 429, type: 'rate_limit', retryAfter: null }, 'code'), 'rateLimitedLater');
  // A 429 without an envelope (BrowserClient's http_error) is a rate limit too.
  assert.equal(outcomeOf({ code: 429, status: 429, type: 'http_error', retryAfter: 5 }, 'phone'), 'rateLimited');
  assert.equal(outcomeOf({ code: 0, status: 0, type: 'network_error' }, 'phone'), 'network');
  assert.equal(outcomeOf({ code: 0, type: 'turnstile_error' }, 'phone'), 'error');
  assert.equal(outcomeOf(undefined, 'init'), 'error');
  assert.equal(outcomeOf({ code: 2020, status: 400, type: 'invalid_param' }, 'code'), 'error');
});

test('the placeholders: attempts left, and the wait written out in the messages\' language', () => {
  assert.deepEqual(outcomeVars({ attemptsLeft: 3 }, 'en'), { n: 3, t: '' });
  assert.deepEqual(outcomeVars({ retryAfter: 45 }, 'en'), { n: undefined, t: '45 seconds' });
  assert.deepEqual(outcomeVars({ retryAfter: 600 }, 'de'), { n: undefined, t: '10 Minuten' });
  assert.deepEqual(outcomeVars({ retryAfter: 0 }, 'en'), { n: undefined, t: '' });
  assert.deepEqual(outcomeVars(undefined, 'en'), { n: undefined, t: '' });
});
