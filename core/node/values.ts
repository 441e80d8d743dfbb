/**
 * Small readings of the values nodes pass each other, shared so every node reads them alike.
 * Browser-safe.
 */
import type { KeyValue } from './contract.ts';

/** A plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value when it is a plain object, else an empty one. */
export function objectOf(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

/** Key-value rows as an object; rows without a key are left out, keys without surrounding spaces. */
export function rowsToObject(rows: readonly KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const row of rows ?? []) {
    const key = row.key.trim();
    if (key !== '') out[key] = row.value;
  }
  return out;
}

/**
 * A URL a node is about to call, checked: not empty and absolute.
 * @throws Error naming the node, e.g. `HTTP Request: "crm/orders" is not a full URL (…)`.
 */
export function fullUrl(url: string, nodeTitle: string): string {
  if (url === '') throw new Error(`${nodeTitle}: the URL is empty`);
  try {
    new URL(url);
  } catch {
    throw new Error(`${nodeTitle}: "${url}" is not a full URL (it must start with http:// or https://)`);
  }
  return url;
}

/** Whether {@link omitEmpty} drops a value: an empty string, null, undefined, `[]` or `{}`. */
function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isObject(value) && Object.keys(value).length === 0;
}

/**
 * A body without its empty values — empty strings, nulls, empty lists and empty objects — at every
 * level, inner ones first, so an object left empty by the dropping goes too (JSON Build's and Form
 * Build's "omit empty"). `0` and `false` are values and stay. The input is not changed.
 * @example omitEmpty({ name: 'A', email: '', phones: [{ VALUE: '', TYPE: '' }], n: 0 }) // { name: 'A', n: 0 }
 */
export function omitEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(omitEmpty).filter((item) => !isEmptyValue(item));
  if (!isObject(value) || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kept = omitEmpty(item);
    if (!isEmptyValue(kept)) out[key] = kept;
  }
  return out;
}
