// The type test of the npm package `smsotp` (`npm run check`): this file imports `smsotp` as
// a user's TypeScript does — from the packed tarball, installed next to a copy of this file —
// and `tsc --noEmit` must accept it, under `moduleResolution` `nodenext` (Node) and
// `bundler` (Vite, webpack). It is never run.
//
// Right uses must compile, with the types a user relies on checked exactly (`Expect<Equal<…>>`).
// Wrong uses are marked `// @ts-expect-error`: if the declarations ever accept one, tsc fails
// with "Unused '@ts-expect-error' directive", so a loosened declaration is caught too.
import {
  AsYouType,
  BrowserClient,
  countries,
  countSegments,
  formatPhoneNumber,
  generatePin,
  loadAllCountries,
  loadCountries,
  OtpClient,
  OtpError,
  parsePhoneNumber,
  renderMessage,
  validateOtpRequest,
} from 'smsotp';
import type {
  BrowserChannel,
  BrowserConfig,
  BrowserDelivery,
  BrowserOtp,
  BrowserOtpRequest,
  BrowserOtpStatus,
  BrowserResend,
  BrowserVerified,
  CountryInfo,
  Encoding,
  ErrorBody,
  FieldError,
  MetadataMissingError,
  NumberType,
  OtpObject,
  OtpRequest,
  OtpRequestInput,
  OtpStatus,
  PhoneCheck,
  PhoneNumberFormat,
  PinType,
  RenderedMessage,
  SmsInfo,
  ValidationConfig,
  ValidationResult,
} from 'smsotp';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// --- validateOtpRequest -------------------------------------------------------------------
const input: OtpRequestInput = {
  phoneNumber: '06 12 34 56 78',
  countryIso: 'FR',
  from: 'ACME',
  template: 'Your code is {{pin}}',
  template_fr: 'Votre code est {{pin}}',
  trackId: null,
  ttl: '600', // numbers may be sent as strings, as on the wire
  maxAttempts: 3,
  pinType: 'alphanumeric',
  pinLength: 8,
  otpCallbackUrl: 'https://example.com/otp',
  language: 'fr',
  templateLanguage: 'en',
  webOtpDomain: 'example.com',
  amount: 12.5,
  payee: 'ACME',
};
const config: ValidationConfig = {
  defaults: { from: null, template: 'Code: {{pin}}', ttl: 300, maxAttempts: 5, pinType: 'numbers', pinLength: 6 },
  callbackPolicy: 'allowLoopback',
  maxParts: 4,
};
const result = validateOtpRequest(input, config);
type _ValidationResult = Expect<Equal<typeof result, ValidationResult>>;
if (result.ok) {
  const request: OtpRequest = result.request;
  const e164: string = request.phoneNumber;
  const numberType: NumberType = request.numberType;
  const pinType: PinType = request.pinType;
  const ttl: number = request.ttl;
  const templates: Record<string, string> = request.templates;
  const trackId: string | null = request.trackId;
  void [e164, numberType, pinType, ttl, templates, trackId];
  // @ts-expect-error: a valid result has no errors
  void result.errors;
} else {
  const errors: FieldError[] = result.errors;
  for (const e of errors) {
    const field: string | null = e.field;
    const code: number = e.code;
    const type: string = e.type;
    const message: string = e.message;
    void [field, code, type, message];
  }
  // @ts-expect-error: an invalid result has no request
  void result.request;
}
validateOtpRequest({ phoneNumber: '+33612345678' });
// @ts-expect-error: phoneNumber is required
validateOtpRequest({ countryIso: 'FR' });
// @ts-expect-error: pinType is one of three strings
validateOtpRequest({ phoneNumber: '+33612345678', pinType: 'digits' });
// @ts-expect-error: template_xx values are strings
validateOtpRequest({ phoneNumber: '+33612345678', template_fr: 42 });
// @ts-expect-error: callbackPolicy is one of two names
validateOtpRequest({ phoneNumber: '+33612345678' }, { callbackPolicy: 'any' });

// --- loadCountries, loadAllCountries, METADATA_MISSING -----------------------------------
await loadCountries(['FR', 'DE']);
await loadAllCountries();
type _Load = Expect<Equal<ReturnType<typeof loadCountries>, Promise<void>>>;
// @ts-expect-error: a list of codes, not one code
loadCountries('FR');
try {
  parsePhoneNumber('+33612345678');
} catch (e) {
  const missing = e as MetadataMissingError;
  const code: 'METADATA_MISSING' = missing.code;
  const country: string = missing.country;
  void [code, country];
}

