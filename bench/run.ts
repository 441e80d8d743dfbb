/**
 * `npm run bench` — how fast leadflow is on this machine, and how its cost grows.
 *
 * Every scenario (bench/scenarios/) runs the real runtime (`bench/runtime-child.ts`, the
 * composition root as `npm start` builds it) in a child process of its own over a fresh temporary
 * data folder, a mock target (`bench/mock-target.ts`) in another process answering after `--delay`
 * ms (5), and the load from autocannon (`bench/load.ts`) in a third, 100 connections; the harness
 * (bench/harness.ts) starts them. The synchronous and the end-to-end scenarios also run the same work
 * done by hand with no engine (bench/floor/), and every figure of theirs is also given as a ratio to
 * that floor's. Peak RSS is the runtime process's own VmHWM, reset
 * (`/proc/PID/clear_refs`) at the start of each measurement.
 *
 * Options: `--quick` (a smoke run, under a minute), `--delay MS`, `--only a,b` (scenario names:
 * intake, e2e, sync, code, status, growth, search), `--sync-rate N` (500), `--growth-rate N` (500, leads/s
 * in the growth scenario, below what delivery keeps up with), `--profile NAME` (run that
 * scenario's runtime under `node --cpu-prof`, profile and its summary written to bench/profiles/;
 * `--profile` alone: every scenario's; see bench/profiling.ts),
 * `--growth-leads N` (stored leads for the growth and search scenarios), `--executions-per-lead N` (execution
 * records the growth scenario stores with each: 5, 2 in `--quick`), `--e2e-leads N` (leads per
 * end-to-end row), `--postgres` / `--no-postgres` (the end-to-end and synchronous scenarios also on
 * PostgreSQL, one and two runtime processes on one database, as ratios to the embedded store's
 * rows: on in a full run, off in `--quick` unless asked; `LEADFLOW_BENCH_DATABASE_URL` names a
 * server to use instead of the embedded one), `--synchronous FULL|NORMAL` (SQLite's `synchronous` for every
 * embedded runtime a scenario does not set itself, to A/B a whole scenario). Prints a table and writes bench/results.json.
 */
import os from 'node:os';
import path from 'node:path';
import { BENCH, startMock, startRuntime } from './harness.ts';
import { profiled, readOptions } from './options.ts';
import { startFloor } from './floor/start-floor.ts';
import { Results } from './results.ts';
import type { Scenario } from './scenarios/scenario.ts';
import { intake } from './scenarios/intake.ts';
import { endToEnd } from './scenarios/end-to-end.ts';
import { syncRegister } from './scenarios/sync-register.ts';
import { codeNode } from './scenarios/code-node.ts';
import { statusCheck } from './scenarios/status-check.ts';
import { growth } from './scenarios/growth.ts';
import { dashboard } from './scenarios/dashboard.ts';
import { leadSearch } from './scenarios/lead-search.ts';
import { startBenchPostgres, type BenchPostgres } from './postgres.ts';

/** Every scenario, in the order a run without `--only` takes them. */
const SCENARIOS: Scenario[] = [intake, endToEnd, syncRegister, codeNode, statusCheck, growth, dashboard, leadSearch];

async function main(): Promise<void> {
  const options = readOptions(process.argv);
  const started = Date.now();
  const byName = new Map(SCENARIOS.map((s) => [s.name, s]));
  const chosen = (options.only ?? SCENARIOS.map((s) => s.name)).map((name) => {
    const scenario = byName.get(name);
    if (!scenario) throw new Error(`no scenario "${name}" (${[...byName.keys()].join(', ')})`);
    return scenario;
  });
  const results = new Results();
  console.log(
    `leadflow bench${options.quick ? ' --quick' : ''}: ${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim()}), load average ${results.loadAtStart.join(' ')}, Node ${process.version}, target delay ${options.delayMs} ms, ${options.connections} connections`,
  );
  const mock = await startMock(options.delayMs);
  let postgres: Promise<BenchPostgres> | undefined;
  let failed: unknown;
  try {
    for (const scenario of chosen) {
      const t0 = Date.now();
      console.log(`${scenario.name}…`);
      await scenario.run({
        options,
        mock,
        startRuntime: (runtime) =>
          startRuntime({
            ...runtime,
            // the embedded store's alone: a PostgreSQL runtime has no SQLite to set
            synchronous: runtime.synchronous ?? (runtime.databaseUrl ? undefined : options.synchronous),
            profile: profiled(options, scenario.name) ? scenario.name : undefined,
          }),
        startFloor: (floor) =>
          startFloor({
            ...floor,
            targetUrl: mock.url,
            profile: profiled(options, scenario.name)
              ? `${scenario.name}-floor-${floor.mode}-${floor.commit}${floor.store === 'leadflow' ? '-leadflow-store' : ''}`
              : undefined,
          }),
        postgres: () => (postgres ??= startBenchPostgres().then((pg) => (console.log(`  PostgreSQL: ${pg.describe}`), pg))),
        report: (row) => results.report(row),
      });
      console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } catch (error) {
    failed = error;
  } finally {
    mock.stop();
    await postgres?.then((pg) => pg.stop()).catch((error: unknown) => console.error('stopping PostgreSQL failed', error));
  }
  const seconds = (Date.now() - started) / 1000;
  results.printTable();
  results.write(path.join(BENCH, 'results.json'), { started, seconds, options, failed });
  console.log(`\n${seconds.toFixed(1)} s; written to bench/results.json`);
  if (failed) console.error(failed);
  // children still closing their keep-alive connections are killed by the exit handler
  process.exit(failed ? 1 : 0);
}

await main();
