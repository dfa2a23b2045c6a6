// The code as it arrives in the code input — typed, pasted, autofilled by the browser or the
// keyboard's SMS suggestion, or delivered by WebOTP — reduced to the code itself. Pure
// functions (no DOM), so that every way a code arrives is a unit test
// (tests/widget-unit/code.test.mjs) and the browser tests keep to the whole flow.
//
// What arrives is not always the code: a paste of the SMS ("Your code is 424 242"), digits
// from an Arabic or Persian keyboard, full-width digits from a CJK input method. The element
// checks a complete code exactly once, so what is kept must be the code or nothing.

/** Arabic-Indic (U+0660…) and Extended Arabic-Indic (U+06F0…) digits as ASCII; full-width ones by NFKC. */
export const asciiDigits = (text) =>
  text.normalize('NFKC').replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String.fromCharCode(d.charCodeAt(0) - (d.charCodeAt(0) >= 0x6f0 ? 0x6c0 : 0x630)));

/**
 * The code in what arrived (typing, paste, autofill, an SMS's text): digits (or letters for
 * letter PINs) with separators between them dropped; a run of exactly `n` preferred.
 * Exported by the package (`smsotp/widget`, widget.d.ts) for pages that read codes themselves.
 */
export function sanitizeCode(text, n, letters = false) {
  const s = asciiDigits(String(text ?? ''));
  const ch = letters ? '[0-9A-Za-z]' : '\\d';
  const compact = s.replace(new RegExp(`(${ch})[\\s\\-.·]+(?=${ch})`, 'g'), '$1');
  const runs = compact.match(new RegExp(`${ch}+`, 'g')) ?? [];
  const exact = runs.find((r) => r.length === n);
  const code = (exact ?? runs.join('')).slice(0, n);
  return letters ? code.toUpperCase() : code;
}
