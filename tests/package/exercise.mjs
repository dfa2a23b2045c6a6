// Exercises every export of the package `smsotp` and returns plain data, so the same run
// can happen in Node, in a browser page and in a Vite bundle, with the assertions in
// `assertions.mjs`. `apiUrl` serves fake-api.mjs.
/** An error as plain data (an `OtpError`'s fields), for `.catch()`. */
const errInfoOf = (m) => (e) => ({
  isOtpError: e instanceof m.OtpError,
  name: e.name,
  status: e.status,
  code: e.code,
  type: e.type,
  field: e.field,
  attemptsLeft: e.attemptsLeft,
  retryAfter: e.retryAfter,
  errors: e.errors,
  message: e.message,
});

/** What `f()` throws, as plain data (`null` when it does not throw). */
function thrown(f) {
  try {
    f();
    return null;
  } catch (e) {
    return { name: e.name, message: e.message, errors: e.errors ?? null };
  }
}

export async function exercise(m, apiUrl) {
  // The package's phone metadata is loaded per region; a server (and this run) loads all.
  await m.loadAllCountries();
  const errInfo = errInfoOf(m);
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
    () => new m.OtpClient({ baseUrl: apiUrl, apiKey: 'k', timeoutMs: -1 }),
  ].map(thrown);
  return r;
}

// Exercises BrowserClient against fake-api.mjs's browser routes at `apiUrl` and returns
// plain data (asserted by `checkBrowserClient` in assertions.mjs). In a page `apiUrl` is
// another origin, so every call goes through CORS as it would on a site. `originFetch`
// stands in for a browser outside one (Node sends no `Origin`); a page passes nothing, so
// the global fetch is used.
export async function exerciseBrowserClient(m, apiUrl, { originFetch } = {}) {
  const keys = {
    browser: 'pk_test_0123456789abcdef',
    turnstile: 'pk_test_turnstile_required',
    foreign: 'pk_test_other_origins_only',
  };
  const errInfo = errInfoOf(m);
  const make = (options) => new m.BrowserClient({ api: apiUrl, publishableKey: keys.browser, fetch: originFetch, ...options });
  // Every request as the client hands it to fetch.
  const requests = [];
  const client = make({
    api: `${apiUrl}/`,
    fetch: (url, init) => {
      requests.push({ url, method: init.method, headers: { ...init.headers }, body: init.body ?? null });
      return (originFetch ?? fetch)(url, init);
    },
  });
  const r = {};
  r.config = await client.config();
  // A number ending in 0000 may be resent at once (the fake's rule).
  r.started = await client.start({ phoneNumber: '+33612340000', language: 'fr' });
  r.resent = await client.resend(r.started.otpId);
  r.wrongPin = await client.check(r.started.otpId, '000000').catch(errInfo);
  r.verified = await client.check(r.started.otpId, '123456');
  r.verifiedAgain = await client.check(r.started.otpId, '123456').catch(errInfo);
  r.resendVerified = await client.resend(r.started.otpId).catch(errInfo);
  r.requests = [...requests];

  // The resend cooldown: 429 with retryAfter.
  const cooling = await client.start({ phoneNumber: '+33612345678' });
  r.cooling = cooling;
  r.tooSoon = await client.resend(cooling.otpId, {}).catch(errInfo);
  // Wrong PINs to the last attempt, then a failed OTP.
  r.attempts = [];
  for (let i = 0; i < 3; i++) r.attempts.push(await client.check(cooling.otpId, '999999').catch(errInfo));
  r.afterFailed = await client.check(cooling.otpId, '123456').catch(errInfo);
  // Bodies the API refuses.
  r.fieldNotAllowed = await client.start({ phoneNumber: '+33612345678', ttl: 600 }).catch(errInfo);
  r.missingPhone = await client.start({}).catch(errInfo);
  r.missingPin = await client.check(cooling.otpId, '').catch(errInfo);
  r.notFound = await client.check('no-such-otp', '123456').catch(errInfo);

  // A tenant that requires Turnstile: every outcome, on start and on resend.
  const guarded = make({ publishableKey: keys.turnstile });
  const pass = 'XXXX.DUMMY.TOKEN.XXXX';
  r.turnstile = {
    config: await guarded.config(),
    missing: await guarded.start({ phoneNumber: '+33612340000' }).catch(errInfo),
    refused: await guarded.start({ phoneNumber: '+33612340000', turnstileToken: 'wrong' }).catch(errInfo),
    unavailable: await guarded.start({ phoneNumber: '+33612340000', turnstileToken: 'fake:siteverify-unavailable' }).catch(errInfo),
    started: await guarded.start({ phoneNumber: '+33612340000', turnstileToken: pass }),
  };
  r.turnstile.resendMissing = await guarded.resend(r.turnstile.started.otpId).catch(errInfo);
  r.turnstile.resent = await guarded.resend(r.turnstile.started.otpId, { turnstileToken: pass });

  // Keys and transport.
  r.foreignOrigin = await make({ publishableKey: keys.foreign }).config().catch(errInfo);
  r.unknownKey = await make({ publishableKey: 'pk_test_no_such_key_000' }).config().catch(errInfo);
  r.notJson = await make({ api: `${apiUrl}/garbage?` }).config().catch(errInfo);
  r.unreachable = await make({ api: 'http://127.0.0.1:9' }).config().catch(errInfo);
  r.timedOut = await make({ api: `${apiUrl}/hang`, timeoutMs: 300 }).config().catch(errInfo);
  // Answers no server here gives, through an injected fetch.
  const answering = (body, init) => make({ fetch: async () => new Response(body, init) });
  r.retryAfterHeader = await answering('', { status: 503, headers: { 'Retry-After': '7' } }).config().catch(errInfo);
  r.retryAfterEnvelope = await answering(
    JSON.stringify({ error: { type: 'rate_limit', code: 2114, message: 'Too many SMS for this IP', uri: 'u', retryAfter: 1800 } }),
    { status: 429, headers: { 'Retry-After': '7', 'Content-Type': 'application/json' } },
  ).start({ phoneNumber: '+33612345678' }).catch(errInfo);
  r.okNotJson = await answering('ok', { status: 200 }).config().catch(errInfo);

  // Bad arguments: TypeErrors before any request.
  const secret = thrown(() => new m.BrowserClient({ api: apiUrl, publishableKey: 'sk_live_0123456789abcdef' }));
  r.secretKey = secret;
  r.typeErrors = [
    () => new m.BrowserClient({ api: apiUrl }),
    () => new m.BrowserClient({ api: apiUrl, publishableKey: '' }),
    () => new m.BrowserClient({ api: apiUrl, publishableKey: ' pk_test_0123456789abcdef' }),
    () => new m.BrowserClient({ api: 'ftp://x', publishableKey: keys.browser }),
    () => new m.BrowserClient({ publishableKey: keys.browser }),
    () => new m.BrowserClient({ api: apiUrl, publishableKey: keys.browser, timeoutMs: 0 }),
    () => new m.BrowserClient(),
    () => m.BrowserClient({ api: apiUrl, publishableKey: keys.browser }),
    () => client.start(null),
    () => client.start('+33612345678'),
    () => client.resend(r.started.otpId, 'token'),
    () => client.resend(''),
    () => client.check(undefined, '123456'),
  ].map(thrown);
  return r;
}
