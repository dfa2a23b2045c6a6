// Types of the phone functions, in both entries of the npm package: `smsotp/phone` (these
// only) and `smsotp` (everything). `PhoneCheck` is generated from smsotp-core's Rust type.
import type { CountryInfo, PhoneCheck } from './types.js';

export type { CountryInfo, NumberType, PhoneCheck } from './types.js';

/** libphonenumber-js's format names. */
export type PhoneNumberFormat = 'E.164' | 'INTERNATIONAL' | 'NATIONAL';

/**
 * Parses a phone number (E.164, or national format with `countryIso`).
 * @throws MetadataMissingError when its region is not loaded (see `loadCountries`).
 */
export function parsePhoneNumber(input: string, countryIso?: string): PhoneCheck;

/**
 * Formats a phone number by libphonenumber's rules for its region.
 * @throws TypeError when the input cannot be parsed as a phone number.
 * @throws MetadataMissingError when its region is not loaded (see `loadCountries`).
 */
export function formatPhoneNumber(input: string, countryIso?: string, style?: PhoneNumberFormat): string;

/** Formats a phone number as it is typed (libphonenumber-js's `AsYouType`). */
export class AsYouType {
  constructor(countryIso?: string);
  /**
   * Appends `text` to what was typed; returns all of it formatted.
   * @throws MetadataMissingError when a region it needs is not loaded; what was typed is
   * kept, and the next `input` after `loadCountries` formats all of it.
   */
  input(text: string): string;
  /** The region of the number typed so far, once known. */
  getCountry(): string | undefined;
  /** Forgets what was typed. */
  reset(): this;
}

/** Every region with phone numbers, sorted by ISO code (needs no region loaded). */
export function countries(): CountryInfo[];

/**
 * Loads the phone metadata of these regions (ISO 3166-1 alpha-2 codes), with the regions
 * their numbers also need (the main region of a shared calling code: US for CA). Each
 * region is fetched once (read from disk in Node); then the functions above answer
 * synchronously for it.
 * @throws TypeError (rejected) for a code that is not a region with phone numbers.
 */
export function loadCountries(countryIsos: readonly string[]): Promise<void>;

/** Loads every region's phone metadata (servers, tests): 245 small assets. */
export function loadAllCountries(): Promise<void>;

/**
 * What the phone functions (and, in `smsotp`, `validateOtpRequest` and `renderMessage`)
 * throw when the answer needs a region whose metadata is not loaded: no other answer is
 * given and nothing is loaded silently. `await loadCountries([error.country])`, then ask again.
 */
export interface MetadataMissingError extends Error {
  code: 'METADATA_MISSING';
  /** The region to load (ISO 3166-1 alpha-2). */
  country: string;
}
