// The country combobox's search, and the text it shows for the selected country. Pure (no
// DOM), unit-tested in tests/widget-unit/country-search.test.mjs.
//
// A person looks for their country by what they know of it: its name in the page's language
// ("Royaume-Uni"), its English name (a Latin keyboard on a page in another script), its ISO
// code ("gb") or its calling code ("+44", "44"); accents and case do not matter ("equateur"
// finds "Équateur"). The names are folded once per language (`searchKeys`, when the list is
// built), not at every keystroke: a pass over 280 regions × 2 names measured 0.06–0.2 ms in
// Node 20 here, more on a slow phone, and nothing is gained by repeating it.

/** A name as the search compares it: no accents (NFD, combining marks dropped), lower case. */
export const fold = (text) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** The folded names a country is found by: its name in the widget's language and in English. */
export const searchKeys = (name, englishName) => [fold(name), fold(englishName)];

/** What was typed in the combobox, as the search compares it (`''`: no filter). */
export const searchQuery = (typed) => fold(typed.trim());

/**
 * Whether a country (`{ countryIso, callingCode, search }`, `search` from `searchKeys`)
 * matches a query from `searchQuery`: a folded name containing it, its ISO code, or (digits,
 * with or without "+") the start of its calling code. An empty query matches every country.
 */
export function matchesCountry(country, query) {
  if (!query) return true;
  const digits = query.replace(/^\+/, '');
  return (
    country.search.some((name) => name.includes(query)) ||
    country.countryIso.toLowerCase() === query ||
    (/^\d+$/.test(digits) && String(country.callingCode).startsWith(digits))
  );
}

/**
 * The combobox's text for a selected country: "United Kingdom +44". After a right-to-left
 * name the calling code is isolated left-to-right with Unicode's isolate marks (in a plain
 * input there is no `<bdi>`): "+44" would otherwise show as "44+". Only then: the accessible
 * name stays plain text everywhere else.
 */
export function countryLabel(country) {
  if (!country) return '';
  const code = /[\u0590-\u08ff]/.test(country.name) ? `\u2066+${country.callingCode}\u2069` : `+${country.callingCode}`;
  return `${country.name} ${code}`;
}
