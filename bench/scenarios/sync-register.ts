/**
 * A `lead.register` flow with Respond (`flows/examples/register-autologin.json`): the caller waits
 * for the target, so the runtime's overhead is the latency minus the target's delay. At a fixed
 * rate, then as fast as it goes; then the same two loads on the same work done by hand
 * (bench/floor/, group commit like leadflow's store: the floor leadflow's rows are compared to), and
 * the hand-written one with a commit per write, as fast as it goes (what group commit saves), and the
 * hand-written one on leadflow's own store at both loads (bench/floor/leadflow-store.ts: what the
 * store's features cost, against what the engine around them costs; neither in `--quick`). With
 * `--postgres` (a full run's default), leadflow's two loads again on PostgreSQL: one runtime
 * process, then two on one database with the load spread over both (bench/pg-runtimes.ts), each
 * row also as a ratio to the embedded store's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commitFigures, commitNote, readCommits } from '../commits.ts';
import { load, ROOT, type RuntimeChild } from '../harness.ts';
import type { LoadSpec } from '../load.ts';
import { round2, type Row } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { intakeTarget, SEND_LEAD } from './send-integration.ts';
import { cpuSplit, processesLabel, startPgRuntimes } from '../pg-runtimes.ts';

/** The registration flow's offer `fx` and integration `broker`, at the target. */
export async function setUpRegister(runtime: Pick<RuntimeChild, 'api'>, targetUrl: string): Promise<void> {
  await runtime.api('POST', '/api/flows', JSON.parse(readFileSync(path.join(ROOT, 'flows/examples/register-autologin.json'), 'utf8')));
  await runtime.api('POST', '/api/offers', { id: 'fx', name: 'FX' });
  await runtime.api('POST', '/api/integrations', {
    id: 'broker',
    name: 'Broker',
    enabled: true,
    settings: { base_url: targetUrl },
    offers: ['fx'],
    flows: { 'lead.register': 'register' },
  });
}

/** One load run and the CPU the server under it used per answered request. */
async function measured(server: { cpuMs(): number; resetPeak(): void }, spec: LoadSpec) {
  server.resetPeak();
  const cpu0 = server.cpuMs();
  const result = await load(spec);
  return { result, cpuMsPerLead: round2((server.cpuMs() - cpu0) / result.ok) };
}

