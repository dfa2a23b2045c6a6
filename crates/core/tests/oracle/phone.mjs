// Oracle for crates/core/tests/phone_oracle.rs: builds a corpus of phone numbers from
// libphonenumber-js's example mobile numbers (valid ones, national formats, IDD forms, and
// invalid variants) and prints what libphonenumber-js/max says of each, one JSON per line.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parsePhoneNumberFromString, getCountryCallingCode } = require('libphonenumber-js/max');
const examples = require('libphonenumber-js/examples.mobile.json');

const countries = process.argv.slice(2);
const judge = (input, country) => {
  const p = parsePhoneNumberFromString(input, country ? { defaultCountry: country } : undefined);
  const valid = Boolean(p && p.isValid());
  return { input, country: country || null, valid, e164: valid ? p.number : null, countryIso: valid ? p.country : null };
};

for (const country of countries) {
  const national = examples[country];
  if (!national) throw new Error(`no example for ${country}`);
  const cc = getCountryCallingCode(country);
  const e164 = `+${cc}${national}`;
  const cases = [[e164], [national, country]];
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed) cases.push([parsed.formatNational(), country], [parsed.formatInternational()]);
  cases.push([`00${cc}${national}`, country]);
  cases.push([`+${cc}${national.slice(0, -1)}`], [`+${cc}${national}5`], [`+${cc}${national}55`]);
  for (let d = 0; d <= 9; d++) cases.push([`+${cc}${d}${national.slice(1)}`]);
  for (let d = 0; d <= 9; d += 3) cases.push([`${d}${national.slice(1)}`, country]);
  for (const [input, c] of cases) console.log(JSON.stringify(judge(input, c)));
}
