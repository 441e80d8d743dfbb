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
