/**
 * Intake alone: the queue is not started, so leads are stored with their delivery job and nothing
 * else runs. As fast as it goes, then paced at 1,000/s, then at 1,000/s with autocannon's own
 * limiter (which sends bursts; kept to show the difference). Each row says what the group commit
 * did (leads per commit — per fsync, as the runtime runs with `synchronous = FULL` — commits per
 * second, ms per COMMIT); outside `--quick`, the flat-out and the paced run again on a runtime
 * switched to `synchronous = NORMAL` (bench only) show what those fsyncs cost.
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
    let fullFlatOut: { result: LoadResult; commits: CommitFigures } | undefined;
    let fullFixed: { result: LoadResult; commits: CommitFigures } | undefined;
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
      fullFlatOut = { result: max, commits: maxCommits };
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
      fullFixed = { result: fixed, commits: fixedCommits };
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
    if (options.quick || !fullFlatOut || !fullFixed) return;
    // the same flat-out run without an fsync per commit: what durability costs (never the runtime's own setting)
    const normal = await startRuntime({ queue: false, synchronous: 'NORMAL' });
    try {
      await setUpSend(normal, mock.url);
      await load({ ...intakeTarget(normal), body: SEND_LEAD, connections, duration: size.warmup });
      normal.resetPeak();
      const { result, commits } = await counted(normal, { ...intakeTarget(normal), body: SEND_LEAD, connections, duration: size.seconds });
      const full = fullFlatOut;
      const fsyncMs = round2(full.commits.commitMeanMs - commits.commitMeanMs);
      report({
        scenario: 'intake, as fast as it goes, synchronous = NORMAL (bench only; queue paused)',
        throughput: result.perSecond,
        unit: 'leads/s',
        ...pick(result),
        latency: 'POST /api/leads → 202',
        peakRssMb: normal.peakRssMb(),
        notes:
          `what the runtime's FULL costs against this (where a 202 could be lost on power loss): ` +
          `COMMIT mean ${full.commits.commitMeanMs} ms against ${commits.commitMeanMs} ms, so the fsync costs ${fsyncMs} ms a commit, ` +
          `${round2(fsyncMs / full.commits.leadsPerCommit)} ms a lead; throughput ${full.result.perSecond} against ${result.perSecond} leads/s, ` +
          `p99 ${full.result.p99} against ${result.p99} ms (on a busy machine a few % either way is noise); ${commitNote(commits)}`,
        fsyncMsPerCommit: fsyncMs,
        ...commits,
      });
      // paced, the leads arrive one a turn: about one commit, so one fsync, per lead
      normal.resetPeak();
      const paced = await counted(normal, {
        ...intakeTarget(normal),
        body: SEND_LEAD,
        connections,
        duration: size.seconds,
        overallRate: 1000,
      });
      const fullPaced = fullFixed;
      report({
        scenario: 'intake at 1,000 leads/s, synchronous = NORMAL (bench only; queue paused)',
        throughput: paced.result.perSecond,
        unit: 'leads/s',
        ...pick(paced.result),
        latency: 'POST /api/leads → 202',
        peakRssMb: normal.peakRssMb(),
        notes:
          `against FULL at 1,000/s: COMMIT mean ${fullPaced.commits.commitMeanMs} against ${paced.commits.commitMeanMs} ms, ` +
          `${fullPaced.commits.commitBusyPct} against ${paced.commits.commitBusyPct} % of the time in COMMIT, p99 ${fullPaced.result.p99} against ${paced.result.p99} ms; ` +
          commitNote(paced.commits),
        fsyncMsPerCommit: round2(fullPaced.commits.commitMeanMs - paced.commits.commitMeanMs),
        ...paced.commits,
      });
    } finally {
      await normal.stop();
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
