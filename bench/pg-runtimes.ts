/**
 * One or several runtime processes on one fresh PostgreSQL database, as the bench's PostgreSQL
 * rows measure them: the first is set up through its API (flows, offers, integrations, the bench
 * source), the others start after it on the same database with the same `LEADFLOW_SECRET_KEY` and
 * read that configuration from it; the load is spread over all of them (bench/load.ts). Their CPU
 * is the runtimes' together plus the database server's, their peak RSS the runtimes' summed.
 */
import { randomBytes } from 'node:crypto';
import { round2 } from './results.ts';
import type { RuntimeChild, RuntimeChildOptions } from './harness.ts';
import type { BenchPostgres } from './postgres.ts';

export interface PgRuntimes {
  /** The runtimes, the first the one set up. */
  runtimes: RuntimeChild[];
  /** Where the load goes: every runtime's intake, with the bench source's key. */
  target: { url: string[]; headers: Record<string, string> };
  /** The stores' reads (progress, deliveries, maxLeadId) and every other IPC command, answered by the first runtime: the database is theirs together. */
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  /** The runtimes' CPU (user + system) plus the database server's when the bench started it, ms. */
  cpuMs(): number;
  /** The runtimes' CPU alone, ms. */
  runtimeCpuMs(): number;
  /** The database server's, ms; undefined for a server the bench did not start. */
  databaseCpuMs(): number | undefined;
  resetPeak(): void;
  /** The runtimes' peaks (VmHWM) summed, MB. */
  peakRssMb(): number;
  /** Stops every runtime and drops the database. */
  stop(): Promise<void>;
}

export async function startPgRuntimes(
  postgres: BenchPostgres,
  startRuntime: (options: Omit<RuntimeChildOptions, 'profile'>) => Promise<RuntimeChild>,
  processes: number,
  /** Configures the first runtime through its API before the others start. */
  setUp: (first: RuntimeChild) => Promise<void>,
): Promise<PgRuntimes> {
  const database = await postgres.freshDatabase();
  const secretKey = randomBytes(32).toString('base64');
  const runtimes: RuntimeChild[] = [];
  const stop = async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    await database.drop();
  };
  try {
    const first = await startRuntime({ queue: true, databaseUrl: database.url, secretKey });
    runtimes.push(first);
    await setUp(first);
    for (let i = 1; i < processes; i++) {
      runtimes.push(await startRuntime({ queue: true, databaseUrl: database.url, secretKey, intakeKey: first.intakeKey }));
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const runtimeCpuMs = () => runtimes.reduce((sum, r) => sum + r.cpuMs(), 0);
  return {
    runtimes,
    target: { url: runtimes.map((r) => `${r.url}/api/leads`), headers: { 'x-api-key': runtimes[0].intakeKey } },
    call: (cmd, args) => runtimes[0].call(cmd, args),
    cpuMs: () => runtimeCpuMs() + (postgres.cpuMs() ?? 0),
    runtimeCpuMs,
    databaseCpuMs: () => postgres.cpuMs(),
    resetPeak: () => runtimes.forEach((r) => r.resetPeak()),
    peakRssMb: () => runtimes.reduce((sum, r) => sum + r.peakRssMb(), 0),
    stop,
  };
}

/** "1 runtime process" / "2 runtime processes" */
export function processesLabel(n: number): string {
  return n === 1 ? '1 runtime process' : `${n} runtime processes`;
}

/** How the CPU per lead splits between the runtimes and the database server, or the runtimes' alone when the server is not ours. */
export function cpuSplit(runtimeMs: number, database0: number | undefined, database1: number | undefined, leads: number): string {
  const perLead = (ms: number) => round2(ms / leads);
  const database = database0 === undefined || database1 === undefined ? undefined : database1 - database0;
  return database === undefined
    ? `CPU: runtimes ${perLead(runtimeMs)} ms per lead, the database server's not measured (not started by the bench)`
    : `CPU per lead is the runtimes' ${perLead(runtimeMs)} ms + the database server's ${perLead(database)} ms`;
}
