/**
 * {@link TargetLimits} on PostgreSQL: each integration's rate and concurrency held across every
 * runtime process on the database.
 *
 * Rate: one row per integration holding the times of the last `limit` requests let through; one
 * upsert (its row lock orders the processes) appends the next slot — `interval` after the request
 * `limit` places back, or now — and answers how long to wait for it, by the database's clock, so
 * the processes' clocks need not agree. This is the sliding window p-throttle's strict mode keeps
 * in one process. rate-limiter-flexible's RateLimiterPostgres was not used: it counts fixed windows
 * (up to twice the limit across a window's edge) and answers "refused, retry in" rather than a
 * place in line, which a request that must go out in order would poll for.
 *
 * Concurrency: rows 1..limit per integration, each free or held by a process until its lease
 * ends; a slot is claimed with `FOR UPDATE SKIP LOCKED` (processes claiming at once never wait on
 * each other's row), renewed by a heartbeat every third of the lease, and given back at release.
 * A process that died stops renewing, and its slots are free again once their lease ran out.
 * A waiter looks again every {@link POLL_MS} at most, at once when a slot of this process comes back.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { rateWindow, type ReleaseSlot, type TargetLimits } from '../coordination.ts';

/** How long a slot is its holder's without a heartbeat, unless given. */
export const DEFAULT_SLOT_LEASE_MS = 15_000;
/** The longest a waiter for a slot goes without looking again. */
const POLL_MS = 50;

export interface PgTargetLimitsOptions {
  /** Defaults to {@link DEFAULT_SLOT_LEASE_MS}; renewed every third of it. */
  leaseMs?: number;
  /** Where a failed renewal is told (the slots it held may be taken once their lease ends). */
  onError?: (error: unknown) => void;
}

const TAKE_RATE_SLOT = `
INSERT INTO target_rate_slots AS r (integration_id, slots)
VALUES ($1, ARRAY[extract(epoch FROM clock_timestamp()) * 1000])
ON CONFLICT (integration_id) DO UPDATE SET slots = (
  r.slots || CASE
    WHEN cardinality(r.slots) >= $2::int
      THEN greatest(extract(epoch FROM clock_timestamp()) * 1000, r.slots[cardinality(r.slots) + 1 - $2::int] + $3::double precision)
    ELSE extract(epoch FROM clock_timestamp()) * 1000
  END
)[greatest(1, cardinality(r.slots) + 2 - $2::int):]
RETURNING slots[cardinality(slots)] - extract(epoch FROM clock_timestamp()) * 1000 AS wait_ms`;

const CLAIM_SLOT = `
UPDATE target_slots s SET holder = $3, lease_until = now() + $4::int * interval '1 millisecond'
WHERE (s.integration_id, s.slot) = (
  SELECT integration_id, slot FROM target_slots
  WHERE integration_id = $1 AND slot <= $2::int AND (holder IS NULL OR lease_until <= now())
  ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING s.slot`;

export class PgTargetLimits implements TargetLimits {
  /** Identifies this instance's leases: a restarted process is a new holder. */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  /** `integration\u0000limit` whose rows exist already. */
  private readonly made = new Set<string>();
  /** Slots held now, `integration\u0000slot`. */
  private readonly held = new Set<string>();
  /** Waiters of this process, woken when one of its slots comes back. */
  private readonly wakers = new Set<() => void>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgTargetLimitsOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_SLOT_LEASE_MS;
  }

  async waitForRate(integrationId: string, rate: number | undefined): Promise<void> {
    if (!rate || rate <= 0) return;
    const { limit, intervalMs } = rateWindow(rate);
    const { rows } = await this.pool.query<{ wait_ms: number }>(TAKE_RATE_SLOT, [integrationId, limit, intervalMs]);
    const waitMs = Math.ceil(Number(rows[0]?.wait_ms ?? 0));
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  async acquireSlot(integrationId: string, limit: number, signal?: AbortSignal): Promise<ReleaseSlot> {
    const slots = Math.max(1, Math.floor(limit));
    for (let misses = 0; ; misses++) {
      signal?.throwIfAborted();
      if (this.closed) throw new Error('the target limits are closed: no slot is taken any more');
      // made again now and then while waiting: the table is unlogged, emptied by a crash of the database server
      if (misses % 20 === 0) await this.makeSlots(integrationId, slots, misses > 0);
      const { rows } = await this.pool.query<{ slot: number }>(CLAIM_SLOT, [integrationId, slots, this.holder, this.leaseMs]);
      if (rows.length > 0) return this.hold(integrationId, rows[0].slot);
      await this.nap(signal);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.held.size === 0) return;
    this.held.clear();
    try {
      await this.pool.query('UPDATE target_slots SET holder = NULL, lease_until = NULL WHERE holder = $1', [this.holder]);
    } catch (error) {
      // left to their lease: another process takes them once it ends
      this.options.onError?.(error);
    }
  }

  private async makeSlots(integrationId: string, limit: number, again: boolean): Promise<void> {
    const key = `${integrationId}\u0000${limit}`;
    if (this.made.has(key) && !again) return;
    await this.pool.query(
      'INSERT INTO target_slots (integration_id, slot) SELECT $1, g FROM generate_series(1, $2::int) AS g ON CONFLICT DO NOTHING',
      [integrationId, limit],
    );
    this.made.add(key);
  }

  private hold(integrationId: string, slot: number): ReleaseSlot {
    const key = `${integrationId}\u0000${slot}`;
    this.held.add(key);
    if (!this.heartbeat && !this.closed) {
      this.heartbeat = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
      this.heartbeat.unref();
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.held.delete(key);
      if (this.held.size === 0) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
      try {
        await this.pool.query(
          'UPDATE target_slots SET holder = NULL, lease_until = NULL WHERE integration_id = $1 AND slot = $2 AND holder = $3',
          [integrationId, slot, this.holder],
        );
      } finally {
        for (const wake of this.wakers) wake();
      }
    };
  }

  private async renew(): Promise<void> {
    const holding = this.held.size;
    if (holding === 0) return;
    try {
      const renewed = await this.pool.query(
        `UPDATE target_slots SET lease_until = now() + $2::int * interval '1 millisecond' WHERE holder = $1`,
        [this.holder, this.leaseMs],
      );
      // a lease ran out before its renewal (a stalled process) and another took the slot: told, as it may overrun the limit
      if ((renewed.rowCount ?? 0) < Math.min(holding, this.held.size)) {
        this.options.onError?.(
          new Error(`${holding - (renewed.rowCount ?? 0)} concurrency slot(s) lost their lease before it was renewed`),
        );
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Waits {@link POLL_MS}, or less when a slot of this process comes back or `signal` aborts. */
  private nap(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      this.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
