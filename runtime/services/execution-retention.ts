/**
 * The execution log's retention: records older than `days`, and each integration's records past
 * its newest `perIntegration`, are removed in the background, a small batch per write with the
 * event loop free between batches, so intake and deliveries never wait behind one long delete.
 *
 * An execution of a lead still in `new` is never removed (the store keeps it): that lead is not
 * delivered yet, and "retry from the failed node" reads its execution. Once a lead has left `new`,
 * its old executions go like any other, and so do postback and status-check executions: a pruned
 * execution can no longer be retried from its node or re-run from the log (the lead can still be
 * resent).
 */
import type { Logger } from 'pino';
import type { ConfigStore, ExecutionLog } from '../store/types.ts';

export interface RetentionPolicy {
  /** Records started more than this many days ago go; 0 keeps them whatever their age. */
  days: number;
  /** Each integration keeps at most its newest this many records; undefined: no count limit. */
  perIntegration?: number;
  /** How often the pruning runs (it runs once at start too). */
  everyMs: number;
  /** Records removed per write. */
  batch: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { days: 30, everyMs: 10 * 60_000, batch: 500 };

export class ExecutionRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  /** Set by {@link stop}: a pass under way ends after its current batch. */
  private stopping = false;

  constructor(
    private readonly store: ExecutionLog,
    private readonly config: Pick<ConfigStore, 'listIntegrations'>,
    private readonly policy: RetentionPolicy,
    private readonly log?: Logger,
  ) {}

  /** Prunes now, then every `everyMs`, until {@link stop}. */
  start(): void {
    this.stopping = false;
    const tick = () => {
      this.running ??= this.prune()
        .catch((error) => {
          this.log?.error({ err: error }, 'execution log retention: pruning failed');
          return 0;
        })
        .finally(() => {
          this.running = undefined;
        });
      if (this.stopping) return;
      this.timer = setTimeout(tick, this.policy.everyMs);
      this.timer.unref();
    };
    tick();
  }

  /** Clears the timer and waits for a pruning under way to finish its batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One full pass, batch by batch; resolves with how many records it removed. */
  async prune(now = new Date()): Promise<number> {
    let removed = 0;
    const { days, perIntegration } = this.policy;
    if (days > 0) removed += await this.drain({ startedBefore: new Date(now.getTime() - days * 86_400_000) });
    if (perIntegration !== undefined) {
      for (const integration of await this.config.listIntegrations()) {
        if (this.stopping) break;
        removed += await this.drain({ integrationId: integration.id, keepNewest: perIntegration });
      }
    }
    if (removed > 0) this.log?.info({ removed }, 'execution log retention: removed old records');
    return removed;
  }

  private async drain(prune: Parameters<ExecutionLog['pruneExecutions']>[0]): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.store.pruneExecutions(prune, this.policy.batch);
      total += removed;
      if (removed < this.policy.batch || this.stopping) return total;
      // let intake and deliveries run between two batches
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
