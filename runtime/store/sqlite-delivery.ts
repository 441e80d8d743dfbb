/**
 * The SQLite lead store's delivery queries: an integration's delivery counts, the delivery-state
 * filter of the lead list, and resending leads (their `lead.new` job put back in the queue, made
 * anew). Kept apart from sqlite.ts, which they extend, so the rule they mirror reads in one place.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DeliveryCounts } from './types.ts';
import type { DeliveryState } from '../../core/domain/delivery.ts';

/** The kinds a delivery is (the jobs the delivery handler runs), counted per integration. */
const DELIVERY_KINDS = `('lead.new', 'lead.update', 'lead.approved')`;

/**
 * A lead's delivery state in SQL, over `leads` in the enclosing query: the kernel's
 * `deliveryState` (core/domain/delivery.ts) of its latest `lead.new` job, NULL without one.
 */
export const DELIVERY_STATE_SQL = `(SELECT CASE
    WHEN leads.stage <> 'new' OR j.state = 'done' THEN 'delivered'
    WHEN j.state = 'failed' THEN 'failed'
    WHEN j.attempts > (CASE WHEN j.state = 'running' THEN 1 ELSE 0 END) THEN 'retrying'
    ELSE 'queued' END
  FROM jobs j WHERE j.lead_id = leads.id AND j.kind = 'lead.new' ORDER BY j.id DESC LIMIT 1)`;

export function prepareDelivery(db: SqliteDatabase) {
  // one range of jobs_integration_state per integration, read from the index alone (`state <> 'done'`
  // is its partial index's own condition: SQLite uses it only for a query that says so)
  const counts = db.prepare(
    `SELECT
       count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) FILTER (WHERE state = 'queued' AND attempts > 0) AS retrying
     FROM jobs WHERE integration_id = @integration AND state IN ('failed', 'queued') AND state <> 'done' AND kind IN ${DELIVERY_KINDS}`,
  );
  // the latest lead.new job of a lead still new, unless it is running: queued again as if new
  // (attempts and error cleared, its age counted from now), so the integration's limits apply afresh
  const resend = db.prepare(
    `UPDATE jobs SET state = 'queued', attempts = 0, last_error = NULL, worker = NULL, lease_until = NULL,
       run_at = @now, created_at = @now, updated_at = @now
     WHERE id = (SELECT max(id) FROM jobs WHERE lead_id = @lead AND kind = 'lead.new')
       AND state <> 'running'
       AND (SELECT stage FROM leads WHERE id = @lead) = 'new'`,
  );
  const resendMany = db.transaction((leadIds: readonly number[], now: string) =>
    leadIds.filter((lead) => resend.run({ lead, now }).changes > 0),
  );
  const states = db.prepare(`SELECT id, ${DELIVERY_STATE_SQL} AS delivery FROM leads WHERE id IN (SELECT value FROM json_each(@ids))`);
  return {
    /** The delivery state of each of the leads that has one. */
    states: (leadIds: readonly number[]): Record<number, DeliveryState> => {
      const rows = states.all({ ids: JSON.stringify(leadIds) }) as { id: number; delivery: DeliveryState | null }[];
      const result: Record<number, DeliveryState> = {};
      for (const row of rows) if (row.delivery !== null) result[row.id] = row.delivery;
      return result;
    },
    counts: (integration: string): DeliveryCounts => counts.get({ integration }) as DeliveryCounts,
    /** Resends those of `leadIds` it can, in one transaction; answers their ids. */
    resend: (leadIds: readonly number[], now: Date): number[] => resendMany(leadIds, now.toISOString()),
  };
}
