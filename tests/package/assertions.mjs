// What every environment must give for `exercise()` (Node, a browser page, a Vite bundle).
import assert from 'node:assert/strict';

const ALPHABETS = {
  numbers: '0123456789',
  letters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  alphanumeric: '23456789ABCDEFGHJKLMNPQRSTUVWXYZ',
};
// χ² critical values at p = 10⁻⁶ for 9, 25 and 31 degrees of freedom (bisection on the
// regularised incomplete gamma function; at p = 0.001 they are 27.877, 52.620, 61.098, the
// standard tables' values). The draws here come from crypto.getRandomValues, not a seed, so
// the bound is set for a false alarm once in a million runs, not once in a thousand.
const CHI2_CRITICAL = { numbers: 44.811, letters: 73.895, alphanumeric: 83.643 };

export function checkExercise(r) {
  // validateOtpRequest
  assert.equal(r.validSeed.ok, true);
  assert.equal(r.validSeed.request.phoneNumber, '+33612424199');
  assert.deepEqual(Object.keys(r.validSeed.request.templates), ['bg', 'fr']);
  assert.equal(r.validNational.request.phoneNumber, '+33612345678');
  assert.equal(r.validNational.request.ttl, 600);
  assert.equal(r.invalid.ok, false);
  assert.deepEqual(r.invalid.errors.map((e) => [e.field, e.code, e.type]), [
    ['phoneNumber', 2001, 'invalid_param'],
    ['ttl', 2008, 'invalid_param'],
    ['pinType', 2014, 'invalid_param'],
  ]);
  assert.equal(r.invalid.errors[1].message, "Min value for 'ttl' is 60 seconds");
  assert.equal(r.strictConfig.errors[0].code, 2004);

  // parsePhoneNumber
  assert.deepEqual(r.phoneE164, {
    valid: true, e164: '+12125550123', countryIso: 'US', callingCode: 1,
    nationalNumber: '2125550123', numberType: 'FIXED_LINE_OR_MOBILE', error: null,
  });
  assert.equal(r.phoneNational.e164, '+33612345678');
  assert.equal(r.phoneNational.numberType, 'MOBILE');
  assert.equal(r.phoneInvalid.valid, false);
  assert.match(r.phoneInvalid.error, /digits/);
  assert.equal(r.phoneNoCountry.valid, false);
  // The core, not the JS layer, says which regions exist.
  assert.deepEqual([r.phoneBadCountry.valid, r.phoneBadCountry.error], [false, 'unknown country code']);
  assert.equal(r.phoneHuge.valid, false);

  // renderMessage
  assert.deepEqual(r.renderFr, {
    text: 'Votre code de vérification est 12345', language: 'fr', encoding: 'GSM-7',
    parts: 1, units: 36, nonGsmCharacters: [],
  });
  assert.equal(r.renderBg.text, 'Вашият код за потвърждение е 48213');
  assert.equal(r.renderBg.encoding, 'UCS-2');
  assert.equal(r.renderOverride.language, 'bg');

  // countSegments
  assert.deepEqual(r.segmentsGsm, { encoding: 'GSM-7', parts: 2, units: 161, nonGsmCharacters: [] });
  assert.deepEqual(r.segmentsExtension, { encoding: 'GSM-7', parts: 2, units: 162, nonGsmCharacters: [] });
  assert.deepEqual(r.segmentsUcs2, {
    encoding: 'UCS-2', parts: 1, units: 21, nonGsmCharacters: ['К', 'о', 'д', '👍🏽'],
  });

  assert.deepEqual(r.segmentsLarge, { encoding: 'UCS-2', parts: 1493, units: 100000, nonGsmCharacters: ['ж'] });
  assert.deepEqual(r.afterGrowth[0], ['К', 'о', 'д']);
  // Rome's 06 698 range is Vatican City; the national number keeps Italy's leading zero.
  assert.deepEqual(r.afterGrowth[1], {
    valid: true, e164: '+390669881234', countryIso: 'VA', callingCode: 39,
    nationalNumber: '0669881234', numberType: 'FIXED_LINE', error: null,
  });
  // An unpaired surrogate (sent as U+FFFD) forces UCS-2 and is listed as it is in the text.
  assert.deepEqual(r.loneSurrogate, { encoding: 'UCS-2', parts: 1, units: 2, nonGsmCharacters: ['\uD83D'] });

  // generatePin
  assert.match(r.pins[0], /^[0-9]{6}$/);
  assert.match(r.pins[1], /^[A-Z]{4}$/);
  assert.match(r.pins[2], /^[2-9A-HJ-NP-Z]{10}$/);
  assert.match(r.pins[3], /^[0-9]{10}$/);
  assert.equal(r.pinLengths.length, 21);
  for (const [type, length, pin] of r.pinLengths) {
    assert.equal(pin.length, length, `${type} ${length}: ${pin}`);
    for (const c of pin) assert.ok(ALPHABETS[type].includes(c), `${type}: ${pin}`);
  }
  for (const [type, pins] of Object.entries(r.pinDraws)) {
    const alphabet = ALPHABETS[type];
    assert.equal(pins.length, 2000);
    const counts = new Map([...alphabet].map((c) => [c, 0]));
    for (const pin of pins) {
      assert.equal(pin.length, 6, pin);
      for (const c of pin) {
        assert.ok(counts.has(c), `${type}: ${pin} has ${c}`);
        counts.set(c, counts.get(c) + 1);
      }
    }
    // Not the same PIN again and again: 2,000 draws among ≥ 10⁶ values repeat about twice
    // (birthday bound n²/2N = 2); 20 repeats would take a broken generator.
    assert.ok(new Set(pins).size >= 1980, `${type}: only ${new Set(pins).size} distinct PINs of 2000`);
    // Every symbol is drawn, about equally often (12,000 symbols).
    for (const [c, n] of counts) assert.ok(n > 0, `${type}: ${c} never drawn`);
    const expected = (pins.length * 6) / alphabet.length;
    const chi2 = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    assert.ok(chi2 < CHI2_CRITICAL[type], `${type}: chi2 = ${chi2.toFixed(1)}, counts ${[...counts]}`);
  }

  // The request size limit is in UTF-8 bytes: 65,536 pass the size check (the request is
  // then judged by the rules: a template over 1,600 characters), 65,537 do not, though
  // they are far fewer UTF-16 units than 65,536.
  const [atBytes, atUnits, overBytes, overUnits] = r.bodyLimit.sizes;
  assert.deepEqual([atBytes, overBytes], [65536, 65537]);
  assert.ok(atUnits < 40000 && overUnits < 40000, `${atUnits} ${overUnits}`);
  assert.equal(r.bodyLimit.validateAt, null);
  for (const e of [r.bodyLimit.validateOver, r.bodyLimit.renderOver]) {
    assert.equal(e?.name, 'TypeError');
    assert.match(e.message, /^smsotp: request is larger than 65536 bytes as JSON$/);
  }
  assert.equal(r.bodyLimit.renderAt?.name, 'TypeError');
  assert.deepEqual(r.bodyLimit.renderAt.errors.map((e) => [e.field, e.code]), [['template', 2006]]);

  // Bad input: TypeErrors with clear messages, never a wasm trap.
  for (const e of r.typeErrors) {
    assert.ok(e, 'bad input must throw');
    assert.equal(e.name, 'TypeError', e.message);
    assert.match(e.message, /^smsotp: /);
    assert.doesNotMatch(e.message, /unreachable|panicked|RuntimeError/);
  }
  assert.match(r.typeErrors[7].message, /ttl/);
  // renderMessage throws on an invalid request: a TypeError naming every error, with the
  // errors as validateOtpRequest lists them.
  assert.deepEqual(
    r.typeErrors[11].errors.map((e) => [e.field, e.code, e.type]),
    [['phoneNumber', 2001, 'invalid_param'], ['ttl', 2008, 'invalid_param']],
  );
  assert.match(r.typeErrors[11].message, /^smsotp: invalid request: /);
  for (const e of r.typeErrors[11].errors) assert.ok(r.typeErrors[11].message.includes(e.message), e.message);

  // OtpClient
  assert.equal(r.created.status, 'PENDING');
  assert.match(r.created.otpId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(
    [r.wrongPin.isOtpError, r.wrongPin.status, r.wrongPin.code, r.wrongPin.type, r.wrongPin.attemptsLeft],
    [true, 400, 2029, 'invalid_pin', 2],
  );
  assert.deepEqual(r.verified, { status: 'VERIFIED' });
  assert.equal(r.verifiedAgain.code, 2023);
  assert.equal(r.status.status, 'VERIFIED');
  // The id answered is the one cancelled (the second OTP's), not the first.
  assert.notEqual(r.secondId, r.created.otpId);
  assert.deepEqual(r.cancelled, { info: { id: r.secondId } });
  assert.deepEqual([r.cancelledAgain.status, r.cancelledAgain.code, r.cancelledAgain.type], [403, 2030, 'access_denied']);
  assert.deepEqual([r.missingField.code, r.missingField.field], [2001, 'phoneNumber']);
  // OtpError.errors: every error of the envelope (`error.errors`), else the one error.
  assert.deepEqual(r.missingField.errors, [
    { field: 'phoneNumber', code: 2001, type: 'invalid_param', message: "'phoneNumber' is empty or missing" },
  ]);
  assert.deepEqual([r.manyInvalid.status, r.manyInvalid.code, r.manyInvalid.field], [400, 2001, 'phoneNumber']);
  assert.deepEqual(r.manyInvalid.errors.map((e) => [e.field, e.code, e.type]), [
    ['phoneNumber', 2001, 'invalid_param'], ['ttl', 2008, 'invalid_param'], ['pinType', 2014, 'invalid_param'],
  ]);
  assert.equal(r.manyInvalid.errors[1].message, "Min value for 'ttl' is 60 seconds");
  assert.deepEqual(r.wrongPin.errors.map((e) => [e.field, e.code]), [[null, 2029]]);
  assert.deepEqual(r.unreachable.errors, []);
  assert.deepEqual([r.notFound.status, r.notFound.code, r.notFound.type], [404, 2021, 'not_found']);
  assert.deepEqual([r.unauthorized.status, r.unauthorized.type], [401, 'invalid_api_key']);
  assert.deepEqual([r.notJson.isOtpError, r.notJson.status, r.notJson.type], [true, 502, 'http_error']);
  assert.deepEqual([r.unreachable.isOtpError, r.unreachable.status, r.unreachable.type], [true, 0, 'network_error']);
  for (const e of r.clientTypeErrors) assert.equal(e?.name, 'TypeError');
  assert.match(r.clientTypeErrors[3].message, /^smsotp: OtpClient's timeoutMs must be a positive number/);
  // OtpClient is a class: `new OtpClient({ baseUrl, apiKey, fetch?, timeoutMs? })`.
  assert.equal(r.clientOptions.withoutNew?.name, 'TypeError');
  assert.equal(r.clientOptions.statusViaFetchOption, 'VERIFIED');
  assert.equal(r.clientOptions.fetched.length, 1);
  assert.match(r.clientOptions.fetched[0][0], /\/otp\/[0-9a-f-]{36}$/);
  assert.equal(r.clientOptions.fetched[0][1], 'GET');
  assert.deepEqual([r.clientOptions.timedOut.status, r.clientOptions.timedOut.type], [0, 'network_error']);
}

// What `exerciseBrowserClient()` must give. `inBrowser`: the page's fetch, where a refused
// origin (403 without CORS headers) is no answer at all.
export function checkBrowserClient(r, { inBrowser }) {
  const codeOf = (e) => [e.isOtpError, e.name, e.status, e.code, e.type];
  assert.deepEqual(r.config, {
    tenant: 'acme', allowedCountries: ['FR', 'US'], defaultCountry: 'FR', pinType: 'numbers', pinLength: 6,
    templates: { en: 'Your code is {{pin}}', fr: 'Votre code est {{pin}}' }, turnstileSiteKey: null,
    resendCooldowns: [30, 60, 120, 240], ttl: 300,
  });
  // start → 201, its fields as the API sends them.
  const s = r.started;
  assert.deepEqual(Object.keys(s).sort(), ['attemptsLeft', 'expiresAt', 'otpId', 'parts', 'phoneNumber', 'resendAfter', 'status']);
  assert.match(s.otpId, /^[0-9a-f-]{36}$/);
  assert.deepEqual([s.phoneNumber, s.status, s.resendAfter, s.attemptsLeft, s.parts], ['+33612340000', 'PENDING', 0, 3, 1]);
  const ttl = Date.parse(s.expiresAt) - Date.now();
  assert.ok(ttl > 250000 && ttl <= 300000, s.expiresAt);
  assert.deepEqual(r.resent, { otpId: s.otpId, status: 'PENDING', expiresAt: s.expiresAt, resendAfter: 0, attemptsLeft: 3 });
  // check: a wrong PIN is an OtpError with attemptsLeft; the right one gives the token.
  assert.deepEqual(codeOf(r.wrongPin), [true, 'OtpError', 400, 2029, 'invalid_pin']);
  assert.deepEqual([r.wrongPin.attemptsLeft, r.wrongPin.retryAfter, r.wrongPin.field], [2, null, null]);
  assert.deepEqual(r.wrongPin.errors, [{ field: null, code: 2029, type: 'invalid_pin', message: 'Invalid PIN: 2 attempts left' }]);
  assert.deepEqual(Object.keys(r.verified).sort(), ['expiresIn', 'status', 'token']);
  assert.deepEqual([r.verified.status, r.verified.expiresIn], ['VERIFIED', 300]);
  const claims = JSON.parse(Buffer.from(r.verified.token.split('.')[1], 'base64url').toString());
  assert.deepEqual([claims.aud, claims.sub, claims.otp_id], ['acme', '+33612340000', s.otpId]);
  assert.deepEqual(codeOf(r.verifiedAgain), [true, 'OtpError', 400, 2023, 'otp_verified']);
  assert.deepEqual(codeOf(r.resendVerified), [true, 'OtpError', 400, 2023, 'otp_verified']);

  // What went over the wire: the publishable key as a Bearer token, never X-API-KEY; JSON
  // bodies exactly as given (the resend's empty object included).
  assert.deepEqual(
    r.requests.map((q) => [q.method, q.url.replace(/^https?:\/\/[^/]+/, ''), q.body]),
    [
      ['GET', '/v1/browser/config', null],
      ['POST', '/v1/browser/otp', '{"phoneNumber":"+33612340000","language":"fr"}'],
      ['POST', `/v1/browser/otp/${s.otpId}/resend`, '{}'],
      ['POST', `/v1/browser/otp/${s.otpId}`, '{"pin":"000000"}'],
      ['POST', `/v1/browser/otp/${s.otpId}`, '{"pin":"123456"}'],
      ['POST', `/v1/browser/otp/${s.otpId}`, '{"pin":"123456"}'],
      ['POST', `/v1/browser/otp/${s.otpId}/resend`, '{}'],
    ],
  );
  for (const q of r.requests) {
    const names = Object.keys(q.headers).map((h) => h.toLowerCase()).sort();
    assert.deepEqual(names, q.body === null ? ['accept', 'authorization'] : ['accept', 'authorization', 'content-type']);
    assert.equal(q.headers.Authorization, 'Bearer pk_test_0123456789abcdef');
    if (q.body !== null) assert.equal(q.headers['Content-Type'], 'application/json');
  }

  // The cooldown: 429 2109 with retryAfter (the envelope's; a page cannot read Retry-After
  // unless the API exposes it).
  assert.equal(r.cooling.resendAfter, 30);
  assert.deepEqual(codeOf(r.tooSoon), [true, 'OtpError', 429, 2109, 'rate_limit']);
  assert.ok(r.tooSoon.retryAfter >= 29 && r.tooSoon.retryAfter <= 30, String(r.tooSoon.retryAfter));
  assert.deepEqual(r.attempts.map((e) => [e.code, e.type, e.attemptsLeft]), [
    [2029, 'invalid_pin', 2], [2029, 'invalid_pin', 1], [2027, 'otp_failed', 0],
  ]);
  assert.deepEqual(codeOf(r.afterFailed), [true, 'OtpError', 400, 2026, 'otp_failed']);
  assert.deepEqual([...codeOf(r.fieldNotAllowed), r.fieldNotAllowed.field], [true, 'OtpError', 400, 2121, 'invalid_param', 'ttl']);
  assert.deepEqual([...codeOf(r.missingPhone), r.missingPhone.field], [true, 'OtpError', 400, 2001, 'invalid_param', 'phoneNumber']);
  assert.deepEqual(r.missingPhone.errors, [
    { field: 'phoneNumber', code: 2001, type: 'invalid_param', message: "'phoneNumber' is empty or missing" },
  ]);
  assert.deepEqual([...codeOf(r.missingPin), r.missingPin.field], [true, 'OtpError', 400, 2022, 'invalid_param', 'pin']);
  assert.deepEqual(codeOf(r.notFound), [true, 'OtpError', 404, 2021, 'not_found']);

  // Turnstile.
  assert.equal(r.turnstile.config.turnstileSiteKey, '1x00000000000000000000AA');
  assert.deepEqual([...codeOf(r.turnstile.missing), r.turnstile.missing.field], [true, 'OtpError', 403, 2122, 'access_denied', 'turnstileToken']);
  assert.deepEqual(codeOf(r.turnstile.refused), [true, 'OtpError', 403, 2123, 'access_denied']);
  assert.deepEqual(codeOf(r.turnstile.unavailable), [true, 'OtpError', 403, 2126, 'access_denied']);
  assert.equal(r.turnstile.started.status, 'PENDING');
  assert.deepEqual(codeOf(r.turnstile.resendMissing), [true, 'OtpError', 403, 2122, 'access_denied']);
  assert.equal(r.turnstile.resent.otpId, r.turnstile.started.otpId);

  // Keys and transport. A refused origin: the 2124 envelope where it can be read (outside a
  // browser); in a browser the answer has no CORS headers, so it is no answer.
  if (inBrowser) {
    assert.deepEqual(codeOf(r.foreignOrigin), [true, 'OtpError', 0, 0, 'network_error']);
    assert.deepEqual(r.foreignOrigin.errors, []);
  } else {
    assert.deepEqual(codeOf(r.foreignOrigin), [true, 'OtpError', 403, 2124, 'access_denied']);
  }
  assert.deepEqual(codeOf(r.unknownKey), [true, 'OtpError', 401, 401, 'invalid_api_key']);
  assert.deepEqual(codeOf(r.notJson), [true, 'OtpError', 502, 502, 'http_error']);
  assert.deepEqual(codeOf(r.unreachable), [true, 'OtpError', 0, 0, 'network_error']);
  assert.deepEqual(r.unreachable.errors, []);
  assert.deepEqual(codeOf(r.timedOut), [true, 'OtpError', 0, 0, 'network_error']);
  assert.match(r.timedOut.message, /^request failed: .*(time|abort)/i);
  assert.deepEqual([...codeOf(r.retryAfterHeader), r.retryAfterHeader.retryAfter], [true, 'OtpError', 503, 503, 'http_error', 7]);
  assert.deepEqual([...codeOf(r.retryAfterEnvelope), r.retryAfterEnvelope.retryAfter], [true, 'OtpError', 429, 2114, 'rate_limit', 1800]);
  assert.deepEqual(codeOf(r.okNotJson), [true, 'OtpError', 200, 0, 'invalid_response']);

  // Bad arguments.
  assert.equal(r.secretKey?.name, 'TypeError');
  assert.match(r.secretKey.message, /^smsotp: BrowserClient needs publishableKey, a publishable key \(pk_…\): a secret key must never reach a browser/);
  assert.equal(r.typeErrors.length, 13);
  for (const e of r.typeErrors) {
    assert.equal(e?.name, 'TypeError', JSON.stringify(e));
    assert.match(e.message, /^smsotp: |constructor/);
  }
  for (const i of [0, 1, 2]) assert.match(r.typeErrors[i].message, /publishable key \(pk_…\)/);
  assert.match(r.typeErrors[3].message, /needs api, an http\(s\) URL/);
  assert.match(r.typeErrors[5].message, /timeoutMs/);
  assert.match(r.typeErrors[8].message, /start\(request\) takes an object/);
  assert.match(r.typeErrors[11].message, /otpId/);
}
