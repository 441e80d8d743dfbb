/**
 * A lead's handoffs in PostgreSQL (`lead_handoffs`), as the SQLite store's (sqlite-handoffs.ts):
 * the integrations a lead was handed to at a stage beyond its own, with its external id at each.
 */
import type pg from 'pg';
import type { Lead } from '../../../core/domain/lead.ts';
import type { LeadHandoff } from '../../../core/domain/routing.ts';
import type { LeadBatchQuery } from '../types.ts';
import { iso, leadFromRow, type LeadRow, type PgTime } from './rows.ts';

/** Within the caller's transaction: records that the lead was handed to each of `integrations` (once each). */
export async function openHandoffs(client: pg.ClientBase, leadId: number, integrations: readonly string[], now: string): Promise<void> {
  await client.query(
    `INSERT INTO lead_handoffs (lead_id, integration_id, created_at) SELECT $1, i, $3 FROM unnest($2::text[]) AS i
     ON CONFLICT (lead_id, integration_id) DO NOTHING`,
    [leadId, [...new Set(integrations)], now],
  );
}

/** Within the caller's transaction: the lead's external id at an integration it was handed to. */
export async function setHandoffEid(client: pg.ClientBase, leadId: number, integrationId: string, eid: string, now: string): Promise<void> {
  await client.query(
    `INSERT INTO lead_handoffs (lead_id, integration_id, eid, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (lead_id, integration_id) DO UPDATE SET eid = excluded.eid`,
    [leadId, integrationId, eid, now],
  );
}

/** The lead handed to the integration that knows it by `eid`; ties (a target that reuses ids) resolve to the newest lead. */
export async function handedByEid(pool: pg.Pool, integrationId: string, eid: string): Promise<Lead | undefined> {
  const { rows } = await pool.query<LeadRow>(
    `SELECT leads.* FROM lead_handoffs h JOIN leads ON leads.id = h.lead_id
     WHERE h.integration_id = $1 AND h.eid = $2 ORDER BY leads.id DESC LIMIT 1`,
    [integrationId, eid],
  );
  return rows[0] && leadFromRow(rows[0]);
}

export async function handoffsOf(pool: pg.Pool, leadId: number): Promise<LeadHandoff[]> {
  const { rows } = await pool.query<{ integration_id: string; eid: string | null; created_at: PgTime }>(
    'SELECT integration_id, eid, created_at FROM lead_handoffs WHERE lead_id = $1 ORDER BY created_at, integration_id',
    [leadId],
  );
  return rows.map((r) => ({ integration: r.integration_id, ...(r.eid === null ? {} : { eid: r.eid }), at: iso(r.created_at) }));
}

/** A status check's batch of the leads handed to the integration, each with its external id there (unset until it gave one). */
export async function handedBatch(pool: pg.Pool, query: LeadBatchQuery): Promise<Lead[]> {
  const { rows } = await pool.query<LeadRow & { handoff_eid: string | null }>(
    `SELECT leads.*, h.eid AS handoff_eid FROM lead_handoffs h JOIN leads ON leads.id = h.lead_id
     WHERE h.integration_id = $1 AND leads.integration_id <> $1
       AND leads.stage = $2 AND leads.id > $3 AND ($4::timestamptz IS NULL OR leads.created_at >= $4)
     ORDER BY leads.id LIMIT $5`,
    [query.integrationId, query.stage, query.afterId ?? 0, query.createdSince ?? null, query.limit],
  );
  return rows.map((row) => {
    const lead = leadFromRow(row);
    if (row.handoff_eid === null) delete lead.eid;
    else lead.eid = row.handoff_eid;
    return lead;
  });
}
