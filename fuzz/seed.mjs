// Writes the fuzz targets' seed corpora, fuzz/corpus/<target>/, from the inputs of the
// core's own tests (and the API documentation's examples), so that each fuzzer starts from
// inputs that reach deep into the code instead of rediscovering JSON or phone numbers.
//
//   node fuzz/seed.mjs        (run from anywhere; needs the root's npm dependencies)
//
// Deterministic: the same sources give the same files, each named by the SHA-1 of its
// content as libFuzzer names its own. At most 200 files per target. Each directory is
// rewritten: only seeds are committed; the runs (scripts/fuzz.sh) grow a copy elsewhere.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path) => readFileSync(join(root, path), 'utf8');
const MAX_FILES = 200;

// ---- Rust source → values -------------------------------------------------------------

/// Every string literal of a Rust source, unescaped: "…" and r"…" / r#"…"#.
function rustStrings(src) {
  const out = [];
  const re = /r(#*)"([\s\S]*?)"\1|"((?:[^"\\]|\\[\s\S])*)"/g;
  for (const m of src.matchAll(re)) {
    // A `"` closing a char literal ('"') or inside a comment is noise; unescape what parses.
    if (m[2] !== undefined) out.push(m[2]);
    else {
      const s = unescapeRust(m[3]);
      if (s !== null) out.push(s);
    }
  }
  return out;
}

function unescapeRust(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out += s[i];
      continue;
    }
    const c = s[++i];
    const simple = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'", 0: '\0' };
    if (c in simple) out += simple[c];
    else if (c === 'x') {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === 'u') {
      const end = s.indexOf('}', i);
      out += String.fromCodePoint(parseInt(s.slice(i + 2, end), 16));
      i = end;
    } else if (c === '\n') {
      while (/\s/.test(s[i + 1] ?? '')) i++; // a line continuation
    } else return null;
  }
  return out;
}

/// The text of every `json!(…)` of a Rust source that is plain JSON (no Rust expressions).
function jsonMacros(src) {
  const out = [];
  for (let at = src.indexOf('json!('); at !== -1; at = src.indexOf('json!(', at + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = at + 5; i < src.length; i++) {
      const c = src[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        const text = src.slice(at + 6, i);
        try {
          out.push(JSON.parse(text));
        } catch {
          // Rust expressions inside: not a seed.
        }
        break;
      }
    }
  }
  return out;
}

// ---- the seeds --------------------------------------------------------------------------

const requestTests = read('crates/core/tests/request.rs');
const coreSources = [
  'crates/core/src/request.rs',
  'crates/edge/src/browser/request.rs',
  'crates/core/src/template.rs',
  'crates/core/src/create.rs',
  'crates/core/src/otp.rs',
  'crates/core/src/lib.rs',
].map(read);

