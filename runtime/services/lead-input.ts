/**
 * The intake's check of an incoming lead: JSON or form fields in, a clean {@link LeadInput} out,
 * or a {@link DomainError} naming the first bad field. Fields we do not know are kept in `meta`,
 * so nothing a webmaster sends is lost — within {@link CUSTOM_FIELD_LIMITS}, since they come from
 * the internet and are stored and shown as they are.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { LeadInput } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { readPhone } from '../../core/domain/phone.ts';
import countries from 'i18n-iso-countries';

const text = (maxLength = 255) => ({ type: 'string', maxLength });

const KNOWN_FIELDS = {
  offer: { type: 'string', minLength: 1, maxLength: 64 },
  wm: text(64),
  flow: text(64),
  name: text(),
  phone: { type: 'string', maxLength: 32, pattern: '^\\+?[0-9()\\-. ]*$' },
  email: { type: 'string', maxLength: 255, format: 'email' },
  country: { type: 'string', pattern: '^[A-Za-z]{2}$' },
  ip: { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
  ua: text(1024),
  city: text(),
  region: text(),
  street: text(),
  zip: text(32),
  address: text(1024),
  comment: text(2048),
  subid: text(),
  sub1: text(),
  sub2: text(),
  sub3: text(),
  sub4: text(),
  sub5: text(),
  utm_source: text(),
  utm_medium: text(),
  utm_campaign: text(),
  utm_content: text(),
  utm_term: text(),
  order_id: { type: 'string', minLength: 1, maxLength: 128 },
  meta: { type: 'object' },
  goods: {
    type: 'array',
    maxItems: 100,
    items: {
      type: 'object',
      required: ['product'],
      additionalProperties: false,
      properties: {
        product: { type: 'string', minLength: 1, maxLength: 255 },
        count: { type: 'integer', minimum: 1, default: 1 },
        price: { type: 'number', minimum: 0 },
      },
    },
  },
} as const;

/**
 * What a lead's custom fields (`meta` and the fields we do not know) may hold, together. Each
 * refusal names the field (`meta.a.b`, `sub_id[2]`).
 */
export const CUSTOM_FIELD_LIMITS = {
  /** Their JSON, in bytes. */
  bytes: 16 * 1024,
  /** Keys and array items, at every level. */
  entries: 200,
  /** Levels of nesting: `meta.a` is 1, `meta.a.b` is 2. */
  depth: 5,
  /** Characters of one string value. */
  stringLength: 2048,
} as const;

/** ISO 3166-1 alpha-2 codes, upper case. */
const COUNTRY_CODES = new Set(Object.keys(countries.getAlpha2Codes()));

/** Fields the intake derives itself: what a lead sends under these names is not taken. */
const DERIVED_FIELDS = new Set(['phoneE164']);

/**
 * The phone in E.164, or undefined when it cannot be read (a national number without a country),
 * by the kernel's {@link readPhone}: a `+` number is read by its own calling code, so a lead abroad
 * with a phone from home is kept.
 * @throws DomainError `invalid_field` naming `phone` for a number that cannot be possible.
 */
function phoneE164Of(phone: string, country: string | undefined): string | undefined {
  const reading = readPhone(phone, country);
  if ('e164' in reading) return reading.e164;
  if (reading.problem === 'no_country') return undefined;
  const international = phone.trim().startsWith('+');
  throw refuse(
    'phone',
    international || !country ? 'is not a possible phone number' : `is not a possible phone number in ${country.toUpperCase()}`,
  );
}

/** Keys that would reach an object's prototype wherever the lead is merged or copied. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const refuse = (field: string, message: string) => new DomainError('invalid_field', message, { field });

/** Walks one custom field, refusing forbidden keys, too deep nesting, long strings and too many entries. */
function checkCustom(value: unknown, field: string, depth: number, count: { entries: number }): void {
  if (typeof value === 'string') {
    if (value.length > CUSTOM_FIELD_LIMITS.stringLength)
      throw refuse(field, `is longer than ${CUSTOM_FIELD_LIMITS.stringLength} characters`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= CUSTOM_FIELD_LIMITS.depth) throw refuse(field, `nests deeper than ${CUSTOM_FIELD_LIMITS.depth} levels`);
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [`${field}[${i}]`, item])
    : Object.keys(value).map((key) => {
        if (FORBIDDEN_KEYS.has(key)) throw refuse(`${field}.${key}`, 'is not allowed as a key');
        return [`${field}.${key}`, (value as Record<string, unknown>)[key]];
      });
  for (const [path, item] of entries) {
    count.entries += 1;
    if (count.entries > CUSTOM_FIELD_LIMITS.entries) throw refuse(path, `makes more than ${CUSTOM_FIELD_LIMITS.entries} custom fields`);
    checkCustom(item, path, depth + 1, count);
  }
}

