// Where the caret goes when the phone field is reformatted as the person types. Pure (no
// DOM), unit-tested in tests/widget-unit/caret.test.mjs.
//
// As-you-type formatting rewrites the whole value ("7400123" → "7400 123"): a browser then
// puts the caret at the end, which is right when typing at the end and wrong when editing in
// the middle (the next digit would land at the end). The caret is kept after the same number
// of digits instead: spaces, dashes and parentheses come and go, the digits stay in order.

/**
 * The caret's index in `formatted` for a caret at `caret` in `typed` (the value before
 * formatting), or null when it was at the end (the browser's own placement is right then).
 */
export function caretAfterFormatting(typed, caret, formatted) {
  if (caret >= typed.length) return null;
  const digits = typed.slice(0, caret).replace(/\D/g, '').length;
  let i = 0;
  for (let n = 0; i < formatted.length && n < digits; i++) if (/\d/.test(formatted[i])) n++;
  return i;
}
