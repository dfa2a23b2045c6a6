// Where the caret goes when the phone field is reformatted as typed
// (crates/web/js/widget/caret.js): after the same number of digits as before, whatever
// spaces and dashes the formatting added or removed; at the end, left to the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caretAfterFormatting } from '../../crates/web/js/widget/caret.js';

test('a caret at the end of what was typed: null (the browser puts it at the end itself)', () => {
  assert.equal(caretAfterFormatting('7400123', 7, '7400 123'), null);
  assert.equal(caretAfterFormatting('', 0, ''), null);
  assert.equal(caretAfterFormatting('74', 9, '74'), null);
});

test('a caret in the middle stays after the same digits', () => {
  // "7400|123" typed as 7400123: after the 4th digit, i.e. before the space the format adds.
  assert.equal(caretAfterFormatting('7400123', 4, '7400 123'), 4);
  // A digit inserted after "74": the caret follows it past the new space.
  assert.equal(caretAfterFormatting('7450 0123', 3, '74500 123'), 3);
  // Digits after a space of the old text: the space no longer counts.
  assert.equal(caretAfterFormatting('7400 1234', 6, '7400 1234'), 6);
  assert.equal(caretAfterFormatting('(020) 7946 0958', 8, '020 7946 0958'), 6);
});

test('a caret before any digit stays at the start', () => {
  assert.equal(caretAfterFormatting('7400123', 0, '7400 123'), 0);
  assert.equal(caretAfterFormatting(' 7400', 1, '7400'), 0);
});

test('more digits before the caret than the formatted text has: the end', () => {
  assert.equal(caretAfterFormatting('12345678', 5, '123'), 3);
});
