import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEMO_KEY,
  DEMO_SECRET,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

async function runtimeWithTarget(answer?: Parameters<typeof startMockServer>[0]): Promise<{ t: TestRuntime; target: MockServer }> {
  const target = await startMockServer(answer ?? (() => ({ body: { status: 'ok', order_id: 'E-77' } })));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  return { t, target };
}

const lead = { offer: 'tea', name: 'Anna Schmidt', phone: '+49 (151) 234-5670', country: 'DE', ip: '10.1.2.3', wm: 'wm1', subid: 'clk-1' };

describe('delivery of a new lead', () => {
  it('a posted lead reaches the target with the right body and signature and goes to wait with the external id', async () => {
    const { t, target } = await runtimeWithTarget();
    const posted = await t.api('POST', '/api/leads', lead);
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ id: expect.any(Number), stage: 'new' });

    const view = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      // the stage is written mid-run, the job is marked done when the run ends: wait for both
      return r.body.lead.stage === 'wait' && r.body.deliveries[0]?.state === 'done' && r.body;
    }, 'the lead to reach wait and its delivery to finish');
    expect(view.lead).toMatchObject({ eid: 'E-77', stage: 'wait', status: 'ok' });
    expect(view.history).toEqual([expect.objectContaining({ from: 'new', stage: 'wait', source: 'delivery' })]);
    expect(view.deliveries).toEqual([expect.objectContaining({ kind: 'lead.new', state: 'done', attempts: 1 })]);

    expect(target.received).toHaveLength(1);
    const sent = target.received[0];
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/api/orders');
    expect(sent.headers['x-api-key']).toBe(DEMO_KEY);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['x-signature']).toBe(createHmac('sha256', DEMO_SECRET).update(sent.body).digest('hex'));
    const body = JSON.parse(sent.body);
    expect(body).toMatchObject({
      offer_id: '201', // the German lead gets crm_offer_id-de
      name: 'Anna Schmidt',
      phone: '491512345670',
      country: 'DE',
      ip: '10.1.2.3',
      click_id: 'clk-1',
      order_ref: posted.body.id,
    });
    expect(body.created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // the execution shows the request and the answer, node by node
    const execution = view.executions[0];
    expect(execution.state).toBe('success');
    expect(execution.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual([
      'lead',
      'order',
      'sign',
      'send',
      'answer',
      'stage',
      'accepted',
    ]);
    const send = execution.steps.find((s: { nodeId: string }) => s.nodeId === 'send');
    expect(send.http[0].request).toMatchObject({ method: 'POST', url: `${target.url}/api/orders` });
    expect(send.http[0].response).toMatchObject({ status: 200, body: '{"status":"ok","order_id":"E-77"}' });
    // each step's input is the output before it: the answer shows it, the store keeps it once
    const sign = execution.steps.find((s: { nodeId: string }) => s.nodeId === 'sign');
    expect(sign.input).toEqual(execution.steps.find((s: { nodeId: string }) => s.nodeId === 'order').output);
    // (the executor hands the store each input by reference, test/engine/executor.test.ts; the
    // store reads it back filled in, the execution log contract)
    const stored = (await t.runtime.executions.getExecution(execution.id))!;
    const storedStep = (id: string) => stored.steps.find((s) => s.nodeId === id)!;
    expect(storedStep('sign').input).toEqual(storedStep('order').output);
    expect(storedStep('sign')).not.toHaveProperty('inputFrom');
    expect(stored.steps[0].input).toEqual(stored.trigger);
  });

  it('a lead from another country gets the offer parameter without a geo suffix', async () => {
    const { t, target } = await runtimeWithTarget();
    await t.api('POST', '/api/leads', { ...lead, country: 'at' });
    await waitFor(() => target.received.length === 1, 'the order');
    expect(JSON.parse(target.received[0].body).offer_id).toBe('101');
  });

  it('a lead the target rejects moves to cancel with its reason', async () => {
    const { t } = await runtimeWithTarget(() => ({ status: 400, body: { status: 'error', error: 'invalid phone' } }));
    const posted = await t.api('POST', '/api/leads', lead);
    const view = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      return r.body.lead.stage !== 'new' && r.body;
    }, 'the lead to leave new');
    expect(view.lead).toMatchObject({ stage: 'cancel', reason: 'invalid phone', status: 'error' });
    expect(view.lead.eid).toBeUndefined();
    expect(view.history).toEqual([expect.objectContaining({ from: 'new', stage: 'cancel', reason: 'invalid phone' })]);
  });

  it('a target that is down gets the lead later, once it is back, with nothing lost', async () => {
    const { t, target } = await runtimeWithTarget();
    await target.stop();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await t.api('POST', '/api/leads', { ...lead, phone: `+4915123456${i}0` })).body.id);

    // while it is down: the leads stay new, their deliveries fail and are scheduled again
    const failing = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${ids[0]}`);
      return r.body.deliveries[0]?.lastError && r.body;
    }, 'a failed attempt');
    expect(failing.lead.stage).toBe('new');
    expect(failing.deliveries[0]).toMatchObject({ kind: 'lead.new', state: expect.stringMatching(/queued|running/) });
    expect(failing.deliveries[0].lastError).toMatch(/network_error|ECONNREFUSED/);
    // every lead has failed once before the target comes back (the others may be claimed later than the first)
    for (const id of ids.slice(1)) {
      await waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.deliveries[0]?.lastError, `lead ${id}'s failed attempt`);
    }

    await target.start();
    for (const id of ids) {
      const view = await waitFor(
        async () => {
          const r = await t.api('GET', `/api/leads/${id}`);
          return r.body.lead.stage === 'wait' && r.body;
        },
        `lead ${id} to reach wait`,
        10_000,
      );
      expect(view.lead.eid).toBe('E-77');
      expect(view.deliveries[0].attempts).toBeGreaterThan(1);
    }
    // each lead reached the target exactly once
    const phones = target.received.map((r) => JSON.parse(r.body).phone).sort();
    expect(phones).toEqual(['491512345600', '491512345610', '491512345620']);
  });

  it('a target answering 503 leaves the lead new and gets it again later', async () => {
    let calls = 0;
    const { t } = await runtimeWithTarget(() =>
      ++calls === 1 ? { status: 503, body: 'busy' } : { body: { status: 'ok', order_id: 'E-2' } },
    );
    const posted = await t.api('POST', '/api/leads', lead);
    const view = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      // the execution is recorded when the run ends, just after its Update Lead moved the lead
      return r.body.lead.stage === 'wait' && r.body.executions.length === 2 && r.body;
    }, 'the lead to reach wait after a retry, with both runs recorded');
    expect(calls).toBe(2);
    expect(view.history).toHaveLength(1);
    expect(view.executions.map((e: { state: string }) => e.state).sort()).toEqual(['error', 'success']);
  });

  it('queued leads survive a restart of the runtime and are delivered after it', async () => {
    const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-9' } }));
    await target.stop();
    const first = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => removeDataDir(first.dataDir),
    );
    await setUpDemoIntegration(first, target.url);
    const posted = await first.api('POST', '/api/leads', lead);
    await first.close();

    await target.start();
    const second = await startRuntime({ dataDir: first.dataDir });
    cleanups.push(() => second.close());
    const view = await waitFor(
      async () => {
        const r = await second.api('GET', `/api/leads/${posted.body.id}`);
        return r.body.lead.stage === 'wait' && r.body;
      },
      'the lead to be delivered after the restart',
      10_000,
    );
    expect(view.lead.eid).toBe('E-9');
  });
});
