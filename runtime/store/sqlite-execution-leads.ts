/**
 * The SQLite lead store's links from executions to the leads they touched (`execution_leads`):
 * written in the execution's own transaction, read to list a lead's runs and to name the leads a
 * run touched. Kept apart from sqlite-executions.ts, which it extends.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Execution } from './types.ts';

export function prepareExecutionLinks(db: SqliteDatabase) {
  const link = db.prepare('INSERT OR IGNORE INTO execution_leads (execution_id, lead_id) VALUES (@execution_id, @lead_id)');
  const ofExecutions = db.prepare(
    `SELECT execution_id, lead_id FROM execution_leads WHERE execution_id IN (SELECT value FROM json_each(@ids))
     ORDER BY execution_id, lead_id`,
  );
  return {
    /** Within the caller's transaction: links the execution to each lead (a sample lead's id 0 is none). */
    link(executionId: number, leadIds: readonly number[]): void {
      for (const leadId of new Set(leadIds)) if (leadId > 0) link.run({ execution_id: executionId, lead_id: leadId });
    },
    /** The executions, each with `leadIds` set when it is linked to a lead beyond its own `leadId`. */
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
        if (ids && !(ids.length === 1 && ids[0] === execution.leadId)) execution.leadIds = ids;
      }
      return executions;
    },
  };
}
