// Types of the phone functions, in both entries of the npm package: `smsotp/phone` (these
// only) and `smsotp` (everything). `PhoneCheck` is generated from smsotp-core's Rust type.
import type { PhoneCheck } from './types';

export type { PhoneCheck, NumberType } from './types';

/** libphonenumber-js's format names. */
export type PhoneNumberFormat = 'E.164' | 'INTERNATIONAL' | 'NATIONAL';

/** A region with phone numbers, as `countries()` lists them. */
export interface CountryInfo {
  /** ISO 3166-1 alpha-2, e.g. `FR`. */
  readonly countryIso: string;
  /** Country calling code, e.g. `33`. */
  readonly callingCode: number;
  /** An E.164 example (mobile) number of the region, for placeholders. */
  readonly exampleNumber: string;
  /** True for the region that owns its calling code (`US` for +1, `GB` for +44). */
  readonly main: boolean;
}

/** Parses a phone number (E.164, or national format with `countryIso`). */
export function parsePhoneNumber(input: string, countryIso?: string): PhoneCheck;

/**
 * Formats a phone number by libphonenumber's rules for its region.
 * @throws TypeError when the input cannot be parsed as a phone number.
 */
export function formatPhoneNumber(input: string, countryIso?: string, style?: PhoneNumberFormat): string;

/** Formats a phone number as it is typed (libphonenumber-js's `AsYouType`). */
export class AsYouType {
  constructor(countryIso?: string);
  /** Appends `text` to what was typed; returns all of it formatted. */
  input(text: string): string;
  /** The region of the number typed so far, once known. */
  getCountry(): string | undefined;
  /** Forgets what was typed. */
  reset(): this;
}

/** Every region with phone numbers, sorted by ISO code. */
export function countries(): CountryInfo[];
