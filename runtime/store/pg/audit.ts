/**
 * The audit log on PostgreSQL ({@link AuditStore}): append-only, read newest first, shared by
 * every runtime process on the database — ids come from one identity, so "newest first" is one
 * order across processes. Entries arrive with their secrets already replaced (services/audit.ts);
 * `before`/`after` are `jsonb`. Schema: version 11 of {@link LOG_MIGRATIONS} (schema-log.ts).
 *
 * @example
 * const audit = new PgAuditStore(pool);
 * await audit.appendAudit({ at: new Date().toISOString(), action: 'flow.save', resourceType: 'flow', resourceId: 'send' });
 * const mine = await audit.listAudit({ actor: 'u-1', limit: 20 });
 */
import type { Pool } from 'pg';
import { SYSTEM_ACTOR } from '../../../core/domain/audit.ts';
import type { AuditEntry, AuditQuery, AuditStore, NewAuditEntry } from '../types.ts';
import { auditFromPgRow, isoTime, jsonParam, pageSize, whereOf, type PgAuditRow } from './log-rows.ts';

export class PgAuditStore implements AuditStore {
  /** The pool is the caller's: it opens and ends it. */
  constructor(private readonly pool: Pool) {}

  /**
   * Appends one entry; resolves with its id once it is committed.
   * @throws DomainError `invalid_field` (`at`) when the time is not an ISO time.
   */
  async appendAudit(entry: NewAuditEntry): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>({
      name: 'lf-audit-append',
      text: `INSERT INTO audit (at, actor_id, actor_name, actor_role, action, resource_type, resource_id, before, after, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      values: [
        isoTime(entry.at, 'at'),
        entry.actor?.id ?? null,
        entry.actor?.name ?? null,
        entry.actor?.role ?? null,
        entry.action,
        entry.resourceType,
        entry.resourceId,
        jsonParam(entry.before),
        jsonParam(entry.after),
        entry.note ?? null,
      ],
    });
    return Number(rows[0].id);
  }

  /**
   * Entries newest first, filtered by every field given; `actor: 'system'` selects those without
   * an actor. `limit` 50 by default, at most 500. Served by `audit_resource` and `audit_actor`.
   */
  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const system = query.actor === SYSTEM_ACTOR;
    const { name, where, values } = whereOf([
      ['system', 'actor_id IS NULL', system ? true : undefined],
      ['actor', (n) => `actor_id = ${n}`, system ? undefined : query.actor],
      ['type', (n) => `resource_type = ${n}`, query.resourceType],
      ['resource', (n) => `resource_id = ${n}`, query.resourceId],
      ['before', (n) => `id < ${n}`, query.before],
    ]);
    const { rows } = await this.pool.query<PgAuditRow>({
      name: `lf-audit-list:${name}`,
      text: `SELECT * FROM audit ${where} ORDER BY id DESC LIMIT $${values.length + 1}`,
      values: [...values, pageSize(query.limit)],
    });
    return rows.map(auditFromPgRow);
  }
}
