/**
 * What the configuration store's modules share: one transaction on one client of the caller's
 * pool, and the change notification every write sends inside it.
 */
import type pg from 'pg';
import type { ConfigChange } from '../types.ts';

/** The channel configuration writes notify on; its payload is a {@link ConfigChange} as JSON. */
export const CONFIG_CHANNEL = 'leadflow_config';

/** A client inside a transaction, or the pool for a single statement. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Runs `work` in one transaction on one client of `pool`: committed when it resolves, rolled back
 * when it throws, the client released either way.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Tells every listening runtime of a change, when the transaction it runs in commits (PostgreSQL
 * holds a notification back until then and drops it on a rollback, and sends identical ones of
 * one transaction once).
 */
export async function notifyChange(client: Queryable, change: ConfigChange): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, JSON.stringify(change)]);
}

/** A timestamptz as the interface gives times: an ISO string. */
export function isoTime(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
