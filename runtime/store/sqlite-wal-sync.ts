/**
 * The fsync of the SQLite store's write-ahead log, done off the event loop. better-sqlite3 is
 * synchronous: under `synchronous = FULL` every COMMIT waits for its fsync on the runtime's one
 * thread, and nothing else runs meanwhile (a fifth of a delivery's time on this machine's disk).
 * The store opens with `synchronous = NORMAL` instead — COMMIT writes the WAL's frames and returns —
 * and syncs the WAL file itself with `fdatasync` on libuv's thread pool, answering no write before
 * that sync has ended (sqlite-group-commit.ts).
 *
 * That is as durable as FULL: a commit is in the database once its frames are on disk in the WAL,
 * and the sync of a file covers every write to it before the call, through any descriptor (Linux
 * syncs the inode). What NORMAL leaves out, SQLite still does itself: it syncs the WAL before each
 * checkpoint, the database file after it, and the WAL's header when it starts to reuse the file.
 *
 * The WAL is `<file>-wal`, created by the connection before the first commit and kept while it is
 * open (SQLite removes it only when the last connection closes, and the store's stays open). The
 * folder is synced once when the file is first opened here, so its name survives a power loss too.
 */
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';

export class WalSync {
  private fd: number | undefined;
  private readonly file: string;

  /** `file`: the database file; its WAL is beside it. */
  constructor(file: string) {
    // the descriptor opens at the first sync: resolved now, so a change of folder later cannot move it
    this.file = path.resolve(file);
  }

  /** Flushes every WAL write made so far to the disk, on the thread pool; `done` gets its error, if any. */
  sync(done: (error: Error | null) => void): void {
    let fd: number;
    try {
      fd = this.opened();
    } catch (error) {
      queueMicrotask(() => done(error as Error));
      return;
    }
    fdatasync(fd, done);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private opened(): number {
    if (this.fd !== undefined) return this.fd;
    const fd = openSync(`${this.file}-wal`, 'r');
    // the WAL's name in its folder: a new file's entry is on disk only once the folder is synced
    const folder = openSync(path.dirname(this.file), 'r');
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
    this.fd = fd;
    return fd;
  }
}
