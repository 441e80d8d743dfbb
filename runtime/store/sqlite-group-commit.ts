/**
 * The SQLite lead store's write path: group commit (every write of one turn of the event loop in
 * one transaction, committed when the turn ends) and its counters. Kept apart from sqlite.ts, which
 * runs every write through it, so the durability rule reads in one place.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { CommitCounter, type CommitStats } from './commit-stats.ts';

/** The writes of one turn of the event loop, and the commit they wait for. */
interface WriteBatch {
  committed: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  /** Writes that joined it and did not throw. */
  writes: number;
}

export class GroupCommit {
  /** The transaction this turn of the event loop's writes share (see {@link GroupCommit.write}). */
  private batch: WriteBatch | undefined;
  /** What the group commit did so far (see {@link GroupCommit.stats}). */
  private readonly commits = new CommitCounter();

  constructor(private readonly db: SqliteDatabase) {}

  /**
   * Group commit. Every write of one turn of the event loop joins one transaction, committed when
   * the turn ends (`setImmediate`): one commit — one set of WAL frames for the pages the writes
   * share — instead of one per write, which was most of a delivery's store cost. A write's promise
   * resolves only after that commit, so nothing is acknowledged (a lead accepted, a job done)
   * before it is on disk. Each write keeps its own atomicity: a `db.transaction` inside the open
   * one runs as a savepoint, and a single statement is atomic on its own, so a write that throws
   * undoes itself only and rejects at once.
   */
  write<T>(work: () => T): Promise<T> {
    let batch = this.batch;
    if (batch && !this.db.inTransaction) {
      // SQLite rolled the shared transaction back (an I/O error, say): its writes are lost
      this.settle(batch, new Error('the transaction was rolled back by SQLite'));
      batch = undefined;
    }
    // inside a transaction a caller opened on `db` itself, that transaction commits the write
    if (!batch && this.db.inTransaction) return new Promise((resolve) => resolve(work()));
    if (!batch) batch = this.open();
    const result = work();
    batch.writes++;
    return batch.committed.then(() => result);
  }

  /** Commits the open batch now, if there is one (the store is closing). */
  flush(): void {
    if (this.batch) this.commit(this.batch);
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
    const batch: WriteBatch = { committed, resolve, reject, writes: 0 };
    this.batch = batch;
    setImmediate(() => this.commit(batch));
    return batch;
  }

  private commit(batch: WriteBatch): void {
    if (this.batch !== batch) return;
    try {
      if (!this.db.inTransaction) throw new Error('the transaction was rolled back by SQLite');
      const started = performance.now();
      this.db.exec('COMMIT');
      // a turn whose writes all threw commits nothing to the WAL: no fsync to count
      if (batch.writes > 0) this.commits.count(batch.writes, performance.now() - started);
      this.settle(batch);
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.settle(batch, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private settle(batch: WriteBatch, error?: Error): void {
    if (this.batch === batch) this.batch = undefined;
    if (error) batch.reject(error);
    else batch.resolve();
  }
}
