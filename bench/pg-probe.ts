/**
 * The runtime child's reads of a PostgreSQL store (`bench/runtime-child.ts` on
 * `LEADFLOW_DATABASE_URL`): the same answers its SQLite reads give, over a connection of its own,
 * so that every runtime on the database answers for all of them. For the bench only.
 */
import { openPgPool } from '../runtime/store/pg/pool.ts';

/** Of the leads after an id, those still waiting for their delivery and those it refused. */
export interface Backlog {
  /** Still in `new`. */
  queued: number;
  /** In `cancel` or `trash`. */
  refused: number;
}

export interface StoreProbe {
  /** Leads with a greater id, counted by stage. */
  progress(afterId: number): Promise<Record<string, number>>;
  /** Of those leads, the integration's still `new` and those it refused: read from its stage index, so a poll costs the backlog. */
  backlog(afterId: number, integrationId: string): Promise<Backlog>;
  /** For those leads in `wait`: intake→wait times and execution durations. */
  deliveries(afterId: number): Promise<{
    count: number;
    firstCreated: number;
    lastWait: number;
    intakeToWaitMs: number[];
    executionMs: number[];
  }>;
  maxLeadId(): Promise<number>;
  close(): Promise<void>;
}

export function pgProbe(url: string): StoreProbe {
  // one connection: a poll every 50 ms while the bench waits, never a share of the runtime's own pool
  const pool = openPgPool(url, { max: 1 });
  return {
    async progress(afterId) {
      const { rows } = await pool.query<{ stage: string; n: number }>(
        'SELECT stage, count(*) AS n FROM leads WHERE id > $1 GROUP BY stage',
        [afterId],
      );
      return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
    },
    async backlog(afterId, integrationId) {
      const { rows } = await pool.query<{ queued: number; refused: number }>(
        `SELECT count(*) FILTER (WHERE stage = 'new')::int AS queued, count(*) FILTER (WHERE stage <> 'new')::int AS refused
         FROM leads WHERE integration_id = $1 AND stage IN ('new', 'cancel', 'trash') AND id > $2`,
        [integrationId, afterId],
      );
      return rows[0];
    },
    async deliveries(afterId) {
      const { rows: leads } = await pool.query<{ created: number; waited: number }>(
        `SELECT extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM updated_at) * 1000 AS waited
         FROM leads WHERE id > $1 AND stage = 'wait'`,
        [afterId],
      );
      const { rows: executions } = await pool.query<{ duration_ms: number }>('SELECT duration_ms FROM executions WHERE lead_id > $1', [
        afterId,
      ]);
      // extract() answers numeric, which pg reads as a string
      const created = leads.map((l) => Number(l.created));
      const waited = leads.map((l) => Number(l.waited));
      return {
        count: leads.length,
        firstCreated: created.reduce((a, b) => Math.min(a, b), Infinity),
        lastWait: waited.reduce((a, b) => Math.max(a, b), 0),
        intakeToWaitMs: leads.map((_, i) => waited[i] - created[i]),
        executionMs: executions.map((e) => e.duration_ms),
      };
    },
    async maxLeadId() {
      const { rows } = await pool.query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM leads');
      return rows[0].id;
    },
    close: () => pool.end(),
  };
}
