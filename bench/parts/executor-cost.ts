/**
 * The executor's CPU per run, in this process: the demo CRM send flow (9 nodes) or the
 * registration flow (6 nodes) run by the runtime's `Executor` against the bench's mock target
 * (answering at once), 20 runs at a time, with the store left out (Update Lead answers at once; the
 * execution record is redacted and capped but not written). Seven rounds; the median and the least
 * are the figures to compare a change of the engine by, to a few µs, where a whole-runtime run's
 * noise is ±10 %. CPU is the process's (the HTTP client's included, the target's not).
 * `--allocation` adds a round under V8's sampling heap profiler (objects a GC already collected
 * included): the bytes allocated per run and the functions that allocated most, a figure the
 * machine's load does not move.
 *
 *   npx tsx bench/parts/executor-cost.ts [--flow send|register] [--runs 3000] [--allocation]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Integration, Offer } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import { ROOT, startMock } from '../harness.ts';
import { SEND_LEAD, SEND_OFFER, sendIntegration } from '../scenarios/send-integration.ts';
import { allocated } from './allocation.ts';
import { cpuRounds, medianAndLeast } from './rounds.ts';

const { values } = parseArgs({
  options: {
    flow: { type: 'string', default: 'send' },
    runs: { type: 'string', default: '3000' },
    allocation: { type: 'boolean', default: false },
  },
});
const FLOWS: Record<string, string> = { send: 'flows/demo/demo-crm-send.json', register: 'flows/examples/register-autologin.json' };
if (!FLOWS[values.flow]) throw new Error(`--flow: one of ${Object.keys(FLOWS).join(', ')}, not "${values.flow}"`);
const RUNS = Number(values.runs);
const AT_ONCE = 20;

const flow = JSON.parse(readFileSync(path.join(ROOT, FLOWS[values.flow]), 'utf8')) as FlowDoc;
const mock = await startMock(0);
const agent = createAgent();
const executor = new Executor({ registry: await loadNodeRegistry(), agent, store: { insertExecution: async () => 1 } });
// the bench's send integration and offer, as stored, and its lead
const integration: Integration = { ...sendIntegration(mock.url), postbackToken: 'bench-postback-token' };
const offer: Offer = { ...SEND_OFFER, goals: [], products: [] };
const now = new Date().toISOString();
const lead: Lead = {
  ...SEND_LEAD,
  id: 7,
  phoneE164: '+4915123456789',
  integration: integration.id,
  stage: 'new',
  created_at: now,
  updated_at: now,
};
const services: RunServices = {
  leads: { update: async (change) => ({ lead: { ...lead, stage: change.stage ?? lead.stage }, stageChanged: true }) },
  postbacks: { send: async () => {} },
};

async function run(): Promise<void> {
  const result = await executor.run({ flow, event: flow.event, lead, offer, integration, trigger: { lead } }, services);
  if (result.error) throw new Error(`the ${values.flow} flow failed: ${JSON.stringify(result.error)}`);
}

/** `RUNS` runs, `AT_ONCE` at a time. */
async function round(): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (started++ < RUNS) await run();
    }),
  );
}

const perRun = await cpuRounds(async () => (await round(), RUNS));
console.log(`executor, ${values.flow} flow (${flow.nodes.length} nodes): ${medianAndLeast(perRun)} µs CPU per run`);
if (values.allocation) {
  const { bytes, top } = await allocated(round);
  console.log(`  allocated ${(bytes / RUNS / 1024).toFixed(1)} KB per run; most by:`);
  for (const [where, b] of top) console.log(`  ${(b / RUNS / 1024).toFixed(2).padStart(7)} KB  ${where}`);
}
mock.stop();
await agent.close();