// --- parsePhoneNumber ---------------------------------------------------------------------
const phone: PhoneCheck = parsePhoneNumber('06 12 34 56 78', 'FR');
parsePhoneNumber('+33612345678');
type _Phone = Expect<Equal<ReturnType<typeof parsePhoneNumber>, PhoneCheck>>;
const valid: boolean = phone.valid;
const phoneE164: string | null = phone.e164;
const callingCode: number | null = phone.callingCode;
const phoneType: NumberType | null = phone.numberType;
void [valid, phoneE164, callingCode, phoneType];
// @ts-expect-error: e164 is null when the number is not valid
const notNull: string = phone.e164;
// @ts-expect-error: the number is a string, as typed
parsePhoneNumber(33612345678);

// --- formatPhoneNumber, AsYouType, countries --------------------------------------------
const styles: PhoneNumberFormat[] = ['E.164', 'INTERNATIONAL', 'NATIONAL'];
const formatted: string = formatPhoneNumber('0612345678', 'FR', styles[2]);
formatPhoneNumber('+33612345678');
// @ts-expect-error: 'RFC3966' is not one of the three formats
formatPhoneNumber('+33612345678', undefined, 'RFC3966');
const typing = new AsYouType('FR');
const typed: string = typing.input('06');
const region: string | undefined = typing.getCountry();
typing.reset().input('+1');
// @ts-expect-error: the region may still be unknown
const knownRegion: string = typing.getCountry();
const regions: CountryInfo[] = countries();
const first = regions[0];
if (first) {
  const iso: string = first.countryIso;
  const cc: number = first.callingCode;
  const example: string = first.exampleNumber;
  const main: boolean = first.mainRegion;
  const prefix: string | null = first.internationalPrefix;
  void [iso, cc, example, main, prefix];
}
void [formatted, typed, region];

// --- renderMessage ------------------------------------------------------------------------
const rendered: RenderedMessage = renderMessage(input, { pin: '123456', language: 'fr', config });
renderMessage({ phoneNumber: '+33612345678' });
const text: string = rendered.text;
const language: string | null = rendered.language;
const encoding: Encoding = rendered.encoding;
void [text, language, encoding, rendered.parts, rendered.units, rendered.nonGsmCharacters];
// @ts-expect-error: the PIN is a string (leading zeros matter)
renderMessage(input, { pin: 123456 });

// --- countSegments ------------------------------------------------------------------------
const info: SmsInfo = countSegments('Привет');
type _Sms = Expect<Equal<ReturnType<typeof countSegments>, SmsInfo>>;
type _Encoding = Expect<Equal<Encoding, 'GSM-7' | 'UCS-2'>>;
const parts: number = info.parts;
const nonGsm: string[] = info.nonGsmCharacters;
void [parts, nonGsm];
// @ts-expect-error: 'UTF-8' is not an SMS encoding
if (info.encoding === 'UTF-8') void 0;
// @ts-expect-error: the text is a string
countSegments(['a', 'b']);

// --- generatePin --------------------------------------------------------------------------
const pin: string = generatePin('numbers', 6);
generatePin();
generatePin('letters');
void pin;
// @ts-expect-error: 'hex' is not a PIN type
generatePin('hex', 6);

// --- OtpClient and OtpError ---------------------------------------------------------------
const client = new OtpClient({ baseUrl: 'https://otp.example.com', apiKey: 'key', timeoutMs: 5000, fetch });
new OtpClient({ baseUrl: 'https://otp.example.com', apiKey: 'key' });
// @ts-expect-error: apiKey is required
new OtpClient({ baseUrl: 'https://otp.example.com' });

