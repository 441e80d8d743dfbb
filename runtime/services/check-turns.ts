/**
 * This process's turns at the status checks, over the store's {@link CheckLeases}: a scheduled
 * run takes its tick first (another process may have it), a run by hand takes the check's turn
 * at the time it was asked, and the run holds the lease — renewed while it runs, given back after.
 *
 * Within the process one run of a check at a time is StatusChecks' own rule (a second ask joins
 * the running one); here, a turn the process already holds is its own: the scheduled tick that
 * took it and a "Check now" asked a moment later are one run, not two claims that fight.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Cron } from 'croner';
import type { Schedule } from '../../core/node/schedule.ts';
import { ProcessCheckLeases, type CheckLeases } from '../store/check-leases.ts';

/** A lease's default length: how long a dead process keeps a check from the others, at most. */
export const CHECK_LEASE_MS = 30_000;

/** How StatusChecks takes turns (the defaults: one process alone on the embedded store). */
export interface CheckTurnOptions {
  /** The store's leases; PostgreSQL's when several processes share the database. */
  leases?: CheckLeases;
  /** This process as a lease holder: unique among the processes (default: host, pid and a random part). */
  holder?: string;
  /** A lease's length; renewed every third of it while the check runs. */
  leaseMs?: number;
}

/**
 * The tick a scheduled run belongs to, the same in every process whatever its timer's phase: an
 * interval's ticks are the multiples of the interval since the epoch (processes started at
 * different times fire at different moments within one); a cron pattern's, the latest time it
 * matches at or before `now`.
 */
export function scheduledTick(schedule: Schedule, now: Date, cron: Pick<Cron, 'previousRuns'>): string {
  if ('every' in schedule) {
    const everyMs = schedule.every * 1000;
    return new Date(Math.floor(now.getTime() / everyMs) * everyMs).toISOString();
  }
  // croner strips the milliseconds and answers times strictly before: a second on, the match at `now` counts
  const [matched] = cron.previousRuns(1, new Date(now.getTime() + 1000));
  return (matched ?? now).toISOString();
}

export class CheckTurns {
  readonly holder: string;
  private readonly leases: CheckLeases;
  private readonly leaseMs: number;
  /** Checks whose lease this process holds. */
  private readonly held = new Set<string>();
  /** The last tick this process took of each check (ms). */
  private readonly lastTick = new Map<string, number>();
  /** Each check's claims, one after another, so the process never races itself. */
  private readonly claims = new Map<string, Promise<boolean>>();

  constructor(
    options: CheckTurnOptions,
    private readonly log: Logger,
  ) {
    this.leases = options.leases ?? new ProcessCheckLeases();
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? CHECK_LEASE_MS;
  }

  /**
   * A run by hand's tick: now, or just after the last tick this process took of the check, so two
   * runs by hand within one millisecond are two ticks.
   */
  askedNow(check: string): string {
    const at = Math.max(Date.now(), (this.lastTick.get(check) ?? 0) + 1);
    return new Date(at).toISOString();
  }

  /** Takes `check`'s turn for `tick`; false when another process has it (or had that tick). */
  take(check: string, tick: string): Promise<boolean> {
    const claim = (this.claims.get(check) ?? Promise.resolve(true))
      .catch(() => false)
      .then(async () => {
        if (this.held.has(check)) return true;
        const taken = await this.leases.claimTick(check, tick, this.holder, this.leaseMs);
        if (taken) {
          this.held.add(check);
          this.lastTick.set(check, Date.parse(tick));
        }
        return taken;
      });
    this.claims.set(check, claim);
    void claim
      .finally(() => {
        if (this.claims.get(check) === claim) this.claims.delete(check);
      })
      .catch(() => {});
    return claim;
  }

  /** Renews the lease while the run goes on; answers the function that stops renewing. */
  keep(check: string): () => void {
    const timer = setInterval(
      () => {
        this.leases.renew(check, this.holder, this.leaseMs).then(
          (kept) => {
            if (!kept) this.log.warn({ check, holder: this.holder }, 'status check: its lease ran out and another process took it over');
          },
          (error) => this.log.warn({ err: error, check }, 'status check: renewing its lease failed'),
        );
      },
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Gives the turn back once the run is over (its tick stays taken). */
  async end(check: string): Promise<void> {
    this.held.delete(check);
    try {
      await this.leases.finish(check, this.holder);
    } catch (error) {
      // the lease then runs out by itself: the next tick waits at most that long
      this.log.warn({ err: error, check }, 'status check: giving its lease back failed');
    }
  }
}
