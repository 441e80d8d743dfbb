/**
 * Intake alone: the queue is not started, so leads are stored with their delivery job and nothing
 * else runs. As fast as it goes, then paced at 1,000/s, then at 1,000/s with autocannon's own
 * limiter (which sends bursts; kept to show the difference).
 */
import { load } from '../harness.ts';
import { pick, round2 } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { intakeTarget, SEND_LEAD, setUpSend } from './send-integration.ts';

export const intake: Scenario = {
  name: 'intake',
  async run({ options, mock, startRuntime, report }) {
    const { connections, size } = options;
    const runtime = await startRuntime({ queue: false });
    try {
      await setUpSend(runtime, mock.url);
      await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, duration: size.warmup });
      runtime.resetPeak();
      const cpu0 = runtime.cpuMs();
      const max = await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, duration: size.seconds });
      const cpuPerLead = round2((runtime.cpuMs() - cpu0) / max.ok);
      report({
        scenario: 'intake, as fast as it goes (queue paused)',
        throughput: max.perSecond,
        unit: 'leads/s',
        ...pick(max),
        latency: 'POST /api/leads → 202',
        peakRssMb: runtime.peakRssMb(),
        notes: `${max.ok} leads in ${max.seconds} s, ${connections} connections; runtime CPU ${cpuPerLead} ms per lead`,
        cpuMsPerLead: cpuPerLead,
      });
      runtime.resetPeak();
      const fixed = await load({ ...intakeTarget(runtime), body: SEND_LEAD, connections, duration: size.seconds, overallRate: 1000 });
      report({
        scenario: 'intake at 1,000 leads/s (queue paused)',
        throughput: fixed.perSecond,
        unit: 'leads/s',
        ...pick(fixed),
        latency: 'POST /api/leads → 202',
        peakRssMb: runtime.peakRssMb(),
        target: 'p99 < 5 ms',
        met: fixed.p99 < 5,
        notes: 'paced: one request every 1 ms, latency from when it was due',
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
  },
};
