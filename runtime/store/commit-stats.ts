/**
 * Counting the SQLite store's group commits (see `SqliteLeadStore.commitStats`): how many COMMITs,
 * how many writes they carried, how long COMMIT held the thread (writing the WAL's frames), and
 * the WAL's syncs that followed, off the thread (sqlite-wal-sync.ts): together what durability costs.
 */

/** Counters since the store opened; they only grow, so a reader takes two readings and subtracts. */
export interface CommitStats {
  /** Successful COMMITs of at least one write (one sync of the WAL each, for a store on disk). */
  commits: number;
  /** Writes those commits carried (a write that threw undid itself and is not counted). */
  writes: number;
  /** Total time spent in COMMIT, ms: on the runtime's thread, which better-sqlite3 holds while it runs. */
  commitMs: number;
  /**
   * Syncs of the WAL that ended well (one per counted commit; sqlite-wal-sync.ts), and their total
   * time, ms: on the thread pool, while the runtime's thread went on; a write waits for its commit's.
   */
  syncs: number;
  syncMs: number;
  /** Sync durations, bucketed as {@link commitMsBuckets}: a slow disk's stalls show in their tail. */
  syncMsBuckets: { upperMs: readonly number[]; counts: number[] };
  /** COMMIT durations: `counts[i]` commits took more than `upperMs[i - 1]` and at most `upperMs[i]` ms. */
  commitMsBuckets: { upperMs: readonly number[]; counts: number[] };
}

/**
 * Upper bounds (ms) of the commit-duration buckets: 0.01 ms × 2^(i/4) up to about 168 s, then
 * Infinity. A quarter of a doubling each, so a percentile read as its bucket's bound is at most 19 %
 * above the true one, in a fixed 98 counters however many commits there were.
 */
export const COMMIT_MS_BOUNDS: readonly number[] = Object.freeze([
  ...Array.from({ length: 97 }, (_, i) => 0.01 * 2 ** (i / 4)),
  Number.POSITIVE_INFINITY,
]);

/** The bucket of a duration: the first bound at or above it. */
export function commitBucket(ms: number): number {
  if (!(ms > COMMIT_MS_BOUNDS[0])) return 0;
  // the logarithm can land a hair off a bound: step to the exact bucket
  let i = Math.min(COMMIT_MS_BOUNDS.length - 1, Math.ceil(4 * Math.log2(ms / 0.01)));
  while (i > 0 && ms <= COMMIT_MS_BOUNDS[i - 1]) i--;
  while (ms > COMMIT_MS_BOUNDS[i]) i++;
  return i;
}

/** The store's running counters. */
export class CommitCounter {
  private commits = 0;
  private writes = 0;
  private commitMs = 0;
  private syncs = 0;
  private syncMs = 0;
  private readonly counts = new Array<number>(COMMIT_MS_BOUNDS.length).fill(0);
  private readonly syncCounts = new Array<number>(COMMIT_MS_BOUNDS.length).fill(0);

  /** One successful COMMIT of `writes` writes that took `ms`. */
  count(writes: number, ms: number): void {
    this.commits++;
    this.writes += writes;
    this.commitMs += ms;
    this.counts[commitBucket(ms)]++;
  }

  /** One sync of the WAL that ended well, `ms` after it started. */
  synced(ms: number): void {
    this.syncs++;
    this.syncMs += ms;
    this.syncCounts[commitBucket(ms)]++;
  }

  /** A copy of the counters. */
  read(): CommitStats {
    return {
      commits: this.commits,
      writes: this.writes,
      commitMs: this.commitMs,
      syncs: this.syncs,
      syncMs: this.syncMs,
      syncMsBuckets: { upperMs: COMMIT_MS_BOUNDS, counts: [...this.syncCounts] },
      commitMsBuckets: { upperMs: COMMIT_MS_BOUNDS, counts: [...this.counts] },
    };
  }
}
