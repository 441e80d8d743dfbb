/**
 * The audit log: who changed the configuration or did something sensitive, what, when, and the
 * resource before and after — with every secret value already replaced (`{ "set": true }` for a
 * named secret, `"[secret]"` for a token, a key hash or a password hash), so an entry can be shown
 * to anyone allowed to read the log.
 */
import type { Role } from './user.ts';

/** What an entry is about. Sources, keys and users are audited by the services that manage them. */
export const AUDIT_RESOURCES = ['flow', 'integration', 'offer', 'webmaster', 'source', 'key', 'user', 'lead', 'execution'] as const;
export type AuditResource = (typeof AUDIT_RESOURCES)[number];

/** The person who acted, as the session named them then (a later rename does not rewrite the log). */
export interface AuditActor {
  id: string;
  name: string;
  role: Role;
}

/** One recorded action. */
export interface AuditEntry {
  id: number;
  /** ISO time. */
  at: string;
  /** Absent when no user was signed in (the runtime itself, a seed, a request without a session). */
  actor?: AuditActor;
  /** `<resource>.<verb>`: `flow.save`, `integration.enable`, `lead.stage`, `execution.rerun`, … */
  action: string;
  resourceType: AuditResource;
  resourceId: string;
  /** The resource before the change (absent for a creation or an action that changes no record), secrets replaced. */
  before?: unknown;
  /** The resource after it (absent for a removal), secrets replaced. */
  after?: unknown;
  /** One line more: the version rolled back to, the execution a re-run made. */
  note?: string;
}

/** `GET /api/audit`'s filters; entries come newest first. */
export interface AuditQuery {
  /** An actor's user id; `system` for entries without one. */
  actor?: string;
  resourceType?: AuditResource;
  resourceId?: string;
  /** Entries with an id below this one (paging backwards). */
  before?: number;
  limit?: number;
}

/** The actor filter that selects entries recorded without a signed-in user. */
export const SYSTEM_ACTOR = 'system';
