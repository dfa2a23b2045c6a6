// What every environment must give for `exercise()` (Node, a browser page, a Vite bundle).
import assert from 'node:assert/strict';

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
  assert.notEqual(r.pins[3], r.pins[0]);

  // Bad input: TypeErrors with clear messages, never a wasm trap.
  for (const e of r.typeErrors) {
    assert.ok(e, 'bad input must throw');
    assert.equal(e.name, 'TypeError', e.message);
    assert.match(e.message, /^smsotp: /);
    assert.doesNotMatch(e.message, /unreachable|panicked|RuntimeError/);
  }
  assert.match(r.typeErrors[7].message, /ttl/);
  assert.deepEqual(r.typeErrors[11].errors.map((e) => e.code), [2001, 2008]);

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
  assert.deepEqual(r.cancelled, { info: { id: r.cancelled.info.id } });
  assert.deepEqual([r.cancelledAgain.status, r.cancelledAgain.code, r.cancelledAgain.type], [403, 2030, 'access_denied']);
  assert.deepEqual([r.missingField.code, r.missingField.field], [2001, 'phoneNumber']);
  assert.deepEqual([r.notFound.status, r.notFound.code, r.notFound.type], [404, 2021, 'not_found']);
  assert.deepEqual([r.unauthorized.status, r.unauthorized.type], [401, 'invalid_api_key']);
  assert.deepEqual([r.notJson.isOtpError, r.notJson.status, r.notJson.type], [true, 502, 'http_error']);
  assert.deepEqual([r.unreachable.isOtpError, r.unreachable.status, r.unreachable.type], [true, 0, 'network_error']);
  for (const e of r.clientTypeErrors) assert.equal(e?.name, 'TypeError');
}
