/**
 * Rows of the PostgreSQL record tables and their mapping to the domain's shapes, as the SQLite
 * store's (sqlite-rows.ts): SQL NULL becomes an absent field, times ISO strings, ids numbers.
 */
import type { Lead, LeadInput, Stage, StageChange, StageSource } from '../../../core/domain/lead.ts';
import type { Job, JobKind, JobState } from '../types.ts';
import { setPresent } from '../sqlite-rows.ts';

/** A `timestamptz` as `pg` reads it (a Date), or as text when a pool parses it so. */
export type PgTime = Date | string;

/** The ISO string of a time read from PostgreSQL. */
export function iso(value: PgTime): string {
  return typeof value === 'string' ? new Date(value).toISOString() : value.toISOString();
}

export interface LeadRow {
  id: number | string;
  integration_id: string;
  offer: string;
  wm: string | null;
  source: string | null;
  stage: Stage;
  eid: string | null;
  status: string | null;
  status_code: string | null;
  reason: string | null;
  status_comment: string | null;
  payout: number | null;
  data: LeadInput;
  created_at: PgTime;
  updated_at: PgTime;
}

export interface HistoryRow {
  at: PgTime;
  from_stage: Stage;
  stage: Stage;
  source: StageSource;
  status: string | null;
  reason: string | null;
  comment: string | null;
  payout: number | null;
}

export interface JobRow {
  id: number | string;
  kind: JobKind;
  lead_id: number | string | null;
  integration_id: string | null;
  key: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  run_at: PgTime;
  last_error: string | null;
  worker: string | null;
  lease_until: PgTime | null;
  created_at: PgTime;
  updated_at: PgTime;
}

export function leadFromRow(row: LeadRow): Lead {
  const lead: Lead = {
    ...row.data,
    id: Number(row.id),
    integration: row.integration_id,
    stage: row.stage,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
  return setPresent(lead, {
    source: row.source,
    eid: row.eid,
    status: row.status,
    statusCode: row.status_code,
    reason: row.reason,
    statusComment: row.status_comment,
    payout: row.payout,
  });
}

export function historyFromRow(row: HistoryRow): StageChange {
  const change: StageChange = { at: iso(row.at), from: row.from_stage, stage: row.stage, source: row.source };
  return setPresent(change, { status: row.status, reason: row.reason, comment: row.comment, payout: row.payout });
}

export function jobFromRow(row: JobRow): Job {
  const job: Job = {
    id: Number(row.id),
    kind: row.kind,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    runAt: iso(row.run_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
  return setPresent(job, {
    leadId: row.lead_id === null ? null : Number(row.lead_id),
    integrationId: row.integration_id,
    key: row.key,
    lastError: row.last_error,
  });
}

/** Jobs in queue order: `run_at`, then id (RETURNING gives no order). */
export function inQueueOrder(jobs: Job[]): Job[] {
  return jobs.sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : a.id - b.id));
}
