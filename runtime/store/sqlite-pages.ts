/**
 * The SQLite lead store's newest-first pages of its logs (`executions`, `audit`) and the page size
 * every list of the store takes. Kept apart from sqlite.ts so the one rule of how a log is paged
 * reads in one place.
 */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** A filter of a page: its parameter's name, its SQL clause, and its value (undefined: not used). */
export type PageFilter = [string, string, unknown];

/** A list's page size: the caller's limit, floored and capped, or the default. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return DEFAULT_LIMIT;
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

export function prepareLogPages(db: SqliteDatabase) {
  /** Statements for the filter combinations of the list queries, prepared on first use. */
  const listStatements = new Map<string, Statement>();
  /**
   * A newest-first page of `table` with the filters that have a value. Each combination of filters
   * is its own statement, prepared once, so SQLite can pick the matching index (a catch-all
   * `(@x IS NULL OR col = @x)` would defeat it).
   */
  return function page(
    table: 'executions' | 'audit',
    filters: Array<PageFilter>,
    limit: number | undefined,
    cacheTag: string = table,
  ): unknown[] {
    const used = filters.filter(([, , value]) => value !== undefined);
    const cacheKey = `${cacheTag}:${used.map(([name]) => name).join(',')}`;
    let statement = listStatements.get(cacheKey);
    if (!statement) {
      const where = used.length ? `WHERE ${used.map(([, clause]) => clause).join(' AND ')}` : '';
      statement = db.prepare(`SELECT * FROM ${table} ${where} ORDER BY id DESC LIMIT @limit`);
      listStatements.set(cacheKey, statement);
    }
    const params: Record<string, unknown> = { limit: pageSize(limit) };
    for (const [name, , value] of used) params[name] = value;
    return statement.all(params);
  };
}

/** See {@link prepareLogPages}. */
export type LogPages = ReturnType<typeof prepareLogPages>;
