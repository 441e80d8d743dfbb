/**
 * What the runtime processes sharing one store agree on beyond its records: each target's request
 * rate and concurrency ({@link TargetLimits}) and the session tokens nodes log in for
 * ({@link SharedTokens}).
 *
 * Two implementations of each: in-process (runtime/engine/target-limits.ts, runtime/engine/shared-tokens.ts),
 * what the embedded store's single process uses, and PostgreSQL (store/pg/target-limits.ts,
 * store/pg/shared-tokens.ts), which hold across every runtime process on one database.
 * `createRuntime` takes either (`RuntimeOptions.targetLimits`, `RuntimeOptions.sharedTokens`) and
 * defaults to the in-process ones.
 */
import type { SharedCache } from '../../core/node/contract.ts';

/** Gives back a concurrency slot taken with {@link TargetLimits.acquireSlot}; a second call does nothing. */
export type ReleaseSlot = () => Promise<void>;

/**
 * An integration's rate limit (requests a second to its target, all its flows together) and its
 * concurrency limit (deliveries at once), held by every process that shares this instance's backend.
 *
 * @example
 * await limits.waitForRate('crm', 5); // at most 5 requests in any second, across processes
 * const release = await limits.acquireSlot('crm', deliveryConcurrency(integration));
 * try { await deliver(); } finally { await release(); }
 */
export interface TargetLimits {
  /**
   * Resolves when the integration may send its next request under `rate` per second: at most
   * {@link rateWindow}`(rate).limit` requests in any window of its `intervalMs` (a sliding window,
   * as p-throttle's strict mode counts). At once when `rate` is unset or not above 0.
   */
  waitForRate(integrationId: string, rate: number | undefined): Promise<void>;
  /**
   * Takes one of the integration's `limit` concurrency slots, waiting until one is free, and
   * resolves with its release. A slot is held on a lease its holder renews while it lives: a slot
   * a dead process held comes back once its lease runs out. `signal` ends the wait (the promise
   * rejects with its reason).
   */
  acquireSlot(integrationId: string, limit: number, signal?: AbortSignal): Promise<ReleaseSlot>;
  /** Stops renewing and gives back the slots still held. The caller's pool stays open. */
  close(): Promise<void>;
}

/**
 * Whole requests per window: 0.5/s is 1 per 2 s, 20/s is 20 per second, 2.5/s is 3 per 1.2 s.
 * Shared by both implementations so they count the same.
 */
export function rateWindow(rate: number): { limit: number; intervalMs: number } {
  const limit = Math.max(1, Math.round(rate));
  return { limit, intervalMs: Math.round((1000 * limit) / rate) };
}

/**
 * The values nodes keep between runs that a login obtained (Auth Token's session token), per
 * integration, with one login at a time per key ({@link SharedCache.alone}): in this process for the
 * in-process one; across every process on the database for the PostgreSQL one, which keeps the
 * values sealed with the integration secrets' key (never in clear in the database) and honours
 * their expiry.
 */
export interface SharedTokens {
  /** The view a run of integration `integrationId` gets as `context.shared`: its keys only. */
  scope(integrationId: string): SharedCache;
  /** Lets go of what it holds (a lock waited for); the caller's pool stays open. */
  close(): Promise<void>;
}
