import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
} from '../support/harness.ts';

let t: TestRuntime;
let acme: MockServer;
let beta: MockServer;

beforeAll(async () => {
  acme = await startMockServer(() => ({ body: { status: 'ok', order_id: 'A-1' } }));
  beta = await startMockServer(() => ({ body: { status: 'ok', order_id: 'B-1' } }));
  t = await startRuntime();
  await setUpDemoIntegration(t, acme.url);
  await t.api('PATCH', '/api/integrations/crm', { name: 'Acme CRM' });
  const created = await t.api('POST', '/api/integrations', {
    id: 'beta',
    name: 'Beta CRM',
    enabled: true,
    settings: { base_url: beta.url },
    secrets: { api_key: DEMO_KEY, api_secret: DEMO_SECRET },
    offers: [],
    flows: { 'lead.new': 'demo-crm-send' },
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await t.close();
  await acme.stop();
  await beta.stop();
  removeDataDir(t.dataDir);
});

/** Posts a lead of tea and answers which target got it. */
async function deliveredTo(): Promise<'acme' | 'beta'> {
  const [a, b] = [acme.received.length, beta.received.length];
  const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+49151234567', country: 'DE' });
  expect(posted.status).toBe(202);
  return waitFor(() => (acme.received.length > a ? 'acme' : beta.received.length > b ? 'beta' : undefined), 'the lead delivered');
}

describe("an offer's new leads go to one integration; routing them elsewhere says where they go now and moves them only when asked", () => {
  it('ticking the offer in another integration is refused with 409 naming the integration that has it, and changes nothing', async () => {
    const refused = await t.api('PATCH', '/api/integrations/beta', { offers: ['tea'] });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'conflict',
      field: 'offers[0]',
      details: { offer: { id: 'tea', name: 'Tea' }, current: { kind: 'integration', id: 'crm', name: 'Acme CRM' }, to: 'beta' },
    });
    expect(refused.body.message).toContain('integration "crm" (Acme CRM)');
    expect((await t.api('GET', '/api/integrations/beta')).body.offers).toEqual([]);
    expect((await t.api('GET', '/api/integrations/crm')).body.offers).toEqual(['tea']);
    expect(await deliveredTo()).toBe('acme');
  });

  it('with move: true the offer leaves the old integration in the same write, the move is audited, and new leads go to the new one', async () => {
    const moved = await t.api('PATCH', '/api/integrations/beta', { offers: ['tea'], move: true });
    expect(moved.status).toBe(200);
    expect(moved.body.offers).toEqual(['tea']);
    expect((await t.api('GET', '/api/integrations/crm')).body.offers).toEqual([]);
    const audit: { action: string }[] = (await t.api('GET', '/api/audit?resourceType=offer&resourceId=tea')).body.entries;
    expect(audit.find((entry) => entry.action === 'offer.move-new-leads')).toMatchObject({
      resourceType: 'offer',
      resourceId: 'tea',
      before: { newLeads: 'crm' },
      after: { newLeads: 'beta' },
    });
    expect(await deliveredTo()).toBe('beta');
  });

  it("naming another integration in the offer's routes is refused the same way, and moves them with move: true", async () => {
    const tea = (await t.api('GET', '/api/offers/tea')).body;
    const refused = await t.api('PUT', '/api/offers/tea', { ...tea, routes: { new: 'crm' } });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      field: 'routes.new',
      details: { current: { kind: 'integration', id: 'beta', name: 'Beta CRM' } },
    });
    expect((await t.api('GET', '/api/offers/tea')).body.routes).toBeUndefined();

    const moved = await t.api('PUT', '/api/offers/tea', { ...tea, routes: { new: 'crm' }, move: true });
    expect(moved.status).toBe(200);
    expect(moved.body).not.toHaveProperty('move');
    expect((await t.api('GET', '/api/integrations/beta')).body.offers).toEqual([]);
    expect(await deliveredTo()).toBe('acme');
  });

  it('keeping the new leads with our own call centre while an integration has them is a move too', async () => {
    const tea = (await t.api('GET', '/api/offers/tea')).body;
    const refused = await t.api('PUT', '/api/offers/tea', { ...tea, routes: { new: null } });
    expect(refused.status).toBe(409);
    expect(refused.body.details.current).toEqual({ kind: 'integration', id: 'crm', name: 'Acme CRM' });
    // ticking it in an integration while our call centre has it names the call centre
    expect((await t.api('PUT', '/api/offers/tea', { ...tea, routes: { new: null }, move: true })).status).toBe(200);
    const ticked = await t.api('PATCH', '/api/integrations/beta', { offers: ['tea'] });
    expect(ticked.status).toBe(409);
    expect(ticked.body.details.current).toEqual({ kind: 'network' });
    expect(ticked.body.message).toContain('our own call centre');
    const back = await t.api('PATCH', '/api/integrations/beta', { offers: ['tea'], move: true });
    expect(back.status).toBe(200);
    expect((await t.api('GET', '/api/offers/tea')).body.routes).toEqual({ new: 'beta' });
    expect(await deliveredTo()).toBe('beta');
  });

  it('a move flag that is not true or false is refused naming it', async () => {
    const tea = (await t.api('GET', '/api/offers/tea')).body;
    expect((await t.api('PUT', '/api/offers/tea', { ...tea, move: 'yes' })).body).toMatchObject({ field: 'move' });
    expect((await t.api('PATCH', '/api/integrations/beta', { offers: ['tea'], move: 'yes' })).body).toMatchObject({ field: 'move' });
  });
});

describe('deleting an offer', () => {
  it('with leads is refused with 409 naming the offer: their status checks and postbacks read it', async () => {
    const refused = await t.api('DELETE', '/api/offers/tea');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', field: 'id' });
    expect(refused.body.message).toContain('has leads');
    expect((await t.api('GET', '/api/offers/tea')).status).toBe(200);
  });

  it('without leads takes it out of the integrations listing it, in the same write', async () => {
    expect((await t.api('POST', '/api/offers', { id: 'herbal', name: 'Herbal tea', parameters: { crm_offer_id: '301' } })).status).toBe(
      201,
    );
    expect((await t.api('PATCH', '/api/integrations/crm', { offers: ['herbal'] })).status).toBe(200);
    const deleted = await t.api('DELETE', '/api/offers/herbal');
    expect(deleted.status).toBe(204);
    expect((await t.api('GET', '/api/offers/herbal')).status).toBe(404);
    expect((await t.api('GET', '/api/integrations/crm')).body.offers).toEqual([]);
    // the integration stays writable: it names no offer that is gone
    expect((await t.api('PATCH', '/api/integrations/crm', { name: 'Acme CRM' })).status).toBe(200);
    const audit: { action: string }[] = (await t.api('GET', '/api/audit?resourceType=offer&resourceId=herbal')).body.entries;
    expect(audit.find((entry) => entry.action === 'offer.delete')).toMatchObject({
      resourceId: 'herbal',
      note: 'no longer listed by integration crm',
    });
  });
});
