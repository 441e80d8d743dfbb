/**
 * Intake alone: the queue is not started, so leads are stored with their delivery job and nothing
 * else runs. As fast as it goes, then paced at 1,000/s, then at 1,000/s with autocannon's own
 * limiter (which sends bursts; kept to show the difference). Each row says what the group commit
 * did (leads per commit — per sync of the WAL —, commits per second, ms per COMMIT on the thread
 * and per sync off it); outside `--quick`, the flat-out and the paced run again on a runtime
 * switched to `synchronous = FULL` (bench only: SQLite's fsync inside COMMIT, on the runtime's
 * thread, as the store ran before) show what syncing off the thread gained.
 */
import { commitFigures, commitNote, readCommits, type CommitFigures } from '../commits.ts';
import { load, type RuntimeChild } from '../harness.ts';
import type { LoadResult, LoadSpec } from '../load.ts';
import { pick, round2 } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { intakeTarget, SEND_LEAD, setUpSend } from './send-integration.ts';

export const intake: Scenario = {
  name: 'intake',
  async run({ options, mock, startRuntime, report }) {
    const { connections, size } = options;
    const runtime = await startRuntime({ queue: false });
    let ownFlatOut: { result: LoadResult; commits: CommitFigures } | undefined;
    let ownFixed: { result: LoadResult; commits: CommitFigures } | undefined;
    try {
      await setUpSend(runtime, mock.url);
      await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, duration: size.warmup });
      runtime.resetPeak();
      const cpu0 = runtime.cpuMs();
      const { result: max, commits: maxCommits } = await counted(runtime, {
        ...intakeTarget(runtime),
        body: SEND_LEAD,
        connections,
        duration: size.seconds,
      });
      const cpuPerLead = round2((runtime.cpuMs() - cpu0) / max.ok);
      report({
        scenario: 'intake, as fast as it goes (queue paused)',
        throughput: max.perSecond,
        unit: 'leads/s',
        ...pick(max),
        latency: 'POST /api/leads → 202',
        peakRssMb: runtime.peakRssMb(),
        notes: `${max.ok} leads in ${max.seconds} s, ${connections} connections; runtime CPU ${cpuPerLead} ms per lead; ${commitNote(maxCommits)}`,
        cpuMsPerLead: cpuPerLead,
        ...maxCommits,
      });
      ownFlatOut = { result: max, commits: maxCommits };
      runtime.resetPeak();
      const { result: fixed, commits: fixedCommits } = await counted(runtime, {
        ...intakeTarget(runtime),
        body: SEND_LEAD,
        connections,
        duration: size.seconds,
        overallRate: 1000,
      });
      report({
        scenario: 'intake at 1,000 leads/s (queue paused)',
        throughput: fixed.perSecond,
        unit: 'leads/s',
        ...pick(fixed),
        latency: 'POST /api/leads → 202',
        peakRssMb: runtime.peakRssMb(),
        target: 'p99 < 5 ms',
        met: fixed.p99 < 5,
        notes: `paced: one request every 1 ms, latency from when it was due; ${commitNote(fixedCommits)}`,
        ...fixedCommits,
      });
      ownFixed = { result: fixed, commits: fixedCommits };
      runtime.resetPeak();
      const burst = await load({
        ...intakeTarget(runtime),
        body: SEND_LEAD,
        connections,
        duration: size.seconds,
        overallRate: 1000,
        autocannonRate: true,
      });
      report({
        scenario: "intake at 1,000 leads/s, autocannon's overallRate (queue paused)",
        throughput: burst.perSecond,
        unit: 'leads/s',
        ...pick(burst),
        latency: 'POST /api/leads → 202',
        peakRssMb: runtime.peakRssMb(),
        notes:
          "autocannon's limiter sends each connection's quota back to back at the top of every second: 1,000 requests arrive as one burst per second, so this measures the burst's queue, not latency at a steady 1,000/s",
      });
    } finally {
      await runtime.stop();
    }
    if (options.quick || !ownFlatOut || !ownFixed) return;
    // the same runs with SQLite's own fsync inside COMMIT, on the runtime's thread (bench only; how
    // the store ran before its sync moved off the thread): what moving it gained
    const full = await startRuntime({ queue: false, synchronous: 'FULL' });
    try {
      await setUpSend(full, mock.url);
      await load({ ...intakeTarget(full), body: SEND_LEAD, connections, duration: size.warmup });
      full.resetPeak();
      const { result, commits } = await counted(full, { ...intakeTarget(full), body: SEND_LEAD, connections, duration: size.seconds });
      const own = ownFlatOut;
      report({
        scenario: 'intake, as fast as it goes, the fsync inside COMMIT (synchronous = FULL, bench only; queue paused)',
        throughput: result.perSecond,
        unit: 'leads/s',
        ...pick(result),
        latency: 'POST /api/leads → 202',
        peakRssMb: full.peakRssMb(),
        notes:
          `against the runtime's own (the WAL synced off the thread): COMMIT on the thread ${commits.commitMeanMs} ms against ${own.commits.commitMeanMs} ms, ` +
          `${commits.commitBusyPct} against ${own.commits.commitBusyPct} % of the time; throughput ${result.perSecond} against ${own.result.perSecond} leads/s, ` +
          `p99 ${result.p99} against ${own.result.p99} ms (on a busy machine a few % either way is noise); ${commitNote(commits)}`,
        ...commits,
      });
      // paced, the leads arrive one a turn: about one commit, so one fsync, per lead
      full.resetPeak();
      const paced = await counted(full, {
        ...intakeTarget(full),
        body: SEND_LEAD,
        connections,
        duration: size.seconds,
        overallRate: 1000,
      });
      const ownPaced = ownFixed;
      report({
        scenario: 'intake at 1,000 leads/s, the fsync inside COMMIT (synchronous = FULL, bench only; queue paused)',
        throughput: paced.result.perSecond,
        unit: 'leads/s',
        ...pick(paced.result),
        latency: 'POST /api/leads → 202',
        peakRssMb: full.peakRssMb(),
        notes:
          `against the runtime's own at 1,000/s: COMMIT on the thread ${paced.commits.commitMeanMs} against ${ownPaced.commits.commitMeanMs} ms, ` +
          `${paced.commits.commitBusyPct} against ${ownPaced.commits.commitBusyPct} % of the time, p99 ${paced.result.p99} against ${ownPaced.result.p99} ms; ` +
          commitNote(paced.commits),
        ...paced.commits,
      });
    } finally {
      await full.stop();
    }
  },
};

/** A load run with the store's commit counters read before and after it. */
async function counted(runtime: RuntimeChild, spec: LoadSpec) {
  const before = await readCommits(runtime);
  const result: LoadResult = await load(spec);
  const commits = commitFigures(before, await readCommits(runtime), result.ok, result.seconds);
  return { result, commits };
}
