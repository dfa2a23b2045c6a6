// The public API of the npm package `smsotp`, over the wasm exports of crates/web.
// Checks arguments (a TypeError with a clear message, never a wasm trap), moves values
// across as JSON, and applies no rule of its own: every rule is in smsotp-core.
import * as wasm from './smsotp.js';

/** Longest JSON request body accepted, in UTF-8 bytes (the worker's limit, 64 KiB). */
const MAX_BODY = 65536;
/** Longest text counted, in characters (a 6-part SMS is under 1,000). */
const MAX_TEXT = 100000;

function fail(message) {
  throw new TypeError(`smsotp: ${message}`);
}

/** Runs a wasm export; its string errors become TypeErrors. */
function call(fn, ...args) {
  try {
    return fn(...args);
  } catch (e) {
    if (typeof e === 'string') fail(e);
    throw e;
  }
}

function requestJson(request, name = 'request') {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    fail(`${name} must be an object (the POST /otp body)`);
  }
  let body;
  try {
    body = JSON.stringify(request);
  } catch (e) {
    fail(`${name} cannot be serialised as JSON: ${e.message}`);
  }
  if (body.length > MAX_BODY || utf8Length(body) > MAX_BODY) fail(`${name} is larger than ${MAX_BODY} bytes as JSON`);
  return body;
}

/** UTF-8 length of `s` (from JSON.stringify: no lone surrogates), without encoding it. */
function utf8Length(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

function configJson(config) {
  if (config === undefined || config === null) return undefined;
  if (typeof config !== 'object' || Array.isArray(config)) fail('config must be an object');
  return JSON.stringify(config);
}

function optionalString(value, name, max) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(`${name} must be a string`);
  if (value.length > max) fail(`${name} is longer than ${max} characters`);
  return value;
}

/**
 * Validates a `POST /otp` body with the edge's rules.
 * @returns `{ ok: true, request }` (normalised, defaults applied) or `{ ok: false, errors }`.
 */
export function validateOtpRequest(request, config) {
  return JSON.parse(call(wasm.validateJson, requestJson(request), configJson(config)));
}

// Views of the module's memory for the two hot calls (see crates/web/src/lib.rs): JS
// writes UTF-16 code units in, reads numbers out. Renewed when memory grows (a grown
// memory detaches the old buffer, whose views then have length 0).
let memory;
let units16;
let words32;
function views() {
  if (units16 === undefined || units16.byteLength === 0) {
    memory ??= wasm.wasmMemory();
    units16 = new Uint16Array(memory.buffer);
    words32 = new Uint32Array(memory.buffer);
  }
}

/** Copies `a` then `b` (code units) into the wasm input buffer. */
function writeInput(a, b = '') {
  const at = wasm.inputBuffer(a.length + b.length) >>> 1;
  views();
  for (let i = 0; i < a.length; i++) units16[at + i] = a.charCodeAt(i);
  for (let i = 0; i < b.length; i++) units16[at + a.length + i] = b.charCodeAt(i);
}

let numberTypes;
/** The reasons a number is refused, by their address in wasm (static strings). */
const reasons = new Map();
function reason(address, length) {
  let text = reasons.get(address);
  if (text === undefined) {
    text = new TextDecoder().decode(new Uint8Array(memory.buffer, address, length));
    reasons.set(address, text);
  }
  return text;
}

/**
 * Parses a phone number (E.164, or national format with `countryIso`).
 * @returns `{ valid, e164, countryIso, callingCode, nationalNumber, numberType, error }`.
 */
export function parsePhoneNumber(input, countryIso) {
  if (typeof input !== 'string') fail('parsePhoneNumber: input must be a string');
  // A length guard only: which regions exist is the core's answer ("unknown country code").
  const country = optionalString(countryIso, 'countryIso', 16) ?? '';
  // Anything over 64 characters is refused by the core as too long; don't copy more.
  const number = input.length > 64 ? input.slice(0, 65) : input;
  writeInput(number, country);
  const digits = wasm.phoneUtf16(number.length, country.length);
  views();
  const out = wasm.outputBuffer() >>> 2;
  if (digits === 0) {
    return { valid: false, e164: null, countryIso: null, callingCode: null, nationalNumber: null, numberType: null, error: reason(words32[out], words32[out + 1]) };
  }
  const info = words32[out];
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
 * The SMS a recipient of `request` gets: language, text, encoding, parts.
 * Without `pin`, a sample PIN of the requested type and length is shown.
 * Throws a TypeError (with `errors`) if the request is not valid.
 */
export function renderMessage(request, options = {}) {
  if (options === null || typeof options !== 'object') fail('renderMessage: options must be an object');
  const pin = optionalString(options.pin, 'pin', 64);
  const language = optionalString(options.language, 'language', 8);
  const result = JSON.parse(
    call(wasm.renderJson, requestJson(request), pin, language, configJson(options.config)),
  );
  if (!result.ok) {
    const error = new TypeError(`smsotp: invalid request: ${result.errors.map((e) => e.message).join('; ')}`);
    error.errors = result.errors;
    throw error;
  }
  return result.message;
}

/** Encoding, parts, units and the characters that forced UCS-2, as carriers count them. */
export function countSegments(text) {
  if (typeof text !== 'string') fail('countSegments: text must be a string');
  if (text.length > MAX_TEXT) fail(`countSegments: text is longer than ${MAX_TEXT} characters`);
  writeInput(text);
  const packed = wasm.segmentsUtf16(text.length);
  const ucs2 = packed >>> 31 === 1;
  const nonGsmCharacters = [];
  if (ucs2) {
    views();
    let at = wasm.outputBuffer() >>> 2;
    // [count, start, end, start, end, …]: code-unit ranges of `text`.
    for (let n = words32[at++]; n > 0; n--, at += 2) nonGsmCharacters.push(text.slice(words32[at], words32[at + 1]));
  }
  return {
    encoding: ucs2 ? 'UCS-2' : 'GSM-7',
    parts: (packed >>> 20) & 0x7ff,
    units: packed & 0xfffff,
    nonGsmCharacters,
  };
}

/** A uniformly random PIN from `crypto.getRandomValues`. */
export function generatePin(pinType = 'numbers', pinLength = 6) {
  if (typeof pinType !== 'string') fail('generatePin: pinType must be a string');
  // Types only here; the allowed types and lengths are the core's rules.
  if (!Number.isInteger(pinLength) || pinLength < 0 || pinLength > 0xffff) {
    fail('generatePin: pinLength must be an integer from 4 to 10');
  }
  return call(wasm.pin, pinType, pinLength);
}
