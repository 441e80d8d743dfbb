/**
 * The store's group commits over one measurement: two readings of `SqliteLeadStore.commitStats`
 * (through the runtime child's `commits` command) turned into what the intake rows report — leads
 * per commit (per sync of the WAL), commits per second, mean and p99 ms per COMMIT, mean ms per sync.
 */
import type { CommitStats } from '../runtime/store/commit-stats.ts';
import type { RuntimeChild } from './harness.ts';
import { round2 } from './results.ts';

export type CommitReading = CommitStats & { synchronous: number };

export interface CommitFigures {
  commits: number;
  /** Leads answered 2xx in the measurement per commit. */
  leadsPerCommit: number;
  /** The store's writes per commit (a lead — its row, job and intake keys — is one; any other write counts too). */
  writesPerCommit: number;
  commitsPerSecond: number;
  commitMeanMs: number;
  /** Share of the measurement the runtime's one thread spent in COMMIT (better-sqlite3 blocks while it runs), %. */
  commitBusyPct: number;
  /** From the store's buckets: the bound of the bucket the 99th percentile falls in (at most 19 % high). */
  commitP99Ms: number;
  /** Mean ms per sync of the WAL after a COMMIT, off the runtime's thread (the writes wait for it, the thread does not). */
  syncMeanMs: number;
  /** The syncs' p99 and longest, as bucket bounds (at most 19 % high): a disk's stalls, which every write then waits out. */
  syncP99Ms: number;
  syncMaxMs: number;
  synchronous: 'FULL' | 'NORMAL' | string;
}

export function readCommits(runtime: RuntimeChild): Promise<CommitReading> {
  return runtime.call<CommitReading>('commits');
}

/** What happened between two readings taken around a load run that stored `leads` in `seconds`. */
export function commitFigures(before: CommitReading, after: CommitReading, leads: number, seconds: number): CommitFigures {
  const commits = after.commits - before.commits;
  const syncs = after.syncs - before.syncs;
  return {
    commits,
    leadsPerCommit: commits ? round2(leads / commits) : NaN,
    writesPerCommit: commits ? round2((after.writes - before.writes) / commits) : NaN,
    commitsPerSecond: round2(commits / seconds),
    commitMeanMs: commits ? round2((after.commitMs - before.commitMs) / commits) : NaN,
    commitBusyPct: round2((after.commitMs - before.commitMs) / (seconds * 10)),
    commitP99Ms: round2(bucketQuantile(after.commitMsBuckets, before.commitMsBuckets, 0.99)),
    syncMeanMs: syncs > 0 ? round2((after.syncMs - before.syncMs) / syncs) : NaN,
    syncP99Ms: round2(bucketQuantile(after.syncMsBuckets, before.syncMsBuckets, 0.99)),
    syncMaxMs: round2(bucketQuantile(after.syncMsBuckets, before.syncMsBuckets, 1)),
    synchronous:
      ({ 0: 'OFF', 1: 'NORMAL', 2: 'FULL', 3: 'EXTRA' } as Record<number, string>)[after.synchronous] ?? String(after.synchronous),
  };
}

/**
 * The bound of the bucket where the quantile `q` of the durations counted between two readings
 * falls (`q = 1`: the longest's); NaN when none was counted.
 */
function bucketQuantile(after: CommitStats['commitMsBuckets'], before: CommitStats['commitMsBuckets'], q: number): number {
  const counts = after.counts.map((n, i) => n - before.counts[i]);
  const total = counts.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let i = 0; i < counts.length && total > 0; i++) {
    seen += counts[i];
    if (seen >= q * total) return after.upperMs[i];
  }
  return NaN;
}

/**
 * The figures as a note: "88 leads per commit (one WAL sync each, off the thread, mean 1.2 ms), 43
 * commits/s, COMMIT mean 0.36 ms, p99 1.31 ms, 1.2 % of the time".
 */
export function commitNote(f: CommitFigures): string {
  const per =
    f.synchronous === 'FULL'
      ? "commit (fsync'd inside COMMIT, on the thread)"
      : `commit (one WAL sync each, off the thread, mean ${f.syncMeanMs} ms, p99 ${f.syncP99Ms} ms, longest ≤ ${f.syncMaxMs} ms)`;
  return `${f.leadsPerCommit} leads per ${per}, ${f.commitsPerSecond} commits/s, COMMIT mean ${f.commitMeanMs} ms, p99 ${f.commitP99Ms} ms, ${f.commitBusyPct} % of the time`;
}
