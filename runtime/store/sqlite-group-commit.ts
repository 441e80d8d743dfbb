/**
 * The SQLite lead store's write path: group commit (every write of one turn of the event loop in
 * one transaction, committed when the turn ends), the WAL's sync off the event loop, and the
 * counters. Kept apart from sqlite.ts, which runs every write through it, so the durability rule
 * reads in one place.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { CommitCounter, type CommitStats } from './commit-stats.ts';
import type { WalSync } from './sqlite-wal-sync.ts';

/** The writes of one or more turns of the event loop, and the commit (and sync) they wait for. */
interface WriteBatch {
  committed: Promise<void>;
  /** Resolves at COMMIT, before the sync (see {@link GroupCommit.write}'s `until`). */
  applied: Promise<void>;
  apply(): void;
  resolve(): void;
  reject(error: Error): void;
  /** Writes that joined it and did not throw. */
  writes: number;
  /** Of those, the ones answered only after the sync: a commit-only write after one waits for the sync too. */
  syncedWrites: number;
  /** Its turn has ended while a sync ran: it commits when that sync ends. */
  due: boolean;
}

export class GroupCommit {
  /** The open transaction this turn of the event loop's writes share (see {@link GroupCommit.write}). */
  private batch: WriteBatch | undefined;
  /** The committed batch whose WAL sync is running: at most one at a time. */
  private syncing: WriteBatch | undefined;
  /** A failed sync: nothing is known to be on disk since, so every write is refused from then on. */
  private broken: Error | undefined;
  /** {@link close} waiting for the last batch to be committed and synced. */
  private idle: (() => void)[] = [];
  /** What the group commit did so far (see {@link GroupCommit.stats}). */
  private readonly commits = new CommitCounter();

  constructor(
    private readonly db: SqliteDatabase,
    /** The WAL's sync (sqlite-wal-sync.ts); none for an in-memory store, which has no disk to reach. */
    private readonly wal?: WalSync,
  ) {}

  /**
   * Group commit. Every write of one turn of the event loop joins one transaction, committed when
   * the turn ends (`setImmediate`): one commit — one set of WAL frames for the pages the writes
   * share — instead of one per write, which was most of a delivery's store cost. A write's promise
   * resolves only after that commit is on disk (the WAL synced, {@link WalSync}), so nothing is
   * acknowledged (a lead accepted, a job done) before it would survive a power loss.
   *
   * The sync runs on the thread pool while this thread goes on; one runs at a time. A turn that
   * ends while one runs leaves its transaction open, and the writes of the turns after it join;
   * it commits when the sync ends, and its own sync starts. So a slow disk makes the batches larger,
   * not the thread wait.
   *
   * Each write keeps its own atomicity: a `db.transaction` inside the open one runs as a savepoint,
   * and a single statement is atomic on its own, so a write that throws undoes itself only and
   * rejects at once.
   *
   * `until: 'committed'` answers the write at its COMMIT (still after the sync in flight, which its
   * batch waits for), not after its own sync: for a write whose loss in a power cut changes nothing
   * a caller or target could see. A job's claim is one: lost, the job is queued again as it was
   * and sent again, which is what a kept claim gives too once its lease runs out; a process that
   * dies (no power cut) loses no committed write, so a claim's attempt still counts against a lead
   * that crashes the runtime. A delivery waits for one sync fewer before it starts.
   *
   * That holds only while the claim read nothing that is not on disk yet. Every batch before its
   * own is synced by the time it commits (a batch commits after the sync in flight); a write of
   * its own batch made before it is not, so a commit-only write that joins a batch holding a
   * write that waits for its sync (a lead and its job just taken in) waits for the sync as well:
   * else a power cut could lose a lead whose delivery had started, the webmaster never answered.
   */
  write<T>(work: () => T, until: 'synced' | 'committed' = 'synced'): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    let batch = this.batch;
    if (batch && !this.db.inTransaction) {
      // SQLite rolled the shared transaction back (an I/O error, say): its writes are lost
      this.batch = undefined;
      batch.reject(new Error('the transaction was rolled back by SQLite'));
      batch = undefined;
    }
    // inside a transaction a caller opened on `db` itself, that transaction commits the write
    if (!batch && this.db.inTransaction) return new Promise((resolve) => resolve(work()));
    if (!batch) batch = this.open();
    const result = work();
    const committedOnly = until === 'committed' && batch.syncedWrites === 0;
    batch.writes++;
    if (!committedOnly) batch.syncedWrites++;
    return (committedOnly ? batch.applied : batch.committed).then(() => result);
  }

  /** Commits and syncs what is open, waits for the sync under way; then the store may close. */
  async close(): Promise<void> {
    if (this.batch && !this.syncing) this.commit(this.batch);
    if (this.batch || this.syncing) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.wal?.close();
  }

  /** See `SqliteLeadStore.commitStats`. */
  stats(): CommitStats {
    return this.commits.read();
  }

  private open(): WriteBatch {
    this.db.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const committed = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    // a batch no write waits on (all threw) must not report an unhandled rejection
    committed.catch(() => {});
    let apply!: () => void;
    // rejected with the batch when it never commits; resolved at COMMIT otherwise
    const applied = new Promise<void>((ok, fail) => {
      apply = ok;
      committed.catch(fail);
    });
    applied.catch(() => {});
    const batch: WriteBatch = { committed, applied, apply, resolve, reject, writes: 0, syncedWrites: 0, due: false };
    this.batch = batch;
    setImmediate(() => this.turnEnded(batch));
    return batch;
  }

  private turnEnded(batch: WriteBatch): void {
    if (this.batch !== batch) return;
    if (this.syncing) batch.due = true;
    else this.commit(batch);
  }

  private commit(batch: WriteBatch): void {
    this.batch = undefined;
    try {
      if (!this.db.inTransaction) throw new Error('the transaction was rolled back by SQLite');
      const started = performance.now();
      this.db.exec('COMMIT');
      // a batch whose writes all threw commits nothing to the WAL: no commit to count, nothing to sync
      if (batch.writes === 0) return this.settled(batch);
      this.commits.count(batch.writes, performance.now() - started);
      batch.apply();
      if (this.wal) this.sync(batch);
      else this.settled(batch);
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.settled(batch, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private sync(batch: WriteBatch): void {
    this.syncing = batch;
    const started = performance.now();
    (this.wal as WalSync).sync((error) => {
      this.syncing = undefined;
      if (error) return this.fail(batch, error);
      this.commits.synced(performance.now() - started);
      this.settled(batch);
      const next = this.batch;
      if (next?.due) this.commit(next);
    });
  }

  /**
   * The WAL could not be synced: the batch's writes are committed but not known to be on disk, and
   * the disk may have dropped them. Like PostgreSQL after a failed fsync, the store takes no more
   * writes (a retry of fsync can report success for pages the kernel already dropped); the open
   * transaction is rolled back. A restart reads what the disk kept.
   */
  private fail(batch: WriteBatch, error: Error): void {
    this.broken = new Error(
      `the store's write-ahead log could not be synced to disk (${error.message}); no write is taken until a restart`,
    );
    const open = this.batch;
    this.batch = undefined;
    if (open && this.db.inTransaction) this.db.exec('ROLLBACK');
    for (const waiting of open ? [batch, open] : [batch]) this.settled(waiting, this.broken);
  }

  private settled(batch: WriteBatch, error?: Error): void {
    if (error) batch.reject(error);
    else {
      batch.apply();
      batch.resolve();
    }
    if (!this.batch && !this.syncing) for (const resolve of this.idle.splice(0)) resolve();
  }
}
