// Exercises every export of the package `smsotp` and returns plain data, so the same run
// can happen in Node, in a browser page and in a Vite bundle, with the assertions in
// `assertions.mjs`. `apiUrl` serves fake-api.mjs.
export async function exercise(m, apiUrl) {
  const errInfo = (e) => ({
    isOtpError: e instanceof m.OtpError,
    name: e.name,
    status: e.status,
    code: e.code,
    type: e.type,
    field: e.field,
    attemptsLeft: e.attemptsLeft,
    errors: e.errors,
    message: e.message,
  });
  const thrown = (f) => {
    try {
      f();
      return null;
    } catch (e) {
      return { name: e.name, message: e.message, errors: e.errors ?? null };
    }
  };
  const seed = {
    phoneNumber: '+33612424199',
    from: 'Verify',
    template: 'Your verification code is {{pin}}',
    template_fr: 'Votre code de vérification est {{pin}}',
    template_bg: 'Вашият код за потвърждение е {{pin}}',
    ttl: 600,
    maxAttempts: 6,
    pinType: 'numbers',
    pinLength: 5,
    otpCallbackUrl: 'https://my-callback/receive-otp-status',
  };
  const r = {};
  r.validSeed = m.validateOtpRequest(seed);
  r.validNational = m.validateOtpRequest({ phoneNumber: '06 12 34 56 78', countryIso: 'FR', ttl: '600' });
  r.invalid = m.validateOtpRequest({ phoneNumber: '', ttl: 30, pinType: 'emoji' });
  r.strictConfig = m.validateOtpRequest({ phoneNumber: '+33612345678' }, { defaults: { from: null } });
  r.phoneE164 = m.parsePhoneNumber('+1 (212) 555-0123');
  r.phoneNational = m.parsePhoneNumber('06 12 34 56 78', 'FR');
  r.phoneInvalid = m.parsePhoneNumber('+336124241xx');
  r.phoneNoCountry = m.parsePhoneNumber('0612345678');
  r.phoneBadCountry = m.parsePhoneNumber('0612345678', 'FRA');
  r.phoneHuge = m.parsePhoneNumber('9'.repeat(100000), 'FR');
  r.renderFr = m.renderMessage(seed);
  r.renderBg = m.renderMessage({ ...seed, phoneNumber: '+359888123456' }, { pin: '48213' });
  r.renderOverride = m.renderMessage(seed, { pin: '48213', language: 'bg' });
  r.segmentsGsm = m.countSegments('a'.repeat(161));
  r.segmentsExtension = m.countSegments('€'.repeat(81));
  r.segmentsUcs2 = m.countSegments('Код 1234 👍🏽 ok 👍🏽');
  // A text large enough to grow the wasm memory, then calls that must still read it right.
  r.segmentsLarge = m.countSegments('ж'.repeat(100000));
  r.afterGrowth = [m.countSegments('Код 1').nonGsmCharacters, m.parsePhoneNumber('+39 06 6988 1234')];
  r.loneSurrogate = m.countSegments('a\uD83D');
  r.pins = [m.generatePin(), m.generatePin('letters', 4), m.generatePin('alphanumeric', 10), m.generatePin('numbers', 10)];
  // Many PINs of each type (6 symbols each), and one of every type and length 4–10.
  r.pinDraws = {};
  r.pinLengths = [];
  for (const type of ['numbers', 'letters', 'alphanumeric']) {
    r.pinDraws[type] = Array.from({ length: 2000 }, () => m.generatePin(type, 6));
    for (let length = 4; length <= 10; length++) r.pinLengths.push([type, length, m.generatePin(type, length)]);
  }
  // Request bodies of an exact size in UTF-8 bytes, with 2-, 3- and 4-byte characters: the
  // limit is 65,536 bytes as JSON (the worker's 64 KiB), whatever their UTF-16 length.
  const sized = (bytes) => {
    const base = { phoneNumber: '+33612345678', template: '😀😀😀😀😀ééé {{pin}} ' };
    const rest = bytes - new TextEncoder().encode(JSON.stringify(base)).length;
    const euros = Math.floor(rest / 3);
    const request = { ...base, template: base.template + '€'.repeat(euros) + 'a'.repeat(rest - 3 * euros) };
    const json = JSON.stringify(request);
    return { request, bytes: new TextEncoder().encode(json).length, units: json.length };
  };
  const atLimit = sized(65536);
  const overLimit = sized(65537);
  r.bodyLimit = {
    sizes: [atLimit.bytes, atLimit.units, overLimit.bytes, overLimit.units],
    validateAt: thrown(() => m.validateOtpRequest(atLimit.request)),
    validateOver: thrown(() => m.validateOtpRequest(overLimit.request)),
    renderAt: thrown(() => m.renderMessage(atLimit.request)),
    renderOver: thrown(() => m.renderMessage(overLimit.request)),
  };
  r.typeErrors = [
    () => m.countSegments(42),
    () => m.countSegments('x'.repeat(200001)),
    () => m.parsePhoneNumber(null),
    () => m.parsePhoneNumber('+33612345678', 33),
    () => m.validateOtpRequest('not an object'),
    () => m.validateOtpRequest([1, 2]),
    () => m.validateOtpRequest({ phoneNumber: '+33612345678', template: 'x'.repeat(70000) }),
    () => m.validateOtpRequest({ phoneNumber: '+33612345678' }, { defaults: { ttl: 5 } }),
    () => m.generatePin('emoji', 6),
    () => m.generatePin('numbers', 11),
    () => m.generatePin('numbers', 4.5),
    () => m.renderMessage({ phoneNumber: '', ttl: 5 }),
    () => m.renderMessage(seed, { pin: 1234 }),
    () => {
      const cyclic = { phoneNumber: '+33612345678' };
      cyclic.self = cyclic;
      m.validateOtpRequest(cyclic);
    },
  ].map(thrown);

  const client = new m.OtpClient({ baseUrl: `${apiUrl}/`, apiKey: 'test-key' });
  const otp = await client.create({ phoneNumber: '+33612345678', maxAttempts: 3 });
  r.created = otp;
  r.wrongPin = await client.verify(otp.otpId, '000000').catch(errInfo);
  r.verified = await client.verify(otp.otpId, '123456');
  r.verifiedAgain = await client.verify(otp.otpId, '123456').catch(errInfo);
  r.status = await client.status(otp.otpId);
  const second = await client.create({ phoneNumber: '+33612345678' });
  r.secondId = second.otpId;
  r.cancelled = await client.cancel(second.otpId);
  r.cancelledAgain = await client.cancel(second.otpId).catch(errInfo);
  r.missingField = await client.create({ phoneNumber: '' }).catch(errInfo);
  r.manyInvalid = await client.create({ phoneNumber: '', ttl: 30, pinType: 'emoji' }).catch(errInfo);
  r.notFound = await client.status('no-such-otp').catch(errInfo);
  r.unauthorized = await new m.OtpClient({ baseUrl: apiUrl, apiKey: 'wrong-key' }).status(otp.otpId).catch(errInfo);
  r.notJson = await new m.OtpClient({ baseUrl: `${apiUrl}/garbage?`, apiKey: 'test-key' }).status('x').catch(errInfo);
  r.unreachable = await new m.OtpClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'test-key' }).status('x').catch(errInfo);
  // The constructor as it is: a class (`new`), options { baseUrl, apiKey, fetch?, timeoutMs? }.
  const fetched = [];
  const recording = new m.OtpClient({
    baseUrl: apiUrl,
    apiKey: 'test-key',
    fetch: (url, init) => {
      fetched.push([url, init.method]);
      return fetch(url, init);
    },
  });
  r.clientOptions = {
    withoutNew: thrown(() => m.OtpClient({ baseUrl: apiUrl, apiKey: 'test-key' })),
    statusViaFetchOption: (await recording.status(otp.otpId)).status,
    fetched,
    timedOut: await new m.OtpClient({ baseUrl: `${apiUrl}/hang`, apiKey: 'test-key', timeoutMs: 300 })
      .status('x')
      .catch(errInfo),
  };
  r.clientTypeErrors = [
    () => new m.OtpClient({ baseUrl: 'ftp://x', apiKey: 'k' }),
    () => new m.OtpClient({ baseUrl: apiUrl }),
    () => client.status(''),
  ].map(thrown);
  return r;
}
