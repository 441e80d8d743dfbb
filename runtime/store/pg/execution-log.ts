/**
 * The execution log on PostgreSQL: every run of a flow with its links to the leads it touched
 * (`execution_leads`), the integration log's filtered pages, and retention — the same semantics as
 * the SQLite store's (runtime/store/sqlite.ts, sqlite-execution-leads.ts), shared by every runtime
 * process on the database. Schema: {@link LOG_MIGRATIONS} (schema-log.ts).
 *
 * @example
 * const log = new PgExecutionLog(pool);
 * const id = await log.insertExecution({ flowId: 'send', flowVersion: 3, integrationId: 'crm', event: 'lead.new', … });
 * const errors = await log.listExecutions({ integrationId: 'crm', states: ['error'], limit: 20 });
 */
import type { Pool } from 'pg';
import type { Execution, ExecutionListQuery, ExecutionLog, ExecutionPrune, NewExecution } from '../types.ts';
import { executionFromPgRow, isoTime, jsonParam, pageSize, whereOf, type PgExecutionRow } from './log-rows.ts';

/** An execution's columns with its linked lead ids, in id order, as one array. */
const SELECT_EXECUTION = `SELECT e.*,
  ARRAY(SELECT l.lead_id FROM execution_leads l WHERE l.execution_id = e.id ORDER BY l.lead_id) AS lead_ids
  FROM executions e`;

// one statement, so one round trip and one implicit transaction: the execution and its links
// commit together or not at all (the second CTE sees the first's row for its foreign key)
const INSERT_EXECUTION = `WITH e AS (
    INSERT INTO executions (flow_id, flow_version, integration_id, event, lead_id, state, test, error, response,
      "trigger", steps, started_at, duration_ms)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    RETURNING id
  ), linked AS (
    INSERT INTO execution_leads (execution_id, lead_id) SELECT e.id, x FROM e, unnest($14::bigint[]) AS x ON CONFLICT DO NOTHING
  )
  SELECT id FROM e`;

// retention keeps the executions of a lead still in `new` (it may be retried from them): the
// leads module's `leads (id, stage)`, read by name. SKIP LOCKED: two processes pruning at once
// take different batches instead of waiting on each other's
const PRUNE_STARTED_BEFORE = `DELETE FROM executions WHERE id IN (
    SELECT e.id FROM executions e LEFT JOIN leads l ON l.id = e.lead_id
    WHERE e.started_at < $1 AND (l.stage IS NULL OR l.stage <> 'new')
    ORDER BY e.started_at LIMIT $2
    FOR UPDATE OF e SKIP LOCKED)`;

// the integration's executions from its Nth newest down (OFFSET N: the first one past the count)
const PRUNE_PAST_NEWEST = `DELETE FROM executions WHERE id IN (
    SELECT e.id FROM executions e LEFT JOIN leads l ON l.id = e.lead_id
    WHERE e.integration_id = $1
      AND e.id <= (SELECT id FROM executions WHERE integration_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)
      AND (l.stage IS NULL OR l.stage <> 'new')
    ORDER BY e.id LIMIT $3
    FOR UPDATE OF e SKIP LOCKED)`;

export class PgExecutionLog implements ExecutionLog {
  /** The pool is the caller's: it opens and ends it. */
  constructor(private readonly pool: Pool) {}

  /**
   * Stores the execution and its links to its own lead (`leadId`) and each of `leadIds` in one
   * transaction; a sample lead's id 0 links to nothing. Resolves with its id.
   * @throws DomainError `invalid_field` (`startedAt`) when the start is not an ISO time.
   */
  async insertExecution(execution: NewExecution): Promise<number> {
    const startedAt = isoTime(execution.startedAt, 'startedAt');
    const links = [...new Set([...(execution.leadId === undefined ? [] : [execution.leadId]), ...(execution.leadIds ?? [])])].filter(
      (id) => id > 0,
    );
    const { rows } = await this.pool.query<{ id: string }>({
      name: 'lf-log-insert-execution',
      text: INSERT_EXECUTION,
      values: [
        execution.flowId,
        execution.flowVersion,
        execution.integrationId,
        execution.event,
        execution.leadId ?? null,
        execution.state,
        execution.test,
        jsonParam(execution.error),
        jsonParam(execution.response),
        jsonParam(execution.trigger),
        JSON.stringify(execution.steps),
        startedAt,
        execution.durationMs,
        links,
      ],
    });
    return Number(rows[0].id);
  }

  async getExecution(id: number): Promise<Execution | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const { rows } = await this.pool.query<PgExecutionRow>({
      name: 'lf-log-get-execution',
      text: `${SELECT_EXECUTION} WHERE e.id = $1`,
      values: [id],
    });
    return rows[0] && executionFromPgRow(rows[0]);
  }

  /**
   * Newest first (id order), each with its `leadIds`, filtered by every field given; `limit` 50
   * by default, at most 500. Each filter combination is its own prepared statement, so the planner
   * picks the index that serves it (`execution_leads_lead` for a lead, `(integration_id, …, id)`).
   * @throws DomainError `invalid_field` (`startedFrom`, `startedTo`) when a date is not an ISO time.
   */
  async listExecutions(query: ExecutionListQuery): Promise<Execution[]> {
    const { name, where, values } = whereOf([
      ['lead', (n) => `e.id IN (SELECT execution_id FROM execution_leads WHERE lead_id = ${n})`, query.leadId],
      ['flow', (n) => `e.flow_id = ${n}`, query.flowId],
      ['integration', (n) => `e.integration_id = ${n}`, query.integrationId],
      ['event', (n) => `e.event = ${n}`, query.event],
      ['states', (n) => `e.state = ANY(${n}::text[])`, query.states && [...query.states]],
      ['from', (n) => `e.started_at >= ${n}`, query.startedFrom === undefined ? undefined : isoTime(query.startedFrom, 'startedFrom')],
      ['to', (n) => `e.started_at < ${n}`, query.startedTo === undefined ? undefined : isoTime(query.startedTo, 'startedTo')],
      ['before', (n) => `e.id < ${n}`, query.before],
    ]);
    const { rows } = await this.pool.query<PgExecutionRow>({
      name: `lf-log-list-executions:${name}`,
      text: `${SELECT_EXECUTION} ${where} ORDER BY e.id DESC LIMIT $${values.length + 1}`,
      values: [...values, pageSize(query.limit)],
    });
    return rows.map(executionFromPgRow);
  }

  /**
   * Removes up to `limit` executions that `prune` selects, oldest first, in one statement, never
   * one of a lead still in `new`; resolves with how many (fewer than `limit`: nothing more now).
   */
  async pruneExecutions(prune: ExecutionPrune, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    if ('startedBefore' in prune) {
      const result = await this.pool.query({
        name: 'lf-log-prune-started-before',
        text: PRUNE_STARTED_BEFORE,
        values: [prune.startedBefore.toISOString(), Math.floor(limit)],
      });
      return result.rowCount ?? 0;
    }
    if (prune.keepNewest < 0) return 0;
    const result = await this.pool.query({
      name: 'lf-log-prune-past-newest',
      text: PRUNE_PAST_NEWEST,
      values: [prune.integrationId, Math.floor(prune.keepNewest), Math.floor(limit)],
    });
    return result.rowCount ?? 0;
  }
}
