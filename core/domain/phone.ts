/**
 * Reading a phone number in E.164, the one rule the intake (a lead's `phoneE164`) and the
 * template filter `e164` share.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** What reading a phone gave: the number in E.164, or why there is none. */
export type PhoneReading = { e164: string } | { problem: 'no_country' | 'not_possible' };

/**
 * Reads a phone against a country (ISO alpha-2, any case) when it has no `+`.
 * The rule is libphonenumber's `isPossible` (a length the numbering plan allows), not `isValid`
 * (a number range in use): ranges change faster than the metadata, and a real but newly
 * allocated number must not be refused. A `+` number is read by its own calling code.
 * @example readPhone('0151 2345678', 'de') // { e164: '+491512345678' }
 */
export function readPhone(phone: string, country: string | undefined): PhoneReading {
  const region = country ? (country.toUpperCase() as CountryCode) : undefined;
  if (!phone.trim().startsWith('+') && !region) return { problem: 'no_country' };
  let number;
  try {
    number = parsePhoneNumberFromString(phone, region);
  } catch {
    return { problem: 'not_possible' };
  }
  if (!number || !number.isPossible()) return { problem: 'not_possible' };
  return { e164: number.number };
}
