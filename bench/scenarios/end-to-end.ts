/**
 * Intake and delivery together: N leads posted as fast as they go, until all N are in `wait`. Then
 * the same on the same work done by hand (bench/floor/: a job row per lead, a worker loop claiming
 * them, the demo CRM send flow by hand, group commit like leadflow's store), the floor the
 * leadflow row is compared to, and (not in `--quick`) the same by hand on leadflow's own store
 * (bench/floor/leadflow-store.ts: what the store's features cost, against the engine's). With
 * `--postgres` (a full run's default), the same on PostgreSQL: one runtime process, then two on one
 * database with the load spread over both (bench/pg-runtimes.ts), each also as a ratio to the
 * embedded store's row.
 */
import { commitFigures, commitNote, readCommits, type CommitReading } from '../commits.ts';
import { load } from '../harness.ts';
import type { LoadSpec } from '../load.ts';
import { cpuSplit, processesLabel, startPgRuntimes } from '../pg-runtimes.ts';
import { round2, summary, type Row } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { delivered, intakeTarget, SEND_LEAD, setUpSend } from './send-integration.ts';

interface Delivering {
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  cpuMs(): number;
  resetPeak(): void;
  peakRssMb(): number;
}

/** Posts `leads` leads flat out and waits for them all in `wait`: the row's figures. */
async function deliverAll(
  server: Delivering,
  target: { url: LoadSpec['url']; headers: Record<string, string> },
  leads: number,
  connections: number,
  /** Called after the warm-up, as the measurement starts. */
  starting: () => Promise<void> = async () => {},
) {
  const warm = await load({ ...target, body: SEND_LEAD, connections, amount: 1000 });
  await delivered(server, 0, warm.ok);
  const afterId = await server.call<number>('maxLeadId');
  await starting();
  server.resetPeak();
  const cpu0 = server.cpuMs();
  const intake = await load({ ...target, body: SEND_LEAD, connections, amount: leads });
  const d = await delivered(server, afterId, leads);
  const cpuMsPerLead = round2((server.cpuMs() - cpu0) / d.count);
  const seconds = (d.lastWait - d.firstCreated) / 1000;
  const perSecond = Math.round(d.count / seconds);
  const exec = summary(d.executionMs);
  const row: Row = {
    scenario: '',
    throughput: perSecond,
    unit: 'leads/s',
    ...summary(d.intakeToWaitMs),
    latency: 'lead stored → lead in wait (includes the queue backlog)',
    peakRssMb: server.peakRssMb(),
    notes: `${d.count} leads in ${seconds.toFixed(2)} s; CPU ${cpuMsPerLead} ms per lead (intake + delivery); intake ran at ${intake.perSecond}/s meanwhile (p99 ${intake.p99} ms); one execution p50 ${exec.p50} ms, p99 ${exec.p99} ms`,
    cpuMsPerLead,
    executionP50: exec.p50,
    executionP99: exec.p99,
    intakePerSecond: intake.perSecond,
    intakeP99: intake.p99,
  };
  return row;
}

export const endToEnd: Scenario = {
  name: 'e2e',
  async run({ options, mock, startRuntime, startFloor, postgres, report }) {
    const { connections, size } = options;
    const runtime = await startRuntime({ queue: true });
    try {
      await setUpSend(runtime, mock.url);
      let claims0 = { calls: 0, jobs: 0 };
      let commits0: CommitReading | undefined;
      const row = await deliverAll(runtime, intakeTarget(runtime), size.e2eLeads, connections, async () => {
        claims0 = await runtime.call<{ calls: number; jobs: number }>('claims');
        commits0 = await readCommits(runtime);
      });
      const claims1 = await runtime.call<{ calls: number; jobs: number }>('claims');
      const claimsPerJob = round2((claims1.calls - claims0.calls) / Math.max(1, claims1.jobs - claims0.jobs));
      // intake and delivery share the group commits: the writes per commit say how well they batch
      const commits = commitFigures(
        commits0 as CommitReading,
        await readCommits(runtime),
        size.e2eLeads,
        size.e2eLeads / (row.throughput as number),
      );
      report({
        ...row,
        scenario: 'end-to-end delivery (send flow, execution log on)',
        target: '≥ 2,000 leads/s',
        met: (row.throughput as number) >= 2000,
        notes: `${row.notes}; ${claimsPerJob} queue claims per job; ${commitNote(commits)}, ${commits.writesPerCommit} writes per commit`,
        claimsPerJob,
        versus: 'e2e',
        embedded: 'e2e',
      });
    } finally {
      await runtime.stop();
    }
    // the floor, then (not in --quick) the floor on leadflow's store: what the store's features cost
    for (const store of options.quick ? (['floor'] as const) : (['floor', 'leadflow'] as const)) {
      const floor = await startFloor({ mode: 'async', commit: 'group', store });
      try {
        const row = await deliverAll(
          floor,
          { url: `${floor.url}/api/leads`, headers: { 'x-api-key': floor.intakeKey } },
          size.e2eLeads,
          connections,
        );
        if (store === 'floor') report({ ...row, scenario: 'floor (by hand, group commit): end-to-end delivery', floor: 'e2e' });
        else report({ ...row, scenario: "floor on leadflow's store (by hand, SqliteLeadStore): end-to-end delivery", versus: 'e2e' });
      } finally {
        await floor.stop();
      }
    }
    if (!options.postgres) return;
    const server = await postgres();
    for (const processes of [1, 2]) {
      const cluster = await startPgRuntimes(server, startRuntime, processes, (first) => setUpSend(first, mock.url));
      try {
        let runtimeCpu0 = 0;
        let databaseCpu0: number | undefined;
        const row = await deliverAll(cluster, cluster.target, size.e2eLeads, connections, async () => {
          runtimeCpu0 = cluster.runtimeCpuMs();
          databaseCpu0 = cluster.databaseCpuMs();
        });
        const split = cpuSplit(cluster.runtimeCpuMs() - runtimeCpu0, databaseCpu0, cluster.databaseCpuMs(), size.e2eLeads);
        report({
          ...row,
          scenario: `end-to-end delivery on PostgreSQL, ${processesLabel(processes)}`,
          notes: `${row.notes}; ${split}; peak RSS is the runtimes' summed`,
          versus: 'e2e',
          versusEmbedded: 'e2e',
          processes,
        });
      } finally {
        await cluster.stop();
      }
    }
  },
};