const ajv = new Ajv({ allErrors: false, coerceTypes: true, useDefaults: true, strict: false });
addFormats.default(ajv, ['email', 'ipv4', 'ipv6']);
const check = ajv.compile({ type: 'object', required: ['offer'], properties: KNOWN_FIELDS });

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p, i) => (i > 0 && /^\d+$/.test(p) ? `[${p}]` : (i > 0 ? '.' : '') + p))
    .join('');
  if (error.keyword === 'required') return path ? `${path}.${error.params.missingProperty}` : String(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') return `${path}.${error.params.additionalProperty}`;
  return path || '(lead)';
}

function messageOf(error: ErrorObject, field: string): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a field of a product';
  if (field === 'phone' && error.keyword === 'pattern') return 'must be a phone number (digits, spaces, +, -, brackets)';
  if (field === 'country') return 'must be a two-letter country code such as de';
  if (field === 'ip') return 'must be an IPv4 or IPv6 address';
  if (field === 'email') return 'must be an email address';
  return error.message ?? 'is invalid';
}

/**
 * Checks and normalises a lead: country an ISO 3166-1 code, in lower case; at least a phone or
 * an email; the phone a possible number (for the country, when it has no `+`), its E.164 form
 * beside it in `phoneE164`; unknown fields moved into `meta`.
 * @throws DomainError `invalid_field` naming the field.
 */
export function parseLeadInput(raw: unknown): LeadInput {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DomainError('invalid_field', 'the lead must be a JSON object or form fields', { field: '(lead)' });
  }
  const lead: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  const count = { entries: 0 };
  for (const [key, value] of Object.entries(raw)) {
    if (value === '' || value === null || value === undefined) continue;
    if (FORBIDDEN_KEYS.has(key)) throw refuse(key, 'is not allowed as a key');
    if (DERIVED_FIELDS.has(key)) continue;
    if (Object.hasOwn(KNOWN_FIELDS, key)) lead[key] = value;
    else {
      count.entries += 1;
      if (count.entries > CUSTOM_FIELD_LIMITS.entries) throw refuse(key, `makes more than ${CUSTOM_FIELD_LIMITS.entries} custom fields`);
      checkCustom(value, key, 1, count);
      extra[key] = value;
    }
  }
  const meta = lead.meta;
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) checkCustom(meta, 'meta', 0, count);
  if (Object.keys(extra).length) lead.meta = { ...extra, ...(lead.meta as object | undefined) };
  if (lead.meta !== undefined && Buffer.byteLength(JSON.stringify(lead.meta)) > CUSTOM_FIELD_LIMITS.bytes) {
    throw refuse('meta', `the custom fields together are larger than ${CUSTOM_FIELD_LIMITS.bytes / 1024} KB`);
  }
  if (!check(lead)) {
    const error = (check.errors as ErrorObject[])[0];
    const field = fieldOf(error);
    throw new DomainError('invalid_field', messageOf(error, field), { field });
  }
  const input = lead as unknown as LeadInput;
  if (!input.phone && !input.email) throw new DomainError('invalid_field', 'is required (or an email)', { field: 'phone' });
  if (input.phone && input.phone.replace(/\D/g, '').length < 5) {
    throw new DomainError('invalid_field', 'must have at least 5 digits', { field: 'phone' });
  }
  if (input.country) {
    if (!COUNTRY_CODES.has(input.country.toUpperCase())) {
      throw refuse('country', 'is not an ISO 3166-1 country code (two letters, such as de)');
    }
    input.country = input.country.toLowerCase();
  }
  if (input.phone) {
    const e164 = phoneE164Of(input.phone, input.country);
    if (e164) input.phoneE164 = e164;
  }
  return input;
}
