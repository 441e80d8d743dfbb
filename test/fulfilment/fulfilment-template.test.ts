/**
 * The README's worked example, against the fulfilment CRM sandbox: leads of an offer the network's
 * own call centre processes (no lead.new target), approved by hand, sent to the fulfilment CRM
 * made from the `fulfilment-crm` template, then shipped, and one returned.
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, startMockServer, startRuntime, waitFor, cleanUpAfterEach } from '../support/harness.ts';
import { SANDBOXES } from '../../runtime/sandboxes/index.ts';

const cleanups = cleanUpAfterEach();

const ok = async (r: Promise<{ status: number; body: any }>) => {
  const answer = await r;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
};

describe('the fulfilment CRM template', () => {
  it('takes the call centre’s approved orders, reports shipping by postback, and a return cancels the lead', async () => {
    const target = await SANDBOXES['fulfilment-crm'].start(0, { stepMs: 150 });
    const tracker = await startMockServer(() => ({ body: 'ok' }));
    const t = await startRuntime();
    cleanups.push(
      () => target.close(),
      () => tracker.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await ok(t.api('PUT', '/api/webmasters/wm1', { postbackUrl: `${tracker.url}/pb?lead={id}&stage={stage}` }));
    await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: target.offerParameters }));
    const created = await ok(
      t.api('POST', '/api/integrations/from-template', {
        template: 'fulfilment-crm',
        id: 'fulfil',
        name: 'Fulfilment (sandbox)',
        settings: target.settings,
        secrets: target.secrets,
        offers: [],
      }),
    );
    await ok(t.api('PATCH', '/api/integrations/fulfil', { enabled: true }));
    // the network's call centre takes the offer's leads; approved ones go to the fulfilment CRM
    await ok(
      t.api('PUT', '/api/offers/tea', {
        ...(await ok(t.api('GET', '/api/offers/tea'))),
        routes: { new: null, stages: [{ stage: 'approve', integration: 'fulfil' }] },
      }),
    );
    // the integrator pastes the postback URL into the CRM's settings
    const pasted = await fetch(`${target.url}/api/v1/settings/postback`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': target.secrets.api_key },
      body: JSON.stringify({ url: created.postbackUrl }),
    });
    expect(pasted.status).toBe(200);

    const lead = (phone: string, name: string) =>
      ok(
        t.api('POST', '/api/leads', {
          offer: 'tea',
          wm: 'wm1',
          name,
          phone,
          country: 'de',
          city: 'Berlin',
          address: 'Hauptstr. 1, 10115 Berlin',
          goods: [{ product: 'tea', count: 2, price: 39 }],
        }),
      );
    const kept = (await lead('+4915100000001', 'Anna')).id as number;
    const returned = (await lead('+4915100000004', 'Ben')).id as number;
    for (const id of [kept, returned])
      await ok(t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve', comment: 'confirmed by phone' }));

    const view = async (id: number) => ok(t.api('GET', `/api/leads/${id}`));
    const final = await waitFor(
      async () => {
        const [a, b] = [await view(kept), await view(returned)];
        return a.lead.status === 'paid' && b.lead.stage === 'cancel' && { a, b };
      },
      'the kept order paid, the other returned',
      10_000,
    );
    expect(final.a.lead).toMatchObject({ stage: 'approve', status: 'paid', statusCode: '5', integration: '' });
    expect(final.a.handoffs).toEqual([{ integration: 'fulfil', eid: expect.stringMatching(/^FO-/), at: expect.any(String) }]);
    expect(final.b.lead).toMatchObject({ stage: 'cancel', status: 'returned', reason: 'parcel refused at the door' });
    const approvedCheck = await ok(t.api('POST', '/api/integrations/fulfil/checks/status.approved'));
    expect(approvedCheck).toMatchObject({ leads: 1 });
    expect(approvedCheck.error).toBeUndefined();
    await waitFor(() => tracker.received.length === 3, 'postbacks: approve twice, cancel once');
    expect(tracker.received.filter((r) => r.query.lead === String(returned)).map((r) => r.query.stage)).toEqual(['approve', 'cancel']);
  });
});
