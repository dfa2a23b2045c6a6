// Oracle for crates/core/tests/phone_oracle.rs: what libphonenumber-js/max says of phone
// numbers, one JSON object per line. Three modes:
//   phone.mjs --countries          the regions libphonenumber-js knows (getCountries()), as one JSON array
//   phone.mjs --types CC …         per region, numbers of every type it has (fixed-line,
//                                  toll-free, …; libphonenumber-js ships only mobile examples):
//                                  digit strings drawn (seeded) from the type's pattern in
//                                  metadata.max.json, kept when libphonenumber-js/max itself
//                                  says they are valid numbers of that region
//   phone.mjs CC …                 a corpus built from the example mobile numbers (valid ones,
//                                  national formats, IDD forms, and invalid variants)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parsePhoneNumberFromString, getCountryCallingCode, getCountries } = require('libphonenumber-js/max');
const { Metadata } = require('libphonenumber-js/core');
const metadataJson = require('libphonenumber-js/metadata.max.json');
const examples = require('libphonenumber-js/examples.mobile.json');

const judge = (input, country) => {
  const p = parsePhoneNumberFromString(input, country ? { defaultCountry: country } : undefined);
  const valid = Boolean(p && p.isValid());
  return {
    input,
    country: country || null,
    valid,
    e164: valid ? p.number : null,
    countryIso: valid ? p.country : null,
    type: valid ? (p.getType() ?? null) : null,
  };
};

const TYPES = ['FIXED_LINE', 'MOBILE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'];

/** mulberry32: a small seeded PRNG, so the corpus is the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random string matching `pattern`, a libphonenumber number pattern (digits, `\d`,
 * classes with ranges, `(?:…)` groups, `|`, `{n}`, `{n,m}`, `?`: all these patterns use).
 */
function sample(pattern, random) {
  let i = 0;
  const pick = (n) => Math.floor(random() * n);
  const alternation = () => {
    const options = [sequence()];
    while (pattern[i] === '|') {
      i++;
      options.push(sequence());
    }
    return options;
  };
  const sequence = () => {
    const items = [];
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      const atom = parseAtom();
      let [min, max] = [1, 1];
      if (pattern[i] === '?') {
        [min, max] = [0, 1];
        i++;
      } else if (pattern[i] === '{') {
        const end = pattern.indexOf('}', i);
        const [a, b] = pattern.slice(i + 1, end).split(',');
        min = Number(a);
        max = b === undefined ? min : b === '' ? min + 3 : Number(b);
        i = end + 1;
      }
      items.push({ atom, min, max });
    }
    return items;
  };
  const parseAtom = () => {
    const c = pattern[i];
    if (c === '(') {
      i += pattern.startsWith('(?:', i) ? 3 : 1;
      const options = alternation();
      if (pattern[i] !== ')') throw new Error(`unbalanced ( in ${pattern}`);
      i++;
      return { options };
    }
    if (c === '[') {
      const end = pattern.indexOf(']', i);
      const body = pattern.slice(i + 1, end);
      i = end + 1;
      const digits = [];
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-') {
          for (let d = Number(body[k]); d <= Number(body[k + 2]); d++) digits.push(String(d));
          k += 2;
        } else if (body[k] === '\\' && body[k + 1] === 'd') {
          digits.push(...'0123456789');
          k++;
        } else digits.push(body[k]);
      }
      return { digits };
    }
    if (c === '\\' && pattern[i + 1] === 'd') {
      i += 2;
      return { digits: [...'0123456789'] };
    }
    if (/[0-9]/.test(c)) {
      i++;
      return { digits: [c] };
    }
    throw new Error(`unexpected ${c} at ${i} in ${pattern}`);
  };
  const tree = alternation();
  if (i !== pattern.length) throw new Error(`trailing text in ${pattern}`);
  const emit = (options) => {
    let out = '';
    for (const { atom, min, max } of options[pick(options.length)]) {
      for (let n = min + pick(max - min + 1); n > 0; n--) {
        out += atom.options ? emit(atom.options) : atom.digits[pick(atom.digits.length)];
      }
    }
    return out;
  };
  return emit(tree);
}

const args = process.argv.slice(2);
if (args[0] === '--countries') {
  console.log(JSON.stringify(getCountries()));
} else if (args[0] === '--types') {
  const metadata = new Metadata(metadataJson);
  for (const [index, country] of args.slice(1).entries()) {
    metadata.selectNumberingPlan(country);
    const random = prng(0x5eed + index);
    const cc = getCountryCallingCode(country);
    for (const type of TYPES) {
      const pattern = metadata.numberingPlan.type(type)?.pattern();
      if (!pattern) continue;
      // Up to 3 distinct numbers libphonenumber-js accepts as this type (or, for a
      // fixed-line pattern shared with mobile, FIXED_LINE_OR_MOBILE) in this region.
      const kept = new Set();
      for (let tries = 0; tries < 200 && kept.size < 3; tries++) {
        const national = sample(pattern, random);
        const r = judge(`+${cc}${national}`);
        const sameType = r.type === type || (r.type === 'FIXED_LINE_OR_MOBILE' && (type === 'FIXED_LINE' || type === 'MOBILE'));
        if (r.valid && r.countryIso === country && sameType) kept.add(national);
      }
      for (const national of kept) {
        console.log(JSON.stringify({ ...judge(`+${cc}${national}`), drawnAs: type }));
        console.log(JSON.stringify({ ...judge(national, country), drawnAs: type }));
      }
    }
  }
} else {
  for (const country of args) {
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
}
