/**
 * Every execution that touched a lead is linked to it: a postback run to the lead it moved, a
 * status check's run (one per batch) to every lead of the batch it matched; `GET
 * /api/executions?lead=` lists them all, and the lead's page carries them.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, readFlow, removeDataDir, startMockServer, startRuntime, waitForSettled } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

/** Asks the CRM about a batch of orders and updates each order of the answer. */
const processingCheck = {
  id: 'processing',
  name: 'processing',
  event: 'status.processing',
  nodes: [
    node('check', 'status-check', 0, { schedule: '1h', batchSize: 3 }),
    node('ask', 'http-request', 1, { method: 'GET', url: '{{integration.settings.base_url}}/status?ids={{batch.eids | join:","}}' }),
    node('each', 'for-each', 2, { items: '{{input.body.orders}}' }),
    node('stage', 'map-status', 3, {
      value: '{{item.status}}',
      rules: [
        { match: 'exact', value: 'new', stage: 'wait' },
        { match: 'exact', value: 'confirmed', stage: 'approve' },
      ],
    }),
    node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '' }),
  ],
  edges: [edge('check', 'ask'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
};

describe('runs linked to their leads', () => {
  it('a status check’s batch run is one execution linked to every lead of the batch it matched', async () => {
    let next = 0;
    const crm = await startMockServer((r) => {
      if (r.path === '/api/orders') return { body: { status: 'ok', order_id: `E${++next}` } };
      // the CRM knows every order but E2: the run matches the others
      const asked = (r.query.ids ?? '').split(',').filter((id) => id !== 'E2');
      return { body: { orders: asked.map((id) => ({ order_id: id, status: 'confirmed' })) } };
    });
    const t = await startRuntime();
    cleanups.push(
      () => crm.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json'));
    await t.api('POST', '/api/flows', processingCheck);
    await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' } });
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: crm.url },
      secrets: { api_key: 'k-123456', api_secret: 's-123456' },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', 'status.processing': 'processing' },
    });
    const leads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await t.api('POST', '/api/leads', { offer: 'tea', phone: `+491510000000${i}` });
      // its lead.new execution stored (after the stage) before the check's run, whose execution must be the newer
      await waitForSettled(t, body.id, 'wait');
      leads.push(body.id);
    }

    const report = (await t.api('POST', '/api/integrations/crm/checks/status.processing')).body;
    expect(report).toMatchObject({ runs: 1, leads: 3 });
    const runs = (await t.api('GET', '/api/executions?integration=crm&event=status.processing')).body.executions;
    expect(runs).toHaveLength(1);
    expect(runs[0].leadIds).toEqual([leads[0], leads[2]]);

    for (const id of [leads[0], leads[2]]) {
      const ofLead = (await t.api('GET', `/api/executions?lead=${id}`)).body.executions;
      expect(ofLead.map((e: { id: number }) => e.id)).toContain(runs[0].id);
      const page = (await t.api('GET', `/api/leads/${id}`)).body;
      expect(page.lead.stage).toBe('approve');
      expect(page.executions.map((e: { event: string }) => e.event)).toEqual(['status.processing', 'lead.new']);
    }
    // the lead the CRM did not answer about was not touched by the run
    const untouched = (await t.api('GET', `/api/executions?lead=${leads[1]}`)).body.executions;
    expect(untouched.map((e: { event: string }) => e.event)).toEqual(['lead.new']);
  });
});
