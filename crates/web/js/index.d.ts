// Types of the npm package `smsotp`. The data types (types.d.ts) are generated from the
// Rust types of smsotp-core; the signatures below are the package's own.
import type {
  Channel, ErrorBody, FieldError, OtpObject, OtpRequest, OtpStatus, PinType,
  RenderedMessage, SmsInfo,
} from './types.js';

export * from './types.js';
export * from './phone.js';

/** A `POST /otp` body as sent (fields may be strings where numbers are expected). */
export interface OtpRequestInput {
  phoneNumber: string;
  countryIso?: string;
  from?: string;
  template?: string;
  trackId?: string | null;
  ttl?: number | string;
  maxAttempts?: number | string;
  pinType?: PinType;
  pinLength?: number | string;
  otpCallbackUrl?: string | null;
  /** Extension: choose `template_xx` by this language instead of the recipient's country. */
  language?: string;
  /** Extension: the language of `template` (ISO 639-1; default from the configuration, `en`). */
  templateLanguage?: string;
  /** Extension: append the WebOTP / iOS origin-bound line `@domain #PIN`. */
  webOtpDomain?: string;
  /** Extension: append the Android SMS Retriever hash. */
  appHash?: string;
  /** Extension: payment confirmation, for `{{amount}}`. */
  amount?: string | number;
  /** Extension: payment confirmation, for `{{payee}}`. */
  payee?: string;
  /** Extension: how the code goes out (default `sms`; the tenant's `channels` decide). */
  channel?: Channel;
  /** `template_fr`, `template_de`, … */
  [templateByLanguage: `template_${string}`]: string;
}

/** Deployment settings the rules depend on (defaults for omitted fields, limits). */
export interface ValidationConfig {
  defaults?: {
    from?: string | null;
    template?: string | null;
    ttl?: number;
    maxAttempts?: number;
    pinType?: PinType;
    pinLength?: number;
    /** Language of `defaults.template` (ISO 639-1). Built-in: `en`. */
    templateLanguage?: string;
  };
  callbackPolicy?: 'publicHttpsOnly' | 'allowLoopback';
  maxParts?: number;
}

export type ValidationResult =
  | { ok: true; request: OtpRequest }
  | { ok: false; errors: FieldError[] };

export function validateOtpRequest(request: OtpRequestInput, config?: ValidationConfig): ValidationResult;
export function renderMessage(
  request: OtpRequestInput,
  options?: { pin?: string; language?: string; config?: ValidationConfig },
): RenderedMessage;
export function countSegments(text: string): SmsInfo;
export function generatePin(pinType?: PinType, pinLength?: number): string;

/**
 * An error of either client: the API's error envelope (`status` the HTTP status, `code` the
 * contract's code), an HTTP error without an envelope (`http_error`, `code` = `status`), a
 * success that is not JSON (`invalid_response`), or no answer at all (`network_error`,
 * `status` 0: unreachable, timed out, or — in a browser — refused by CORS, as when the page's
 * origin is not one of the publishable key's origins).
 */
export class OtpError extends Error {
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The contract's code (2001–2031, 2101–2126, …), else the HTTP status; 0 with no answer. */
  readonly code: number;
  readonly type: ErrorBody['type'] | 'network_error' | 'http_error' | 'invalid_response';
  /** Where the code is documented. */
  readonly uri: string | null;
  /** The request field concerned, when one is. */
  readonly field: string | null;
  /** Wrong PINs still allowed (2029; 0 with 2027). */
  readonly attemptsLeft: number | null;
  /** Seconds before the request can succeed (429s, 503s): the envelope's `retryAfter`, else the `Retry-After` header. */
  readonly retryAfter: number | null;
  /** Every error reported: the envelope's `errors` (several invalid fields), else this one; `[]` with no answer. */
  readonly errors: FieldError[];
}

/** Options shared by the two clients. */
export interface ClientOptions {
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** How long to wait for an answer before an OtpError `network_error`; default 15,000. */
  timeoutMs?: number;
}

/**
 * The server API's client (`/otp…`). **For servers only**: it holds the tenant's secret API
 * key, which must never reach a browser, where anyone can read a page's code. Web pages use
 * {@link BrowserClient} with a publishable key.
 */
export class OtpClient {
  constructor(options: ClientOptions & {
    /** The API's root, an http(s) URL (`https://otp.example.com`). */
    baseUrl: string;
    /** The tenant's secret API key (sent as `X-API-KEY`). */
    apiKey: string;
  });
  /** `POST /otp`: the OTP and (an extension) its `clientSecret`, for a page that will check it on the browser API. */
  create(request: OtpRequestInput): Promise<OtpObject & { clientSecret: string }>;
  verify(otpId: string, pin: string): Promise<{ status: Extract<OtpStatus, 'VERIFIED'> }>;
  status(otpId: string): Promise<OtpObject>;
  cancel(otpId: string): Promise<{ info: { id: string } }>;
  /**
   * `POST /otp/{otpId}/resend` (an extension): a new PIN for a pending OTP, the old one dead,
   * attempts carried over; `options.channel` sends it through another channel the tenant
   * allows (`voice`, `whatsapp`, `sms`). Too soon: 429 2109 with `retryAfter`.
   */
  resend(otpId: string, options?: { channel?: Channel }): Promise<OtpObject & {
    /** Seconds before the next resend is allowed. */
    resendAfter: number;
  }>;
}

