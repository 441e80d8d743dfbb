/**
 * The dashboard's answer time with many leads stored (a million in the full run, spread over the
 * last 30 days): `GET /api/dashboard` overall and for one integration, over 24 h and 30 days,
 * asked one after another. Its numbers come from hourly counters, so the time should not grow with
 * the leads.
 */
import { summary } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { setUpSend } from './send-integration.ts';

const ASKS = 200;

export const dashboard: Scenario = {
  name: 'dashboard',
  async run({ options, mock, startRuntime, report }) {
    const leads = options.size.growthLeads;
    const runtime = await startRuntime({ queue: false });
    try {
      await setUpSend(runtime, mock.url);
      const seeded = await runtime.call<{ ms: number }>('seed', { count: leads, integrationId: 'crm', offer: 'tea', spanHours: 30 * 24 });
      for (const query of ['range=24h', 'range=30d', 'integration=crm&range=30d']) {
        const ms: number[] = [];
        let total = 0;
        for (let i = 0; i < ASKS; i++) {
          const started = performance.now();
          const answer = (await runtime.api('GET', `/api/dashboard?${query}`)) as { total: number };
          ms.push(performance.now() - started);
          total = answer.total;
        }
        report({
          scenario: `dashboard, ${leads.toLocaleString('en-US')} leads stored: GET /api/dashboard?${query}`,
          throughput: Math.round(1000 / (ms.reduce((a, b) => a + b, 0) / ms.length)),
          unit: 'answers/s',
          ...summary(ms.slice(10)),
          latency: 'request → JSON answer, one at a time',
          target: 'p99 ≤ 50 ms',
          met: summary(ms.slice(10)).p99 <= 50,
          notes: `counted ${total.toLocaleString('en-US')} leads in the range; seeded in ${(seeded.ms / 1000).toFixed(1)} s`,
        });
      }
    } finally {
      await runtime.stop();
    }
  },
};
