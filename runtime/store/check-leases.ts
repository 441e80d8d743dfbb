/**
 * Turns at a status check across runtime processes: a check runs once per schedule tick however
 * many processes share the store, and never twice at once. Each process asks for the tick before
 * it runs the check ({@link CheckLeases.claimTick}); exactly one gets it, holds a lease while it
 * runs ({@link CheckLeases.renew}) and gives it back when done ({@link CheckLeases.finish}).
 *
 * The rules every backend keeps:
 * - a tick is an ISO time — the scheduled time of the run (a manual "Check now": the time it was
 *   asked) — and a check's ticks are claimed forward only: a tick at or before the last one
 *   claimed answers false, whether that one is still running, finished, or its holder died;
 * - a claim while a lease lasts answers false (never twice at once), whatever the tick — the
 *   claimer's own lease included: one process keeps to one run of a check by itself;
 * - a lease lasts `leaseMs` from the claim or the last renewal; once it ran out, the holder is
 *   taken for dead and the check's next tick is claimed by whoever asks first. The dead holder's
 *   own tick is not run again: "once per tick" means at most once, and the next tick does the
 *   work (a date-range check goes on from its checkpoint);
 * - renewing or finishing answers false and changes nothing once the lease is no longer the
 *   holder's (taken over after it ran out).
 *
 * The embedded store's ({@link ProcessCheckLeases}) serves one process; PostgreSQL's
 * (runtime/store/pg/check-leases.ts) serves every process on the database, on the database's clock.
 *
 * @example
 * if (await leases.claimTick('status.processing/crm', '2026-12-01T10:05:00.000Z', holder, 30_000)) {
 *   const timer = setInterval(() => void leases.renew('status.processing/crm', holder, 30_000), 10_000);
 *   try { await runTheCheck(); } finally { clearInterval(timer); await leases.finish('status.processing/crm', holder); }
 * }
 */
import { DomainError } from '../../core/domain/errors.ts';

export interface CheckLeases {
  /**
   * Claims `tick` of `check` for `holder` with a lease of `leaseMs`: true for exactly one holder
   * per check and tick; false when that tick (or a later one) was claimed already, or a lease
   * of the check still lasts.
   * @throws DomainError `invalid_field` (`tick`, `leaseMs`) for a tick that is not an ISO time or a lease that is not a positive number.
   */
  claimTick(check: string, tick: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Extends `holder`'s lease of `check` to `leaseMs` from now; false when it holds it no longer. */
  renew(check: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Gives the lease back (its tick stays claimed); false when `holder` held it no longer. */
  finish(check: string, holder: string): Promise<boolean>;
}

/** Checks a claim's arguments; answers the tick as milliseconds since the epoch. */
export function claimArguments(tick: string, leaseMs: number): number {
  const at = typeof tick === 'string' ? Date.parse(tick) : NaN;
  if (Number.isNaN(at)) throw new DomainError('invalid_field', `must be an ISO time, got ${JSON.stringify(tick)}`, { field: 'tick' });
  checkLeaseMs(leaseMs);
  return at;
}

export function checkLeaseMs(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0)
    throw new DomainError('invalid_field', 'must be a positive number of milliseconds', { field: 'leaseMs' });
}

/**
 * The embedded store's leases: one process, so in its memory. A restart forgets the ticks, which
 * costs nothing here: the restarted process's timers start their schedules afresh.
 */
export class ProcessCheckLeases implements CheckLeases {
  private readonly checks = new Map<string, { tick: number; holder?: string; until: number }>();

  async claimTick(check: string, tick: string, holder: string, leaseMs: number): Promise<boolean> {
    const at = claimArguments(tick, leaseMs);
    const now = Date.now();
    const last = this.checks.get(check);
    if (last && (at <= last.tick || (last.holder !== undefined && last.until > now))) return false;
    this.checks.set(check, { tick: at, holder, until: now + leaseMs });
    return true;
  }

  async renew(check: string, holder: string, leaseMs: number): Promise<boolean> {
    checkLeaseMs(leaseMs);
    const lease = this.checks.get(check);
    if (lease?.holder !== holder) return false;
    lease.until = Date.now() + leaseMs;
    return true;
  }

  async finish(check: string, holder: string): Promise<boolean> {
    const lease = this.checks.get(check);
    if (lease?.holder !== holder) return false;
    lease.holder = undefined;
    return true;
  }
}
