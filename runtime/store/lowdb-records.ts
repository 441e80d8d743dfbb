/**
 * How the embedded configuration store shares and replaces its records: a record read on the hot
 * paths is the stored one, frozen; a write builds new arrays and objects instead of changing any in
 * place, so what a write changed is told by which records are no longer the same objects. Kept
 * apart from lowdb.ts, which keeps to both rules.
 */
import type { ConfigChange, ConfigChangeKind } from './types.ts';
import type { ConfigData } from './lowdb-file.ts';

const frozenRecords = new WeakSet<object>();

/**
 * The stored record itself, frozen whole (once), for the lookups every lead makes (its intake
 * key's source, its offer, its integration): a copy per lead cost more than the lookup, and a frozen
 * record keeps what the copy kept — no caller can change the store's state by writing to it (a
 * write throws, modules being strict). The store never writes to a record in place either: a
 * change builds new objects (see `LowdbConfigStore.change` in lowdb.ts).
 */
export function frozen<T extends object>(record: T): T {
  if (frozenRecords.has(record)) return record;
  const freeze = (value: unknown) => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
    Object.freeze(value);
    for (const item of Object.values(value)) freeze(item);
  };
  freeze(record);
  frozenRecords.add(record);
  return record;
}

/** What a write changed, by kind and id: its `apply` (lowdb.ts) replaces the records it changes and keeps the others as they were (the same objects). */
export function changesBetween(before: ConfigData, after: ConfigData): ConfigChange[] {
  const collections: { [K in keyof ConfigData]: [ConfigChangeKind, (record: ConfigData[K][number]) => string] } = {
    offers: ['offer', (o) => o.id],
    integrations: ['integration', (i) => i.id],
    webmasters: ['webmaster', (w) => w.id],
    sources: ['source', (s) => s.id],
    flows: ['flow', (f) => f.id],
    drafts: ['draft', (d) => d.flowId],
    users: ['user', (u) => u.id],
    sessions: ['session', (s) => s.userId],
  };
  const changes: ConfigChange[] = [];
  for (const name of Object.keys(collections) as (keyof ConfigData)[]) {
    if (before[name] === after[name]) continue;
    const [kind, idOf] = collections[name] as [ConfigChangeKind, (record: unknown) => string];
    const [old, now] = [new Set<unknown>(before[name]), new Set<unknown>(after[name])];
    const ids = new Set([...after[name]].filter((r) => !old.has(r)).map(idOf));
    for (const record of before[name]) if (!now.has(record)) ids.add(idOf(record));
    for (const id of ids) changes.push({ kind, id });
  }
  return changes;
}

/** A copy of `items` with `item` at `index`, or appended when `index` is negative (no such record). */
export function replaceAt<T>(items: readonly T[], index: number, item: T): T[] {
  if (index < 0) return [...items, item];
  const copy = items.slice();
  copy[index] = item;
  return copy;
}
