// Generates crates/core/src/phone/data.rs from libphonenumber-js's `metadata.max.json`,
// itself generated from Google libphonenumber's PhoneNumberMetadata.xml.
// Run from the repository root after `npm ci`:  node crates/core/data/gen-phone-data.mjs
//
// Licences: the metadata is Google's (Apache-2.0); libphonenumber-js, which repackages it,
// is MIT. The generated file keeps only what validity needs (see the record layout below),
// so the wasm builds carry ~20 KB gzipped instead of a full phone-number library.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = require('libphonenumber-js/package.json');
const meta = require('libphonenumber-js/metadata.max.json');
const examples = require('libphonenumber-js/examples.mobile.json');

// A record per region, fields separated by ';' (no pattern contains one):
//   0 IDD prefix pattern, 1 national prefix, 2 national prefix for parsing (pattern),
//   3 national prefix transform rule, 4 (empty: the leading digits are in LEADING_DIGITS),
//   5 possible lengths of national numbers,
//   6..15 the number types in libphonenumber's order: fixed line, mobile, toll free,
//   premium rate, personal number, voicemail, UAN, pager, VoIP, shared cost.
// A type is its pattern, empty when the region has no such numbers, and `=` for a mobile
// pattern equal to the fixed-line one. Left out to stay small, with no change in any
// answer over every region's example numbers (the oracle test): per-type possible lengths
// (the type patterns fix the lengths).
//   16 the general national-number pattern: libphonenumber-js decides with it whether a
//      national prefix or a calling code typed without `+` was really one, and the union
//      of the number types (which validity uses) is narrower, so some numbers that are
//      not valid were read differently (+7 7100099984 typed as 77100099984 in KZ).
// Number formats (libphonenumber's <numberFormat>s, used by formatting and as-you-type)
// are in FORMATS, a line per region: formats separated by '!', each `P/F/I/N/O/L`: P a line
// of FORMAT_PATTERNS, F and I lines of FORMAT_TEMPLATES (national and international format;
// I empty when the same), N a line of NP_RULES (the national-prefix formatting rule; empty
// when none), O `1` when the national prefix is optional when formatting, L the
// leading-digits patterns separated by spaces (each more detailed than the one before).
// An empty line: the region formats with its calling code's main region's formats (or not
// at all).
// EXAMPLES holds an example mobile number per region (examples.mobile.json), and
// PREFERRED_IDD libphonenumber's preferredInternationalPrefix where there is one.
// The index — what every build keeps compiled in, also the one that loads each region's
// RECORDS and FORMATS line at run time (the core's `lazy-metadata` feature) — is the
// ISO and calling codes, EXAMPLES, PREFERRED_IDD, CALLING_CODES, and two fields of the
// records repeated as their own lists: IDD_PATTERNS (the country list shows the
// international prefix of every region) and LEADING_DIGITS (a shared calling code's
// region is found by them before its metadata is needed).
// Region-level national-prefix formatting rules and "optional" flags are absent from this
// metadata (every format carries its own), so none are stored; neither are carrier-code
// formatting rules, which libphonenumber-js does not use.
const example = (iso) => {
  const digits = examples[iso];
  if (!/^\d+$/.test(digits || '')) throw new Error(`no example number for ${iso}`);
  return digits;
};
const sanitize = (s) => {
  if (/[;/"\\]/.test((s || '').replace(/\\d/g, ''))) throw new Error(`unexpected character in ${s}`);
  return s || '';
};
const lengths = (l) => (l || []).join(',');

// Shared strings, most used first so that the common ones get short indexes.
const table = (values) => {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) || 0) + 1);
  const list = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || (a < b ? -1 : 1));
  return { list, index: new Map(list.map((v, i) => [v, i])) };
};
const allFormats = Object.values(meta.countries).flatMap((c) => c[4] || []);
const patterns = table(allFormats.map((f) => sanitize(f[0])));
const templates = table(allFormats.flatMap((f) => (f[5] ? [f[1], f[5]] : [f[1]])));
const npRules = table(allFormats.filter((f) => f[3]).map((f) => f[3]));
for (const v of [...templates.list, ...npRules.list]) {
  if (/["\\]/.test(v)) throw new Error(`unexpected character in ${v}`);
}
const formatField = (formats) => (formats || []).map((f) => {
  if (f.length > 6) throw new Error(`unexpected format fields ${JSON.stringify(f)}`);
  const leading = (f[2] || []).map((l) => {
    if (/[ !]/.test(l)) throw new Error(`unexpected character in ${l}`);
    return sanitize(l);
  });
  return [
    patterns.index.get(f[0]),
    templates.index.get(f[1]),
    f[5] && f[5] !== f[1] ? templates.index.get(f[5]) : '',
    f[3] ? npRules.index.get(f[3]) : '',
    f[4] ? 1 : '',
    leading.join(' '),
  ].join('/');
}).join('!');
for (const c of Object.values(meta.countries)) {
  if (c[6] || c[9]) throw new Error('region-level national-prefix formatting rules are not stored');
}

const regions = Object.keys(meta.countries).sort();
const rows = regions.map((iso) => {
  const c = meta.countries[iso];
  const general = lengths(c[3]);
  const types = (c[11] || []).slice(0, 10);
  while (types.length < 10) types.push(0);
  const fixed = types[0] ? types[0][0] : null;
  const typeFields = types.map((t, i) => {
    if (!t) return '';
    if (i === 1 && t[0] === fixed) return '=';
    return sanitize(t[0]);
  });
  const fields = [
    sanitize(c[1]), sanitize(c[5]), sanitize(c[7]), (c[8] || '').replace(/[;"]/g, ''),
    '', general, ...typeFields, sanitize(c[2]),
  ];
  return fields.join(';');
});

const iddPatterns = regions.map((iso) => {
  const idd = sanitize(meta.countries[iso][1]);
  if (/\s/.test(idd) || !idd) throw new Error(`unexpected IDD pattern for ${iso}`);
  return idd;
});
const leadingDigits = regions.map((iso) => sanitize(meta.countries[iso][10]));
const formatLines = regions.map((iso) => formatField(meta.countries[iso][4]));
const exampleList = regions.map(example);
const preferredIdd = regions.filter((iso) => meta.countries[iso][12])
  .map((iso) => `    ("${iso}", "${sanitize(meta.countries[iso][12])}"),`);
// One string of lines rather than an array of &str: no pointer table in the binary, and a
// build that does not format leaves all of it out.
const lines = (list) => `concat!(\n${list.map((l) => `    r"${l}",`).join(' "\\n",\n')}\n)`;

const codes = Object.keys(meta.country_calling_codes)
  .filter((code) => meta.country_calling_codes[code][0] !== '001')
  .sort((a, b) => Number(a) - Number(b))
  .map((code) => `    (${Number(code)}, "${meta.country_calling_codes[code].join(' ')}"),`);

const out = `// @generated by crates/core/data/gen-phone-data.mjs — do not edit.
// Source: libphonenumber-js ${pkg.version}, metadata.max.json (Google libphonenumber
// metadata, Apache-2.0; libphonenumber-js is MIT). Record layout: see the generator.

/// Where the data comes from.
pub const SOURCE: &str = "libphonenumber-js ${pkg.version} metadata.max.json (Google libphonenumber metadata, Apache-2.0)";

/// What a region's metadata loaded at run time must have been made from (the first line
/// of each region's asset, after its ISO code): the metadata's version and the layout's.
pub const METADATA_VERSION: &str = "${pkg.version}/1";

/// How many regions there are.
pub const REGION_COUNT: usize = ${rows.length};

/// The regions' ISO 3166-1 alpha-2 codes, two letters each, sorted: region \`i\` is
/// \`ISO_CODES[2 * i..2 * i + 2]\`. (Strings and plain numbers rather than a table of
/// \`(&str, u16, &str)\`: pointers and lengths cost ~2.5 KB gzipped of wasm data.)
pub static ISO_CODES: &str = "${regions.join('')}";

/// Each region's country calling code, in \`ISO_CODES\` order.
#[rustfmt::skip]
pub static REGION_CALLING_CODES: [u16; REGION_COUNT] = [${regions.map((iso) => Number(meta.countries[iso][0])).join(', ')}];

/// Each region's international dialling prefix pattern (record field 0), space-separated,
/// in \`ISO_CODES\` order: the index's copy, for the country list.
pub static IDD_PATTERNS: &str = r"${iddPatterns.join(' ')}";

/// Each region's leading-digits pattern (empty but for some regions of shared calling
/// codes), a line each, in \`ISO_CODES\` order.
#[rustfmt::skip]
pub static LEADING_DIGITS: &str = ${lines(leadingDigits)};

/// Each region's record (layout: see the generator), a line each, in \`ISO_CODES\` order.
#[rustfmt::skip]
pub static RECORDS: &str = ${lines(rows)};

/// Each region's number formats, a line per region in \`ISO_CODES\` order (layout: see
/// the generator).
#[rustfmt::skip]
pub static FORMATS: &str = ${lines(formatLines)};

/// Number-format patterns (\`P\` of a format), a line each, most used first.
#[rustfmt::skip]
pub static FORMAT_PATTERNS: &str = ${lines(patterns.list)};

/// Format templates (\`F\` and \`I\` of a format: \`$1 $2\`, …), a line each, most used
/// first.
#[rustfmt::skip]
pub static FORMAT_TEMPLATES: &str = ${lines(templates.list)};

/// National-prefix formatting rules (\`N\` of a format: \`0$1\`, …), a line each, most
/// used first.
#[rustfmt::skip]
pub static NP_RULES: &str = ${lines(npRules.list)};

/// An example mobile number per region (national significant digits), space-separated, in
/// \`ISO_CODES\` order.
pub static EXAMPLES: &str = "${exampleList.join(' ')}";

/// Regions whose international prefix is a pattern and which name a preferred one.
#[rustfmt::skip]
pub static PREFERRED_IDD: &[(&str, &str)] = &[
${preferredIdd.join('\n')}
];

/// Country calling code → the regions that share it, the main one first; sorted by code.
/// Non-geographic codes (+800, +870, …) are left out: they cannot receive OTP SMS here.
#[rustfmt::skip]
pub static CALLING_CODES: &[(u16, &str)] = &[
${codes.join('\n')}
];
`;
writeFileSync(new URL('../src/phone/data.rs', import.meta.url), out);
console.log(`wrote ${regions.length} regions, ${codes.length} calling codes, ${out.length} bytes`);
