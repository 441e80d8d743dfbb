/**
 * The SQLite lead store's links from executions to the leads they touched beyond their own
 * (`execution_leads`; the own lead is `executions.lead_id`): written in the execution's own
 * transaction, read to list a lead's runs and to name the leads a run touched. Kept apart from
 * sqlite-executions.ts, which it extends.
 *
 * A run's own lead is not linked again: most runs touch only it, and the link was a statement and a
 * savepoint each. Executions stored before schema version 17 have that link too; every read takes
 * the union, so the older rows mean the same.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Execution, NewExecution } from './types.ts';

/**
 * A lead's runs for the execution list's `leadId` filter: linked, or its own. An IN list, so the
 * page reads the executions by primary key newest first, each half from its index
 * (`execution_leads_lead`, `executions_lead`). A sample lead's id 0 is no lead.
 */
export const LEAD_RUNS_CLAUSE = `id IN (SELECT execution_id FROM execution_leads WHERE lead_id = @leadId
  UNION ALL SELECT id FROM executions WHERE lead_id = @leadId AND lead_id > 0)`;

/** `execution_leads` as it reads with the own leads in it: what a dump holds, as PostgreSQL stores it. */
export const ALL_EXECUTION_LEADS = `(SELECT id AS execution_id, lead_id FROM executions WHERE lead_id > 0
  UNION SELECT execution_id, lead_id FROM execution_leads)`;

/** The leads an execution touched beyond its own `leadId` (a sample lead's id 0 is none). */
export function linkedBeyondOwn(execution: NewExecution): number[] {
  const ids = execution.leadIds;
  if (!ids || ids.length === 0) return [];
  return [...new Set(ids)].filter((leadId) => leadId > 0 && leadId !== execution.leadId);
}

export function prepareExecutionLinks(db: SqliteDatabase) {
  const link = db.prepare('INSERT OR IGNORE INTO execution_leads (execution_id, lead_id) VALUES (@execution_id, @lead_id)');
  const ofExecutions = db.prepare(
    `SELECT execution_id, lead_id FROM execution_leads WHERE execution_id IN (SELECT value FROM json_each(@ids))
     ORDER BY execution_id, lead_id`,
  );
  return {
    /** Within the caller's transaction: links the execution to each lead (see {@link linkedBeyondOwn}). */
    link(executionId: number, leadIds: readonly number[]): void {
      for (const leadId of leadIds) link.run({ execution_id: executionId, lead_id: leadId });
    },
    /** The executions, each with `leadIds` set (its own lead among them) when it is linked to a lead beyond its own `leadId`. */
    attach(executions: Execution[]): Execution[] {
      if (executions.length === 0) return executions;
      const rows = ofExecutions.all({ ids: JSON.stringify(executions.map((e) => e.id)) }) as { execution_id: number; lead_id: number }[];
      const byExecution = new Map<number, number[]>();
      for (const row of rows) {
        const ids = byExecution.get(row.execution_id) ?? [];
        ids.push(row.lead_id);
        byExecution.set(row.execution_id, ids);
      }
      // a run that touched only its own lead reads back as it was recorded: its `leadId` says it all
      for (const execution of executions) {
        const ids = byExecution.get(execution.id);
        const own = execution.leadId !== undefined && execution.leadId > 0 ? execution.leadId : undefined;
        if (!ids || ids.every((id) => id === own)) continue;
        execution.leadIds = own === undefined || ids.includes(own) ? ids : [...ids, own].sort((a, b) => a - b);
      }
      return executions;
    },
  };
}
