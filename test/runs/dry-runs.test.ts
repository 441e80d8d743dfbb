/**
 * Test runs do no harm by default: a dry run stops before the first request to the target and
 * answers that request, secrets masked; "send for real" calls the target; a pinned output stands
 * in for its node; one node runs alone on its input. The mock target counts what it receives.
 */
import { describe, expect, it } from 'vitest';
import {
  DEMO_KEY,
  DEMO_SECRET,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const LEAD = { offer: 'tea', name: 'Anna Schmidt', phone: '+49 151 2345 6781', country: 'DE' };

async function world(): Promise<{ t: TestRuntime; target: MockServer }> {
  const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  return { t, target };
}

const test = (t: TestRuntime, body: Record<string, unknown>) =>
  t.api('POST', '/api/flows/demo-crm-send/test', { integration: 'crm', ...body });

describe('a test run', () => {
  it('is dry by default: it stops before the request to the target, sends nothing, and answers the request with the secrets masked', async () => {
    const { t, target } = await world();
    const run = await test(t, { lead: LEAD });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(target.received).toHaveLength(0);
    expect(run.body.execution.state).toBe('stopped');
    expect(run.body.error).toBeUndefined();
    expect(run.body.stopped.nodeId).toBe('send');
    const request = run.body.stopped.request;
    expect(request).toMatchObject({ method: 'POST', url: `${target.url}/api/orders` });
    expect(request.headers['X-Api-Key']).toBe('[secret]');
    expect(JSON.parse(request.body)).toMatchObject({ phone: expect.stringContaining('151') });
    expect(JSON.stringify(run.body)).not.toContain(DEMO_KEY);
    expect(JSON.stringify(run.body)).not.toContain(DEMO_SECRET);
    // the nodes before it ran; the one that would send is recorded stopped, nothing after it ran
    expect(run.body.execution.steps.map((s: { nodeId: string; state: string }) => `${s.nodeId}:${s.state}`)).toEqual([
      'lead:ok',
      'order:ok',
      'sign:ok',
      'send:stopped',
    ]);
    // the execution log keeps it as it was: stopped, with the request, masked
    const recorded = await t.api('GET', `/api/executions/${run.body.execution.id}`);
    expect(recorded.body.state ?? recorded.body.execution?.state).toBe('stopped');
    expect(JSON.stringify(recorded.body)).toContain('/api/orders');
    expect(JSON.stringify(recorded.body)).not.toContain(DEMO_KEY);
  });

  it('sent for real calls the target once and goes on with its answer', async () => {
    const { t, target } = await world();
    const run = await test(t, { lead: LEAD, send: 'real' });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(target.received).toHaveLength(1);
    expect(run.body.execution.state).toBe('success');
    expect(run.body.stopped).toBeUndefined();
    expect(run.body.updates).toMatchObject([{ by: 'lead', stageAfter: 'wait', stageChanged: true }]);
  });

  it('refuses a send mode it does not know, naming the field', async () => {
    const { t, target } = await world();
    const run = await test(t, { lead: LEAD, send: 'yes' });
    expect(run.status).toBe(400);
    expect(run.body.field).toBe('send');
    expect(target.received).toHaveLength(0);
  });

  it('with a pinned output does not run that node: the nodes after it run on the pin, and nothing is sent', async () => {
    const { t, target } = await world();
    const pin = { status: 200, headers: {}, body: { status: 'ok', order_id: 'E-PIN' } };
    const run = await test(t, { lead: LEAD, pins: { send: pin } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(target.received).toHaveLength(0);
    expect(run.body.execution.state).toBe('success');
    const send = run.body.execution.steps.find((s: { nodeId: string }) => s.nodeId === 'send');
    expect(send).toMatchObject({ state: 'ok', pinned: true, output: pin, http: [] });
    expect(run.body.updates).toMatchObject([{ by: 'lead', stageAfter: 'wait' }]);
    expect(run.body.execution.steps.at(-1)).toMatchObject({ nodeId: 'accepted', output: { lead: { eid: 'E-PIN', stage: 'wait' } } });
  });

  it('of one node runs it alone on the input given: dry by default, for real when asked', async () => {
    const { t, target } = await world();
    const input = { body: { phone: '+49 151 0000000', offer_id: '201' } };
    const dry = await test(t, { lead: LEAD, node: 'send', input });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(target.received).toHaveLength(0);
    expect(dry.body.execution.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['send']);
    expect(dry.body.stopped.request.url).toBe(`${target.url}/api/orders`);

    const real = await test(t, { lead: LEAD, node: 'send', input, send: 'real' });
    expect(target.received).toHaveLength(1);
    expect(real.body.execution.steps).toHaveLength(1);
    expect(real.body.execution.steps[0]).toMatchObject({ nodeId: 'send', state: 'ok', output: { body: { order_id: 'E-1' } } });
    // nothing after it ran: no Update Lead was asked for
    expect(real.body.updates).toEqual([]);

    // a node that makes no call runs the same way, on what it is given
    const extract = await test(t, { lead: LEAD, node: 'answer', input: { status: 200, body: { order_id: 'E-9', status: 'ok' } } });
    expect(extract.body.execution.steps).toMatchObject([{ nodeId: 'answer', state: 'ok', output: { eid: 'E-9', status: 'ok' } }]);

    const unknown = await test(t, { lead: LEAD, node: 'nope', input: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.field).toBe('node');
  });

  it("given no lead, runs on the kernel's sample for the integration: its routed offer, a phone and country that fit", async () => {
    const { t, target } = await world();
    const run = await test(t, {});
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.trigger).toMatchObject({ offer: 'tea', country: 'de', phoneE164: expect.stringMatching(/^\+49/) });
    expect(run.body.execution.state).toBe('stopped');
    expect(target.received).toHaveLength(0);
  });
});
