/**
 * Counting the SQLite store's group commits (see `SqliteLeadStore.commitStats`): how many COMMITs,
 * how many writes they carried, and how long COMMIT took — under `synchronous = FULL` that is where
 * the WAL is fsync'd, so this is what durability costs.
 */

/** Counters since the store opened; they only grow, so a reader takes two readings and subtracts. */
export interface CommitStats {
  /** Successful COMMITs of at least one write (one fsync of the WAL each under `synchronous = FULL`). */
  commits: number;
  /** Writes those commits carried (a write that threw undid itself and is not counted). */
  writes: number;
  /** Total time spent in COMMIT, ms. */
  commitMs: number;
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
  private readonly counts = new Array<number>(COMMIT_MS_BOUNDS.length).fill(0);

  /** One successful COMMIT of `writes` writes that took `ms`. */
  count(writes: number, ms: number): void {
    this.commits++;
    this.writes += writes;
    this.commitMs += ms;
    this.counts[commitBucket(ms)]++;
  }

  /** A copy of the counters. */
  read(): CommitStats {
    return {
      commits: this.commits,
      writes: this.writes,
      commitMs: this.commitMs,
      commitMsBuckets: { upperMs: COMMIT_MS_BOUNDS, counts: [...this.counts] },
    };
  }
}
