/**
 * The SQLite lead store's audit log (`audit`): who changed what, appended with the change, read
 * newest first. Kept apart from sqlite.ts, which runs the append through its group commit.
 */
import type { RunResult } from 'better-sqlite3';
import { SYSTEM_ACTOR } from '../../core/domain/audit.ts';
import type { AuditEntry, AuditQuery, NewAuditEntry } from './types.ts';
import type { prepare } from './sqlite-statements.ts';
import type { LogPages, PageFilter } from './sqlite-pages.ts';
import { auditFromRow, toJson, type AuditRow } from './sqlite-rows.ts';

export function prepareAudit(sql: ReturnType<typeof prepare>, page: LogPages) {
  return {
    /** Within the caller's transaction: the entry's row (its id is `lastInsertRowid`). */
    append: (entry: NewAuditEntry): RunResult =>
      sql.insertAudit.run({
        at: entry.at,
        actor_id: entry.actor?.id ?? null,
        actor_name: entry.actor?.name ?? null,
        actor_role: entry.actor?.role ?? null,
        action: entry.action,
        resource_type: entry.resourceType,
        resource_id: entry.resourceId,
        before: toJson(entry.before),
        after: toJson(entry.after),
        note: entry.note ?? null,
      }),

    list(query: AuditQuery): AuditEntry[] {
      const system = query.actor === SYSTEM_ACTOR;
      const filters: Array<PageFilter> = [
        ['actor', system ? 'actor_id IS NULL AND @actor IS NOT NULL' : 'actor_id = @actor', query.actor],
        ['resourceType', 'resource_type = @resourceType', query.resourceType],
        ['resourceId', 'resource_id = @resourceId', query.resourceId],
        ['before', 'id < @before', query.before],
      ];
      const cacheTag = system ? 'audit-system' : 'audit';
      return (page('audit', filters, query.limit, cacheTag) as AuditRow[]).map(auditFromRow);
    },
  };
}
