/**
 * The SQLite store's duplicate check and execution retention: the queries behind
 * `LeadStore.insertLeadOnce`'s `duplicates` and `ExecutionLog.pruneExecutions`, run inside the
 * store's own transactions (see sqlite.ts).
 */
import type { prepare } from './sqlite-statements.ts';
import type { DuplicateCheck, ExecutionPrune } from './types.ts';

type Statements = ReturnType<typeof prepare>;

/** The oldest original in the window matching any of the check's values, and every field it matched on. */
export function findOriginal(sql: Statements, check: DuplicateCheck): { leadId: number; fields: string[] } | undefined {
  const since = check.since.toISOString();
  const found = check.values.map(({ field, value }) => ({
    field,
    leadId: sql.findDuplicate.get({ offer: check.offer, field, value, since }) as number | undefined,
  }));
  const ids = found.flatMap((f) => (f.leadId === undefined ? [] : [f.leadId]));
  if (ids.length === 0) return undefined;
  // the oldest original: a field that matched it has it as its own oldest match too
  const leadId = Math.min(...ids);
  return { leadId, fields: found.filter((f) => f.leadId === leadId).map((f) => f.field) };
}

/** Records a stored lead's values as an original for the check's later leads. */
export function recordOriginal(sql: Statements, check: DuplicateCheck, leadId: number, createdAt: string): void {
  for (const { field, value } of check.values) {
    sql.insertDuplicateKey.run({ offer: check.offer, field, value, created_at: createdAt, lead_id: leadId });
  }
}

/** One batch of {@link ExecutionPrune}: how many executions it removed. */
export function pruneBatch(sql: Statements, prune: ExecutionPrune, limit: number): number {
  if ('startedBefore' in prune) return sql.pruneStartedBefore.run({ before: prune.startedBefore.toISOString(), limit }).changes;
  if (prune.keepNewest < 0) return 0;
  const boundary = sql.nthNewestExecution.get({ integration_id: prune.integrationId, offset: prune.keepNewest }) as number | undefined;
  if (boundary === undefined) return 0;
  // the boundary itself is the first one past the count
  return sql.pruneBelowId.run({ integration_id: prune.integrationId, below: boundary + 1, limit }).changes;
}
