import { describe, expect, it } from 'vitest';
import { removeDataDir, setUpDemoIntegration, startMockServer, startRuntime, waitFor, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const updateFlow = {
  id: 'send-update',
  name: 'Send an upsell',
  event: 'lead.update',
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    {
      id: 'body',
      type: 'json-build',
      position: { x: 1, y: 0 },
      params: { body: { goods: '{{lead.goods}}', comment: '{{lead.comment}}' } },
    },
    {
      id: 'send',
      type: 'http-request',
      position: { x: 2, y: 0 },
      params: { method: 'PUT', url: '{{integration.settings.base_url}}/api/orders/{{lead.eid}}' },
    },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'body', targetHandle: 'in' },
    { id: 'e2', source: 'body', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
  ],
};

describe('upsells', () => {
  it('a change to a delivered lead is stored and sent to the target as lead.update', async () => {
    const target = await startMockServer((r) => ({ body: r.method === 'PUT' ? { status: 'ok' } : { status: 'ok', order_id: 'E-4' } }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await setUpDemoIntegration(t, target.url);
    expect((await t.api('POST', '/api/flows', updateFlow)).status).toBe(201);
    await t.api('PATCH', '/api/integrations/crm', { flows: { 'lead.update': 'send-update' } });

    const posted = await t.api('POST', '/api/leads', {
      offer: 'tea',
      phone: '+4915123456780',
      goods: [{ product: 'tea', count: 1, price: 39 }],
    });
    await waitFor(async () => (await t.api('GET', `/api/leads/${posted.body.id}`)).body.lead.stage === 'wait', 'delivery');

    const changed = await t.api('PATCH', `/api/leads/${posted.body.id}`, {
      goods: [
        { product: 'tea', count: 1, price: 39 },
        { product: 'cup', count: 2, price: 5 },
      ],
      comment: 'call after 6 pm',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ queued: true, lead: { stage: 'wait', eid: 'E-4', comment: 'call after 6 pm' } });

    const update = await waitFor(() => target.received.find((r) => r.method === 'PUT'), 'the update at the target');
    expect(update.path).toBe('/api/orders/E-4');
    expect(JSON.parse(update.body)).toEqual({
      goods: [
        { product: 'tea', count: 1, price: 39 },
        { product: 'cup', count: 2, price: 5 },
      ],
      comment: 'call after 6 pm',
    });
    const view = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${posted.body.id}`);
      return r.body.deliveries.find((d: { kind: string; state: string }) => d.kind === 'lead.update' && d.state === 'done') && r.body;
    }, 'the update job to be done');
    expect(view.lead.stage).toBe('wait');
  });

  it('refuses to move a lead to another offer and checks the fields like a new lead', async () => {
    const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-5' } }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await setUpDemoIntegration(t, target.url);
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780' });
    expect((await t.api('PATCH', `/api/leads/${posted.body.id}`, { offer: 'other' })).body).toMatchObject({
      error: 'invalid_field',
      field: 'offer',
    });
    expect((await t.api('PATCH', `/api/leads/${posted.body.id}`, { email: 'nope' })).body).toMatchObject({ field: 'email' });
    // without a lead.update flow the change is stored and nothing is queued
    const ok = await t.api('PATCH', `/api/leads/${posted.body.id}`, { name: 'Anna' });
    expect(ok.body).toMatchObject({ queued: false, lead: { name: 'Anna', phone: '+4915123456780' } });
  });
});

describe('a stage set by hand', () => {
  it('moves the lead under the stage rule, recorded as manual, with one postback to the tracker', async () => {
    const target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-6' } }));
    const tracker = await startMockServer(() => ({ body: 'ok' }));
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => tracker.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await setUpDemoIntegration(t, target.url, tracker.url);
    const posted = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780', wm: 'wm1' });
    await waitFor(async () => (await t.api('GET', `/api/leads/${posted.body.id}`)).body.lead.stage === 'wait', 'delivery');

    const approved = await t.api('POST', `/api/leads/${posted.body.id}/stage`, {
      stage: 'approve',
      comment: 'confirmed by phone',
      payout: 12,
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      stageChanged: true,
      lead: { stage: 'approve', statusComment: 'confirmed by phone', payout: 12 },
    });
    const back = await t.api('POST', `/api/leads/${posted.body.id}/stage`, { stage: 'wait' });
    expect(back.status).toBe(409);
    expect(back.body).toMatchObject({ error: 'conflict', field: 'stage' });
    expect((await t.api('POST', `/api/leads/${posted.body.id}/stage`, { stage: 'won' })).body).toMatchObject({
      error: 'invalid_field',
      field: 'stage',
    });

    const view = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
    expect(view.history.map((h: { source: string; stage: string }) => `${h.source}:${h.stage}`)).toEqual([
      'delivery:wait',
      'manual:approve',
    ]);
    await waitFor(() => tracker.received.length === 2, 'the postbacks for wait and approve');
    expect(tracker.received[1].query).toMatchObject({ stage: 'approve' });
  });
});
