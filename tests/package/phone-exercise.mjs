// Exercises the phone functions of a module (`smsotp/phone` or `smsotp`) on a corpus and
// returns plain data, so the same run can happen in Node and in a browser page, and be
// compared with libphonenumber-js (phone-oracle.mjs) and across platforms.

/** What a call threw, as data (`null`: it returned). */
function thrown(f) {
  try {
    f();
    return null;
  } catch (e) {
    return { name: e.name, message: e.message };
  }
}

/**
 * The corpus: for every region of `m.countries()`, its example number in E.164 and in
 * national digits with the region, plus a few variants (a digit short, a digit more).
 */
export function corpus(m) {
  const cases = [];
  for (const { countryIso, callingCode, exampleNumber } of m.countries()) {
    const national = exampleNumber.slice(1 + String(callingCode).length);
    cases.push([exampleNumber, undefined], [national, countryIso]);
    cases.push([`+${callingCode}${national.slice(0, -1)}`, undefined], [`+${callingCode}${national}9`, undefined]);
  }
  return cases;
}

/** Every prefix of `text` typed one character at a time into a new AsYouType(country). */
export function typeAll(m, text, country) {
  const formatter = new m.AsYouType(country);
  return [...text].map((c) => [formatter.input(c), formatter.getCountry() ?? null]);
}

export function phoneExercise(m) {
  const styles = ['E.164', 'INTERNATIONAL', 'NATIONAL'];
  const cases = corpus(m);
  const formatted = cases.map(([input, country]) =>
    styles.map((style) => {
      try {
        return m.formatPhoneNumber(input, country, style);
      } catch (e) {
        return { error: e.name };
      }
    }),
  );
  // As-you-type: the E.164 example typed with '+', and national digits with the region.
  const typed = m.countries().flatMap(({ countryIso, callingCode, exampleNumber }) => [
    [exampleNumber, undefined, typeAll(m, exampleNumber, undefined)],
    [exampleNumber.slice(1 + String(callingCode).length), countryIso, typeAll(m, exampleNumber.slice(1 + String(callingCode).length), countryIso)],
  ]);
  const pasted = new m.AsYouType('FR');
  const reused = new m.AsYouType('US');
  reused.input('+44 7400 123456');
  const afterReset = reused.reset().input('2125550123');
  // Two fields formatted in turns (the wasm keeps one live formatter: the other replays).
  const [a, b] = [new m.AsYouType('FR'), new m.AsYouType('US')];
  const interleaved = [];
  for (let i = 0; i < 10; i++) interleaved.push(a.input('0612345678'[i]), b.input('2125550123'[i]));
  const huge = 'x'.repeat(100_000);
  return {
    countries: m.countries(),
    cases,
    formatted,
    typed,
    // Pasting a whole international number into a field whose default region is FR.
    pasted: [pasted.input('+44 7400 123456'), pasted.getCountry() ?? null],
    afterReset: [afterReset, reused.getCountry() ?? null],
    interleaved,
    alone: [typeAll(m, '0612345678', 'FR'), typeAll(m, '2125550123', 'US')],
    // The list is a copy: changing it changes nothing for the next caller.
    listIsACopy: (() => {
      const list = m.countries();
      list.length = 0;
      return m.countries().length;
    })(),
    parsed: m.parsePhoneNumber('+44 7400 123456'),
    // Bad input: a TypeError with a clear message, or an error value — never a trap.
    badInput: {
      formatNumber: thrown(() => m.formatPhoneNumber(12345, 'FR', 'NATIONAL')),
      formatStyle: thrown(() => m.formatPhoneNumber('+33612345678', undefined, 'national')),
      formatCountry: thrown(() => m.formatPhoneNumber('0612345678', 33, 'NATIONAL')),
      formatUnknownCountry: thrown(() => m.formatPhoneNumber('0612345678', 'XX', 'NATIONAL')),
      formatEmpty: thrown(() => m.formatPhoneNumber('', 'FR', 'NATIONAL')),
      formatHuge: thrown(() => m.formatPhoneNumber(huge, 'FR', 'NATIONAL')),
      formatLoneSurrogate: thrown(() => m.formatPhoneNumber('+33 6\uD800 12 34 56 78', undefined, 'NATIONAL')),
      asYouTypeNumber: thrown(() => new m.AsYouType('FR').input(42)),
      asYouTypeCountry: thrown(() => new m.AsYouType({})),
      asYouTypeHuge: thrown(() => new m.AsYouType('FR').input(huge)),
      asYouTypeLoneSurrogate: new m.AsYouType('FR').input('06\uDC00 12'),
      asYouTypeLetters: new m.AsYouType('FR').input('Call me at 06 12 34 56 78!'),
      asYouTypeArabicIndic: new m.AsYouType('FR').input('٠٦١٢٣٤٥٦٧٨'),
      asYouTypeEmpty: new m.AsYouType().input(''),
      parseHuge: m.parsePhoneNumber(huge).valid,
    },
  };
}
