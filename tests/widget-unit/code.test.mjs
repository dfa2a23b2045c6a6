// The widget's code sanitising (crates/web/js/widget/code.js), as the code input meets it:
// typed, pasted, autofilled by the browser or the keyboard, delivered by WebOTP, from an
// Arabic, Persian or CJK keyboard. The browser tests keep to the flow (one check per code);
// here every shape a code arrives in is one assertion, in milliseconds and without a build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiDigits, sanitizeCode } from '../../crates/web/js/widget/code.js';

test('digits typed or autofilled pass as they are, cut at the PIN length', () => {
  assert.equal(sanitizeCode('424242', 6), '424242');
  assert.equal(sanitizeCode('4242', 6), '4242');
  assert.equal(sanitizeCode('42424299', 6), '424242');
  assert.equal(sanitizeCode('', 6), '');
  assert.equal(sanitizeCode(undefined, 6), '');
  assert.equal(sanitizeCode(null, 6), '');
});

test('separators between digits are dropped: spaces, dashes, dots, middle dots', () => {
  for (const pasted of ['424 242', '424-242', '424.242', '424·242', '4 2 4 2 4 2', ' 424242 ', '424 - 242']) {
    assert.equal(sanitizeCode(pasted, 6), '424242', JSON.stringify(pasted));
  }
});

test('a pasted SMS: the run of exactly the PIN length wins over other numbers', () => {
  assert.equal(sanitizeCode('Your code is 424242', 6), '424242');
  assert.equal(sanitizeCode('Your Acme code: 424 242. Valid 10 minutes.', 6), '424242');
  assert.equal(sanitizeCode('Order 12: your code is 123456', 6), '123456');
  assert.equal(sanitizeCode('@acme.example #424242', 6), '424242');
  // No run of the length: the digits in order, cut.
  assert.equal(sanitizeCode('12 then 34', 6), '1234');
});

test('Arabic-Indic, Extended Arabic-Indic (Persian) and full-width digits become ASCII', () => {
  assert.equal(asciiDigits('٠١٢٣٤٥٦٧٨٩'), '0123456789');
  assert.equal(asciiDigits('۰۱۲۳۴۵۶۷۸۹'), '0123456789');
  assert.equal(asciiDigits('０１２３４５６７８９'), '0123456789');
  assert.equal(sanitizeCode('٤٢٤٢٤٢', 6), '424242');
  assert.equal(sanitizeCode('رمز التحقق: ٤٢٤ ٢٤٢', 6), '424242');
  assert.equal(sanitizeCode('۴۲۴۲۴۲', 6), '424242');
  assert.equal(sanitizeCode('４２４２４２', 6), '424242');
});

test('letter PINs: letters and digits kept, upper-cased; without `letters`, letters are dropped', () => {
  assert.equal(sanitizeCode('ab-12c', 5, true), 'AB12C');
  assert.equal(sanitizeCode('KX7Q2M', 6, true), 'KX7Q2M');
  assert.equal(sanitizeCode('ab12cd34', 6), '1234');
});
