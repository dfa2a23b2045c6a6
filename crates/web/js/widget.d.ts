// Types of `smsotp/widget`: the `<smsotp-verify>` element. `import 'smsotp/widget'` defines
// it (once; importing in Node or during server rendering defines nothing and does not throw).

/** The element's states, also exposed as CSS custom states (`smsotp-verify:state(code)`). */
export type SmsotpVerifyState = 'phone' | 'sending' | 'code' | 'checking' | 'verified' | 'error' | 'locked' | 'expired';

/**
 * `smsotp-sent`: a code was sent (first send, "Send a new code", "Resend code", or another
 * channel: "Call me instead", "Send on WhatsApp", "Send by SMS").
 */
export interface SmsotpSentDetail {
  otpId: string;
  /** E.164. */
  phoneNumber: string;
  /** Seconds before "Resend code" is allowed (the server's `resendAfter`), or null. */
  resendAfter: number | null;
  /** The channel the code went through (the API's answer; `sms` when it names none). */
  channel: 'sms' | 'whatsapp' | 'voice';
}

/**
 * `smsotp-undelivered`: the latest code did not arrive (the provider's report, or none within
 * the tenant's `deliveryTimeout`); the widget says so and offers to send again at once.
 */
export interface SmsotpUndeliveredDetail {
  otpId: string;
  status: 'undelivered' | 'failed' | 'expired';
}

/** `smsotp-verified`: the number is verified; `token` is also the element's form value. */
export interface SmsotpVerifiedDetail {
  /**
   * A JWT (EdDSA) signed by the smsotp edge: the site's backend verifies it with the keys at
   * `/.well-known/jwks.json` (issuer, audience = tenant id, `exp`, `jti` once).
   */
  token: string;
  /** E.164. */
  phoneNumber: string;
}

/** `smsotp-error`: an error shown to the person (invalid number, wrong code, locked, …). */
export interface SmsotpErrorDetail {
  /** The API's error code (2029 wrong code, 2110 locked, …), the HTTP status, or 0 (no answer). */
  code: number;
  /** The API's error type (`invalid_pin`, `rate_limit`, `network_error`, …). */
  type: string;
  /** The message shown, in the widget's language. */
  message: string;
}

/**
 * `<smsotp-verify publishable-key="pk_…" api="https://otp.example.com" name="phoneToken">`:
 * phone number → SMS code → verified, with the smsotp browser API. Form-associated: its
 * value is the verification token once verified; invalid (`valueMissing`) before.
 */
export class SmsotpVerify extends HTMLElement {
  static readonly formAssociated: true;
  static readonly observedAttributes: string[];
  /** The verification token once verified, else `''`. */
  readonly value: string;
  /** The current step or outcome. */
  readonly state: SmsotpVerifyState;
  /** The E.164 number a code was sent to, else `''`. */
  readonly phoneNumber: string;
  /** The pending OTP's id once a code was sent, else `''`. */
  readonly otpId: string;
  readonly form: HTMLFormElement | null;
  readonly name: string | null;
  readonly validity: ValidityState;
  readonly validationMessage: string;
  readonly willValidate: boolean;
  checkValidity(): boolean;
  reportValidity(): boolean;
  /** Back to an empty phone step (also on the form's reset); forgets the token. */
  reset(): void;
}

/** Defines `<smsotp-verify>` if it is not defined yet (the import already does). */
export function defineSmsotpVerify(): void;

/**
 * The code in a text as typed, pasted or autofilled: ASCII digits (Arabic-Indic digits
 * converted; letters too, upper-cased, when `letters`), separators between them dropped, a
 * run of exactly `length` preferred, at most `length` characters.
 */
export function sanitizeCode(text: string, length: number, letters?: boolean): string;

declare global {
  interface HTMLElementTagNameMap {
    'smsotp-verify': SmsotpVerify;
  }
  interface HTMLElementEventMap {
    'smsotp-sent': CustomEvent<SmsotpSentDetail>;
    'smsotp-verified': CustomEvent<SmsotpVerifiedDetail>;
    'smsotp-error': CustomEvent<SmsotpErrorDetail>;
    'smsotp-undelivered': CustomEvent<SmsotpUndeliveredDetail>;
  }
}