export const syncRegister: Scenario = {
  name: 'sync',
  async run({ options, mock, startRuntime, startFloor, postgres, report }) {
    const { connections, size, syncRate, delayMs } = options;
    const body = { ...SEND_LEAD, offer: 'fx' };
    /** The paced run's row: the latency minus the target's delay. */
    const pacedRow = (engine: string, r: Awaited<ReturnType<typeof measured>>, peakRssMb: number): Row => {
      const overhead = { p50: round2(r.result.p50 - delayMs), p95: round2(r.result.p95 - delayMs), p99: round2(r.result.p99 - delayMs) };
      return {
        scenario: `${engine}synchronous registration at ${syncRate}/s: overhead`,
        throughput: r.result.perSecond,
        unit: 'leads/s',
        ...overhead,
        latency: `POST /api/leads → 201, minus the target's ${delayMs} ms`,
        peakRssMb,
        notes: `whole request p50 ${r.result.p50} ms, p99 ${r.result.p99} ms; CPU ${r.cpuMsPerLead} ms per request`,
        cpuMsPerLead: r.cpuMsPerLead,
      };
    };
    const maxRow = (engine: string, r: Awaited<ReturnType<typeof measured>>, peakRssMb: number): Row => ({
      scenario: `${engine}synchronous registration, as fast as it goes`,
      throughput: r.result.perSecond,
      unit: 'leads/s',
      p50: r.result.p50,
      p95: r.result.p95,
      p99: r.result.p99,
      latency: 'whole request, target delay included',
      peakRssMb,
      notes: `CPU ${r.cpuMsPerLead} ms per request`,
      cpuMsPerLead: r.cpuMsPerLead,
    });

    const runtime = await startRuntime({ queue: true });
    try {
      await setUpRegister(runtime, mock.url);
      const target = intakeTarget(runtime);
      await load({ ...target, body, connections, duration: size.warmup, overallRate: syncRate });
      // with the store's group commits over each load: how many requests shared a COMMIT, and what it cost
      const committed = async (spec: LoadSpec) => {
        const before = await readCommits(runtime);
        const r = await measured(runtime, spec);
        return { ...r, commits: commitNote(commitFigures(before, await readCommits(runtime), r.result.ok, r.result.seconds)) };
      };
      const paced = await committed({ ...target, body, connections, duration: size.seconds, overallRate: syncRate });
      const row = pacedRow('', paced, runtime.peakRssMb());
      report({
        ...row,
        notes: `${row.notes}; ${paced.commits}`,
        target: 'overhead p99 < 10 ms',
        met: (row.p99 as number) < 10,
        versus: 'sync-paced',
        embedded: 'sync-paced',
      });
      const max = await committed({ ...target, body, connections, duration: size.seconds });
      const maxed = maxRow('', max, runtime.peakRssMb());
      report({
        ...maxed,
        notes: `${maxed.notes}; ${max.commits}`,
        target: '≥ 0.5× the floor /s',
        versus: 'sync-max',
        embedded: 'sync-max',
      });
    } finally {
      await runtime.stop();
    }

    // the smoke run keeps under a minute: the floor leadflow is compared to, not the variants
    const variants = [
      { commit: 'group', store: 'floor', name: 'floor (by hand, group commit): ' },
      { commit: 'request', store: 'floor', name: 'floor (by hand, a commit per write): ' },
      { commit: 'group', store: 'leadflow', name: "floor on leadflow's store (by hand, SqliteLeadStore): " },
    ] as const;
    for (const { commit, store, name } of options.quick ? variants.slice(0, 1) : variants) {
      const floor = await startFloor({ mode: 'sync', commit, store });
      try {
        const target = { url: `${floor.url}/api/leads`, headers: { 'x-api-key': floor.intakeKey } };
        await load({ ...target, body, connections, duration: size.warmup, overallRate: syncRate });
        const theFloor = commit === 'group' && store === 'floor';
        if (commit === 'group') {
          const paced = await measured(floor, { ...target, body, connections, duration: size.seconds, overallRate: syncRate });
          report({ ...pacedRow(name, paced, floor.peakRssMb()), ...(theFloor ? { floor: 'sync-paced' } : { versus: 'sync-paced' }) });
        }
        const c0 = await floor.call<{ commits: number }>('commits');
        const max = await measured(floor, { ...target, body, connections, duration: size.seconds });
        const c1 = await floor.call<{ commits: number }>('commits');
        const row = maxRow(name, max, floor.peakRssMb());
        const perCommit = round2(max.result.ok / Math.max(1, c1.commits - c0.commits));
        report({
          ...row,
          notes: `${row.notes}; ${perCommit} requests per commit (${commit === 'group' ? 'one WAL sync each, off the thread, as leadflow' : 'synchronous = FULL: one fsync each, inside COMMIT'})`,
          requestsPerCommit: perCommit,
          ...(theFloor ? { floor: 'sync-max' } : store === 'leadflow' ? { versus: 'sync-max' } : {}),
        });
      } finally {
        await floor.stop();
      }
    }

    if (!options.postgres) return;
    const server = await postgres();
    for (const processes of [1, 2]) {
      const cluster = await startPgRuntimes(server, startRuntime, processes, (first) => setUpRegister(first, mock.url));
      try {
        const target = cluster.target;
        const engine = `on PostgreSQL, ${processesLabel(processes)}: `;
        /** One load run, with how its CPU split between the runtimes and the database. */
        const split = async (spec: LoadSpec) => {
          const runtime0 = cluster.runtimeCpuMs();
          const database0 = cluster.databaseCpuMs();
          const r = await measured(cluster, spec);
          return { r, note: cpuSplit(cluster.runtimeCpuMs() - runtime0, database0, cluster.databaseCpuMs(), r.result.ok) };
        };
        await load({ ...target, body, connections, duration: size.warmup, overallRate: syncRate });
        const paced = await split({ ...target, body, connections, duration: size.seconds, overallRate: syncRate });
        const pacedPg = pacedRow(engine, paced.r, cluster.peakRssMb());
        report({ ...pacedPg, notes: `${pacedPg.notes}; ${paced.note}`, versus: 'sync-paced', versusEmbedded: 'sync-paced', processes });
        const max = await split({ ...target, body, connections, duration: size.seconds });
        const maxPg = maxRow(engine, max.r, cluster.peakRssMb());
        report({ ...maxPg, notes: `${maxPg.notes}; ${max.note}`, versus: 'sync-max', versusEmbedded: 'sync-max', processes });
      } finally {
        await cluster.stop();
      }
    }
  },
};
