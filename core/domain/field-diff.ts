/**
 * What a record changed, field by field: its before and after flattened to dotted paths
 * (`settings.base_url`, `offers[0]`), each path once, with the value on each side. The audit log
 * shows its entries with it (both sides stored with secrets already replaced, so nothing here hides
 * anything), and a flow's versions are compared node by node with it (`core/flow/diff.ts`).
 */

/** One field of an entry: absent on a side where the resource did not have it. */
export interface FieldChange {
  path: string;
  before?: string;
  after?: string;
  changed: boolean;
}

/**
 * Every leaf of both sides, in the order they appear (after's new fields last), changed ones marked.
 * @example auditDiff({ url: '/a', method: 'POST' }, { url: '/b', method: 'POST' })
 * // → [{ path: 'url', before: '/a', after: '/b', changed: true }, { path: 'method', before: 'POST', after: 'POST', changed: false }]
 */
export function auditDiff(before: unknown, after: unknown): FieldChange[] {
  const old = flatten(before);
  const now = flatten(after);
  const paths = [...new Set([...old.keys(), ...now.keys()])];
  return paths.map((path) => ({ path, before: old.get(path), after: now.get(path), changed: old.get(path) !== now.get(path) }));
}

function flatten(value: unknown, prefix = '', into = new Map<string, string>()): Map<string, string> {
  if (value === undefined) return into;
  if (Array.isArray(value)) {
    if (value.length === 0) into.set(prefix || '(value)', '[]');
    value.forEach((item, i) => flatten(item, `${prefix}[${i}]`, into));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    // a secret is one field: `{ "set": true }` reads as "set", not as a path of its own
    if (isSecretMark(value)) into.set(prefix, (value as { changed?: boolean }).changed ? 'set (changed)' : 'set');
    else if (entries.length === 0) into.set(prefix || '(value)', '{}');
    else for (const [key, item] of entries) flatten(item, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into.set(prefix || '(value)', typeof value === 'string' ? value : JSON.stringify(value));
  }
  return into;
}

function isSecretMark(value: object): boolean {
  const keys = Object.keys(value);
  return (value as { set?: unknown }).set === true && keys.every((k) => k === 'set' || k === 'changed');
}
