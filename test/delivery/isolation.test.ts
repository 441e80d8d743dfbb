import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  readFlow,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** A target that never answers (the runtime gives up at its node timeout), counting the requests it holds at once. */
async function hangingTarget(): Promise<{ url: string; received: () => number; mostAtOnce: () => number }> {
  let open = 0;
  let most = 0;
  let received = 0;
  const server: Server = createServer((req, res) => {
    received++;
    most = Math.max(most, ++open);
    req.resume();
    res.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received, mostAtOnce: () => most };
}

const accepting = () => ({ body: { status: 'ok', order_id: `E-${Math.random().toString(36).slice(2, 8)}` } });

/** The demo send flow under another id, its HTTP step given up after `timeoutMs` by the node's settings. */
function sendFlow(id: string, timeoutMs: number) {
  const flow = readFlow('flows/demo/demo-crm-send.json') as { id: string; nodes: { id: string; settings?: object }[] };
  return { ...flow, id, nodes: flow.nodes.map((node) => (node.id === 'send' ? { ...node, settings: { timeoutMs } } : node)) };
}

async function runtimeWithTwoTargets(
  options: { concurrency?: number; timeoutMs?: number } = {},
): Promise<{ t: TestRuntime; healthy: MockServer; slow: Awaited<ReturnType<typeof hangingTarget>> }> {
  const healthy = await startMockServer(accepting);
  const slow = await hangingTarget();
  // the breaker would stop the hanging target's deliveries: here they keep going, the worst case for the others
  const t = await startRuntime({ breaker: { failures: 1_000_000 } });
  cleanups.push(
    () => healthy.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, healthy.url);
  const ok = (r: { status: number; body: unknown }) => expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  ok(await t.api('POST', '/api/flows', sendFlow('slow-send', options.timeoutMs ?? 300)));
  ok(await t.api('POST', '/api/offers', { id: 'slow-tea', name: 'Slow tea', parameters: { crm_offer_id: '301' } }));
  ok(
    await t.api('POST', '/api/integrations', {
      id: 'slow',
      name: 'Slow CRM',
      enabled: true,
      settings: { base_url: slow.url },
      secrets: { api_key: 'k', api_secret: 's' },
      offers: ['slow-tea'],
      flows: { 'lead.new': 'slow-send' },
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    }),
  );
  return { t, healthy, slow };
}

const lead = (n: number, offer: string) => ({
  offer,
  name: `Buyer ${n}`,
  phone: '+49 151 2345670',
  country: 'DE',
  wm: 'wm1',
  subid: `c-${n}`,
});

async function post(t: TestRuntime, offer: string, n: number): Promise<number> {
  const r = await t.api('POST', '/api/leads', lead(n, offer));
  expect(r.status).toBe(202);
  return r.body.id;
}

/** How long after its 202 a lead reached `wait`, polled every 10 ms (fails past `limitMs` × 5). */
async function msToWait(t: TestRuntime, id: number, accepted: number, limitMs: number): Promise<number> {
  for (;;) {
    const view = (await t.api('GET', `/api/leads/${id}`)).body;
    if (view.lead.stage === 'wait') return Date.now() - accepted;
    if (Date.now() - accepted > limitMs * 5) return Date.now() - accepted;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('one hanging target beside a healthy one', () => {
  it("the healthy integration's leads are each delivered within 1 s of their 202, with the hanging one's leads queued first", async () => {
    const { t, healthy, slow } = await runtimeWithTwoTargets({ timeoutMs: 1500 });
    // 60 leads for the hanging target, each holding a worker for 1.5 s: with all 32 workers theirs, the others would wait that long
    for (let n = 0; n < 60; n++) await post(t, 'slow-tea', n);
    await expect.poll(() => slow.received(), { timeout: 5000 }).toBeGreaterThanOrEqual(4);

    const waits: number[] = [];
    for (let n = 0; n < 20; n++) {
      const id = await post(t, 'tea', n);
      waits.push(await msToWait(t, id, Date.now(), 1000));
    }
    expect(Math.max(...waits), `ms from 202 to wait: ${waits.join(', ')}`).toBeLessThan(1000);
    expect(healthy.received).toHaveLength(20);
    // meanwhile the hanging target held its own few workers, and no more
    expect(slow.mostAtOnce()).toBe(4);
  });

  it("never runs more of one integration's deliveries at once than its concurrency", async () => {
    const { t, slow } = await runtimeWithTwoTargets({ concurrency: 2 });
    expect((await t.api('GET', '/api/integrations/slow')).body.concurrency).toBe(2);
    for (let n = 0; n < 12; n++) await post(t, 'slow-tea', n);
    // three rounds of timeouts at least
    await expect.poll(() => slow.received(), { timeout: 5000 }).toBeGreaterThanOrEqual(6);
    expect(slow.mostAtOnce()).toBe(2);
  });

  it('an integration without a concurrency of its own runs at most 4 deliveries at once', async () => {
    const { t, slow } = await runtimeWithTwoTargets();
    expect((await t.api('GET', '/api/integrations/slow')).body.concurrency).toBeUndefined();
    for (let n = 0; n < 12; n++) await post(t, 'slow-tea', n);
    await expect.poll(() => slow.received(), { timeout: 5000 }).toBeGreaterThanOrEqual(8);
    expect(slow.mostAtOnce()).toBe(4);
  });

  it('refuses a concurrency that is not a whole number from 1 to 64, naming the field', async () => {
    const { t } = await runtimeWithTwoTargets();
    for (const concurrency of [0, 65, 1.5, '4']) {
      const r = await t.api('PATCH', '/api/integrations/slow', { concurrency });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'invalid_field', field: 'concurrency' });
    }
  });
});

describe('a hanging tracker', () => {
  it("holds no more than the postbacks' share of the workers: leads are still delivered within 1 s", async () => {
    const healthy = await startMockServer(accepting);
    const t = await startRuntime({ workers: 8 });
    cleanups.push(
      () => healthy.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    // closed before the runtime, so its hanging postbacks end and the runtime need not wait them out
    const tracker = await hangingTarget();
    await setUpDemoIntegration(t, healthy.url, tracker.url);
    // 12 leads in wait: 12 postbacks that hang for the postback timeout (10 s)
    for (let n = 0; n < 12; n++) await post(t, 'tea', n);
    await expect.poll(() => tracker.received(), { timeout: 5000 }).toBe(2);

    const waits: number[] = [];
    for (let n = 0; n < 10; n++) {
      const id = await post(t, 'tea', 100 + n);
      waits.push(await msToWait(t, id, Date.now(), 1000));
    }
    expect(Math.max(...waits), `ms from 202 to wait: ${waits.join(', ')}`).toBeLessThan(1000);
    // a quarter of 8 workers
    expect(tracker.mostAtOnce()).toBe(2);
    expect(tracker.received()).toBe(2);
  });
});
