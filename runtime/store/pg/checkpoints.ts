/**
 * Where each recurring piece of work stopped (a date-range status check's last window end), on
 * PostgreSQL, shared by every runtime process on the database: the process that runs the next
 * check goes on from where another one stopped. Schema: version 12 of {@link LOG_MIGRATIONS}.
 *
 * @example
 * const checkpoints = new PgCheckpointStore(pool);
 * await checkpoints.setCheckpoint('range:crm', '2026-12-01T10:00:00.000Z');
 * await checkpoints.getCheckpoint('range:crm'); // '2026-12-01T10:00:00.000Z'
 */
import type { Pool } from 'pg';
import type { CheckpointStore } from '../types.ts';

export class PgCheckpointStore implements CheckpointStore {
  /** The pool is the caller's: it opens and ends it. */
  constructor(private readonly pool: Pool) {}

  async getCheckpoint(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>({
      name: 'lf-checkpoint-get',
      text: 'SELECT value FROM checkpoints WHERE key = $1',
      values: [key],
    });
    return rows[0]?.value;
  }

  /** Stores the value, replacing the key's earlier one; committed when it resolves. */
  async setCheckpoint(key: string, value: string): Promise<void> {
    await this.pool.query({
      name: 'lf-checkpoint-set',
      text: `INSERT INTO checkpoints (key, value, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      values: [key, value],
    });
  }
}
