/**
 * The PostgreSQL connection pool every PostgreSQL backend module is given (never a global): one
 * per runtime process, sized by `LEADFLOW_DATABASE_POOL`.
 *
 * @example
 * const pool = openPgPool(process.env.LEADFLOW_DATABASE_URL!);
 * await migrate(pool, MIGRATIONS);
 * // at shutdown, after the stores are closed
 * await pool.end();
 */
import pg from 'pg';

/** The pool size when `LEADFLOW_DATABASE_POOL` is unset. */
export const DEFAULT_POOL_SIZE = 10;

/** `int8` (bigint ids, `count(*)`); PostgreSQL's own type OID. */
const INT8_OID = 20;

/**
 * The pool's type parsers: `int8` read as a JS number (ids stay far below 2^53), every other type
 * as `pg` reads it (`timestamptz` as a Date, `json`/`jsonb` parsed). Per pool, not `pg.types`'
 * global table, so nothing else in the process is changed by opening a pool.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** `LEADFLOW_DATABASE_POOL` read: a whole number of at least 1, {@link DEFAULT_POOL_SIZE} when unset; throws naming the variable. */
export function poolSizeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.LEADFLOW_DATABASE_POOL;
  if (value === undefined || value.trim() === '') return DEFAULT_POOL_SIZE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`LEADFLOW_DATABASE_POOL must be a whole number of at least 1, not "${value}"`);
  return n;
}

export interface PgPoolOptions {
  /** The most connections the pool opens; {@link poolSizeFromEnv} when omitted. */
  max?: number;
}

/**
 * A pool on `url` (`postgres://user:password@host:port/database`), connections named `leadflow`
 * in `pg_stat_activity`. An idle connection the server drops is discarded by the pool and the next
 * query opens another: the pool's `error` event is handled here, so a restarted server never
 * crashes the process between queries.
 */
export function openPgPool(url: string, options: PgPoolOptions = {}): pg.Pool {
  const max = options.max ?? poolSizeFromEnv();
  if (!Number.isInteger(max) || max < 1) throw new Error(`max must be a whole number of at least 1, not ${max}`);
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'leadflow', types });
  pool.on('error', () => {
    // an idle client lost its connection: the pool has already removed it
  });
  return pool;
}
