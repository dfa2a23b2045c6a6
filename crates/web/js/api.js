// The rules part of the npm package `smsotp` (main entry only), over the wasm exports of
// crates/web: validation, rendering, SMS counting, PINs. Assembled after common.js and
// phone-api.js (assemble.mjs). Checks arguments (a TypeError with a clear message, never a
// wasm trap), moves values across as JSON, and applies no rule of its own: every rule is
// in smsotp-core.

/** Longest JSON request body accepted, in UTF-8 bytes (the worker's limit, 64 KiB). */
const MAX_BODY = 65536;
/** Longest text counted, in characters (a 6-part SMS is under 1,000). */
const MAX_TEXT = 100000;

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

/**
 * Validates a `POST /otp` body with the edge's rules.
 * @returns `{ ok: true, request }` (normalised, defaults applied) or `{ ok: false, errors }`.
 */
export function validateOtpRequest(request, config) {
  return loaded(JSON.parse(call(wasm.validateJson, requestJson(request), configJson(config))));
}

/** A rules answer, unless it needed a region's phone metadata not loaded (then it throws). */
function loaded(result) {
  if (result.missing) throw metadataMissing(result.missing);
  return result;
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
  const result = loaded(JSON.parse(
    call(wasm.renderJson, requestJson(request), pin, language, configJson(options.config)),
  ));
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
