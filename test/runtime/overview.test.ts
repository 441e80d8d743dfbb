/**
 * The home page's state of things (`GET /api/overview`) and "Send a test lead" (`POST
 * /api/sources/:id/test-lead`), over the real API.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, removeDataDir, setUpDemoIntegration, startMockServer, startRuntime, waitFor } from '../support/harness.ts';
import type { Overview } from '../../core/api.ts';
import { startOfToday } from '../../runtime/services/overview.ts';

const cleanups = cleanUpAfterEach();

async function started() {
  const t = await startRuntime();
  cleanups.push(
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  return t;
}

describe('the overview', () => {
  it('of an empty data folder has no integrations, no leads and counts only the test source', async () => {
    const t = await started();
    const { status, body } = await t.api<Overview>('GET', '/api/overview');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      integrations: [],
      leadsToday: {},
      deliveries: { failed: 0, retrying: 0 },
      counts: { offers: 0, webmasters: 0, sources: 1, flows: 0 },
    });
    expect(body.demo).toBeUndefined();
    expect(body.since).toBe(startOfToday());
  });

  it('counts today’s leads by stage and each integration’s failed deliveries', async () => {
    // the target breaks on one phone: that lead's delivery fails (one attempt allowed)
    const target = await startMockServer((r) =>
      r.body.includes('4915100000000') ? { status: 503, body: 'down' } : { body: { status: 'ok', order_id: 'E-1' } },
    );
    cleanups.push(() => target.stop());
    const t = await started();
    await setUpDemoIntegration(t, target.url);
    await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 1 });
    await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780' });
    await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456781' });
    await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915100000000' });
    await waitFor(async () => {
      const { body } = await t.api<Overview>('GET', '/api/overview');
      return body.leadsToday.wait === 2 && body.deliveries.failed === 1;
    }, 'two leads in wait, one failed');
    const { body } = await t.api<Overview>('GET', '/api/overview');
    expect(body.leadsToday).toEqual({ wait: 2, new: 1 });
    expect(body.integrations).toEqual([{ id: 'crm', name: 'CRM', enabled: true, failed: 1, retrying: 0 }]);
    expect(body.counts).toMatchObject({ offers: 1, webmasters: 1, flows: 2 });
  });

  it('is readable by a viewer', async () => {
    const t = await started();
    const viewer = await t.as('vera', 'viewer');
    expect((await viewer('GET', '/api/overview')).status).toBe(200);
  });
});

describe('a test lead', () => {
  it('is posted as the source, for its first offer and webmaster, and delivered like any other', async () => {
    const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-7' } }));
    cleanups.push(() => target.stop());
    const t = await started();
    await setUpDemoIntegration(t, target.url);
    const made = await t.api('POST', '/api/sources', { id: 'wm1-direct', kind: 'webmaster', webmaster: 'wm1', offers: ['tea'] });
    expect(made.status).toBe(201);
    const { status, body } = await t.api('POST', '/api/sources/wm1-direct/test-lead', {});
    expect(status).toBe(202);
    expect(body).toMatchObject({ offer: 'tea', stage: 'new' });
    await waitFor(async () => (await t.api('GET', `/api/leads/${body.id}`)).body.lead.stage === 'wait', 'the test lead delivered');
    const lead = (await t.api('GET', `/api/leads/${body.id}`)).body.lead;
    expect(lead).toMatchObject({ wm: 'wm1', source: 'wm1-direct', subid: 'leadflow-test-click', eid: 'E-7' });
    expect(target.received).toHaveLength(1);
  });

  it('names the offer when the source may post for none, and the source when there is none', async () => {
    const t = await started();
    await t.api('POST', '/api/sources', { id: 'empty', kind: 'webmaster', webmaster: 'wm1', offers: [] });
    expect(await t.api('POST', '/api/sources/empty/test-lead', {})).toMatchObject({ status: 400, body: { field: 'offer' } });
    expect((await t.api('POST', '/api/sources/nobody/test-lead', {})).status).toBe(404);
    const viewer = await t.as('vera', 'viewer');
    expect((await viewer('POST', '/api/sources/empty/test-lead', {})).status).toBe(403);
  });
});
