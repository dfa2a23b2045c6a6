// Oracle for crates/core/tests/phone_format_oracle.rs: builds a seeded corpus of phone
// numbers over every region libphonenumber-js knows (getCountries()): each region's example
// mobile number and variations of it (last digits replaced, a digit more or less, another
// first digit, all but the first one or two digits random), written in E.164, national and international formats, with and without a
// default country. Prints what libphonenumber-js/max says, one JSON object per line:
//   {"kind":"format","input":…,"country":…,"out":{"E.164":…,"INTERNATIONAL":…,"NATIONAL":…}|null}
//   {"kind":"typing","input":…,"country":…,"steps":[[text, country, numberValue], …]}
//   {"kind":"regions","regions":[[iso, callingCode, exampleE164], …]}
// where a typing case's steps are what `new AsYouType(country)` returns as the input is
// typed one character at a time (cumulative).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const {
  parsePhoneNumberFromString, getCountries, getCountryCallingCode, AsYouType,
} = require('libphonenumber-js/max');
const examples = require('libphonenumber-js/examples.mobile.json');

// mulberry32: a small seeded generator, so the corpus is the same on every run.
let seed = 0x5eed_f0a7;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const digit = () => String(Math.floor(random() * 10));
const digits = (n) => Array.from({ length: n }, digit).join('');

const STYLES = ['E.164', 'INTERNATIONAL', 'NATIONAL'];
const formatCase = (input, country) => {
  const p = parsePhoneNumberFromString(input, country ? { defaultCountry: country } : undefined);
  const out = p ? Object.fromEntries(STYLES.map((s) => [s, p.format(s)])) : null;
  return { kind: 'format', input, country: country || null, out };
};
const typingCase = (input, country) => {
  const typing = new AsYouType(country || undefined);
  const steps = [...input].map((c) => {
    const text = typing.input(c);
    return [text, typing.getCountry() || null, typing.getNumberValue() || null];
  });
  return { kind: 'typing', input, country: country || null, steps };
};

const lines = [];
for (const country of getCountries()) {
  const example = examples[country];
  if (!example) throw new Error(`no example for ${country}`);
  const cc = getCountryCallingCode(country);
  const variants = [
    example,
    example.slice(0, -1) + digit(),
    example.slice(0, -3) + digits(3),
    example + digit(),
    example.slice(0, -1),
    digit() + example.slice(1),
    example.slice(0, 2) + digits(example.length - 2),
    example.slice(0, 1) + digits(example.length - 1),
  ];
  const seen = new Set();
  const add = (line) => {
    const key = `${line.kind} ${line.input} ${line.country}`;
    if (!seen.has(key)) {
      seen.add(key);
      lines.push(line);
    }
  };
  for (const v of variants) {
    const e164 = `+${cc}${v}`;
    const spelled = [[e164, null], [e164, country], [v, country], [`+${cc} ${v}`, null]];
    const parsed = parsePhoneNumberFromString(e164);
    if (parsed) {
      spelled.push([parsed.formatNational(), country], [parsed.formatInternational(), null]);
      spelled.push([parsed.formatInternational(), country]);
    }
    // Inputs libphonenumber-js does not parse: national digits without a country, a calling
    // code alone or with one digit.
    spelled.push([v, null], [`+${cc}`, null], [`+${cc}1`, null], [`+${cc}1`, country]);
    for (const [input, c] of spelled) add(formatCase(input, c));
    // Typing every variant: international without a country, national digits (with and
    // without the national prefix) with the region as the default country, and the
    // example's formatted spellings.
    {
      add(typingCase(e164, null));
      add(typingCase(v, country));
      if (parsed) {
        add(typingCase(parsed.formatNational().replace(/\D/g, ''), country));
        // As written, punctuation included, and with a stray letter and a full-width plus.
        add(typingCase(parsed.formatNational(), country));
        add(typingCase(parsed.formatInternational(), null));
        add(typingCase(`a${parsed.formatInternational()}b`, country));
        add(typingCase(`\uFF0B${cc}${v}`, null));
      }
    }
  }
}
// The regions, with their calling codes and example numbers (E.164).
const regions = getCountries().map((c) => [c, getCountryCallingCode(c), `+${getCountryCallingCode(c)}${examples[c]}`]);
lines.push({ kind: 'regions', regions });
for (const line of lines) console.log(JSON.stringify(line));
