/**
 * One transaction on one client of the pool: `BEGIN … COMMIT`, ROLLBACK on error, the client
 * released in `finally`. What every write of several rows runs in (the PostgreSQL conventions).
 */
import type pg from 'pg';

/** Where a statement runs: the pool (its own transaction) or a client inside one. */
export type Queryable = pg.Pool | pg.ClientBase;

/** SQLSTATEs after which the whole transaction may simply run again: nothing of it was kept. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** How often a transaction PostgreSQL aborted as a deadlock victim is run again before its error is thrown. */
const ATTEMPTS = 3;

/**
 * Runs `work` in a transaction on one client and answers what it answered, once committed. A
 * transaction PostgreSQL aborted to break a deadlock (or a serialization failure) is run again
 * from the start, up to {@link ATTEMPTS} times; any other error rolls back and is thrown.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt < ATTEMPTS && typeof code === 'string' && RETRYABLE.has(code)) continue;
      throw error;
    } finally {
      // a client whose ROLLBACK failed lost its connection: destroyed, not given back
      client.release(broken);
    }
  }
}
