/**
 * The group commit's sync of the WAL, off the event loop (runtime/store/sqlite-wal-sync.ts): a
 * write is answered only once its commit's sync has ended, one sync runs at a time, the turns that
 * end meanwhile wait in one open transaction, and a failed sync refuses every write after it.
 * The sync here is the real one, held back until the test lets it go, or failed on purpose.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../runtime/store/sqlite-group-commit.ts';
import { WalSync } from '../../runtime/store/sqlite-wal-sync.ts';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';

/** The real sync, each call held until {@link release}, or failed by {@link failNext}. */
class HeldSync extends WalSync {
  readonly held: ((error: Error | null) => void)[] = [];
  private failure: Error | undefined;
  calls = 0;

  override sync(done: (error: Error | null) => void): void {
    this.calls++;
    this.held.push(done);
  }

  /** Lets the oldest held sync run for real. */
  release(): void {
    const done = this.held.shift();
    if (!done) throw new Error('no sync is held');
    const failure = this.failure;
    this.failure = undefined;
    if (failure) queueMicrotask(() => done(failure));
    else super.sync(done);
  }

  failNext(error: Error): void {
    this.failure = error;
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
/** Whether a promise has settled, looked at after a turn. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await turn();
  return done;
}

const dirs: string[] = [];
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setUp() {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-walsync-'));
  dirs.push(dir);
  const file = path.join(dir, 'x.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (v TEXT NOT NULL)');
  const reader = new Database(file, { readonly: true });
  dbs.push(db, reader);
  const sync = new HeldSync(file);
  const group = new GroupCommit(db, sync);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const write = (v: string) => group.write(() => insert.run(v).changes);
  /** A write answered at its COMMIT, as a job's claim is. */
  const claim = (v: string) => group.write(() => insert.run(v).changes, 'committed');
  /** What another connection sees committed. */
  const visible = () => reader.prepare('SELECT group_concat(v) FROM t').pluck().get();
  return { db, group, sync, write, claim, visible };
}

describe('the WAL synced off the event loop', () => {
  it('answers a write only after its commit is synced, its commit visible before', async () => {
    const { sync, write, visible } = setUp();
    const a = write('a');
    expect(await settled(a)).toBe(false);
    // committed at the turn's end (another connection reads it), waiting for its sync
    expect(visible()).toBe('a');
    expect(sync.calls).toBe(1);
    sync.release();
    await expect(a).resolves.toBe(1);
  });

  it('runs one sync at a time: the turns ending meanwhile share one open transaction, committed when it ends', async () => {
    const { group, sync, write, visible } = setUp();
    const a = write('a');
    await turn();
    const b = write('b');
    await turn();
    const c = write('c');
    await turn();
    // a's sync still runs: b and c are in one transaction, not committed yet, and no second sync began
    expect(visible()).toBe('a');
    expect(sync.calls).toBe(1);
    expect(await settled(b)).toBe(false);
    sync.release();
    await a;
    expect(visible()).toBe('a,b,c');
    expect(sync.calls).toBe(2);
    expect(await settled(c)).toBe(false);
    sync.release();
    await expect(Promise.all([b, c])).resolves.toEqual([1, 1]);
    const stats = group.stats();
    expect([stats.commits, stats.writes, stats.syncs]).toEqual([2, 3, 2]);
  });

  it("a write that needs only its commit (a job's claim) is answered at COMMIT, before the sync; still after the sync in flight", async () => {
    const { sync, write, claim, visible } = setUp();
    const a = write('a');
    await turn();
    // a's sync runs: the claim waits in the open transaction, not committed yet
    const b = claim('b');
    await turn();
    expect(await settled(b)).toBe(false);
    sync.release();
    await a;
    // committed when a's sync ended; answered then, its own sync still held
    await expect(b).resolves.toBe(1);
    expect(visible()).toBe('a,b');
    expect(sync.held).toHaveLength(1);
    sync.release();
  });

  it('a commit-only write that joins a batch holding a write not yet synced waits for that sync: it may have read it', async () => {
    const { sync, write, claim, visible } = setUp();
    // a lead taken in and its delivery claimed in one turn: the claim could have read the new job
    const a = write('a');
    const b = claim('b');
    await turn();
    expect(visible()).toBe('a,b');
    expect(await settled(b)).toBe(false);
    sync.release();
    await expect(Promise.all([a, b])).resolves.toEqual([1, 1]);

    // a claim that opens its batch read only what earlier batches (synced by its COMMIT) hold;
    // a write joining after it does not hold it back
    const c = claim('c');
    const d = write('d');
    await turn();
    await expect(c).resolves.toBe(1);
    expect(await settled(d)).toBe(false);
    sync.release();
    await d;
  });
  it('a commit-only write that SQLite could not commit is refused, not answered', async () => {
    const { group, sync, write } = setUp();
    const a = write('a');
    await turn();
    const b = group.write(() => 1, 'committed');
    sync.failNext(new Error('EIO: i/o error, fdatasync'));
    sync.release();
    await expect(a).rejects.toThrow(/could not be synced/);
    // its batch was rolled back with the failed sync's: never committed
    await expect(b).rejects.toThrow(/could not be synced/);
  });

  it('after a failed sync refuses the writes it covered, rolls back the open ones and takes no more', async () => {
    const { sync, write, visible } = setUp();
    const a = write('a');
    await turn();
    const b = write('b');
    sync.failNext(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    sync.release();
    await expect(a).rejects.toThrow(/write-ahead log could not be synced to disk \(EIO: i\/o error, fdatasync\); no write is taken/);
    await expect(b).rejects.toThrow(/could not be synced/);
    // b was never committed
    expect(visible()).toBe('a');
    await expect(write('c')).rejects.toThrow(/no write is taken until a restart/);
    expect(visible()).toBe('a');
  });

  it('closing waits for the sync under way and commits and syncs what is open', async () => {
    const { group, sync, write, visible } = setUp();
    const a = write('a');
    await turn();
    const b = write('b');
    const closed = group.close();
    expect(await settled(closed)).toBe(false);
    sync.release();
    await a;
    await turn();
    expect(visible()).toBe('a,b');
    expect(await settled(closed)).toBe(false);
    sync.release();
    await Promise.all([b, closed]);
  });

  it('is what the lead store does on disk: synchronous NORMAL, one sync per commit', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-walsync-'));
    dirs.push(dir);
    const store = openSqliteLeadStore(path.join(dir, 'leads.sqlite'));
    try {
      expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
      const before = store.commitStats();
      await Promise.all([1, 2].map((i) => store.insertLead({ offer: 'tea', phone: `+49151000${i}` }, 'crm', [])));
      await store.insertLead({ offer: 'tea', phone: '+491510003' }, 'crm', []);
      const after = store.commitStats();
      expect(after.commits - before.commits).toBe(2);
      expect(after.syncs - before.syncs).toBe(2);
      expect(after.syncMs).toBeGreaterThan(before.syncMs);
      // each sync in the bucket of its duration
      const bucketed = (s: typeof after) => s.syncMsBuckets.counts.reduce((a, b) => a + b, 0);
      expect(bucketed(after) - bucketed(before)).toBe(2);
    } finally {
      await store.close();
    }
  });
});
