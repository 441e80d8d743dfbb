/**
 * Deleting an integration: what it takes with it (its own flows, secrets, status checks, its offers'
 * new leads) and what stays (flows meant for any integration, its leads, its executions), refused
 * while an offer's own routes name it; flows meant for one integration are offered to no other;
 * the readiness route answers the same gaps as the integration's page.
 */
import { describe, expect, it } from 'vitest';
import {
  readFlow,
  removeDataDir,
  startMockServer,
  startRuntime,
  waitForSettled,
  cleanUpAfterEach,
  type TestRuntime,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const checkFlow = (integration?: string) => ({
  id: 'crm-processing',
  name: 'CRM: statuses',
  event: 'status.processing',
  ...(integration ? { integration } : {}),
  nodes: [{ id: 'check', type: 'status-check', position: { x: 0, y: 0 }, params: { schedule: '10m' } }],
  edges: [],
});

async function ok(r: Promise<{ status: number; body: any }>) {
  const answer = await r;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** The integration "crm" with its own status flow, the shared demo send flow, and one delivered lead. */
async function world(): Promise<{ t: TestRuntime; lead: number }> {
  const crm = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E1' } }));
  const t = await startRuntime();
  cleanups.push(
    () => crm.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await ok(t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json')));
  await ok(t.api('POST', '/api/flows', checkFlow('crm')));
  await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' } }));
  await ok(
    t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: crm.url },
      secrets: { api_key: 'k-123456', api_secret: 's-123456' },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', 'status.processing': 'crm-processing' },
    }),
  );
  const { body } = await ok(t.api('POST', '/api/leads', { offer: 'tea', phone: '+491510000001' }));
  // its execution too, stored after the stage: a test compares the executions before and after a deletion
  await waitForSettled(t, body.id, 'wait');
  return { t, lead: body.id };
}

describe('deleting an integration', () => {
  it('lists what it takes with it: its own flows, secrets, status checks and offers, and the flows that stay', async () => {
    const { t } = await world();
    const plan = (await ok(t.api('GET', '/api/integrations/crm/removal'))).body;
    expect(plan).toEqual({
      integration: 'crm',
      flows: [{ id: 'crm-processing', name: 'CRM: statuses', event: 'status.processing' }],
      sharedFlows: [expect.objectContaining({ id: 'demo-crm-send', event: 'lead.new' })],
      secrets: ['api_key', 'api_secret'],
      checks: ['status.processing'],
      offers: ['tea'],
      blockedBy: [],
    });
  });

  it('takes its own flows and audit-logs it; its leads, executions and shared flows stay', async () => {
    const { t, lead } = await world();
    const executions = (await t.api('GET', '/api/executions?integration=crm')).body;
    expect((await t.api('DELETE', '/api/integrations/crm')).status).toBe(204);
    expect((await t.api('GET', '/api/integrations/crm')).status).toBe(404);
    expect((await t.api('GET', '/api/flows/crm-processing')).status).toBe(404);
    expect((await t.api('GET', '/api/flows/demo-crm-send')).status).toBe(200);
    expect((await t.api('GET', `/api/leads/${lead}`)).body.lead).toMatchObject({ id: lead, stage: 'wait' });
    expect((await t.api('GET', '/api/executions?integration=crm')).body).toEqual(executions);
    const audit = (await t.api('GET', '/api/audit?limit=50')).body.entries.map(
      (e: { action: string; resourceId: string }) => `${e.action} ${e.resourceId}`,
    );
    expect(audit).toEqual(expect.arrayContaining(['integration.delete crm', 'flow.delete crm-processing']));
    // no schedule is left for it
    expect((await t.api('GET', '/api/integrations/crm/checks')).status).toBe(404);
  });

  it("is refused while an offer's own routes name it, naming the offer, and nothing is deleted", async () => {
    const { t } = await world();
    await ok(
      t.api('PUT', '/api/offers/tea', {
        id: 'tea',
        name: 'Tea',
        parameters: { crm_offer_id: '1' },
        routes: { new: 'crm' },
      }),
    );
    expect((await t.api('GET', '/api/integrations/crm/removal')).body.blockedBy).toEqual(['tea']);
    const refused = await t.api('DELETE', '/api/integrations/crm');
    expect(refused).toMatchObject({ status: 409, body: { field: 'routes' } });
    expect(refused.body.message).toContain('"tea"');
    expect((await t.api('GET', '/api/flows/crm-processing')).status).toBe(200);
  });
});

describe('flows meant for an integration', () => {
  it('are listed with their integration and refused to any other integration, naming the event', async () => {
    const { t } = await world();
    const flows = (await t.api('GET', '/api/flows')).body.flows;
    expect(flows.find((f: { id: string }) => f.id === 'crm-processing')).toMatchObject({ integration: 'crm' });
    expect(flows.find((f: { id: string }) => f.id === 'demo-crm-send').integration).toBeUndefined();
    await ok(t.api('POST', '/api/integrations', { id: 'zen', name: 'Zen' }));
    const refused = await t.api('PATCH', '/api/integrations/zen', { flows: { 'status.processing': 'crm-processing' } });
    expect(refused).toMatchObject({ status: 400, body: { field: 'flows.status.processing' } });
    expect(refused.body.message).toContain('meant for integration "crm"');
    // a flow meant for any integration may be used by another
    await ok(t.api('PATCH', '/api/integrations/zen', { flows: { 'lead.new': 'demo-crm-send' } }));
  });
});

describe('the readiness route', () => {
  it("answers the same gaps as the integration's own answer", async () => {
    const { t } = await world();
    await ok(t.api('PATCH', '/api/integrations/crm', { enabled: false, secrets: { api_secret: null } }));
    const readiness = (await ok(t.api('GET', '/api/integrations/crm/readiness'))).body;
    expect(readiness.ready).toBe(false);
    expect(readiness.gaps).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'secrets.api_secret' })]));
    expect(readiness).toEqual((await t.api('GET', '/api/integrations/crm')).body.readiness);
  });
});