export async function flow(): Promise<OtpStatus> {
  const otp: OtpObject = await client.create({ phoneNumber: '+33612345678', ttl: 600 });
  // The OTP object and, as an extension, its client secret for the page that checks it.
  type _Create = Expect<Equal<Awaited<ReturnType<typeof client.create>>, OtpObject & { clientSecret: string }>>;
  const otpId: string = otp.otpId;
  const status: OtpStatus = otp.status;
  const cost: number = otp.cost;
  const callback: string | null = otp.otpCallbackUrl;
  void [status, cost, callback];
  try {
    const verified = await client.verify(otpId, '123456');
    type _Verified = Expect<Equal<typeof verified.status, 'VERIFIED'>>;
  } catch (e) {
    if (e instanceof OtpError) {
      const httpStatus: number = e.status;
      const code: number = e.code;
      const type: string = e.type;
      const field: string | null = e.field;
      const attemptsLeft: number | null = e.attemptsLeft;
      const uri: string | null = e.uri;
      const all: FieldError[] = e.errors;
      const error: Error = e;
      void [httpStatus, code, type, field, attemptsLeft, uri, all, error];
      // @ts-expect-error: attemptsLeft may be null
      const left: number = e.attemptsLeft;
    }
  }
  const cancelled: { info: { id: string } } = await client.cancel(otpId);
  void cancelled;
  const resent = await client.resend(otpId);
  const next: number = resent.resendAfter;
  const resentStatus: OtpStatus = resent.status;
  void [next, resentStatus];
  // @ts-expect-error: a server resend takes no options (the browser's takes a Turnstile token)
  await client.resend(otpId, { turnstileToken: 't' });
  // @ts-expect-error: verify takes the OTP id and the PIN
  await client.verify(otpId);
  // @ts-expect-error: the create body needs phoneNumber
  await client.create({ ttl: 600 });
  // @ts-expect-error: 'DONE' is not an OTP status
  const wrong: OtpStatus = 'DONE';
  return (await client.status(otpId)).status;
}

// --- BrowserClient (a web page, with a publishable key) ------------------------------------
const browserClient = new BrowserClient({ api: 'https://otp.example.com', publishableKey: 'pk_live_3f9a1c2b7d0e4f5a' });
new BrowserClient({ api: 'https://otp.example.com', publishableKey: 'pk_live_3f9a1c2b7d0e4f5a', fetch, timeoutMs: 5000 });
// @ts-expect-error: publishableKey is required
new BrowserClient({ api: 'https://otp.example.com' });
// @ts-expect-error: the option is `api`, not OtpClient's `baseUrl`
new BrowserClient({ baseUrl: 'https://otp.example.com', publishableKey: 'pk_live_3f9a1c2b7d0e4f5a' });
// @ts-expect-error: a BrowserClient takes no secret apiKey
new BrowserClient({ api: 'https://otp.example.com', publishableKey: 'pk_live_3f9a1c2b7d0e4f5a', apiKey: 'sk_x' });

export async function browserFlow(turnstileToken: string | undefined): Promise<string> {
  const settings: BrowserConfig = await browserClient.config();
  const countriesAllowed: '*' | string[] = settings.allowedCountries;
  const defaultCountry: string | null = settings.defaultCountry;
  const siteKey: string | null = settings.turnstileSiteKey;
  const preview: string | undefined = settings.templates['fr'];
  const cooldowns: number[] = settings.resendCooldowns;
  const pinType: PinType = settings.pinType;
  const channels: BrowserChannel[] = settings.channels;
  void channels;
  void [countriesAllowed, defaultCountry, siteKey, preview, cooldowns, pinType, settings.pinLength, settings.ttl];
  // @ts-expect-error: the default country may be null
  const country: string = settings.defaultCountry;

  const request: BrowserOtpRequest = { phoneNumber: '06 12 34 56 78', countryIso: 'FR', language: 'fr', turnstileToken };
  const otp: BrowserOtp = await browserClient.start(request);
  type _Start = Expect<Equal<Awaited<ReturnType<typeof browserClient.start>>, BrowserOtp>>;
  type _Pending = Expect<Equal<typeof otp.status, 'PENDING'>>;
  const expiresAt: string = otp.expiresAt;
  const wait: number = otp.resendAfter;
  void [expiresAt, wait, otp.attemptsLeft, otp.parts, otp.phoneNumber];
  // @ts-expect-error: the template is the tenant's, not the page's
  await browserClient.start({ phoneNumber: '+33612345678', template: 'Code {{pin}}' });
  // @ts-expect-error: so is the ttl
  await browserClient.start({ phoneNumber: '+33612345678', ttl: 600 });
  // @ts-expect-error: phoneNumber is required
  await browserClient.start({ countryIso: 'FR' });

  const again: BrowserResend = await browserClient.resend(otp.otpId, { turnstileToken });
  await browserClient.resend(otp.otpId);
  void again.resendAfter;
  const byVoice: BrowserResend = await browserClient.resend(otp.otpId, { channel: 'voice' });
  const delivery: BrowserDelivery | null = byVoice.delivery;
  void delivery?.channel;
  // @ts-expect-error: the resend options are an object
  await browserClient.resend(otp.otpId, 'token');
  // @ts-expect-error: a channel the API does not have
  await browserClient.resend(otp.otpId, { channel: 'email' });
  const where: BrowserOtpStatus = await browserClient.status(otp.otpId);
  type _Delivery = Expect<Equal<NonNullable<typeof where.delivery>['status'], 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'expired'>>;
  // @ts-expect-error: null while nothing was sent
  void where.delivery.channel;
  void [where.status, where.expiresAt, where.attemptsLeft];

  try {
    const verified: BrowserVerified = await browserClient.check(otp.otpId, '123456');
    type _Verified = Expect<Equal<typeof verified.status, 'VERIFIED'>>;
    const expiresIn: number = verified.expiresIn;
    void expiresIn;
    return verified.token;
  } catch (e) {
    if (e instanceof OtpError) {
      const retryAfter: number | null = e.retryAfter;
      const left: number | null = e.attemptsLeft;
      void [retryAfter, left, e.code, e.status, e.type, e.errors];
    }
    // @ts-expect-error: check takes the OTP id and the PIN
    await browserClient.check(otp.otpId);
    // @ts-expect-error: the PIN is a string (leading zeros matter)
    await browserClient.check(otp.otpId, 123456);
    // @ts-expect-error: a BrowserClient has no server methods
    await browserClient.cancel(otp.otpId);
    throw e;
  }
}

