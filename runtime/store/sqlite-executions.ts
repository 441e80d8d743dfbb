/**
 * The SQLite lead store's execution log (`executions`, with its links to the leads a run touched
 * in sqlite-execution-leads.ts): recording a run, reading one or a page of them, and retention.
 * Kept apart from sqlite.ts, which runs the writes through its group commit.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Execution, ExecutionListQuery, ExecutionPrune, NewExecution } from './types.ts';
import type { prepare } from './sqlite-statements.ts';
import { pruneBatch } from './sqlite-duplicates.ts';
import { LEAD_RUNS_CLAUSE, linkedBeyondOwn, prepareExecutionLinks } from './sqlite-execution-leads.ts';
import type { LogPages, PageFilter } from './sqlite-pages.ts';
import { executionFromRow, toJson, type ExecutionRow } from './sqlite-rows.ts';

export function prepareExecutions(db: SqliteDatabase, sql: ReturnType<typeof prepare>, page: LogPages) {
  const links = prepareExecutionLinks(db);
  const record = (execution: NewExecution): number =>
    Number(
      sql.insertExecution.run({
        flow_id: execution.flowId,
        flow_version: execution.flowVersion,
        integration_id: execution.integrationId,
        event: execution.event,
        lead_id: execution.leadId ?? null,
        state: execution.state,
        test: execution.test ? 1 : 0,
        error: toJson(execution.error),
        response: toJson(execution.response),
        trigger: toJson(execution.trigger),
        steps: JSON.stringify(execution.steps),
        started_at: execution.startedAt,
        duration_ms: execution.durationMs,
      }).lastInsertRowid,
    );
  // prepared once: `db.transaction` builds its four wrappers each time it is called
  const recordLinked = db.transaction((execution: NewExecution, leadIds: readonly number[]): number => {
    const id = record(execution);
    links.link(id, leadIds);
    return id;
  });
  return {
    /**
     * The execution and its links to the leads beyond its own, one transaction (a savepoint inside
     * the turn's batch); a run of its own lead only is one statement, atomic by itself.
     */
    insert(execution: NewExecution): number {
      const beyond = linkedBeyondOwn(execution);
      return beyond.length === 0 ? record(execution) : recordLinked(execution, beyond);
    },

    get(id: number): Execution | undefined {
      const row = sql.getExecution.get(id) as ExecutionRow | undefined;
      return row && links.attach([executionFromRow(row)])[0];
    },

    list(query: ExecutionListQuery): Execution[] {
      const filters: Array<PageFilter> = [
        ['leadId', LEAD_RUNS_CLAUSE, query.leadId],
        ['flowId', 'flow_id = @flowId', query.flowId],
        ['integrationId', 'integration_id = @integrationId', query.integrationId],
        ['event', 'event = @event', query.event],
        ['states', 'state IN (SELECT value FROM json_each(@states))', query.states && JSON.stringify(query.states)],
        ['startedFrom', 'started_at >= @startedFrom', query.startedFrom],
        ['startedTo', 'started_at < @startedTo', query.startedTo],
        ['before', 'id < @before', query.before],
      ];
      return links.attach((page('executions', filters, query.limit) as ExecutionRow[]).map(executionFromRow));
    },

    /** One batch of retention, within the caller's transaction: how many executions it removed. */
    prune: (prune: ExecutionPrune, limit: number): number => pruneBatch(sql, prune, limit),
  };
}
