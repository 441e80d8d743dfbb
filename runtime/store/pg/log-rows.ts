/**
 * Rows of the PostgreSQL execution log and audit log and their mapping to the domain's shapes, as
 * sqlite-rows.ts does for SQLite: SQL NULL becomes an absent field, `bigint` ids come back as JS
 * numbers (pg answers them as strings), `timestamptz` as ISO strings; `json`/`jsonb` columns arrive parsed.
 */
import type { AuditEntry, AuditResource } from '../../../core/domain/audit.ts';
import type { FlowEvent } from '../../../core/domain/config.ts';
import { DomainError } from '../../../core/domain/errors.ts';
import type { Role } from '../../../core/domain/user.ts';
import { expandStepInputs, type Execution, type ExecutionState } from '../types.ts';
import { setPresent } from '../sqlite-rows.ts';

export interface PgExecutionRow {
  id: string;
  flow_id: string;
  flow_version: number;
  integration_id: string;
  event: FlowEvent;
  lead_id: string | null;
  state: ExecutionState;
  test: boolean;
  error: Execution['error'] | null;
  response: Execution['response'] | null;
  trigger: unknown;
  steps: Execution['steps'];
  started_at: Date;
  duration_ms: number;
  /** Every lead linked to the execution (`execution_leads`), in id order. */
  lead_ids: string[];
}

export interface PgAuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  actor_role: Role | null;
  action: string;
  resource_type: AuditResource;
  resource_id: string;
  before: unknown;
  after: unknown;
  note: string | null;
}

/**
 * A time the interface gives as an ISO string, checked before it reaches a `timestamptz` column.
 * @throws DomainError `invalid_field` naming `field` when it is not a time.
 */
export function isoTime(value: string, field: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new DomainError('invalid_field', `must be an ISO time, got ${JSON.stringify(value)}`, { field });
  }
  return value;
}

/** A document for a `json`/`jsonb` parameter: undefined is SQL NULL. */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function executionFromPgRow(row: PgExecutionRow): Execution {
  const execution: Execution = {
    id: Number(row.id),
    flowId: row.flow_id,
    flowVersion: row.flow_version,
    integrationId: row.integration_id,
    event: row.event,
    state: row.state,
    test: row.test,
    steps: row.steps,
    startedAt: row.started_at.toISOString(),
    durationMs: row.duration_ms,
  };
  const leadId = row.lead_id === null ? undefined : Number(row.lead_id);
  setPresent(execution, { leadId, error: row.error, response: row.response, trigger: row.trigger });
  // a run that touched only its own lead reads back as it was recorded: its `leadId` says it all
  const leadIds = row.lead_ids.map(Number);
  if (leadIds.length > 0 && !(leadIds.length === 1 && leadIds[0] === leadId)) execution.leadIds = leadIds;
  return expandStepInputs(execution);
}

export function auditFromPgRow(row: PgAuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: Number(row.id),
    at: row.at.toISOString(),
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
  };
  if (row.actor_id !== null) entry.actor = { id: row.actor_id, name: row.actor_name ?? row.actor_id, role: row.actor_role ?? 'viewer' };
  return setPresent(entry, { before: row.before, after: row.after, note: row.note });
}

/** `limit` as the stores take it: 50 by default, at most 500. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return 50;
  return Math.min(Math.floor(limit), 500);
}

/**
 * A newest-first page's WHERE clause from the filters that have a value, and its parameters
 * numbered `$1…`. A clause given as a function binds the value (it gets its parameter's name); one
 * given as text binds nothing (its value only switches it on). `name` names the filter
 * combination: one prepared statement per combination.
 */
export function whereOf(filters: Array<[string, string | ((n: string) => string), unknown]>): {
  name: string;
  where: string;
  values: unknown[];
} {
  const used = filters.filter(([, , value]) => value !== undefined);
  const values: unknown[] = [];
  const clauses = used.map(([, clause, value]) => {
    if (typeof clause === 'string') return clause;
    values.push(value);
    return clause(`$${values.length}`);
  });
  return {
    name: used.map(([name]) => name).join(','),
    where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '',
    values,
  };
}
