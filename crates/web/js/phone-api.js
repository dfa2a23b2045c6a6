// The phone functions of the npm package `smsotp`, in both entries (`smsotp` and the
// lighter `smsotp/phone`): parsing and validity, formatting, formatting as the user types,
// and the list of regions. Assembled after common.js (assemble.mjs). The answers are
// smsotp-core's (libphonenumber's metadata and rules); this file only moves values.
//
// Each region's metadata is a separate asset (phone-data/<ISO>.txt, ~0.3–3 KB gzipped),
// loaded by `loadCountries`: the wasm holds only an index. A call that needs a region not
// loaded throws METADATA_MISSING (never another answer, never a silent load). The entry
// defines `readRegion(iso)`, a region's asset as text: fetched by ./phone-data.js in
// browsers (a `new URL` per region, so that bundlers copy each asset), read from disk in Node.

/** Longest phone input copied into wasm; the core refuses anything over 40 characters. */
const MAX_PHONE_INPUT = 64;
/** Longest text an `AsYouType` accepts in all (a pasted page is not a phone number). */
const MAX_TYPED = 1000;
/** `formatPhoneNumber`'s styles, in the order of the wasm export's `style` argument. */
const STYLES = ['E.164', 'INTERNATIONAL', 'NATIONAL'];

let numberTypes;

function phoneInput(input, name) {
  if (typeof input !== 'string') fail(`${name}: input must be a string`);
  // Anything over 40 characters is refused by the core as too long; don't copy more.
  return input.length > MAX_PHONE_INPUT ? input.slice(0, MAX_PHONE_INPUT + 1) : input;
}

function countryArgument(countryIso, name) {
  // A length guard only: which regions exist is the core's answer ("unknown country code").
  return optionalString(countryIso, `${name}: countryIso`, 16) ?? '';
}

/** The `length` code units the last call left in the output buffer, as a string. */
function outputText(length) {
  views();
  const at = wasm.outputBuffer() >>> 2;
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(words32[at + i]);
  return text;
}

/** A region as the wasm returns it (`letter 1 | letter 2 << 5 | 1 << 10`). */
const regionOf = (word) => String.fromCharCode(65 + (word & 31), 65 + ((word >>> 5) & 31));

/** The error of a call that needs region `country`, whose metadata is not loaded. */
function metadataMissing(country) {
  const error = new Error(`smsotp: the phone metadata of ${country} is not loaded: await loadCountries(['${country}']) first`);
  error.code = 'METADATA_MISSING';
  error.country = country;
  return error;
}

/**
 * The reason the last call left in the output buffer (a static string's address, length,
 * then the region whose metadata is missing, if that is the reason: then it throws).
 */
function outputReason() {
  views();
  const at = wasm.outputBuffer() >>> 2;
  if (words32[at + 2]) throw metadataMissing(regionOf(words32[at + 2]));
  return staticString(words32[at], words32[at + 1]);
}

/** Regions loaded or being loaded: ISO → the promise of its load. */
const loads = new Map();
function loadRegion(iso) {
  let load = loads.get(iso);
  if (!load) {
    load = readRegion(iso).then((text) => {
      writeInput(text);
      if (regionOf(wasm.loadRegion(text.length)) !== iso) {
        loads.delete(iso);
        throw new Error(`smsotp: the phone metadata asset of ${iso} was refused: ${outputReason()}`);
      }
    }, (e) => {
      loads.delete(iso);
      throw e;
    });
    loads.set(iso, load);
  }
  return load;
}

/**
 * Loads the phone metadata of these regions (ISO 3166-1 alpha-2 codes), with the regions
 * their numbers also need (the main region of a shared calling code: US for CA); each
 * region is fetched once. After it, the phone functions answer synchronously for them.
 */
export async function loadCountries(countryIsos) {
  if (!Array.isArray(countryIsos)) fail('loadCountries: countryIsos must be an array of ISO 3166-1 alpha-2 codes');
  const wanted = new Set();
  for (const iso of countryIsos) {
    if (typeof iso !== 'string' || iso.length !== 2) fail(`loadCountries: ${JSON.stringify(iso)} is not an ISO 3166-1 alpha-2 code`);
    const upper = iso.toUpperCase();
    writeInput(upper);
    const count = wasm.regionsToLoad(2);
    if (!count) fail(`loadCountries: unknown country code ${iso}`);
    views();
    const at = wasm.outputBuffer() >>> 2;
    for (let i = 0; i < count; i++) wanted.add(regionOf(words32[at + i]));
  }
  await Promise.all([...wanted].map(loadRegion));
}

/** Loads every region's phone metadata (servers, tests): 245 small assets. */
export function loadAllCountries() {
  return loadCountries(countries().map((c) => c.countryIso));
}

/**
 * Parses a phone number (E.164, or national format with `countryIso`).
 * @returns `{ valid, e164, countryIso, callingCode, nationalNumber, numberType, error }`.
 */
