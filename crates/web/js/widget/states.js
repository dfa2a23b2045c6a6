// The widget's state machine as data: every state, and for each the events that move it and
// where to. The element does not set a state itself: it dispatches an event (a button, an
// answer of the API, the expiry timer) and `nextState` says where that leads, or that the
// event means nothing in the current state (a second click while the first one's request
// runs: then nothing changes). Pure, unit-tested in tests/widget-unit/states.test.mjs.
//
// The states are public (`element.state`, CSS `:state(code)`, widget.d.ts's
// `SmsotpVerifyState`); the events are the element's own.

/**
 * `TRANSITIONS[state][event]`: the next state, for what a person does:
 * - `send`: the send button, Enter in the phone field, "Send a new code";
 * - `check`: a complete code typed, pasted or autofilled;
 * - `change`: "Change number"; `retry`, `retryCode`, `retryExpired`: "Try again", back to the
 *   step the error interrupted (phone, code or expired).
 * An event a state does not list is ignored there (the button is hidden, or a request is
 * already running); `sending` and `verified` have no row: only FROM_ANY_STATE's events
 * move them.
 */
export const TRANSITIONS = {
  phone: { send: 'sending' },
  code: { check: 'checking', change: 'phone' },
  checking: { change: 'phone' },
  error: { retry: 'phone', retryCode: 'code', retryExpired: 'expired', change: 'phone' },
  locked: { change: 'phone' },
  expired: { send: 'sending', change: 'phone' },
};

/**
 * Events that lead to the same state wherever the widget is, for what happened:
 * - `reset`: `reset()`, the form's reset, or the element (re)loading its wasm and config:
 *   the phone step, empty;
 * - the API's answers: `sent` (an SMS went out), `verified` (the code was right), and the
 *   outcomes of its errors (widget/outcomes.js), each named by the message it shows;
 *   `expired` is also the page's clock saying the code's time is up.
 * An answer is dropped by the element when it belongs to an abandoned attempt ("Change
 * number", `reset()`: #flow), not by the state: a request may end after another moved the
 * state — a resend failing while the right code is being checked — and the check's answer
 * must still verify the number.
 */
export const FROM_ANY_STATE = {
  reset: 'phone',
  sent: 'code',
  verified: 'verified',
  // The number is refused: back to the phone field, which says why.
  invalidNumber: 'phone',
  notAllowed: 'phone',
  wrongCode: 'code',
  wrongCodeOneLeft: 'code',
  locked: 'locked',
  expired: 'expired',
  // The error state, whose "Try again" returns to the interrupted step.
  securityCheck: 'error',
  rateLimited: 'error',
  rateLimitedLater: 'error',
  network: 'error',
  error: 'error',
};

/**
 * Every state, in the order of a verification; also the CSS custom states. The tables above
 * name no other (a unit test checks it).
 */
export const STATES = ['phone', 'sending', 'code', 'checking', 'verified', 'error', 'locked', 'expired'];

/** The state `event` leads to from `state`, or undefined when it means nothing there. */
export const nextState = (state, event) => TRANSITIONS[state]?.[event] ?? FROM_ANY_STATE[event];
