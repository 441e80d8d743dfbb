/**
 * The audit log's storage interface (what runtime/services/audit.ts writes and reads).
 */
import type { AuditEntry, AuditQuery } from '../../core/domain/audit.ts';

/** An audit entry to append: the store gives it its id. */
export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * The audit log's storage: append-only, read newest first. Entries arrive with their secrets
 * already replaced (runtime/services/audit.ts); the store keeps what it is given and never
 * updates or deletes an entry.
 *
 * A PostgreSQL backend: one `audit` table with a `bigserial` id (so "newest first" is id order
 * across instances), `at timestamptz` returned as an ISO string, `before`/`after` as `jsonb`, an
 * absent actor or note as NULL read back as an absent field, and indexes on
 * `(resource_type, resource_id, id)` and `(actor_id, id)`.
 */
export interface AuditStore {
  /** Appends one entry; resolves with its id once it is stored. */
  appendAudit(entry: NewAuditEntry): Promise<number>;
  /**
   * Entries newest first, filtered by every field of the query given. `actor: 'system'` selects
   * the entries without an actor; `limit` defaults to 50 and is at most 500.
   */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
