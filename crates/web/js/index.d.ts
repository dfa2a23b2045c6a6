// Types of the npm package `smsotp`. The data types (types.d.ts) are generated from the
// Rust types of smsotp-core; the signatures below are the package's own.
import type {
  ErrorBody, FieldError, OtpObject, OtpRequest, OtpStatus, PinType,
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

export class OtpError extends Error {
  readonly status: number;
  readonly code: number;
  readonly type: ErrorBody['type'] | 'network_error' | 'http_error' | 'invalid_response';
  readonly uri: string | null;
  readonly field: string | null;
  readonly attemptsLeft: number | null;
  /** Every error reported: the envelope's `errors` (several invalid fields), else this one; `[]` with no answer. */
  readonly errors: FieldError[];
}

export class OtpClient {
  constructor(options: { baseUrl: string; apiKey: string; fetch?: typeof fetch; timeoutMs?: number });
  create(request: OtpRequestInput): Promise<OtpObject>;
  verify(otpId: string, pin: string): Promise<{ status: Extract<OtpStatus, 'VERIFIED'> }>;
  status(otpId: string): Promise<OtpObject>;
  cancel(otpId: string): Promise<{ info: { id: string } }>;
}
