/**
 * A `lead.register` flow with Respond (`flows/examples/register-autologin.json`): the caller waits
 * for the target, so the runtime's overhead is the latency minus the target's delay. At a fixed
 * rate, then as fast as it goes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load, ROOT, type RuntimeChild } from '../harness.ts';
import { round2 } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { intakeTarget, SEND_LEAD } from './send-integration.ts';

async function setUpRegister(runtime: RuntimeChild, targetUrl: string): Promise<void> {
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

export const syncRegister: Scenario = {
  name: 'sync',
  async run({ options, mock, startRuntime, report }) {
    const { connections, size, syncRate, delayMs } = options;
    const runtime = await startRuntime({ queue: true });
    try {
      await setUpRegister(runtime, mock.url);
      const body = { ...SEND_LEAD, offer: 'fx' };
      await load({ ...intakeTarget(runtime), body, connections, duration: size.warmup, overallRate: syncRate });
      runtime.resetPeak();
      const cpuAtRate0 = runtime.cpuMs();
      const r = await load({ ...intakeTarget(runtime), body, connections, duration: size.seconds, overallRate: syncRate });
      const cpuAtRate = round2((runtime.cpuMs() - cpuAtRate0) / r.ok);
      const overhead = { p50: round2(r.p50 - delayMs), p95: round2(r.p95 - delayMs), p99: round2(r.p99 - delayMs) };
      report({
        scenario: `synchronous registration at ${syncRate}/s: overhead`,
        throughput: r.perSecond,
        unit: 'leads/s',
        ...overhead,
        latency: `POST /api/leads → 201, minus the target's ${delayMs} ms`,
        peakRssMb: runtime.peakRssMb(),
        target: 'overhead p99 < 10 ms',
        met: overhead.p99 < 10,
        notes: `whole request p50 ${r.p50} ms, p99 ${r.p99} ms; runtime CPU ${cpuAtRate} ms per lead`,
        cpuMsPerLead: cpuAtRate,
      });
      runtime.resetPeak();
      const cpu0 = runtime.cpuMs();
      const max = await load({ ...intakeTarget(runtime), body, connections, duration: size.seconds });
      const cpuPerLead = round2((runtime.cpuMs() - cpu0) / max.ok);
      report({
        scenario: 'synchronous registration, as fast as it goes',
        throughput: max.perSecond,
        unit: 'leads/s',
        p50: max.p50,
        p95: max.p95,
        p99: max.p99,
        latency: 'whole request, target delay included',
        peakRssMb: runtime.peakRssMb(),
        notes: `runtime CPU ${cpuPerLead} ms per lead`,
        cpuMsPerLead: cpuPerLead,
      });
    } finally {
      await runtime.stop();
    }
  },
};
