// Checks a phoneExercise() result (from Node or a browser) against libphonenumber-js/max,
// the library whose metadata and rules the core follows: the region list, full formatting
// (0 disagreements), as-you-type (text and region on every typed prefix: 0 disagreements;
// the package has no number value, the core's oracle test compares that),
// and the bad-input contract.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

// libphonenumber-js is a dev dependency of the repository root, not of the package.
const require = createRequire(new URL('../../package.json', import.meta.url));
const lpn = require('libphonenumber-js/max');
const examples = require('libphonenumber-js/examples.mobile.json');
const metadata = require('libphonenumber-js/metadata.max.json');

function theirs(input, country, style) {
  const p = lpn.parsePhoneNumberFromString(input, country ? { defaultCountry: country } : undefined);
  return p ? p.format(style) : { error: 'TypeError' };
}

function theirTyping(text, country) {
  const formatter = new lpn.AsYouType(country);
  return [...text].map((c) => [formatter.input(c), formatter.getCountry() ?? null]);
}

export function checkPhoneExercise(r, label) {
  // The region list: the same regions, calling codes, examples and main regions.
  assert.deepEqual(r.countries.map((c) => c.countryIso), [...lpn.getCountries()].sort(), `${label}: regions`);
  for (const c of r.countries) {
    assert.equal(c.callingCode, Number(lpn.getCountryCallingCode(c.countryIso)), c.countryIso);
    assert.equal(c.exampleNumber, `+${c.callingCode}${examples[c.countryIso]}`, c.countryIso);
    assert.equal(c.mainRegion, metadata.country_calling_codes[c.callingCode][0] === c.countryIso, c.countryIso);
    assert.ok(c.internationalPrefix === null || /^[\d~]+$/.test(c.internationalPrefix), c.countryIso);
  }
  assert.ok(r.countries.filter((c) => !c.mainRegion).length >= 20, 'regions sharing a calling code (+1, +7, +44, …)');

  // Formatting: every case, every style, exactly as libphonenumber-js.
  const styles = ['E.164', 'INTERNATIONAL', 'NATIONAL'];
  const wrong = [];
  r.cases.forEach(([input, country], i) => {
    styles.forEach((style, j) => {
      const expected = theirs(input, country, style);
      if (JSON.stringify(r.formatted[i][j]) !== JSON.stringify(expected)) {
        wrong.push(`${input} (${country ?? '-'}) ${style}: theirs ${JSON.stringify(expected)}, ours ${JSON.stringify(r.formatted[i][j])}`);
      }
    });
  });
  console.log(`${label}: formatting, ${r.cases.length * 3} (number, style) pairs, ${wrong.length} disagreements`);
  // The corpus is built from the region list and its examples (phone-exercise.mjs): its size
  // is asserted exactly (980 inputs and 5,081 typed prefixes with libphonenumber-js 1.13.16).
  assert.equal(r.cases.length, 980, 'formatting corpus size');
  assert.deepEqual(wrong, [], `${label}: formatting disagrees with libphonenumber-js`);

  // As you type: the text and the region agree on every prefix; every disagreement listed.
  let prefixes = 0;
  const differ = [];
  for (const [text, country, ours] of r.typed) {
    const expected = theirTyping(text, country);
    expected.forEach((e, i) => {
      prefixes++;
      if (e[0] !== ours[i][0] || e[1] !== ours[i][1]) {
        differ.push(`${text.slice(0, i + 1)} (${country ?? '-'}): theirs ${JSON.stringify(e)}, ours ${JSON.stringify(ours[i])}`);
      }
    });
  }
  const agreement = 1 - differ.length / prefixes;
  console.log(`${label}: as-you-type, ${prefixes} prefixes, agreement ${(agreement * 100).toFixed(2)} %, ${differ.length} disagreements${differ.length ? `:\n  ${differ.join('\n  ')}` : ''}`);
  assert.equal(prefixes, 5081, 'as-you-type prefixes');
  assert.deepEqual(differ, [], `${label}: as-you-type disagrees with libphonenumber-js`);

  // Pasting an international number selects its region; reset forgets the old one.
  assert.deepEqual(r.pasted, ['+44 7400 123456', 'GB']);
  assert.deepEqual(r.afterReset, ['(212) 555-0123', 'US']);
  assert.equal(r.listIsACopy, r.countries.length);
  // Formatters used in turns answer as each one alone.
  assert.deepEqual(r.interleaved, r.alone[0].flatMap(([text], i) => [text, r.alone[1][i][0]]));
  assert.equal(r.interleaved.at(-2), '06 12 34 56 78');
  assert.equal(r.interleaved.at(-1), '(212) 555-0123');
  assert.equal(r.parsed.e164, '+447400123456');
  const byIso = Object.fromEntries(r.countries.map((c) => [c.countryIso, c]));
  assert.deepEqual([byIso.FR.internationalPrefix, byIso.US.internationalPrefix, byIso.GB.internationalPrefix], ['00', '011', '00']);

  // Bad input: TypeErrors with clear messages, never a wasm trap.
  const b = r.badInput;
  for (const key of ['formatNumber', 'formatStyle', 'formatCountry', 'formatUnknownCountry', 'formatEmpty', 'formatHuge', 'formatLoneSurrogate', 'asYouTypeNumber', 'asYouTypeCountry', 'asYouTypeHuge']) {
    assert.ok(b[key], `${key} must throw`);
    assert.equal(b[key].name, 'TypeError', `${key}: ${b[key].message}`);
    assert.match(b[key].message, /^smsotp: /, key);
    assert.doesNotMatch(b[key].message, /unreachable|panicked|RuntimeError|undefined/, key);
  }
  assert.match(b.formatStyle.message, /E\.164, INTERNATIONAL, NATIONAL/);
  assert.match(b.formatUnknownCountry.message, /country/);
  // Typed text is read as libphonenumber-js reads it (letters, Arabic-Indic digits, …).
  assert.equal(b.asYouTypeLetters, new lpn.AsYouType('FR').input('Call me at 06 12 34 56 78!'));
  assert.equal(b.asYouTypeArabicIndic, new lpn.AsYouType('FR').input('٠٦١٢٣٤٥٦٧٨'));
  assert.equal(typeof b.asYouTypeLoneSurrogate, 'string');
  assert.equal(b.asYouTypeEmpty, '');
  assert.equal(b.parseHuge, false);
}
