/**
 * Delivery queries in PostgreSQL, as the SQLite store's (sqlite-delivery.ts): an integration's
 * delivery counts, each lead's delivery state, and resending leads (their `lead.new` job made anew).
 */
import type pg from 'pg';
import type { DeliveryState } from '../../../core/domain/delivery.ts';
import type { DeliveryCounts } from '../types.ts';

/** The kinds a delivery is (the jobs the delivery handler runs), counted per integration. */
const DELIVERY_KINDS = `('lead.new', 'lead.update', 'lead.approved')`;

/**
 * A lead's delivery state in SQL, over `leads` in the enclosing query: the kernel's
 * `deliveryState` (core/domain/delivery.ts) of its latest `lead.new` job, NULL without one; read
 * backwards from the `jobs (lead_id, kind, id)` index.
 */
export const DELIVERY_STATE_SQL = `(SELECT CASE
    WHEN leads.stage <> 'new' OR j.state = 'done' THEN 'delivered'
    WHEN j.state = 'failed' THEN 'failed'
    WHEN j.attempts > (CASE WHEN j.state = 'running' THEN 1 ELSE 0 END) THEN 'retrying'
    ELSE 'queued' END
  FROM jobs j WHERE j.lead_id = leads.id AND j.kind = 'lead.new' ORDER BY j.id DESC LIMIT 1)`;

/** An integration's failed deliveries and retries waiting, from the `(integration_id, state, kind, attempts)` index. */
export async function deliveryCounts(pool: pg.Pool, integrationId: string): Promise<DeliveryCounts> {
  const { rows } = await pool.query<DeliveryCounts>(
    `SELECT count(*) FILTER (WHERE state = 'failed')::int AS failed,
            count(*) FILTER (WHERE state = 'queued' AND attempts > 0)::int AS retrying
     FROM jobs WHERE integration_id = $1 AND state IN ('failed', 'queued') AND kind IN ${DELIVERY_KINDS}`,
    [integrationId],
  );
  return rows[0];
}

/** The delivery state of each of the leads that has one, in one query. */
export async function deliveryStates(pool: pg.Pool, leadIds: readonly number[]): Promise<Record<number, DeliveryState>> {
  const { rows } = await pool.query<{ id: number; delivery: DeliveryState | null }>(
    `SELECT id, ${DELIVERY_STATE_SQL} AS delivery FROM leads WHERE id = ANY($1::bigint[])`,
    [leadIds],
  );
  const result: Record<number, DeliveryState> = {};
  for (const row of rows) if (row.delivery !== null) result[Number(row.id)] = row.delivery;
  return result;
}

/**
 * Resends leads, in one statement: the latest `lead.new` job of each lead still new, unless it is
 * running, queued again as if new (attempts and error cleared, due and created at `now`, so the
 * integration's age limit counts from the resend). A claim taking the job at the same moment
 * holds its row: the update waits for it and then finds it running. Answers the ids resent, in
 * the order given.
 */
export async function resendLeadJobs(client: pg.ClientBase, leadIds: readonly number[], now: Date): Promise<number[]> {
  const { rows } = await client.query<{ lead_id: number }>(
    `UPDATE jobs SET state = 'queued', attempts = 0, last_error = NULL, worker = NULL, lease_until = NULL,
       run_at = $2, created_at = $2, updated_at = $2
     FROM (SELECT DISTINCT ON (lead_id) id, lead_id FROM jobs
           WHERE lead_id = ANY($1::bigint[]) AND kind = 'lead.new' ORDER BY lead_id, id DESC) latest
     JOIN leads ON leads.id = latest.lead_id
     WHERE jobs.id = latest.id AND jobs.state <> 'running' AND leads.stage = 'new'
     RETURNING jobs.lead_id`,
    [leadIds, now],
  );
  const resent = new Set(rows.map((row) => Number(row.lead_id)));
  return [...new Set(leadIds)].filter((id) => resent.has(id));
}
