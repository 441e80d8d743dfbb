/**
 * Rows of the lead store's tables and their mapping to the domain's shapes: SQL NULL becomes an
 * absent field, JSON columns are parsed, integer flags become booleans.
 */
import type { FlowEvent } from '../../core/domain/config.ts';
import type { Lead, LeadInput, Stage, StageChange } from '../../core/domain/lead.ts';
import type { AuditEntry, AuditResource } from '../../core/domain/audit.ts';
import type { Role } from '../../core/domain/user.ts';
import type { HistoryColumns } from './history-columns.ts';
import { expandStepInputs, type Execution, type ExecutionState, type Job, type JobKind, type JobState } from './types.ts';

/** A row of `intake_keys`: one caller's key of a lead (`kind` is `key` or `order`). */
export interface IntakeKeyRow {
  source: string;
  kind: string;
  value: string;
  body_hash: string;
  lead_id: number;
  status: number | null;
  answer: string | null;
}

export interface LeadRow {
  id: number;
  integration_id: string;
  offer: string;
  wm: string | null;
  /** Since schema version 3. */
  source: string | null;
  stage: Stage;
  eid: string | null;
  status: string | null;
  /** Since schema version 7. */
  status_code: string | null;
  reason: string | null;
  status_comment: string | null;
  payout: number | null;
  data: string;
  created_at: string;
  updated_at: string;
}

/** A row of `lead_history`, as SQLite gives it (see history-columns.ts). */
export type HistoryRow = HistoryColumns;

export interface JobRow {
  id: number;
  kind: JobKind;
  lead_id: number | null;
  integration_id: string | null;
  key: string | null;
  payload: string;
  state: JobState;
  attempts: number;
  run_at: string;
  last_error: string | null;
  /** Since schema version 5: who claimed the running job, and until when (see JobQueue.claimJobs). */
  worker: string | null;
  lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface ExecutionRow {
  id: number;
  flow_id: string;
  flow_version: number;
  integration_id: string;
  event: FlowEvent;
  lead_id: number | null;
  state: ExecutionState;
  test: number;
  error: string | null;
  response: string | null;
  trigger: string | null;
  steps: string;
  started_at: string;
  duration_ms: number;
}

/** Columns a {@link LeadChange} may set, each bound as `@name` (null keeps the stored value). */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function fromJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

/** Copies the columns that hold a value; SQL NULL becomes an absent key, never `null`. */
export function setPresent<T extends object>(target: T, values: Partial<Record<keyof T, unknown>>): T {
  // own keys, without Object.entries' pairs: every lead read goes through here
  for (const key in values) {
    const value = (values as Record<string, unknown>)[key];
    if (Object.hasOwn(values, key) && value !== null && value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

export function leadFromRow(row: LeadRow): Lead {
  const input = JSON.parse(row.data) as LeadInput;
  const lead: Lead = {
    ...input,
    id: row.id,
    integration: row.integration_id,
    stage: row.stage,
    created_at: row.created_at,
    updated_at: row.updated_at,
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
  const change: StageChange = { at: row.at, from: row.from_stage, stage: row.stage, source: row.source };
  return setPresent(change, { status: row.status, reason: row.reason, comment: row.comment, payout: row.payout });
}

export function jobFromRow(row: JobRow): Job {
  const job: Job = {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    state: row.state,
    attempts: row.attempts,
    runAt: row.run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  return setPresent(job, {
    leadId: row.lead_id,
    integrationId: row.integration_id,
    key: row.key,
    lastError: row.last_error,
  });
}

export function executionFromRow(row: ExecutionRow): Execution {
  const execution: Execution = {
    id: row.id,
    flowId: row.flow_id,
    flowVersion: row.flow_version,
    integrationId: row.integration_id,
    event: row.event,
    state: row.state,
    test: row.test === 1,
    steps: JSON.parse(row.steps) as Execution['steps'],
    startedAt: row.started_at,
    durationMs: row.duration_ms,
  };
  return expandStepInputs(
    setPresent(execution, {
      leadId: row.lead_id,
      error: fromJson(row.error),
      response: fromJson(row.response),
      trigger: fromJson(row.trigger),
    }),
  );
}

export interface AuditRow {
  id: number;
  at: string;
  actor_id: string | null;
  actor_name: string | null;
  actor_role: Role | null;
  action: string;
  resource_type: AuditResource;
  resource_id: string;
  before: string | null;
  after: string | null;
  note: string | null;
}

export function auditFromRow(row: AuditRow): AuditEntry {
  const entry: AuditEntry = { id: row.id, at: row.at, action: row.action, resourceType: row.resource_type, resourceId: row.resource_id };
  if (row.actor_id !== null) entry.actor = { id: row.actor_id, name: row.actor_name ?? row.actor_id, role: row.actor_role ?? 'viewer' };
  return setPresent(entry, { before: fromJson(row.before), after: fromJson(row.after), note: row.note });
}
