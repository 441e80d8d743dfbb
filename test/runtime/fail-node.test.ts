import { describe, expect, it } from 'vitest';
import {
  removeDataDir,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

/** A target that answers every error with HTTP 200 and `{"status":"error"}`; Fail turns that into a failure. */
function flowFailing(retryable: 'yes' | 'no') {
  return {
    id: 'send',
    name: 'send',
    event: 'lead.new',
    nodes: [
      node('lead', 'lead-in', 0),
      node('body', 'json-build', 1, { body: { phone: '{{lead.phone}}' } }),
      node('send', 'http-request', 2, { url: '{{integration.settings.base_url}}/orders' }),
      node('ok', 'condition', 3, { left: '{{input.body.status}}', operator: 'equals', right: 'ok' }),
      node('read', 'extract', 4, { fields: [{ key: 'eid', value: 'body.id' }], required: 'eid' }),
      node('save', 'update-lead', 5, { stage: 'wait' }),
      node('failed', 'fail', 4, { message: 'CRM error: {{input.body.error}}', code: 'crm_error', retryable }),
    ],
    edges: [
      edge('lead', 'body'),
      edge('body', 'send'),
      edge('send', 'ok'),
      edge('ok', 'read', 'true'),
      edge('read', 'save'),
      edge('ok', 'failed', 'false'),
    ],
  };
}

async function setUp(target: MockServer, retryable: 'yes' | 'no'): Promise<TestRuntime> {
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  expect((await t.api('POST', '/api/flows', flowFailing(retryable))).status).toBe(201);
  await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} });
  const created = await t.api('POST', '/api/integrations', {
    id: 'crm',
    name: 'CRM',
    enabled: true,
    settings: { base_url: target.url },
    offers: ['tea'],
    flows: { 'lead.new': 'send' },
  });
  expect(created.status).toBe(201);
  return t;
}

describe('an error body in a 200, ended by a Fail node', () => {
  it('not retryable: the delivery fails at once with the message, the lead stays new, and the run is an error', async () => {
    const target = await startMockServer(() => ({ body: { status: 'error', error: 'unknown api key' } }));
    const t = await setUp(target, 'no');
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780' });
    const page = await waitFor(async () => {
      const p = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      return p.deliveries[0]?.state === 'failed' && p;
    }, 'the delivery to fail');
    expect(page.lead.stage).toBe('new');
    expect(page.deliveries[0].attempts).toBe(1);
    expect(page.deliveries[0].lastError).toContain('crm_error: CRM error: unknown api key (node failed');
    expect(target.received).toHaveLength(1);
    const executions = (await t.api('GET', `/api/executions?leadId=${posted.body.id}`)).body;
    const run = (executions.executions ?? executions)[0];
    expect(run.state).toBe('error');
  });

  it('retryable: the delivery queue tries again, and the lead moves on once the target accepts it', async () => {
    let calls = 0;
    const target = await startMockServer(() =>
      ++calls < 3 ? { body: { status: 'error', error: 'maintenance' } } : { body: { status: 'ok', id: 'E-9' } },
    );
    const t = await setUp(target, 'yes');
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780' });
    const page = await waitFor(
      async () => {
        const p = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
        return p.lead.stage === 'wait' && p;
      },
      'the lead delivered on a later attempt',
      10_000,
    );
    expect(page.lead.eid).toBe('E-9');
    expect(page.deliveries[0].attempts).toBe(3);
    expect(target.received).toHaveLength(3);
  });
});
