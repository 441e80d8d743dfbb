/** Intake and delivery together: N leads posted as fast as they go, until all N are in `wait`. */
import { load } from '../harness.ts';
import { round2, summary } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { delivered, intakeTarget, SEND_LEAD, setUpSend } from './send-integration.ts';

export const endToEnd: Scenario = {
  name: 'e2e',
  async run({ options, mock, startRuntime, report }) {
    const { connections, size } = options;
    const runtime = await startRuntime({ queue: true });
    try {
      await setUpSend(runtime, mock.url);
      const warm = await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, amount: 1000 });
      await delivered(runtime, 0, warm.ok);
      const afterId = await runtime.call<number>('maxLeadId');
      runtime.resetPeak();
      const cpu0 = runtime.cpuMs();
      const claims0 = await runtime.call<{ calls: number; jobs: number }>('claims');
      const intake = await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, amount: size.e2eLeads });
      const d = await delivered(runtime, afterId, size.e2eLeads);
      const cpuPerLead = round2((runtime.cpuMs() - cpu0) / d.count);
      const claims1 = await runtime.call<{ calls: number; jobs: number }>('claims');
      const claimsPerJob = round2((claims1.calls - claims0.calls) / Math.max(1, claims1.jobs - claims0.jobs));
      const seconds = (d.lastWait - d.firstCreated) / 1000;
      const perSecond = Math.round(d.count / seconds);
      const exec = summary(d.executionMs);
      report({
        scenario: 'end-to-end delivery (send flow, execution log on)',
        throughput: perSecond,
        unit: 'leads/s',
        ...summary(d.intakeToWaitMs),
        latency: 'lead stored → lead in wait (includes the queue backlog)',
        peakRssMb: runtime.peakRssMb(),
        target: '≥ 2,000 leads/s',
        met: perSecond >= 2000,
        notes: `${d.count} leads in ${seconds.toFixed(2)} s; runtime CPU ${cpuPerLead} ms per lead (intake + delivery); ${claimsPerJob} queue claims per job; intake ran at ${intake.perSecond}/s meanwhile (p99 ${intake.p99} ms); one execution p50 ${exec.p50} ms, p99 ${exec.p99} ms`,
        cpuMsPerLead: cpuPerLead,
        claimsPerJob,
        executionP50: exec.p50,
        executionP99: exec.p99,
      });
    } finally {
      await runtime.stop();
    }
  },
};
