/**
 * A request the outbound policy refuses fails with its own code, `outbound_refused`, and is never
 * retried by the node's retry setting: nothing was sent, and another attempt would be refused the
 * same way. Loopback only: the targets are mock servers on 127.0.0.1 under a policy refusing it.
 */
import { describe, expect, it } from 'vitest';
import { RETRY_ON, type FlowDoc } from '../../core/domain/flow.ts';
import {
  readFlow,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

async function mock(...args: Parameters<typeof startMockServer>): Promise<MockServer> {
  const server = await startMockServer(...args);
  cleanups.push(() => server.stop());
  return server;
}

const LEAD = { offer: 'tea', name: 'Anna Schmidt', phone: '+4915123456780', country: 'DE', wm: 'wm1', subid: 'clk-7' };

describe('a refused outbound request', () => {
  it('fails the execution with code outbound_refused after one attempt, even when the node retries on every outcome', async () => {
    const target = await mock(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
    const setup = await startRuntime();
    cleanups.push(() => removeDataDir(setup.dataDir));
    await setUpDemoIntegration(setup, target.url);
    const flow = readFlow('flows/demo/demo-crm-send.json') as unknown as FlowDoc;
    const send = flow.nodes.find((n) => n.id === 'send');
    if (!send) throw new Error('the demo flow has no send node');
    send.settings = { ...send.settings, retry: { attempts: 5, backoffMs: 0, on: [...RETRY_ON] } };
    const saved = await setup.api('PUT', '/api/flows/demo-crm-send', flow);
    expect(saved.status).toBe(200);
    await setup.close();

    const t = await startRuntime({ dataDir: setup.dataDir, allowPrivateTargets: false });
    cleanups.push(() => t.close());
    const posted = await t.api('POST', '/api/leads', LEAD);
    expect(posted.status).toBe(202);
    const page = await waitFor(async () => {
      const p = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      return p.deliveries[0]?.state === 'failed' && p;
    }, 'the delivery to fail');

    expect(page.deliveries[0].attempts).toBe(1);
    expect(page.executions[0].error).toMatchObject({ code: 'outbound_refused', nodeId: 'send', retryable: false });
    const execution = (await t.api('GET', `/api/executions/${page.executions[0].id}`)).body;
    const step = execution.steps.find((s: { nodeId: string }) => s.nodeId === 'send');
    expect(step).toMatchObject({ state: 'error', attempts: 1, error: { code: 'outbound_refused' } });
    expect(step.error.message).toContain('127.0.0.1 is a loopback address');
    expect(step.http).toHaveLength(1);
    expect(step.logs.join('\n')).not.toContain('retrying');
    expect(target.received).toEqual([]);
  });
});
