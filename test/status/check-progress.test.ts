/**
 * "Check now" followed run by run: a check started through `POST …/checks/:event/runs` answers its
 * run id at once, `GET …/runs/:run` reports its counts while it runs and its report once done, with
 * how many leads were checked, moved, left unchanged, or failed. Against a CRM mock that answers
 * statuses for a batch of order ids.
 */
import { describe, expect, it } from 'vitest';
import { readFlow, removeDataDir, startMockServer, startRuntime, waitFor, cleanUpAfterEach, type TestRuntime } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

const processing = {
  id: 'processing',
  name: 'processing',
  event: 'status.processing',
  nodes: [
    node('check', 'status-check', 0, { schedule: '1h', batchSize: 2 }),
    node('ask', 'http-request', 1, {
      method: 'GET',
      url: '{{integration.settings.base_url}}/status?ids={{batch.eids | join:","}}',
      timeoutMs: 1500,
    }),
    node('each', 'for-each', 2, { items: '{{input.body.orders}}' }),
    node('stage', 'map-status', 3, {
      value: '{{item.status}}',
      rules: [
        { match: 'list', value: 'new,processing', stage: 'wait' },
        { match: 'exact', value: 'confirmed', stage: 'approve' },
      ],
    }),
    node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '' }),
  ],
  edges: [edge('check', 'ask'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
};

async function ok(r: Promise<{ status: number; body: any }>) {
  const answer = await r;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** A runtime with four leads waiting at a CRM that confirms E1, still processes E2 and never answers about E3 and E4. */
async function world(): Promise<TestRuntime> {
  let orders = 0;
  const crm = await startMockServer((r) => {
    if (r.path === '/api/orders') return { body: { status: 'ok', order_id: `E${++orders}` } };
    if (r.path === '/status') {
      const ids = (r.query.ids ?? '').split(',');
      if (ids.includes('E3')) return 'hang';
      return { body: { orders: ids.map((id) => ({ order_id: id, status: id === 'E1' ? 'confirmed' : 'processing' })) } };
    }
    return { status: 404, body: {} };
  });
  const t = await startRuntime();
  cleanups.push(
    () => crm.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await ok(t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json')));
  await ok(t.api('POST', '/api/flows', processing));
  await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' } }));
  await ok(
    t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: crm.url },
      secrets: { api_key: 'k-123456', api_secret: 's-123456' },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', 'status.processing': 'processing' },
    }),
  );
  for (let i = 0; i < 4; i++) {
    const { body } = await ok(t.api('POST', '/api/leads', { offer: 'tea', phone: `+4915100000${i}` }));
    await waitFor(async () => (await t.api('GET', `/api/leads/${body.id}`)).body.lead.stage === 'wait', `lead ${body.id} delivered`);
  }
  return t;
}

describe('a status check followed while it runs', () => {
  it('answers a run id at once, reports its counts while it runs, then a report of leads checked, moved, unchanged and failed', async () => {
    const t = await world();
    const started = await t.api('POST', '/api/integrations/crm/checks/status.processing/runs');
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ integration: 'crm', event: 'status.processing', state: 'running' });
    const run = started.body.run as string;
    const path = `/api/integrations/crm/checks/status.processing/runs/${run}`;

    // the first batch is done while the second waits for the CRM
    const midway = await waitFor(async () => {
      const { body } = await t.api('GET', path);
      return body.state === 'running' && body.runs === 1 && body;
    }, 'the first batch counted while the check runs');
    expect(midway).toMatchObject({ leads: 2, moved: 1, unchanged: 1, failed: 0 });
    expect(midway.report).toBeUndefined();
    // the schedule names the run under way
    const checks = (await t.api('GET', '/api/integrations/crm/checks')).body.checks;
    expect(checks).toEqual([expect.objectContaining({ event: 'status.processing', schedule: '1h', running: true, run })]);

    const done = await waitFor(async () => {
      const { body } = await t.api('GET', path);
      return body.state === 'done' && body;
    }, 'the check done');
    expect(done).toMatchObject({ runs: 2, leads: 4, moved: 1, unchanged: 1, failed: 2 });
    expect(done.report).toMatchObject({ leads: 4, moved: 1, unchanged: 1, failed: 2, error: { code: 'timeout', nodeId: 'ask' } });
    const last = (await t.api('GET', '/api/integrations/crm/checks')).body.checks[0];
    expect(last).toMatchObject({ running: false, last: { moved: 1, failed: 2 } });
    expect(last.next).toEqual(expect.any(String));
  });

  it('refuses to start a check the integration has no flow for, and a run id it never gave, naming the field', async () => {
    const t = await world();
    expect(await t.api('POST', '/api/integrations/crm/checks/status.range/runs')).toMatchObject({ status: 404, body: { field: 'event' } });
    expect(await t.api('POST', '/api/integrations/crm/checks/status.nothing/runs')).toMatchObject({
      status: 400,
      body: { field: 'event' },
    });
    expect(await t.api('GET', '/api/integrations/crm/checks/status.processing/runs/0123')).toMatchObject({
      status: 404,
      body: { field: 'run' },
    });
  });
});