export function parsePhoneNumber(input, countryIso) {
  const number = phoneInput(input, 'parsePhoneNumber');
  const country = countryArgument(countryIso, 'parsePhoneNumber');
  writeInput(number, country);
  const digits = wasm.phoneUtf16(number.length, country.length);
  if (digits === 0) {
    return { valid: false, e164: null, countryIso: null, callingCode: null, nationalNumber: null, numberType: null, error: outputReason() };
  }
  views();
  const info = words32[wasm.outputBuffer() >>> 2];
  const e164 = `+${digits}`;
  numberTypes ??= wasm.numberTypes().split(',');
  return {
    valid: true,
    e164,
    countryIso: String.fromCharCode(65 + ((info >>> 10) & 31), 65 + ((info >>> 15) & 31)),
    callingCode: info & 1023,
    nationalNumber: e164.slice(e164.length - ((info >>> 24) & 31)),
    numberType: numberTypes[(info >>> 20) & 15],
    error: null,
  };
}

/**
 * Formats a phone number the way people write it, by libphonenumber's rules for its region:
 * `style` is `'E.164'` (`+33612345678`), `'INTERNATIONAL'` (`+33 6 12 34 56 78`) or
 * `'NATIONAL'` (`06 12 34 56 78`), as in libphonenumber-js.
 * Throws a TypeError if the input cannot be parsed as a phone number (see
 * `parsePhoneNumber(…).error` for why).
 */
export function formatPhoneNumber(input, countryIso, style = 'INTERNATIONAL') {
  const number = phoneInput(input, 'formatPhoneNumber');
  const country = countryArgument(countryIso, 'formatPhoneNumber');
  const styleIndex = STYLES.indexOf(style);
  if (styleIndex < 0) fail(`formatPhoneNumber: style must be one of ${STYLES.join(', ')}`);
  writeInput(number, country);
  const length = wasm.formatUtf16(number.length, country.length, styleIndex);
  if (length === 0xffffffff) fail(`formatPhoneNumber: ${outputReason()}`);
  return outputText(length);
}

/** Ids of AsYouType objects, for the one live formatter in wasm (crates/web/src/phone.rs). */
let lastFormatterId = 0;
/** `asYouTypeInput`'s answer when the live formatter belongs to another object. */
const REPLAY = 0xffffffff;
/** The as-you-type calls' answer when a region they need is not loaded. */
const MISSING = 0xfffffffe;

/**
 * Formats a phone number as it is typed, like libphonenumber-js's `AsYouType`:
 * `new AsYouType('FR').input('0612')` → `'06 12'`; `input` appends to what was typed
 * before and returns the whole text formatted. `getCountry()` is the region once known.
 */
export class AsYouType {
  #country;
  #id = ++lastFormatterId;
  #pieces = [];
  #typed = 0;
  #detected;

  /** @param countryIso the default region for numbers typed without `+` */
  constructor(countryIso) {
    this.#country = countryArgument(countryIso, 'AsYouType');
  }

  /** Appends `text` to what was typed and returns all of it formatted. */
  input(text) {
    if (typeof text !== 'string') fail('AsYouType.input: text must be a string');
    if (this.#typed + text.length > MAX_TYPED) fail(`AsYouType.input: more than ${MAX_TYPED} characters typed`);
    // The live formatter in wasm takes the new piece if it is this object's; otherwise
    // this object's pieces are replayed into a new one (the result depends on how the
    // text arrived, as in libphonenumber-js).
    writeInput(text);
    let packed = wasm.asYouTypeInput(this.#id, this.#pieces.length, text.length);
    this.#pieces.push(text);
    this.#typed += text.length;
    if (packed === REPLAY) {
      const all = this.#pieces.join('');
      writeInput(all, this.#country);
      packed = wasm.asYouTypeReplay(this.#id, all.length, this.#country.length, Uint32Array.from(this.#pieces, (p) => p.length));
    }
    if (packed === MISSING) {
      // What was typed stays: after loadCountries, the next input formats all of it.
      views();
      throw metadataMissing(regionOf(words32[wasm.outputBuffer() >>> 2]));
    }
    this.#detected = (packed >>> 26) & 1 ? String.fromCharCode(65 + ((packed >>> 16) & 31), 65 + ((packed >>> 21) & 31)) : undefined;
    return outputText(packed & 0xffff);
  }

  /** The region of the number typed so far (ISO 3166-1 alpha-2), or `undefined`. */
  getCountry() {
    return this.#detected;
  }

  /** Forgets what was typed. */
  reset() {
    this.#id = ++lastFormatterId;
    this.#pieces = [];
    this.#typed = 0;
    this.#detected = undefined;
    return this;
  }
}

let regions;

/**
 * Every region with phone numbers, sorted by ISO code:
 * `{ countryIso, callingCode, exampleNumber, mainRegion, internationalPrefix }`.
 * `exampleNumber` is an E.164 mobile number of the region (for placeholders); `mainRegion`
 * is true for the region that owns its calling code (US for +1); `internationalPrefix` is
 * what is dialled there before a foreign number (`00`, `011`), or null.
 */
export function countries() {
  regions ??= wasm.countriesText().split('\n').map((line) => {
    const [countryIso, callingCode, exampleNumber, main, prefix] = line.split(',');
    return Object.freeze({ countryIso, callingCode: Number(callingCode), exampleNumber, mainRegion: main === '1', internationalPrefix: prefix || null });
  });
  return regions.slice();
}