// --- the contract's error body ------------------------------------------------------------
const body: ErrorBody = { type: 'invalid_param', code: 2008, message: 'Min value for ttl is 60', uri: 'https://docs#2008', field: 'ttl' };
const attempts: number | undefined = body.attemptsLeft;
void attempts;
// @ts-expect-error: code is a number, as on the wire
const badBody: ErrorBody = { type: 'invalid_param', code: '2008', message: '', uri: '' };

// --- the entry `smsotp/phone`: the phone functions only, on a smaller wasm ----------------
export async function phoneEntry(): Promise<string> {
  const phoneOnly = await import('smsotp/phone');
  const check: PhoneCheck = phoneOnly.parsePhoneNumber('+33612345678');
  void check;
  const list: CountryInfo[] = phoneOnly.countries();
  void list;
  // @ts-expect-error: the phone entry has no SMS functions
  phoneOnly.countSegments('hello');
  return phoneOnly.formatPhoneNumber('+33612345678', undefined, 'INTERNATIONAL');
}

// --- the entry `smsotp/widget`: the <smsotp-verify> element ---------------------------------
import type { SmsotpUndeliveredDetail, SmsotpVerify, SmsotpVerifiedDetail, SmsotpVerifyState } from 'smsotp/widget';
export async function widgetEntry(): Promise<void> {
  const widget = await import('smsotp/widget');
  widget.defineSmsotpVerify();
  const el = document.createElement('smsotp-verify');
  type _element = Expect<Equal<typeof el, SmsotpVerify>>;
  const state: SmsotpVerifyState = el.state;
  void state;
  el.addEventListener('smsotp-verified', (e) => {
    type _detail = Expect<Equal<typeof e.detail, SmsotpVerifiedDetail>>;
    const token: string = e.detail.token;
    void token;
  });
  el.addEventListener('smsotp-sent', (e) => {
    const after: number | null = e.detail.resendAfter;
    const channel: 'sms' | 'whatsapp' | 'voice' = e.detail.channel;
    void [after, channel];
  });
  el.addEventListener('smsotp-undelivered', (e) => {
    type _undelivered = Expect<Equal<typeof e.detail, SmsotpUndeliveredDetail>>;
    const status: 'undelivered' | 'failed' | 'expired' = e.detail.status;
    void status;
  });
  el.addEventListener('smsotp-error', (e) => {
    const code: number = e.detail.code;
    void code;
  });
  const valid: boolean = el.checkValidity();
  void valid;
  el.reset();
  // @ts-expect-error: the token is read-only (the element sets it once verified)
  el.value = 'eyJ…';
  // @ts-expect-error: 'done' is not one of the element's states
  const wrong: SmsotpVerifyState = 'done';
  void wrong;
  const code: string = widget.sanitizeCode('Your code is ٤٢٤٢٤٢', 6);
  void code;
}
