/**
 * The in-process {@link TargetLimits}: the rate limits of rate-limit.ts (p-throttle, per integration)
 * and a counting semaphore per integration for its concurrency. Right for one process (the embedded
 * store): a second process would count on its own. The job queue's claims already take no more of an
 * integration's deliveries than its concurrency, so the semaphore only ever waits when the limit was
 * lowered while deliveries ran.
 */
import type { ReleaseSlot, TargetLimits } from '../store/coordination.ts';
import { RateLimits } from './rate-limit.ts';

interface Semaphore {
  held: number;
  /** Waiters in arrival order: each is handed a slot as one comes back. */
  waiting: { limit: number; take: () => void }[];
}

export class InProcessTargetLimits implements TargetLimits {
  private readonly rates = new RateLimits();
  private readonly slots = new Map<string, Semaphore>();

  waitForRate(integrationId: string, rate: number | undefined): Promise<void> {
    return this.rates.wait(integrationId, rate);
  }

  acquireSlot(integrationId: string, limit: number, signal?: AbortSignal): Promise<ReleaseSlot> {
    signal?.throwIfAborted();
    let semaphore = this.slots.get(integrationId);
    if (!semaphore) this.slots.set(integrationId, (semaphore = { held: 0, waiting: [] }));
    const entry = semaphore;
    const release = once(async () => {
      entry.held--;
      this.handOn(integrationId, entry);
    });
    if (entry.held < Math.max(1, limit) && entry.waiting.length === 0) {
      entry.held++;
      return Promise.resolve(release);
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter = {
        limit: Math.max(1, limit),
        take: () => {
          signal?.removeEventListener('abort', abort);
          resolve(release);
        },
      };
      const abort = () => {
        entry.waiting.splice(entry.waiting.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      entry.waiting.push(waiter);
    });
  }

  async close(): Promise<void> {}

  private handOn(integrationId: string, entry: Semaphore): void {
    while (entry.waiting.length > 0 && entry.held < entry.waiting[0].limit) {
      entry.held++;
      entry.waiting.shift()!.take();
    }
    if (entry.held === 0 && entry.waiting.length === 0) this.slots.delete(integrationId);
  }
}

/** `release` that does its work the first time only. */
export function once(release: () => Promise<void>): ReleaseSlot {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    await release();
  };
}
