/**
 * Finding a lead by what an operator has at hand: a phone in any format, an email, our id, or the
 * id a target knows it by. The store keeps each lead's search keys ({@link leadSearchKeys}) in
 * indexed columns; a query is read into the exact keys it could mean ({@link leadSearchTerms}), so
 * every lookup is an index seek, whatever the number of leads.
 */
import type { LeadInput } from './lead.ts';
import { readPhone } from './phone.ts';

/** A lead's keys as the store indexes them. */
export interface LeadSearchKeys {
  /** The phone in E.164 (the intake's `phoneE164`, else the phone read against the lead's country). */
  phone?: string;
  /** The email, trimmed and lower-cased: an address is found whatever case it was typed in. */
  email?: string;
}

/** What a search box's text could be: each one looked up exactly, a lead matching any is found. */
export interface LeadSearchTerms {
  /** Our id, when the text is a whole number. */
  id?: number;
  /** The E.164 numbers the text could be (a national number read against each country given). */
  phones: string[];
  email?: string;
  /** An external id (the target's), as typed. */
  eid?: string;
}

/** The email as the store indexes and a search compares it. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** The search keys of a lead's fields. */
export function leadSearchKeys(input: Pick<LeadInput, 'phone' | 'phoneE164' | 'country' | 'email'>): LeadSearchKeys {
  const keys: LeadSearchKeys = {};
  const phone = input.phoneE164 ?? (input.phone ? e164Of(input.phone, input.country) : undefined);
  if (phone) keys.phone = phone;
  if (input.email && input.email.trim() !== '') keys.email = emailKey(input.email);
  return keys;
}

/**
 * Reads a search box's text into the keys it could mean. A phone is read by the kernel's phone
 * rule ({@link readPhone}): with `+` (or `00`) by its own calling code, digits alone also as an
 * international number without its `+`, and a national number (`0151 2345678`) against each of
 * `countries` (the offers' geos). Undefined for empty text.
 * @example leadSearchTerms('0151 234-5678', ['de']) // { phones: ['+491512345678'], eid: '0151 234-5678' }
 * @example leadSearchTerms('Ann@Example.com', []) // { phones: [], email: 'ann@example.com', eid: 'Ann@Example.com' }
 */
export function leadSearchTerms(text: string, countries: readonly string[]): LeadSearchTerms | undefined {
  const q = text.trim();
  if (q === '') return undefined;
  const terms: LeadSearchTerms = { phones: [], eid: q };
  if (/^\d{1,15}$/.test(q)) terms.id = Number(q);
  if (q.includes('@')) terms.email = emailKey(q);
  const digits = q.replace(/[\s().\-/]/g, '');
  if (/^\+?\d{5,17}$/.test(digits)) {
    const phones = new Set<string>();
    const add = (phone: string, country?: string) => {
      const e164 = e164Of(phone, country);
      if (e164) phones.add(e164);
    };
    if (digits.startsWith('+')) add(digits);
    else if (digits.startsWith('00')) add(`+${digits.slice(2)}`);
    else {
      add(`+${digits}`);
      for (const country of countries) add(digits, country);
    }
    terms.phones = [...phones];
  }
  return terms;
}

function e164Of(phone: string, country: string | undefined): string | undefined {
  const reading = readPhone(phone, country);
  return 'e164' in reading ? reading.e164 : undefined;
}
