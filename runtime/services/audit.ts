/**
 * The audit log: the services record each configuration change and sensitive action here, with
 * the resource before and after. Who acted is passed in: each route hands the signed-in user (the
 * session middleware's {@link SessionUser} in `res.locals.user`) to the service method, which puts
 * it in the entry's `actor`. Explicit rather than an AsyncLocalStorage context per request: that
 * turned on Node's promise hooks for every promise of the process, the intake's included (2–2.5 %
 * of a synchronous registration's CPU and a twentieth of what it allocated, bench/README.md).
 * Outside a request (the seed, the CLI) or on a machine route there is no user, and the entry has
 * no actor ("system").
 *
 * Secret values never reach the store: before and after are passed through {@link redactForAudit},
 * which replaces a `secrets` map's values by `{ "set": true }` (`"changed": true` when the write
 * changed it) and every token, key hash, password or password hash by `"[secret]"`, and then
 * removes those values wherever else they appear in the record (a setting, a URL).
 *
 * @example
 * // in a service, after the write succeeded
 * await this.audit.record({ action: 'source.rotate-key', resourceType: 'source', resourceId: source.id, before, after });
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditQuery, AuditResource } from '../../core/domain/audit.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import type { AuditStore } from '../store/types.ts';

/** One action to record, with who acted; the time is the log's. */
export interface AuditRecord {
  /** `<resource>.<verb>`, e.g. `source.create`, `key.rotate`, `user.disable`. */
  action: string;
  resourceType: AuditResource;
  resourceId: string;
  /** The resource as it was (omit for a creation); secrets are replaced here, pass it as stored. */
  before?: unknown;
  /** The resource as it is now (omit for a removal); secrets are replaced here, pass it as stored. */
  after?: unknown;
  note?: string;
  /** Who acted: the signed-in user of the request (none: the system, a machine route). */
  actor?: SessionUser;
}

/** What the services depend on: recording only. */
export interface AuditRecorder {
  record(entry: AuditRecord): Promise<void>;
}

/** A recorder that keeps nothing: the default of services built without a log (unit tests). */
export const NO_AUDIT: AuditRecorder = { record: async () => {} };

export class AuditLog implements AuditRecorder {
  constructor(
    private readonly store: AuditStore,
    private readonly log?: Logger,
  ) {}

  /**
   * Appends an entry. A failure to store it is logged and not thrown: the change it describes has
   * already been made, and failing the request would tell the caller it was not.
   */
  async record(entry: AuditRecord): Promise<void> {
    const { actor } = entry;
    const { before, after } = redactPair(entry.before, entry.after);
    try {
      await this.store.appendAudit({
        at: new Date().toISOString(),
        actor: actor && { id: actor.id, name: actor.name, role: actor.role },
        action: entry.action,
        resourceType: entry.resourceType,
        resourceId: entry.resourceId,
        before,
        after,
        note: entry.note,
      });
    } catch (error) {
      this.log?.error(
        { err: error, action: entry.action, resource: `${entry.resourceType}/${entry.resourceId}` },
        'audit: recording failed',
      );
    }
  }

  /** Entries newest first, filtered. */
  list(query: AuditQuery): Promise<AuditEntry[]> {
    return this.store.listAudit(query);
  }
}

/** A key whose value is a secret wherever it appears: tokens, key hashes, passwords and their hashes, API keys. */
const SECRET_KEY = /token|secret|password|passwd|hash|api_?key|private_?key|salt/i;
export const SECRET_MARK = '[secret]';
/** Values shorter than this are not hunted for inside other strings (they would match by accident). */
const MIN_SCRUB_LENGTH = 6;

/** A resource with its secret values replaced, as the audit log stores it. */
export function redactForAudit(value: unknown): unknown {
  return redactPair(value, undefined).before;
}

/**
 * Both sides redacted; a secret whose value differs between them is marked `changed` in `after`,
 * so the log says a secret was replaced without holding either value.
 */
function redactPair(before: unknown, after: unknown): { before: unknown; after: unknown } {
  const values = new Set<string>();
  collectSecrets(before, values);
  collectSecrets(after, values);
  const scrub = [...values].filter((v) => v.length >= MIN_SCRUB_LENGTH).sort((a, b) => b.length - a.length);
  return {
    before: before === undefined ? undefined : redact(before, undefined, scrub),
    after: after === undefined ? undefined : redact(after, before, scrub),
  };
}

function collectSecrets(value: unknown, into: Set<string>, secretHere = false): void {
  if (typeof value === 'string') {
    if (secretHere) into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectSecrets(item, into, secretHere);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, item] of Object.entries(value)) collectSecrets(item, into, secretHere || SECRET_KEY.test(key));
}

function redact(value: unknown, previous: unknown, scrub: string[]): unknown {
  if (typeof value === 'string') return scrubbed(value, scrub);
  if (Array.isArray(value)) return value.map((item, i) => redact(item, Array.isArray(previous) ? previous[i] : undefined, scrub));
  if (!isObject(value)) return value;
  const old = isObject(previous) ? previous : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'secrets' && isObject(item)) {
      const oldSecrets = old && isObject(old.secrets) ? old.secrets : undefined;
      out[key] = Object.fromEntries(
        Object.entries(item).map(([name, secret]) => {
          const changed = oldSecrets !== undefined && name in oldSecrets && oldSecrets[name] !== secret;
          return [name, changed ? { set: true, changed: true } : { set: true }];
        }),
      );
    } else if (SECRET_KEY.test(key) && item !== undefined && item !== null && item !== '') {
      const changed = old !== undefined && key in old && JSON.stringify(old[key]) !== JSON.stringify(item);
      out[key] = changed ? `${SECRET_MARK} (changed)` : SECRET_MARK;
    } else {
      out[key] = redact(item, old?.[key], scrub);
    }
  }
  return out;
}

function scrubbed(text: string, scrub: string[]): string {
  let out = text;
  for (const secret of scrub) if (out.includes(secret)) out = out.split(secret).join(SECRET_MARK);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
