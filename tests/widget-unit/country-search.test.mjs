// The country combobox's search and label (crates/web/js/widget/country-search.js): found by
// its name in the page's language or in English, its ISO code or its calling code, accents
// and case ignored; labelled with its calling code kept left-to-right after an RTL name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countryLabel, fold, matchesCountry, searchKeys, searchQuery } from '../../crates/web/js/widget/country-search.js';

const country = (countryIso, callingCode, name, en) => ({ countryIso, callingCode, name, en, search: searchKeys(name, en) });
const ec = country('EC', 593, 'Équateur', 'Ecuador');
const gb = country('GB', 44, 'Royaume-Uni', 'United Kingdom');
const us = country('US', 1, 'États-Unis', 'United States');
const find = (typed) => [ec, gb, us].filter((c) => matchesCountry(c, searchQuery(typed))).map((c) => c.countryIso);

test('fold: no accents (combining marks dropped), lower case', () => {
  assert.equal(fold('Équateur'), 'equateur');
  assert.equal(fold('Åland'), 'aland');
  assert.equal(fold('Türkiye'), 'turkiye');
  assert.equal(fold('Россия'), 'россия');
});

test('by name in the widget\'s language, without accents or case', () => {
  assert.deepEqual(find('equa'), ['EC']);
  assert.deepEqual(find('ÉQUA'), ['EC']);
  assert.deepEqual(find('uni'), ['GB', 'US']);
  assert.deepEqual(find('  royaume '), ['GB']);
});

test('by English name, ISO code (whole) and calling code (its start, with or without +)', () => {
  assert.deepEqual(find('ecuador'), ['EC']);
  assert.deepEqual(find('united k'), ['GB']);
  assert.deepEqual(find('gb'), ['GB']);
  assert.deepEqual(find('us'), ['US']);
  assert.deepEqual(find('gbr'), []);
  assert.deepEqual(find('+44'), ['GB']);
  assert.deepEqual(find('59'), ['EC']);
  assert.deepEqual(find('+1'), ['US']);
  assert.deepEqual(find('+'), []);
});

test('nothing typed: every country', () => {
  assert.deepEqual(find(''), ['EC', 'GB', 'US']);
  assert.deepEqual(find('   '), ['EC', 'GB', 'US']);
});

test('the label: name and calling code; after a right-to-left name the code is isolated left-to-right', () => {
  assert.equal(countryLabel(gb), 'Royaume-Uni +44');
  assert.equal(countryLabel(country('EG', 20, 'مصر', 'Egypt')), 'مصر \u2066+20\u2069');
  assert.equal(countryLabel(country('IL', 972, 'ישראל', 'Israel')), 'ישראל \u2066+972\u2069');
  assert.equal(countryLabel(undefined), '');
});
