/**
 * Test runs of every event, with what that event really gets: a lead, a status check's batch (a
 * sample, or the integration's real leads read only), a postback's call. The answer says which lead
 * each Update Lead would change and how; nothing changes.
 */
import { describe, expect, it } from 'vitest';
import {
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

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

/** Asks the target for the statuses of the batch's external ids; each row moves its lead. */
const statusFlow = {
  id: 'crm-status',
  name: 'CRM statuses',
  event: 'status.processing',
  nodes: [
    node('check', 'status-check', 0, { schedule: '1h', batchSize: 50 }),
    node('list', 'http-request', 1, {
      method: 'GET',
      url: '{{integration.settings.base_url}}/statuses',
      query: [{ key: 'ids', value: '{{batch.eids | join:","}}' }],
      body: 'none',
    }),
    node('rows', 'for-each', 2, { items: '{{input.body.orders}}' }),
    node('stage', 'map-status', 3, {
      value: '{{input.state}}',
      code: '{{input.state_id}}',
      rules: [{ match: 'exact', value: 'confirmed', stage: 'approve' }],
      default: 'wait',
    }),
    // an order we do not know is no reason to stop the batch
    { ...node('update', 'update-lead', 4, { find: 'eid', eid: '{{input.order_id}}', setEid: '' }), settings: { onError: 'continue' } },
  ],
  edges: [edge('check', 'list'), edge('list', 'rows'), edge('rows', 'stage', 'item'), edge('stage', 'update')],
};

interface World {
  t: TestRuntime;
  target: MockServer;
  tracker: MockServer;
  leadId: number;
}

/** The demo integration with one lead delivered (eid E-1, stage wait) and the status flow above. */
async function world(): Promise<World> {
  const target = await startMockServer((r) => {
    if (r.path === '/statuses') {
      const ids = (r.query.ids ?? '').split(',').filter(Boolean);
      return { body: { orders: ids.map((id) => ({ order_id: id, state: 'confirmed', state_id: '7' })) } };
    }
    return { body: { status: 'ok', order_id: 'E-1' } };
  });
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url, tracker.url);
  expect((await t.api('POST', '/api/flows', statusFlow)).status).toBe(201);
  const posted = await t.api('POST', '/api/leads', { offer: 'tea', wm: 'wm1', subid: 'c-1', phone: '+4915123456780' });
  await waitFor(async () => (await t.api('GET', `/api/leads/${posted.body.id}`)).body.lead.stage === 'wait', 'delivery');
  return { t, target, tracker, leadId: posted.body.id };
}

async function expectUnchanged(w: World): Promise<void> {
  const page = (await w.t.api('GET', `/api/leads/${w.leadId}`)).body;
  expect(page.lead).toMatchObject({ stage: 'wait', eid: 'E-1' });
  expect(page.lead.statusCode).toBeUndefined();
  expect(w.tracker.received.filter((r) => r.query.stage !== 'wait')).toEqual([]);
}

describe('test runs', () => {
  it('of a status check with a sample batch report, per item, the lead it matches by eid and the stage change it would make, and change nothing', async () => {
    const w = await world();
    const run = await w.t.api('POST', '/api/flows/crm-status/test', {
      integration: 'crm',
      batch: { ids: [], eids: ['E-1', 'E-404'] },
      send: 'real',
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.error).toBeUndefined();
    expect(w.target.received.at(-1)?.query.ids).toBe('E-1,E-404');
    expect(run.body.updates).toEqual([
      {
        by: 'eid',
        eid: 'E-1',
        lead: { id: w.leadId, eid: 'E-1', stage: 'wait' },
        stageBefore: 'wait',
        stage: 'approve',
        stageAfter: 'approve',
        stageChanged: true,
        status: 'confirmed',
        statusCode: '7',
      },
      { by: 'eid', eid: 'E-404', stage: 'approve', stageChanged: false, status: 'confirmed', statusCode: '7' },
    ]);
    expect(run.body.execution.test).toBe(true);
    await expectUnchanged(w);
  });

  it("of a status check without a batch take the integration's real wait and hold leads, read only", async () => {
    const w = await world();
    const run = await w.t.api('POST', '/api/flows/crm-status/test', { integration: 'crm', send: 'real' });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.trigger).toEqual({
      ids: [w.leadId],
      eids: ['E-1'],
      leads: [{ id: w.leadId, eid: 'E-1', stage: 'wait', status: 'ok' }],
    });
    expect(run.body.updates).toMatchObject([
      { eid: 'E-1', lead: { id: w.leadId }, stageBefore: 'wait', stageAfter: 'approve', stageChanged: true },
    ]);
    await expectUnchanged(w);
  });

  it('of a postback take a sample call, need no lead, and say which lead it would move', async () => {
    const w = await world();
    const run = await w.t.api('POST', '/api/flows/demo-crm-postback/test', {
      integration: 'crm',
      call: { query: { order_id: 'E-1', status: 'confirmed', comment: 'paid' } },
      send: 'real',
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.updates).toMatchObject([
      {
        by: 'eid',
        eid: 'E-1',
        lead: { id: w.leadId },
        stageBefore: 'wait',
        stage: 'approve',
        stageAfter: 'approve',
        stageChanged: true,
        comment: 'paid',
      },
    ]);
    expect(run.body.execution.trigger).toEqual({ query: { order_id: 'E-1', status: 'confirmed', comment: 'paid' }, body: {} });
    await expectUnchanged(w);

    const without = await w.t.api('POST', '/api/flows/demo-crm-postback/test', { integration: 'crm' });
    expect(without.status).toBe(400);
    expect(without.body.field).toBe('call');
  });

  it('of an unsaved flow without a version run, recorded as version 0', async () => {
    const w = await world();
    const { version: _v, ...unsaved } = { ...statusFlow, id: 'never-saved', version: undefined };
    const run = await w.t.api('POST', '/api/flows/never-saved/test', {
      integration: 'crm',
      flow: unsaved,
      batch: { ids: [], eids: ['E-1'] },
      send: 'real',
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.execution).toMatchObject({ flowId: 'never-saved', flowVersion: 0, test: true });
  });
});
