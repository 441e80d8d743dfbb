/**
 * Finding a lead at scale: `GET /api/leads` answer times with many leads stored (a million in the
 * full run, the growth scenario's count in `--quick`): a phone typed as a person reads it, an
 * email, each filter of the Leads page, a page deep in the list by cursor, and a CSV export's
 * first page. Each query is asked many times one after another; the latencies are the whole HTTP
 * answer as the editor gets it.
 */
import { summary, type Row } from '../results.ts';
import type { Scenario } from './scenario.ts';
import { setUpSend } from './send-integration.ts';

/** The seeded lead `i`'s phone as the seed writes it (bench/runtime-child.ts, `seedPhone`). */
const phoneOf = (i: number) => `+4915${String(10_000_000 + i).padStart(9, '0')}`;

export const leadSearch: Scenario = {
  name: 'search',
  async run({ options, mock, startRuntime, report }) {
    const count = options.size.growthLeads;
    const asks = options.quick ? 20 : 200;
    const runtime = await startRuntime({ queue: false });
    try {
      await setUpSend(runtime, mock.url);
      const seeded = await runtime.call<{ ms: number }>('seed', { count, integrationId: 'crm', offer: 'tea', failedEvery: 97 });
      const middle = Math.floor(count / 2);
      // the phone as typed off a call-centre screen: national, spaced
      const national = `0${phoneOf(middle).slice(3, 6)} ${phoneOf(middle).slice(6)}`;
      // the seed's leads were made 90 days ago, 5 ms apart (bench/runtime-child.ts): two days around them
      const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString();
      const queries: [string, string][] = [
        ['phone, national format', `q=${encodeURIComponent(national)}`],
        ['email', `q=lead${middle}@EXAMPLE.org`],
        ['external id', `q=E${middle}`],
        ['stage', 'stage=approve'],
        ['delivery failed', 'delivery=failed'],
        ['integration (with handoffs)', 'integration=crm'],
        ['offer and dates', `offer=tea&from=${day(91)}&to=${day(89)}`],
        ['no filter', ''],
      ];
      for (const [label, query] of queries) {
        const times: number[] = [];
        let found = 0;
        for (let n = 0; n < asks; n++) {
          const started = performance.now();
          const answer = (await runtime.api('GET', `/api/leads?limit=50&${query}`)) as { leads: unknown[] };
          times.push(performance.now() - started);
          found = answer.leads.length;
        }
        if (label.startsWith('phone') && found !== 1) throw new Error(`the phone search found ${found} leads, not 1`);
        const row: Row = {
          scenario: `lead search, ${count.toLocaleString('en-US')} leads stored: ${label}`,
          ...summary(times),
          latency: 'GET /api/leads → 200 (a page of 50)',
          notes: `${found} found`,
        };
        report(row);
      }
      // a page deep in the list: 40 pages of 500 by cursor, then the time of the next
      let cursor: string | undefined;
      for (let page = 0; page < 40; page++) {
        const answer = (await runtime.api('GET', `/api/leads?limit=500${cursor ? `&cursor=${cursor}` : ''}`)) as { next?: string };
        cursor = answer.next;
      }
      const deep: number[] = [];
      for (let n = 0; n < asks; n++) {
        const started = performance.now();
        await runtime.api('GET', `/api/leads?limit=50&cursor=${cursor}`);
        deep.push(performance.now() - started);
      }
      report({
        scenario: `lead search, ${count.toLocaleString('en-US')} leads stored: page 20,001–20,050 by cursor`,
        ...summary(deep),
        latency: 'GET /api/leads?cursor= → 200',
        target: 'p99 ≤ 50 ms',
        met: summary(deep).p99 <= 50,
        notes: `seeded in ${(seeded.ms / 1000).toFixed(1)} s`,
      });
    } finally {
      await runtime.stop();
    }
  },
};
