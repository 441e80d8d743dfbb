/**
 * The SQLite lead store's lead writes: a new lead (with its intake keys and duplicate check) and a
 * lead's change, each one transaction with its history, handoffs, dashboard counters and jobs.
 * Kept apart from sqlite.ts, which runs them through its group commit, so what one lead write
 * touches reads in one place.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Lead, LeadInput, StageChange } from '../../core/domain/lead.ts';
import { leadSearchKeys } from '../../core/domain/lead-search.ts';
import type { DuplicateCheck, InsertOnceResult, IntakeKeys, IntakeRepeat, LeadChange, NewJob } from './types.ts';
import { StageConflict } from './types.ts';
import type { prepare } from './sqlite-statements.ts';
import type { prepareDashboard } from './sqlite-dashboard.ts';
import type { prepareHandoffs } from './sqlite-handoffs.ts';
import type { prepareJobs } from './sqlite-jobs.ts';
import { findOriginal, recordOriginal } from './sqlite-duplicates.ts';
import { leadFromRow, type IntakeKeyRow, type LeadRow } from './sqlite-rows.ts';
import { historyColumns } from './history-columns.ts';
import { duplicateTrashEntry } from '../../core/domain/duplicates.ts';

/** The transactions {@link prepareLeadWrites} prepares. */
export type LeadWrites = ReturnType<typeof prepareLeadWrites>;

export function prepareLeadWrites(
  db: SqliteDatabase,
  sql: ReturnType<typeof prepare>,
  dashboard: ReturnType<typeof prepareDashboard>,
  handoffs: ReturnType<typeof prepareHandoffs>,
  queue: ReturnType<typeof prepareJobs>,
) {
  // `trash`: a duplicate, stored straight in its end stage with that history entry
  const insert = db.transaction(
    (input: LeadInput, integrationId: string, jobs: NewJob[], source: string | undefined, trash?: StageChange): Lead => {
      const now = new Date().toISOString();
      const keys = leadSearchKeys(input);
      const row: Omit<LeadRow, 'id'> = {
        integration_id: integrationId,
        offer: input.offer,
        wm: input.wm ?? null,
        source: source ?? null,
        stage: trash ? trash.stage : 'new',
        eid: null,
        status: null,
        status_code: null,
        reason: trash?.reason ?? null,
        status_comment: null,
        payout: null,
        data: JSON.stringify(input),
        created_at: now,
        updated_at: now,
      };
      // the statement takes the columns it names (a new lead's), the search keys beside them
      const { lastInsertRowid } = sql.insertLead.run({ ...row, phone_e164: keys.phone ?? null, email_lc: keys.email ?? null });
      const id = Number(lastInsertRowid);
      dashboard.inserted({ stage: row.stage, offer: input.offer, integration_id: integrationId, created_at: now });
      if (trash) insertHistoryEntry(id, trash);
      queue.insert(jobs, now, id, integrationId);
      // the row as written is the row a read would give: no read back
      return leadFromRow({ id, ...row });
    },
  );

  const insertOnce = db.transaction(
    (
      input: LeadInput,
      integrationId: string,
      jobs: NewJob[],
      keys: IntakeKeys,
      duplicates: DuplicateCheck | undefined,
    ): InsertOnceResult => {
      const held: [IntakeRepeat['field'], string, string | undefined][] = [
        ['Idempotency-Key', 'key', keys.idempotencyKey],
        ['order_id', 'order', keys.orderId],
      ];
      for (const [field, kind, value] of held) {
        if (value === undefined) continue;
        const row = sql.findIntakeKey.get({ source: keys.source, kind, value }) as IntakeKeyRow | undefined;
        if (!row) continue;
        const repeat: IntakeRepeat = { lead: mustGetLead(row.lead_id), field, sameBody: row.body_hash === keys.bodyHash };
        if (row.status !== null) repeat.answer = { status: row.status, body: row.answer === null ? undefined : JSON.parse(row.answer) };
        return { repeat };
      }
      const match = duplicates && findOriginal(sql, duplicates);
      if (duplicates && match) {
        const duplicate = { original: mustGetLead(match.leadId), fields: match.fields };
        if (duplicates.action === 'refuse') return { duplicate };
        const trash = duplicateTrashEntry(match.leadId, match.fields, new Date());
        const lead = insert(input, integrationId, [], keys.source, trash);
        insertIntakeKeys(held, keys, lead.id);
        return { lead, duplicate };
      }
      const lead = insert(input, integrationId, jobs, keys.source);
      insertIntakeKeys(held, keys, lead.id);
      if (duplicates) recordOriginal(sql, duplicates, lead.id, lead.created_at);
      return { lead };
    },
  );

  const update = db.transaction((id: number, change: LeadChange, jobs: NewJob[]): Lead => {
    const now = new Date().toISOString();
    const h0 = change.history;
    // a stage change is decided on the stage read before it; if another write moved the lead
    // since, this one must be decided again (the caller re-reads and retries)
    const before = dashboard.keyOf(id);
    if (h0 && before?.stage !== h0.from) throw new StageConflict(id, h0.from);
    const params: Record<string, unknown> = { id, updated_at: now };
    params.eid = change.eid ?? null;
    params.stage = change.stage ?? null;
    params.status = change.status ?? null;
    params.status_code = change.statusCode ?? null;
    params.reason = change.reason ?? null;
    params.status_comment = change.statusComment ?? null;
    params.payout = change.payout ?? null;
    params.data = change.input ? JSON.stringify(change.input) : null;
    const { changes } = sql.updateLead.run(params);
    if (changes === 0) throw new Error(`lead ${id} not found`);
    if (change.input) {
      const keys = leadSearchKeys(change.input);
      sql.setSearchKeys.run({ id, phone_e164: keys.phone ?? null, email_lc: keys.email ?? null });
    }
    if (change.history) insertHistoryEntry(id, change.history);
    if (change.handoffs?.length) handoffs.open(id, change.handoffs, now);
    if (change.handoffEid) handoffs.setEid(id, change.handoffEid.integrationId, change.handoffEid.eid, now);
    const lead = mustGetLead(id);
    if (before) dashboard.moved(id, before, lead.stage, h0?.at ?? now);
    queue.insert(jobs, now, id, lead.integration);
    return lead;
  });

  function insertIntakeKeys(held: [IntakeRepeat['field'], string, string | undefined][], keys: IntakeKeys, leadId: number): void {
    for (const [, kind, value] of held) {
      if (value !== undefined) sql.insertIntakeKey.run({ source: keys.source, kind, value, body_hash: keys.bodyHash, lead_id: leadId });
    }
  }

  function insertHistoryEntry(leadId: number, h: StageChange): void {
    sql.insertHistory.run({ lead_id: leadId, ...historyColumns(h) });
  }

  function mustGetLead(id: number): Lead {
    const row = sql.getLead.get(id) as LeadRow | undefined;
    if (!row) throw new Error(`lead ${id} not found`);
    return leadFromRow(row);
  }

  return {
    /** A new lead in stage `new` (or a duplicate in its end stage) with its jobs. */
    insert,
    /** A new lead unless its intake keys or the duplicate check name one already stored. */
    insertOnce,
    /** A lead's change with its history entry, handoffs and jobs; {@link StageConflict} when its stage moved since it was read. */
    update,
  };
}