/** `BrowserClient.config()`: the tenant's settings for OTPs started from a page. */
export interface BrowserConfig {
  /** The tenant's id. */
  tenant: string;
  /** Where SMS may go: `'*'` (anywhere), or ISO 3166-1 alpha-2 codes. */
  allowedCountries: '*' | string[];
  /** The country of numbers typed without `+` and a calling code, if the tenant set one. */
  defaultCountry: string | null;
  pinType: PinType;
  pinLength: number;
  /** The SMS template by language (ISO 639-1), e.g. `{ en: 'Your code is {{pin}}' }`: public text, to preview the SMS. */
  templates: Record<string, string>;
  /** The Turnstile site key when sending needs a Turnstile token, else `null`. */
  turnstileSiteKey: string | null;
  /** Seconds to wait before each successive resend, e.g. `[30, 60, 120, 240]`. */
  resendCooldowns: number[];
  /** An OTP's validity in seconds. */
  ttl: number;
  /** The channels a code may go through: those the tenant allows and the deployment offers (`['sms']` by default). */
  channels: BrowserChannel[];
}

/** A channel a code goes through. */
export type BrowserChannel = 'sms' | 'whatsapp' | 'voice';

/** Where the latest message of an OTP stands (`null` in an answer: none known yet). */
export interface BrowserDelivery {
  channel: BrowserChannel;
  /** `expired`: no final report from the provider within the tenant's `deliveryTimeout`. */
  status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'expired';
}

/**
 * `BrowserClient.start()`'s body: only what a visitor may choose. Anything else (template,
 * ttl, PIN settings, callback) is the tenant's and is refused by the API (2121).
 */
export interface BrowserOtpRequest {
  /** E.164, or national with `countryIso` (or the tenant's `defaultCountry`). */
  phoneNumber: string;
  countryIso?: string;
  /** The SMS's language (ISO 639-1), among the tenant's templates. */
  language?: string;
  /** Turnstile's token, when `config().turnstileSiteKey` is set (else 2122). */
  turnstileToken?: string;
  /** The channel of the code (default `sms`): one of `config().channels` (else 2136). */
  channel?: BrowserChannel;
}

/** `BrowserClient.start()`'s answer: the OTP created, its SMS sent. */
export interface BrowserOtp {
  otpId: string;
  /** The number, E.164. */
  phoneNumber: string;
  status: Extract<OtpStatus, 'PENDING'>;
  /** When the OTP expires (ISO 8601). */
  expiresAt: string;
  /** Seconds before `resend()` may be called. */
  resendAfter: number;
  /** Wrong PINs allowed. */
  attemptsLeft: number;
  /** SMS parts sent. */
  parts: number;
  /** This OTP's client secret: `resend()` and `check()` send it (`X-Client-Secret`); the client keeps it. */
  clientSecret: string;
  delivery: BrowserDelivery | null;
}

/** `BrowserClient.resend()`'s answer: a new PIN sent for the same OTP. */
export interface BrowserResend {
  otpId: string;
  status: OtpStatus;
  /** When the OTP expires (ISO 8601). */
  expiresAt: string;
  /** Seconds before the next `resend()`. */
  resendAfter: number;
  attemptsLeft: number;
  delivery: BrowserDelivery | null;
}

/** `BrowserClient.status()`'s answer: where a pending OTP and its latest message stand. */
export interface BrowserOtpStatus {
  otpId: string;
  status: OtpStatus;
  /** When the OTP expires (ISO 8601). */
  expiresAt: string;
  attemptsLeft: number;
  /** `null` while nothing was sent (a test number). */
  delivery: BrowserDelivery | null;
}

/** `BrowserClient.check()`'s answer: the PIN was right. */
export interface BrowserVerified {
  status: Extract<OtpStatus, 'VERIFIED'>;
  /** A signed JWT (EdDSA/ES256) that the site's backend verifies against the API's `/.well-known/jwks.json`. */
  token: string;
  /** Seconds the token is valid. */
  expiresIn: number;
}

/**
 * The browser API's client (`/v1/browser/*`), for web pages. It holds a publishable key
 * (`pk_…`): public by design, it only works on the browser routes and from the origins
 * listed for it, and the tenant's settings (template, ttl, PIN) come from the API, not the
 * page. The constructor throws a TypeError for any other key: a secret key must never reach
 * a browser. Errors are {@link OtpError}s; in a browser a refused origin arrives as
 * `network_error` (the API answers it without CORS headers).
 */
export class BrowserClient {
  constructor(options: ClientOptions & {
    /** The API's root, an http(s) URL (`https://otp.example.com`). */
    api: string;
    /** The tenant's publishable key, `pk_…` (sent as `Authorization: Bearer`). */
    publishableKey: string;
  });
  /** `GET /v1/browser/config`. */
  config(): Promise<BrowserConfig>;
  /** `POST /v1/browser/otp`: creates an OTP and sends the SMS. */
  start(request: BrowserOtpRequest): Promise<BrowserOtp>;
  /** `POST /v1/browser/otp/{otpId}/resend`: a new PIN, once `resendAfter` has passed (else 429 2109 with `retryAfter`). */
  resend(otpId: string, options?: { turnstileToken?: string; channel?: BrowserChannel; clientSecret?: string }): Promise<BrowserResend>;
  /** `GET /v1/browser/otp/{otpId}`: the OTP's status and its latest message's delivery (each call counts as a request). */
  status(otpId: string, options?: { clientSecret?: string }): Promise<BrowserOtpStatus>;
  /** `POST /v1/browser/otp/{otpId}`: the right PIN gives the token; a wrong one throws OtpError 2029 (`attemptsLeft`), or 2027 on the last attempt. */
  check(otpId: string, pin: string, options?: { clientSecret?: string }): Promise<BrowserVerified>;
}
