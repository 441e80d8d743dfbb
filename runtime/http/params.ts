/** Reading the parts of a request every route module reads the same way. */
import type { Request, Response } from 'express';
import { DomainError } from '../../core/domain/errors.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** The signed-in user a request acts for (what its audit entries name); none on a machine route. */
export function actorOf(res: Response): SessionUser | undefined {
  return res.locals.user as SessionUser | undefined;
}

/** Who saved a version: the logged-in user the auth middleware left in `res.locals.user`. */
export function author(req: Request): string {
  const user = req.res?.locals.user as SessionUser | undefined;
  return user?.name ?? 'anonymous';
}

/** The logged-in user the request acts for (drafts are theirs); `anonymous` where no login is asked. */
export function sessionUser(req: Request): SessionUser {
  return (req.res?.locals.user as SessionUser | undefined) ?? { id: 'anonymous', name: 'anonymous', role: 'admin' };
}

/** A whole number from 1 (an id, a version, a page size). */
export function positive(value: unknown, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new DomainError('invalid_field', 'must be a whole number from 1', { field });
  return n;
}

/** A whole number from 0, or undefined when the query leaves it out or empty. */
export function wholeOrNone(value: unknown, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new DomainError('invalid_field', 'must be a whole number', { field });
  return n;
}

/** A query parameter given once as text, else undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** An ISO time from the query (`2026-12-01`, `2026-12-01T10:00:00Z`), as an ISO string; undefined when left out or empty. */
export function timeOrNone(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const at = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw new DomainError('invalid_field', 'must be a date and time (2026-12-01T10:00:00Z)', { field });
  return new Date(at).toISOString();
}

/** A query parameter given once as non-empty text, else undefined; given twice is a 400 naming it. */
export function oneText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new DomainError('invalid_field', 'must be given once, as text', { field });
  return value;
}
