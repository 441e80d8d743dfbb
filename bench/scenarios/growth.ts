/**
 * How the cost grows with the store: intake at the growth rate with deliveries on, on an empty
 * store, then with many leads and executions stored (a million leads with five execution records
 * each in the full run); the p99s compared. The seeded leads and their executions are spread over
 * the last 28 days, inside the execution log's default 30-day retention: a store that keeps five
 * million records under it has them that young, and older ones would be pruned in the background
 * in the middle of the measurement.
 */
import { commitFigures, commitNote, readCommits } from '../commits.ts';
import { load } from '../harness.ts';
import { pick, round2, summary, type Row } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { delivered, intakeTarget, SEND_LEAD, setUpSend } from './send-integration.ts';

export const growth: Scenario = {
  name: 'growth',
  async run({ options, mock, startRuntime, report }) {
    const { connections, size, growthRate } = options;
    const runtime = await startRuntime({ queue: true });
    try {
      await setUpSend(runtime, mock.url);
      await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, amount: 1000 });
      await delivered(runtime, 0, 1000);
      const steady = async (label: string) => {
        const afterId = await runtime.call<number>('maxLeadId');
        runtime.resetPeak();
        const cpu0 = runtime.cpuMs();
        const commits0 = await readCommits(runtime);
        const started = performance.now();
        const intake = await load({
          ...intakeTarget(runtime),
          body: SEND_LEAD,
          connections,
          duration: size.seconds,
          overallRate: growthRate,
        });
        const d = await delivered(runtime, afterId, intake.ok);
        // the commits of intake and delivery together; a slow sync's tail shows in both rows' p99
        const commits = commitFigures(commits0, await readCommits(runtime), d.count, (performance.now() - started) / 1000);
        // intake and delivery together, per lead: the two rows share it
        const cpuMsPerLead = round2((runtime.cpuMs() - cpu0) / d.count);
        const peak = runtime.peakRssMb();
        const rowIntake: Row = {
          scenario: `growth, ${label}: intake at ${growthRate}/s with deliveries on`,
          throughput: intake.perSecond,
          unit: 'leads/s',
          ...pick(intake),
          latency: 'POST /api/leads → 202',
          peakRssMb: peak,
          cpuMsPerLead,
        };
        const rowDelivery: Row = {
          scenario: `growth, ${label}: delivery at ${growthRate}/s`,
          throughput: Math.round(d.count / ((d.lastWait - d.firstCreated) / 1000)),
          unit: 'leads/s',
          ...summary(d.intakeToWaitMs),
          latency: 'lead stored → lead in wait',
          peakRssMb: peak,
          cpuMsPerLead,
          notes: `one execution p50 ${summary(d.executionMs).p50} ms, p99 ${summary(d.executionMs).p99} ms; ${commitNote(commits)}`,
        };
        return [rowIntake, rowDelivery];
      };
      const [emptyIntake, emptyDelivery] = await steady('empty store');
      report(emptyIntake);
      report(emptyDelivery);
      const seeded = await runtime.call<{ count: number; executions: number; ms: number; dbBytes: number }>('seed', {
        count: size.growthLeads,
        integrationId: 'crm',
        offer: 'tea',
        spanHours: 28 * 24,
        executionsPerLead: size.growthExecutionsPerLead,
      });
      const n = (x: number) => x.toLocaleString('en-US');
      const label = `${n(seeded.count)} leads and ${n(seeded.executions)} executions stored`;
      const stored = `seeded ${n(seeded.count)} leads with their delivery jobs and ${n(seeded.executions)} executions with their lead links in ${(seeded.ms / 1000).toFixed(1)} s, database file ${(seeded.dbBytes / 1e9).toFixed(2)} GB (${n(seeded.dbBytes)} bytes)`;
      const [bigIntake, bigDelivery] = await steady(label);
      const ratio = (a: Row, b: Row) => round2((b.p99 as number) / (a.p99 as number));
      bigIntake.target = 'p99 ≤ 1.5× empty';
      bigIntake.met = ratio(emptyIntake, bigIntake) <= 1.5;
      bigIntake.notes = `p99 ${ratio(emptyIntake, bigIntake)}× the empty store's; ${stored}`;
      bigDelivery.target = 'p99 ≤ 1.5× empty';
      bigDelivery.met = ratio(emptyDelivery, bigDelivery) <= 1.5;
      bigDelivery.notes = `p99 ${ratio(emptyDelivery, bigDelivery)}× the empty store's; ${bigDelivery.notes}; ${stored}`;
      report(bigIntake);
      report(bigDelivery);
    } finally {
      await runtime.stop();
    }
  },
};
