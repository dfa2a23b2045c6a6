// The widget's state machine (crates/web/js/widget/states.js): the tables name only real
// states, the states are the ones widget.d.ts declares, and the transitions a person can
// make — or cannot, while a request runs — are the ones the element relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FROM_ANY_STATE, STATES, TRANSITIONS, nextState } from '../../crates/web/js/widget/states.js';

test('the states are widget.d.ts\'s SmsotpVerifyState, in its order', () => {
  const dts = readFileSync(new URL('../../crates/web/js/widget.d.ts', import.meta.url), 'utf8');
  const union = dts.match(/export type SmsotpVerifyState = ([^;]+);/)[1];
  assert.deepEqual(STATES, [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]));
});

test('the tables name no state that does not exist', () => {
  for (const [state, row] of Object.entries(TRANSITIONS)) {
    assert.ok(STATES.includes(state), `row ${state}`);
    for (const [event, next] of Object.entries(row)) assert.ok(STATES.includes(next), `${state} --${event}--> ${next}`);
  }
  for (const [event, next] of Object.entries(FROM_ANY_STATE)) assert.ok(STATES.includes(next), `* --${event}--> ${next}`);
});

test('an event is either a person\'s (in rows) or from anywhere, never both', () => {
  const rowEvents = new Set(Object.values(TRANSITIONS).flatMap((row) => Object.keys(row)));
  assert.deepEqual([...rowEvents].filter((e) => e in FROM_ANY_STATE), []);
});

test('a verification: phone → sending → code → checking → verified', () => {
  const path = [['phone', 'send', 'sending'], ['sending', 'sent', 'code'], ['code', 'check', 'checking'], ['checking', 'verified', 'verified']];
  for (const [from, event, to] of path) assert.equal(nextState(from, event), to, `${from} --${event}-->`);
});

test('sending is possible from the phone step and the expired one only; nothing else while a request runs', () => {
  assert.deepEqual(STATES.filter((s) => nextState(s, 'send')), ['phone', 'expired']);
  assert.deepEqual(STATES.filter((s) => nextState(s, 'check')), ['code']);
  for (const event of ['send', 'check', 'retry']) {
    assert.equal(nextState('sending', event), undefined, `sending ignores ${event}`);
    assert.equal(nextState('checking', event), undefined, `checking ignores ${event}`);
  }
});

test('"Change number" from where its button shows; "Try again" back to the interrupted step', () => {
  assert.deepEqual(STATES.filter((s) => nextState(s, 'change')), ['code', 'checking', 'error', 'locked', 'expired']);
  for (const s of STATES) assert.equal(nextState(s, 'change') ?? 'phone', 'phone');
  assert.deepEqual(['retry', 'retryCode', 'retryExpired'].map((e) => nextState('error', e)), ['phone', 'code', 'expired']);
  assert.equal(nextState('code', 'retry'), undefined);
});

test('answers and resets lead to the same state from every state', () => {
  for (const s of STATES) {
    assert.equal(nextState(s, 'reset'), 'phone');
    assert.equal(nextState(s, 'sent'), 'code');
    assert.equal(nextState(s, 'verified'), 'verified');
    assert.equal(nextState(s, 'wrongCode'), 'code');
    assert.equal(nextState(s, 'locked'), 'locked');
    assert.equal(nextState(s, 'expired'), 'expired');
    assert.equal(nextState(s, 'error'), 'error');
  }
  assert.equal(nextState('phone', 'no such event'), undefined);
});