/// `POST /otp` bodies: the tests' seed body, every `with(field, value)` / `without(field)`
/// variant of it they check, their other JSON bodies, and the API document's examples.
function requestSeeds() {
  const macros = jsonMacros(requestTests);
  const seed = macros.find((v) => v && typeof v === 'object' && 'phoneNumber' in v);
  const bodies = [seed];
  for (const m of requestTests.matchAll(/with\("(\w+)", json!\(((?:[^()]|\([^()]*\))*)\)\)/g)) {
    try {
      bodies.push({ ...seed, [m[1]]: JSON.parse(m[2]) });
    } catch {
      // not plain JSON
    }
  }
  for (const m of requestTests.matchAll(/without\("(\w+)"\)/g)) {
    const { [m[1]]: _, ...rest } = seed;
    bodies.push(rest);
  }
  bodies.push(...macros.filter((v) => v && typeof v === 'object' && !Array.isArray(v)));
  const texts = bodies.map((b) => JSON.stringify(b));
  for (const src of [requestTests, ...coreSources]) {
    texts.push(...rustStrings(src).filter((s) => /^\s*\{[\s\S]*"phoneNumber"/.test(s)));
  }
  for (const m of read('docs/api.md').matchAll(/```json\n([\s\S]*?)```/g)) texts.push(m[1]);
  texts.push('', '{}', '[]', 'null', '{oops', '{"phoneNumber": 33612345678}');
  return texts;
}

/// `REGION\nNUMBER` or `NUMBER`: libphonenumber-js's example mobile numbers of the regions
/// the phone oracle tests check, in E.164, international and national (with the region)
/// forms, and the number literals of the phone tests.
function phoneSeeds() {
  const oracle = read('crates/core/tests/phone_oracle.rs');
  const countries = [...oracle.slice(oracle.indexOf('COUNTRIES')).matchAll(/"([A-Z]{2})"/g)]
    .map((m) => m[1])
    .slice(0, 60);
  const seeds = [];
  for (const region of countries) {
    const n = getExampleNumber(region, examples);
    if (!n) continue;
    seeds.push(n.number, n.formatInternational(), `${region}\n${n.formatNational()}`);
  }
  const formatTests = read('crates/core/tests/phone_format_oracle.rs');
  for (const s of rustStrings(formatTests + oracle)) {
    if (/^\+?[\d ()./-]{3,}$/.test(s)) seeds.push(s);
  }
  seeds.push('FR\n06 12 34 56 78', 'US\n(212) 555-0123', 'GB\n+44 7400 123456', 'DE\n0', '+');
  // Findings, kept so that every run replays them: a region with a space (as-you-type
  // ignored it); numbers whose national format does not read back, and one that as-you-type
  // reads otherwise than parse (libphonenumber-js does the same).
  seeds.push('FI \n435210678', '+2413856567', 'AR\n.11 15-291123', 'KZ\n8208320000');
  return seeds;
}

/// Every template the core's tests and docs use, alone and with values
/// (`template\0from\0amount\0payee\0autofill\0language`).
function templateSeeds() {
  const templates = [requestTests, ...coreSources]
    .flatMap(rustStrings)
    .filter((s) => s.includes('{{') && s.length < 400 && !s.includes('{{{{'));
  const seeds = [...templates];
  const extras = [
    ['Verify', '12.50 EUR', 'ACME Shop', '@example.com', ''],
    ['Bank', '', '', 'FA+9qCX9VSu', 'fr'],
    ['', '€5', 'Ёлка', '', 'bg'],
  ];
  templates.forEach((t, i) => seeds.push([t, ...extras[i % extras.length]].join('\0')));
  seeds.push('{{pin', '{{ pin }}{{amount}}{{payee}}{{ttl}}{{from}}', '}}{{', '{{}}');
  return seeds;
}

/// The texts of the SMS oracle test (Twilio's calculator agrees on them), around part
/// boundaries, as UTF-8; a few also as UTF-16LE code units, one with an unpaired surrogate.
function smsSeeds() {
  const texts = rustStrings(read('crates/core/tests/sms_oracle.rs')).filter((s) => s.length > 0);
  const boundaries = [
    ['a', [160, 161]],
    ['€', [80, 81]],
    ['ж', [70, 71]],
    ['😀', [35, 36]],
    ['👍🏽', [17, 18]],
  ];
  for (const [unit, counts] of boundaries) for (const n of counts) texts.push(unit.repeat(n));
  const seeds = texts.map((t) => Buffer.from(t, 'utf8'));
  const utf16 = (s) => Buffer.from(s, 'utf16le');
  seeds.push(utf16('Код 123456'), utf16('Code 👍🏽 1234'), utf16('e\u0301te\u0301'));
  // An unpaired high surrogate, then a low one alone: JavaScript strings may hold both.
  seeds.push(Buffer.from([0x3d, 0xd8, 0x41, 0x00, 0x00, 0xde, 0x42, 0x00]));
  // Findings: graphemes longer than a part (they counted as one part): the fuzzer's own
  // (read as UTF-16LE, 133 conjoining jamo), and a letter with 100 accents.
  seeds.push(Buffer.from(`\u0001${'\u0011'.repeat(267)}פפ`, 'utf8'));
  seeds.push(Buffer.from(`e${'\u0301'.repeat(100)}`, 'utf8'));
  return seeds;
}

/// Verify bodies the tests send, and near misses.
function verifyBodySeeds() {
  const fromTests = [requestTests, ...coreSources]
    .flatMap(rustStrings)
    .filter((s) => /^\s*\{.*"(pin|turnstileToken)"/.test(s));
  return [
    ...fromTests,
    '{"pin": "123456"}',
    '{"pin": 97280}',
    '{"pin": "qwert"}',
    '{"pin": " 12-34 56 "}',
    '{"pin": -1}',
    '{"pin": 1.5}',
    '{"pin": ["123456"]}',
    '{"pin": "123456", "otpId": "x"}',
    '{"turnstileToken": "XXXX.DUMMY.TOKEN.XXXX"}',
    '{"pin": "1", "pin": ""}',
    '[]',
    '',
  ];
}

/// Operation sequences for `arbitrary`: bytes from a fixed SplitMix64 stream, of lengths
/// from a few operations to ~200 bytes (the target decodes any bytes).
function stateMachineSeeds() {
  let state = 0x5eedn;
  const next = () => {
    state = (state + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    return Number((z ^ (z >> 31n)) & 0xffn);
  };
  const seeds = [];
  for (let i = 0; i < 32; i++) {
    const len = 16 + i * 6;
    const bytes = Buffer.alloc(len);
    for (let j = 0; j < len; j++) bytes[j] = next();
    // Operation tags mostly small, so that sequences start with a create (tag 0).
    bytes[8] = 0;
    seeds.push(bytes);
  }
  return seeds;
}

const targets = {
  request_json: requestSeeds(),
  phone: phoneSeeds(),
  template: templateSeeds(),
  sms: smsSeeds(),
  verify_body: verifyBodySeeds(),
  state_machine: stateMachineSeeds(),
};

for (const [target, seeds] of Object.entries(targets)) {
  const dir = join(root, 'fuzz', 'corpus', target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const seen = new Set();
  for (const seed of seeds) {
    const bytes = Buffer.isBuffer(seed) ? seed : Buffer.from(seed, 'utf8');
    const name = createHash('sha1').update(bytes).digest('hex');
    if (seen.has(name) || seen.size >= MAX_FILES) continue;
    seen.add(name);
    writeFileSync(join(dir, name), bytes);
  }
  console.log(`${target}: ${readdirSync(dir).length} seeds`);
}
