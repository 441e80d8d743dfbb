/**
 * The per-run cost of the Code node: a 20-line script with JSON in (a lead, an offer, an HTTP
 * answer) and JSON out, warm (after {@link PRIME} runs, so the JIT has tiered both threads' paths
 * up), many runs one after another. Measured four ways:
 * - `node`: the Code node's `execute` with the process's sandbox (worker threads) — what a flow
 *   pays; the script runs on its worker's warm stage (runtime/engine/code-sandbox-warm.ts);
 * - `threads`: the sandbox alone, the same path without the node;
 * - `inline`: QuickJS in the calling thread (no worker round trip), a fresh runtime + context and
 *   a compile per run: what isolation by a fresh context costs;
 * - `spaced`: the node as `node`, but 2 ms apart, as runs come in a flow (other nodes between them):
 *   both threads idle between runs, their caches cold, so this is what a flow waits for.
 * Then the throughput of the worker pool with runs in parallel. Each line also gives the process's
 * CPU per run (all threads: the sandbox's preparation between runs counts), and the header the
 * machine's load, as the machine may be shared.
 *
 *   npx tsx bench/code-node.ts [--runs 3000]      (npm run bench:code)
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { code } from '../nodes/code.ts';
import { CODE_LIMITS, type CodeGlobals, type CodeRunner } from '../core/node/code-sandbox.ts';
import { hasher } from '../runtime/engine/hash.ts';
import { createCodeRunner } from '../runtime/engine/code-sandbox-pool.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3000' } } });
const RUNS = Number(values.runs);
const WARMUP = 300;
/**
 * Runs before the first measure: V8 tiers QuickJS's wasm up (Liftoff, then TurboFan for its hot
 * functions) and the JavaScript around it over the first few thousand runs — a worker's run takes
 * twice as long in its first 500 as from its 4,000th on — and a flow's Code node is past that soon.
 */
const PRIME = 5000;

const SCRIPT = `// the target answers { result: { code, order }, errors: [...] }; make it Update Lead's input
const answer = input.body ?? {};
const result = answer.result ?? {};
const errors = Array.isArray(answer.errors) ? answer.errors : [];
if (input.status >= 500) return helpers.retry('target busy: HTTP ' + input.status);
const goods = (lead.goods ?? []).map((item) => ({ sku: item.product, qty: item.count, total: item.count * (item.price ?? 0) }));
const total = goods.reduce((sum, item) => sum + item.total, 0);
const accepted = result.code === 0 && result.order && errors.length === 0;
const when = helpers.date('Y-m-d H:i:s', lead.created_at);
const check = helpers.md5(String(lead.id) + ':' + (result.order?.id ?? ''));
helpers.log('answer', result.code, 'for lead', lead.id);
if (!accepted) {
  return helpers.port('error', { stage: 'cancel', reason: errors.map((e) => e.message).join('; ') || 'refused' });
}
return {
  stage: 'wait', eid: String(result.order.id), status: result.order.state,
  comment: 'sent ' + when + ' for ' + offer.params.crm_offer_id,
  goods, total: Math.round(total * 100) / 100, check,
  meta: { ...lead.meta, tracked: Boolean(lead.subid) },
};`;

const lead = {
  id: 4711,
  integration: 'crm',
  offer: 'slim-tea',
  stage: 'new' as const,
  name: 'Anna Schmidt',
  phone: '+49 30 1234567',
  country: 'de',
  ip: '10.1.2.3',
  subid: 'click-abc-123',
  meta: { landing: 'v2', campaign: 'spring' },
  goods: [
    { product: 'tea', count: 2, price: 19.9 },
    { product: 'cup', count: 1, price: 4.5 },
  ],
  created_at: '2024-05-06 07:08:09',
  updated_at: '2024-05-06 07:08:09',
};
const offer = { id: 'slim-tea', name: 'Slim Tea', params: { crm_offer_id: '100-de', stream: 'st-1' }, goals: [], products: [] };
const input = {
  status: 200,
  ok: true,
  headers: { 'content-type': 'application/json' },
  body: { result: { code: 0, order: { id: 'A-99812', state: 'processing' } }, errors: [] },
  durationMs: 5.2,
};
const globals: CodeGlobals = { input, lead, offer, settings: { base_url: 'http://127.0.0.1:9' } };

function summary(samples: number[]): { mean: number; p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p50: at(50), p99: at(99) };
}

const ms = (n: number) => n.toFixed(3);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(name: string, once: () => Promise<void>, gapMs = 0): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) {
    if (gapMs) await pause(gapMs);
    const started = performance.now();
    await once();
    samples.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / RUNS;
  const { mean, p50, p99 } = summary(samples);
  console.log(`${name.padEnd(8)} mean ${ms(mean)} ms   p50 ${ms(p50)} ms   p99 ${ms(p99)} ms   (${RUNS} runs, CPU ${ms(cpuMs)} ms/run)`);
}

function check(outcome: Awaited<ReturnType<CodeRunner['run']>>): void {
  if (!outcome.ok) throw new Error(`the bench script failed: ${outcome.error.message}`);
}

const threads = createCodeRunner({ mode: 'threads' });
const inline = createCodeRunner({ mode: 'inline' });
const noop = () => {
  throw new Error('not used');
};

const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' ');
console.log(`Code node: a ${SCRIPT.split('\n').length}-line script, ${JSON.stringify(globals).length} bytes of JSON in, warm`);
console.log(`machine: ${availableParallelism()} cores, load ${load} (1, 5, 15 min)\n`);
const viaNode = async (): Promise<void> => {
  const result = await code.execute({
    node: { id: 'code', type: 'code' },
    event: 'lead.new',
    params: { script: SCRIPT, ...CODE_LIMITS },
    input,
    lead,
    offer,
    integration: { id: 'crm', name: 'CRM', settings: globals.settings },
    trigger: lead,
    signal: new AbortController().signal,
    http: { send: noop },
    hash: hasher,
    leads: { update: noop },
    postbacks: { send: noop },
    respond: noop,
    log: () => {},
    addSecret: noop,
    code: threads,
  } as unknown as Parameters<typeof code.execute>[0]);
  if (result.failure) throw new Error(result.failure.message);
};
for (let i = 0; i < PRIME; i++) await viaNode();
await measure('node', viaNode);
await measure('threads', async () => check(await threads.run(SCRIPT, globals, CODE_LIMITS)));
await measure('inline', async () => check(await inline.run(SCRIPT, globals, CODE_LIMITS)));
await measure('spaced', viaNode, 2);

// throughput: the pool's threads busy at once
for (const parallel of [2, 8]) {
  const total = RUNS;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < total) check(await threads.run(SCRIPT, globals, CODE_LIMITS));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`threads, ${parallel} at a time: ${Math.round(total / seconds)} runs/s`);
}

await threads.close();
await inline.close();
