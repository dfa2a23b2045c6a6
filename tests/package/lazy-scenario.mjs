// What a page (or Node) sees of the phone metadata loaded per region, as plain data, so that
// the same run can happen in Node, in a plain module page in Chromium and Firefox, and in
// Vite and webpack builds, and be compared: before its region is loaded a number gets
// METADATA_MISSING naming it; `loadCountries` fetches that region's asset (and the main
// region of its calling code) and the answers come, synchronously, from then on.

/** What a call threw, as data (`null`: it returned). */
function thrown(f) {
  try {
    f();
    return null;
  } catch (e) {
    return { name: e.name, code: e.code ?? null, country: e.country ?? null };
  }
}

/** The phone metadata assets the page fetched so far (paths; a bundler may rename them). */
function assetsFetched() {
  if (typeof performance === 'undefined' || !performance.getEntriesByType) return null;
  return performance
    .getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname)
    .filter((path) => /\.txt$/.test(path))
    .sort();
}

export async function lazyScenario(m) {
  const out = {};
  out.countries = m.countries().length;
  out.before = {
    parse: thrown(() => m.parsePhoneNumber('+33 6 12 34 56 78')),
    national: thrown(() => m.parsePhoneNumber('06 12 34 56 78', 'FR')),
    format: thrown(() => m.formatPhoneNumber('0612345678', 'FR', 'NATIONAL')),
    typing: thrown(() => new m.AsYouType('FR').input('06')),
    // Refusals that need no region are answered before any load.
    noCountry: m.parsePhoneNumber('0612345678').error,
  };
  out.assetsBefore = assetsFetched();
  const typing = new m.AsYouType('FR');
  out.typedBeforeLoad = thrown(() => typing.input('0612'));
  await m.loadCountries(['fr']);
  out.assetsAfterFR = assetsFetched();
  out.after = {
    parse: m.parsePhoneNumber('+33 6 12 34 56 78'),
    format: m.formatPhoneNumber('0612345678', 'FR', 'NATIONAL'),
    // What was typed before the load is kept: the next input formats all of it.
    typing: typing.input('34'),
  };
  // A region that shares its calling code needs its main region too: loading CA loads US.
  out.caBefore = thrown(() => m.parsePhoneNumber('+1 613 555 0123'));
  await m.loadCountries(['CA']);
  out.ca = m.parsePhoneNumber('+1 613 555 0123').countryIso;
  out.us = m.parsePhoneNumber('+1 212 555 0123').countryIso;
  out.assetsAfterCA = assetsFetched();
  // Loading again fetches nothing.
  await m.loadCountries(['FR', 'US']);
  out.assetsAtEnd = assetsFetched();
  out.unknown = await m.loadCountries(['ZZ']).then(() => null, (e) => e.name);
  out.notAList = await m.loadCountries('FR').then(() => null, (e) => e.name);
  await m.loadAllCountries();
  out.afterAll = m.formatPhoneNumber('+81 3 1234 5678', undefined, 'INTERNATIONAL');
  return out;
}

/** The answers every platform must give (the assets fetched are checked where known). */
export const EXPECTED = {
  countries: 245,
  before: {
    parse: { name: 'Error', code: 'METADATA_MISSING', country: 'FR' },
    national: { name: 'Error', code: 'METADATA_MISSING', country: 'FR' },
    format: { name: 'Error', code: 'METADATA_MISSING', country: 'FR' },
    typing: { name: 'Error', code: 'METADATA_MISSING', country: 'FR' },
    noCountry: 'a national-format number needs its country (countryIso)',
  },
  typedBeforeLoad: { name: 'Error', code: 'METADATA_MISSING', country: 'FR' },
  after: {
    parse: { valid: true, e164: '+33612345678', countryIso: 'FR', callingCode: 33, nationalNumber: '612345678', numberType: 'MOBILE', error: null },
    format: '06 12 34 56 78',
    typing: '06 12 34',
  },
  caBefore: { name: 'Error', code: 'METADATA_MISSING', country: 'US' },
  ca: 'CA',
  us: 'US',
  unknown: 'TypeError',
  notAList: 'TypeError',
  afterAll: '+81 3 1234 5678',
};
