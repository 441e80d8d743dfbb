/**
 * The template filters, by name, with the help the editor shows. A filter gets the value, its
 * arguments (literals, or paths already resolved against the scope) and the scope itself (so
 * `e164` can default to the lead's country).
 */
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { readPhone } from '../domain/phone.ts';
import { formatPhpDate, phpUrlencode, toDate } from './php.ts';

export interface FilterSpec {
  /** One line with an example, shown by the editor's completion and in the README. */
  help: string;
  run(value: unknown, args: unknown[], scope: Record<string, unknown>): unknown;
}

/** How a value is written inside a larger template. */
export function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const text = (value: unknown): string => stringify(value);

/** A value as a number, or undefined when it is not one ("12,5" reads as 12.5). */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const written = text(value).trim();
  if (written === '') return undefined;
  const n = Number(written.replace(',', '.'));
  return Number.isNaN(n) ? undefined : n;
}

/** Arithmetic on two numbers; a side that is not a number makes the result empty. */
function arithmetic(op: (a: number, b: number) => number) {
  return (v: unknown, [other]: unknown[]) => {
    const a = numberOf(v);
    const b = numberOf(other);
    if (a === undefined || b === undefined) return undefined;
    const result = op(a, b);
    return Number.isFinite(result) ? result : undefined;
  };
}

/** A comparison: numbers when both sides are numbers, else their text. */
function comparison(test: (order: number) => boolean) {
  return (v: unknown, [other]: unknown[]) => {
    const a = numberOf(v);
    const b = numberOf(other);
    if (a !== undefined && b !== undefined) return test(a - b);
    const x = text(v);
    const y = text(other);
    return test(x < y ? -1 : x > y ? 1 : 0);
  };
}

const hash = (fn: (bytes: Uint8Array) => Uint8Array) => (v: unknown) => bytesToHex(fn(utf8ToBytes(text(v))));

const NAME_PARTS = (v: unknown) => text(v).trim().split(/\s+/).filter(Boolean);

/** A random index below `n`, from the platform's cryptographic source, without modulo bias. */
function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const word = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(word);
    if (word[0] < limit) return word[0] % n;
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A slice of a list or a text, by index from 0; negative indexes count from the end. */
function sliceOf(v: unknown, start: unknown, end: unknown): unknown {
  const from = numberOf(start) ?? 0;
  const to = end === undefined ? undefined : numberOf(end);
  if (Array.isArray(v)) return v.slice(from, to);
  return Array.from(text(v)).slice(from, to).join('');
}

