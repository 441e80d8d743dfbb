/**
 * {@link CheckLeases} on PostgreSQL: one row per check in `check_leases` (the last tick claimed,
 * its holder and lease end), claimed by one upsert guarded by the tick order and the lease's end,
 * on the database's clock, so the processes' clocks never decide who holds a lease.
 *
 * Why a table and not advisory locks: an advisory lock lasts as long as its connection, so it
 * would pin one pooled connection per running check for the whole run, and it remembers nothing
 * once released — a process whose timer fires a moment after the holder finished a short check
 * would take the lock and run the same tick again. The row remembers the tick, the lease frees
 * itself when a holder dies (its renewals stop), and a claim is one short statement on any connection.
 * Schema: version 13 of {@link LOG_MIGRATIONS} (schema-log.ts).
 *
 * @example
 * const leases = new PgCheckLeases(pool);
 * await leases.claimTick('status.range/crm', '2026-12-01T10:05:00.000Z', 'host-a:4242', 30_000); // true in one process only
 */
import type { Pool } from 'pg';
import { checkLeaseMs, claimArguments, type CheckLeases } from '../check-leases.ts';

// ON CONFLICT takes the row's lock, so two processes claiming at once are serialised and the
// second sees the first's tick: no row back, false
const CLAIM = `INSERT INTO check_leases (check_name, tick, holder, lease_until, claimed_at)
  VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', now())
  ON CONFLICT (check_name) DO UPDATE SET
    tick = excluded.tick, holder = excluded.holder, lease_until = excluded.lease_until, claimed_at = excluded.claimed_at
  WHERE check_leases.tick < excluded.tick AND (check_leases.holder IS NULL OR check_leases.lease_until <= now())
  RETURNING check_name`;

export class PgCheckLeases implements CheckLeases {
  /** The pool is the caller's: it opens and ends it. */
  constructor(private readonly pool: Pool) {}

  async claimTick(check: string, tick: string, holder: string, leaseMs: number): Promise<boolean> {
    const at = claimArguments(tick, leaseMs);
    const result = await this.pool.query({
      name: 'lf-check-lease-claim',
      text: CLAIM,
      values: [check, new Date(at).toISOString(), holder, leaseMs],
    });
    return result.rowCount === 1;
  }

  async renew(check: string, holder: string, leaseMs: number): Promise<boolean> {
    checkLeaseMs(leaseMs);
    const result = await this.pool.query({
      name: 'lf-check-lease-renew',
      text: `UPDATE check_leases SET lease_until = now() + $3 * interval '1 millisecond' WHERE check_name = $1 AND holder = $2`,
      values: [check, holder, leaseMs],
    });
    return result.rowCount === 1;
  }

  async finish(check: string, holder: string): Promise<boolean> {
    const result = await this.pool.query({
      name: 'lf-check-lease-finish',
      text: 'UPDATE check_leases SET holder = NULL, lease_until = NULL WHERE check_name = $1 AND holder = $2',
      values: [check, holder],
    });
    return result.rowCount === 1;
  }
}
