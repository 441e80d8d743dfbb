import { describe, expect, it } from 'vitest';
import { removeDataDir, startMockServer, startRuntime, waitFor, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, sourceHandle: 'out', target, targetHandle: 'in' });

/** A send flow without a refusal branch: a 400 fails the run at `send`, and nothing retries it. */
const sendFlow = {
  id: 'send',
  name: 'send',
  event: 'lead.new',
  nodes: [
    node('lead', 'lead-in', 0),
    node('body', 'json-build', 1, { body: { phone: '{{lead.phone | digits}}', at: '{{now}}' } }),
    node('send', 'http-request', 2, { url: '{{integration.settings.base_url}}/orders' }),
    node('read', 'extract', 3, { fields: [{ key: 'eid', value: 'body.id' }] }),
    node('save', 'update-lead', 4, { stage: 'wait' }),
  ],
  edges: [edge('lead', 'body'), edge('body', 'send'), edge('send', 'read'), edge('read', 'save')],
};

describe('executions run again', () => {
  it('a failed execution whose recorded input the log had to cut is not retried from its node, and says why', async () => {
    const target = await startMockServer(() => ({ status: 400, body: { error: 'no' } }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    // a body far larger than a step record may keep: the log keeps a note of its size instead
    const big = structuredClone(sendFlow);
    big.nodes[1].params = { body: { phone: '{{lead.phone | digits}}', padding: 'p'.repeat(300_000) } };
    expect((await t.api('POST', '/api/flows', big)).status).toBe(201);
    await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' });
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: target.url },
      offers: ['tea'],
      flows: { 'lead.new': 'send' },
    });
    const { body } = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+49 151 2345678' });
    const failed = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${body.id}`);
      return r.body.deliveries[0]?.state === 'failed' && r.body;
    }, 'the delivery to fail for good');
    const retried = await t.api('POST', `/api/executions/${failed.executions[0].id}/retry`);
    expect(retried.status).toBe(409);
    expect(retried.body.message).toContain('too large to keep whole');
    expect(target.received).toHaveLength(1);
  });

  it('a failed execution is retried from the node that failed, with the input it had then', async () => {
    let refuse = true;
    const target = await startMockServer(() => (refuse ? { status: 400, body: { error: 'try tomorrow' } } : { body: { id: 'E-9' } }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await t.api('POST', '/api/flows', sendFlow);
    await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' });
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: target.url },
      offers: ['tea'],
      flows: { 'lead.new': 'send' },
    });
    const { body } = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+49 151 2345678' });
    const failed = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${body.id}`);
      return r.body.deliveries[0]?.state === 'failed' && r.body;
    }, 'the delivery to fail for good');
    const execution = failed.executions[0];
    expect(execution.error).toMatchObject({ code: 'http_error', nodeId: 'send' });

    refuse = false;
    const retried = await t.api('POST', `/api/executions/${execution.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.execution.steps.map((s: { nodeId: string }) => s.nodeId)).toEqual(['send', 'read', 'save']);
    expect(retried.body.execution.flowVersion).toBe(execution.flowVersion);
    // the same body as the first time: the recorded input, not a new one (its `at` would differ)
    expect(target.received[1].body).toBe(target.received[0].body);
    expect((await t.api('GET', `/api/leads/${body.id}`)).body.lead).toMatchObject({ stage: 'wait', eid: 'E-9' });

    // a run that did not fail has nothing to retry; a re-run of it runs the current version
    const again = await t.api('POST', `/api/executions/${retried.body.execution.id}/retry`);
    expect(again.body).toMatchObject({ error: 'conflict', field: 'id' });
    // the lead is in wait now: re-running its lead.new needs the confirmation
    const rerun = await t.api('POST', `/api/executions/${execution.id}/rerun`, { confirm: true });
    expect(rerun.body.execution.steps[0].nodeId).toBe('lead');
    expect(target.received).toHaveLength(3);
  });
});
