/**
 * The SQLite lead store's handoffs (`lead_handoffs`): the integrations a lead was handed to at a
 * stage beyond its own, with its external id at each (core/domain/routing.ts, `LeadHandoff`).
 * Kept apart from sqlite.ts, which they extend, so the lookups a handed-on lead adds read in one place.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { LeadHandoff } from '../../core/domain/routing.ts';
import type { LeadBatchQuery } from './types.ts';
import { leadFromRow, type LeadRow } from './sqlite-rows.ts';
import type { Lead } from '../../core/domain/lead.ts';

type HandedRow = LeadRow & { handoff_eid: string | null };

/** The lead as the integration it was handed to knows it: with that integration's external id. */
function asHanded(row: HandedRow): Lead {
  const lead = leadFromRow(row);
  if (row.handoff_eid === null) delete lead.eid;
  else lead.eid = row.handoff_eid;
  return lead;
}

export function prepareHandoffs(db: SqliteDatabase) {
  const open = db.prepare(
    `INSERT INTO lead_handoffs (lead_id, integration_id, created_at) VALUES (@lead_id, @integration_id, @created_at)
     ON CONFLICT (lead_id, integration_id) DO NOTHING`,
  );
  const setEid = db.prepare(
    `INSERT INTO lead_handoffs (lead_id, integration_id, eid, created_at) VALUES (@lead_id, @integration_id, @eid, @created_at)
     ON CONFLICT (lead_id, integration_id) DO UPDATE SET eid = excluded.eid`,
  );
  // ties (a target that reuses ids) resolve to the newest lead, as for leads.eid
  const byEid = db.prepare(
    `SELECT leads.* FROM lead_handoffs h JOIN leads ON leads.id = h.lead_id
     WHERE h.integration_id = ? AND h.eid = ? ORDER BY leads.id DESC LIMIT 1`,
  );
  const ofLead = db.prepare(
    'SELECT integration_id, eid, created_at FROM lead_handoffs WHERE lead_id = ? ORDER BY created_at, integration_id',
  );
  // CROSS JOIN keeps lead_handoffs the outer loop (one range of lead_handoffs_integration from the
  // cursor on): left to itself the planner walked every lead in the stage past the cursor for each
  // batch — with no handoffs at all, 15 % of a status check of 20,000 leads, growing with the square
  const batch = db.prepare(
    `SELECT leads.*, h.eid AS handoff_eid FROM lead_handoffs h CROSS JOIN leads ON leads.id = h.lead_id
     WHERE h.integration_id = @integration_id AND h.lead_id > @after AND leads.integration_id <> @integration_id
       AND leads.stage = @stage AND leads.created_at >= @since
     ORDER BY h.lead_id LIMIT @limit`,
  );
  return {
    /** Within the caller's transaction: records that the lead was handed to each of `integrations`. */
    open(leadId: number, integrations: readonly string[], now: string): void {
      for (const integration_id of integrations) open.run({ lead_id: leadId, integration_id, created_at: now });
    },
    /** Within the caller's transaction: the lead's external id at an integration it was handed to. */
    setEid(leadId: number, integrationId: string, eid: string, now: string): void {
      setEid.run({ lead_id: leadId, integration_id: integrationId, eid, created_at: now });
    },
    byEid(integrationId: string, eid: string): Lead | undefined {
      const row = byEid.get(integrationId, eid) as LeadRow | undefined;
      return row && leadFromRow(row);
    },
    ofLead(leadId: number): LeadHandoff[] {
      const rows = ofLead.all(leadId) as { integration_id: string; eid: string | null; created_at: string }[];
      return rows.map((r) => ({ integration: r.integration_id, ...(r.eid === null ? {} : { eid: r.eid }), at: r.created_at }));
    },
    /** A status check's batch of the leads handed to the integration, each with its external id there. */
    batch(query: LeadBatchQuery): Lead[] {
      const rows = batch.all({
        integration_id: query.integrationId,
        stage: query.stage,
        after: query.afterId ?? 0,
        since: query.createdSince ? query.createdSince.toISOString() : '',
        limit: query.limit,
      }) as HandedRow[];
      return rows.map(asHanded);
    },
  };
}
