/**
 * Leases between processes that share a data folder: a lease is a file in `dir`, created only
 * when absent (written beside it, then hard-linked in place: atomic on every local file system), holding its holder and its
 * end. A holder that died (`kill -9`) leaves its file behind; the next taker removes it once its
 * process is gone or its lease has ended, and takes a new one — so a crash blocks nobody.
 *
 * What kept-secrets.ts uses so that one process at a time refreshes an integration's token with
 * the embedded store. A PostgreSQL backend takes a session advisory lock on the lease name's hash
 * instead (`pg_advisory_lock`, released by `pg_advisory_unlock` or when the holder's connection
 * drops), which needs no end time.
 *
 * @example
 * const leases = new FileLeases(path.join(dataDir, 'leases'));
 * const release = await leases.acquire('crm/refresh_token', 30_000);
 * try { await refresh(); } finally { await release(); }
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Takes and releases named leases. */
export interface Leases {
  /** Waits until the lease is free, takes it for `ttlMs`, and resolves with its release. */
  acquire(name: string, ttlMs: number): Promise<() => Promise<void>>;
}

/** How often a taker looks again while the lease is held by another process. */
const POLL_MS = 25;

export class FileLeases implements Leases {
  private made: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {}

  async acquire(name: string, ttlMs: number): Promise<() => Promise<void>> {
    this.made ??= fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.made;
    // hashed: a name may hold characters a file name cannot
    const file = path.join(this.dir, `${createHash('sha256').update(name).digest('hex').slice(0, 32)}.lease`);
    const holder = `${process.pid}:${randomUUID()}`;
    for (;;) {
      // written whole beside it, then linked in place: link fails when the lease exists, and a
      // reader never sees a half-written one
      const draft = `${file}.${process.pid}.${randomUUID()}`;
      await fs.writeFile(draft, JSON.stringify({ holder, until: Date.now() + ttlMs }), { mode: 0o600 });
      let taken = false;
      try {
        await fs.link(draft, file);
        taken = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await fs.rm(draft, { force: true });
      }
      if (taken) {
        return async () => {
          // only our own lease: one that ran out and was taken over is the new holder's
          if ((await readLease(file))?.holder === holder) await fs.rm(file, { force: true });
        };
      }
      const held = await readLease(file);
      // gone (released meanwhile) or ended (its holder died): removed, then taken anew. Two takers that
      // read the same dead lease could both take it (one removing the other's new one): that needs a
      // crash and two refreshes within the same moment, and costs one refused refresh at worst
      if (!held || held.until <= Date.now() || !alive(held.holder)) await fs.rm(file, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

/** Whether the holder's process still runs (same machine: the data folder is local). */
function alive(holder: string): boolean {
  const pid = Number(holder.split(':')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs under another user
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function readLease(file: string): Promise<{ holder: string; until: number } | undefined> {
  try {
    const lease = JSON.parse(await fs.readFile(file, 'utf8')) as { holder?: unknown; until?: unknown };
    return typeof lease.holder === 'string' && typeof lease.until === 'number' ? { holder: lease.holder, until: lease.until } : undefined;
  } catch {
    return undefined;
  }
}
