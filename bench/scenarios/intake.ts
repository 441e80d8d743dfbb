/**
 * Intake alone: the queue is not started, so leads are stored with their delivery job and nothing
 * else runs. As fast as it goes, then paced at 1,000/s, then at 1,000/s with autocannon's own
 * limiter (which sends bursts; kept to show the difference). Each row says what the group commit
 * did (leads per commit — per fsync, as the runtime runs with `synchronous = FULL` — commits per
 * second, ms per COMMIT); outside `--quick`, a last run as fast as it goes on a runtime switched
 * to `synchronous = NORMAL` (bench only) shows what those fsyncs cost.
 */
import { commitFigures, commitNote, readCommits } from '../commits.ts';
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
    let fullFlatOut: LoadResult | undefined;
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
      fullFlatOut = max;
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
    if (options.quick || !fullFlatOut) return;
    // the same flat-out run without an fsync per commit: what durability costs (never the runtime's own setting)
    const normal = await startRuntime({ queue: false, synchronous: 'NORMAL' });
    try {
      await setUpSend(normal, mock.url);
      await load({ ...intakeTarget(normal), body: SEND_LEAD, connections, duration: size.warmup });
      normal.resetPeak();
      const { result, commits } = await counted(normal, { ...intakeTarget(normal), body: SEND_LEAD, connections, duration: size.seconds });
      const costPct = Math.round((1 - fullFlatOut.perSecond / result.perSecond) * 100);
      report({
        scenario: 'intake, as fast as it goes, synchronous = NORMAL (bench only; queue paused)',
        throughput: result.perSecond,
        unit: 'leads/s',
        ...pick(result),
        latency: 'POST /api/leads → 202',
        peakRssMb: normal.peakRssMb(),
        notes: `the runtime's FULL (an fsync per commit) gives up ${costPct} % of this throughput, p50 ${round2(fullFlatOut.p50 - result.p50)} ms and p99 ${round2(fullFlatOut.p99 - result.p99)} ms more (a 202 here could be lost on power loss); ${commitNote(commits)}`,
        ...commits,
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