export const FILTERS: Record<string, FilterSpec> = {
  digits: { help: 'Only the digits: "+49 (30) 1234" → "49301234"', run: (v) => text(v).replace(/\D+/g, '') },
  upper: { help: 'Upper case', run: (v) => text(v).toUpperCase() },
  lower: { help: 'Lower case', run: (v) => text(v).toLowerCase() },
  trim: { help: 'Without surrounding spaces', run: (v) => text(v).trim() },
  urlencode: { help: "URL-encoded as PHP's urlencode does (space → +)", run: (v) => phpUrlencode(text(v)) },
  json: { help: 'Written as JSON', run: (v) => JSON.stringify(v ?? null) },
  default: {
    help: 'A fallback when the value is missing or empty: default:"none"',
    run: (v, [fallback]) => (v === undefined || v === null || v === '' ? fallback : v),
  },
  date: {
    help: 'Formatted with PHP date characters, optionally in a time zone: date:"Y-m-d H:i:s","Europe/Berlin"',
    run: (v, [format = 'Y-m-d H:i:s', zone = 'UTC']) => {
      const date = toDate(v);
      return date ? formatPhpDate(date, String(format), String(zone)) : '';
    },
  },
  join: {
    help: 'An array joined into text: join:","',
    run: (v, [separator = ',']) => (Array.isArray(v) ? v.map(text).join(String(separator)) : text(v)),
  },
  number: { help: 'As a number (empty when it is not one)', run: (v) => numberOf(v) },

  // arithmetic and comparison: enough for paging (`batch.page | add:1`) and "last page" tests
  add: { help: 'Plus a number: {{batch.offset | add:50}}', run: arithmetic((a, b) => a + b) },
  sub: { help: 'Minus a number: {{batch.page | sub:1}}', run: arithmetic((a, b) => a - b) },
  mul: { help: 'Times a number: {{batch.page | sub:1 | mul:50}}', run: arithmetic((a, b) => a * b) },
  div: { help: 'Divided by a number (empty for 0): {{lead.goods[0].price | div:100}}', run: arithmetic((a, b) => (b === 0 ? NaN : a / b)) },
  eq: { help: 'true when equal: {{input.body.status | eq:"ok"}}', run: comparison((o) => o === 0) },
  ne: { help: 'true when not equal: {{input.body.code | ne:0}}', run: comparison((o) => o !== 0) },
  gt: { help: 'true when greater: {{input.body.count | gt:0}}', run: comparison((o) => o > 0) },
  gte: { help: 'true when greater or equal: {{batch.page | gte:input.body.totalPages}}', run: comparison((o) => o >= 0) },
  lt: { help: 'true when less: {{input.body.count | lt:50}}', run: comparison((o) => o < 0) },
  lte: { help: 'true when less or equal: {{input.body.page | lte:1}}', run: comparison((o) => o <= 0) },

  // value helpers
  split: {
    help: 'Text split into a list, optionally one part by index from 0 (negative from the end): {{lead.name | split:" ",0}}',
    run: (v, [separator = ',', index]) => {
      const parts = text(v).split(String(separator));
      if (index === undefined) return parts;
      const i = numberOf(index) ?? 0;
      return parts.at(i);
    },
  },
  first_name: { help: 'The first word of a full name: "Anna Maria Weber" → "Anna"', run: (v) => NAME_PARTS(v)[0] ?? '' },
  last_name: {
    help: 'The rest of a full name after the first word: "Anna Maria Weber" → "Maria Weber" ("" for one word)',
    run: (v) => NAME_PARTS(v).slice(1).join(' '),
  },
  replace: {
    help: 'Every occurrence of a text replaced (plain text, not a pattern): {{lead.phone | replace:" ",""}}',
    run: (v, [search = '', replacement = '']) => (text(search) === '' ? text(v) : text(v).split(text(search)).join(text(replacement))),
  },
  slice: {
    help: 'Part of a text or list, from an index (0 first) up to another, not included: {{lead.phone | slice:-10}}, {{lead.name | slice:0,20}}',
    run: (v, [start, end]) => sliceOf(v, start, end),
  },
  uuid: { help: 'A new random UUID (v4), whatever the value: {{now | uuid}}', run: () => crypto.randomUUID() },
  random: {
    help: 'A new random text of a length (default 12) from an alphabet (default letters and digits): {{now | random:16}}, {{now | random:6,"0123456789"}}',
    run: (_v, [length = 12, alphabet = ALPHANUMERIC]) => {
      const n = Math.max(1, Math.min(256, Math.floor(numberOf(length) ?? 12)));
      const chars = Array.from(text(alphabet) || ALPHANUMERIC);
      let out = '';
      for (let i = 0; i < n; i++) out += chars[randomBelow(chars.length)];
      return out;
    },
  },
  e164: {
    help: 'A phone in E.164 (+491512345678), read against the lead\'s country or the one given: {{lead.phone | e164}}, {{lead.phone | e164:"DE"}}; empty when it cannot be read',
    run: (v, [country], scope) => {
      const lead = scope.lead as { country?: unknown } | undefined;
      const region = country !== undefined && country !== '' ? text(country) : typeof lead?.country === 'string' ? lead.country : undefined;
      const reading = readPhone(text(v), region);
      return 'e164' in reading ? reading.e164 : undefined;
    },
  },
  md5: { help: 'The MD5 of the value, hex: {{lead.email | lower | md5}}', run: hash(md5) },
  sha1: { help: 'The SHA-1 of the value, hex', run: hash(sha1) },
  sha256: { help: 'The SHA-256 of the value, hex', run: hash(sha256) },
};
