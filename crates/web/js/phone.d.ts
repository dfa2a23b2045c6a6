// Types of the phone functions, in both entries of the npm package: `smsotp/phone` (these
// only) and `smsotp` (everything). `PhoneCheck` is generated from smsotp-core's Rust type.
import type { CountryInfo, PhoneCheck } from './types.js';

export type { CountryInfo, NumberType, PhoneCheck } from './types.js';

/** libphonenumber-js's format names. */
export type PhoneNumberFormat = 'E.164' | 'INTERNATIONAL' | 'NATIONAL';

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
