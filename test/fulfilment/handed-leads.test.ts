/**
 * Leads handed to a fulfilment CRM at a stage: one integration routed at two stages of an offer
 * gets the lead once at each, under a delivery key per stage; a lead that jumps past a routed stage
 * is not sent for it; and the leads handed to an integration are listed with its own.
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, startMockServer, startRuntime, waitFor, cleanUpAfterEach, type TestRuntime } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, sourceHandle: 'out', target, targetHandle: 'in' });

/** POSTs the lead to `path` with its delivery key, and keeps the id answered (`order_id`). */
const sendFlow = (id: string, event: string, path: string, stage?: string) => ({
  id,
  name: id,
  event,
  nodes: [
    node('lead', 'lead-in', 0),
    node('send', 'http-request', 1, {
      method: 'POST',
      url: `{{integration.settings.base_url}}${path}`,
      headers: [{ key: 'Idempotency-Key', value: '{{lead.delivery_key}}' }],
      body: 'json',
      json: { ref: '{{lead.id}}' },
    }),
    node('answer', 'extract', 2, { fields: [{ key: 'eid', value: 'body.order_id' }], required: 'eid' }),
    node('keep', 'update-lead', 3, { setEid: '{{input.eid}}', ...(stage ? { stage } : {}) }),
  ],
  edges: [edge('lead', 'send'), edge('send', 'answer'), edge('answer', 'keep')],
});

const ok = async (r: Promise<{ status: number; body: any }>) => {
  const answer = await r;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
};

/**
 * Target A (`crm`) takes offer `tea` as new; the fulfilment CRM (`fulfil`) gets the leads of `tea`
 * at approve, and those of `own` (the network's own call centre) at hold and again at approve.
 */
async function world() {
  let orders = 0;
  const fulfilment = await startMockServer((r) => ({ body: { order_id: `FO-${++orders}`, key: r.headers['idempotency-key'] } }));
  const crm = await startMockServer(() => ({ body: { order_id: 'A-1' } }));
  const t = await startRuntime();
  cleanups.push(
    () => fulfilment.stop(),
    () => crm.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await ok(t.api('POST', '/api/flows', sendFlow('crm-send', 'lead.new', '/leads', 'wait')));
  await ok(t.api('POST', '/api/flows', sendFlow('fulfil-send', 'lead.approved', '/orders')));
  await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' }));
  await ok(t.api('POST', '/api/offers', { id: 'own', name: 'Own call centre' }));
  for (const [id, base, offers, flows] of [
    ['crm', crm.url, ['tea'], { 'lead.new': 'crm-send' }],
    ['fulfil', fulfilment.url, [], { 'lead.approved': 'fulfil-send' }],
  ] as const) {
    await ok(t.api('POST', '/api/integrations', { id, name: id, enabled: true, settings: { base_url: base }, offers, flows }));
  }
  await ok(t.api('PUT', '/api/offers/tea', { id: 'tea', name: 'Tea', routes: { stages: [{ stage: 'approve', integration: 'fulfil' }] } }));
  const both = [
    { stage: 'hold', integration: 'fulfil' },
    { stage: 'approve', integration: 'fulfil' },
  ];
  await ok(t.api('PUT', '/api/offers/own', { id: 'own', name: 'Own call centre', routes: { new: null, stages: both } }));
  const keys = () => fulfilment.received.map((r) => r.headers['idempotency-key'] as string);
  return { t, fulfilment, keys };
}

const view = async (t: TestRuntime, id: number) => (await t.api('GET', `/api/leads/${id}`)).body;
const stageJobs = (v: { deliveries: { kind: string; state: string }[] }) => v.deliveries.filter((j) => j.kind === 'lead.approved');

describe('an integration routed at two stages of an offer', () => {
  it('gets the lead once at hold and once at approve, each with its own delivery key', async () => {
    const { t, keys } = await world();
    const id = (await ok(t.api('POST', '/api/leads', { offer: 'own', name: 'Ben', phone: '+4915100000011' }))).body.id as number;
    await ok(t.api('POST', `/api/leads/${id}/stage`, { stage: 'hold', comment: 'waiting for stock' }));
    await waitFor(() => keys().length === 1, 'the delivery at hold');
    await ok(t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve', comment: 'confirmed' }));
    await waitFor(
      async () => stageJobs(await view(t, id)).every((j) => j.state === 'done') && keys().length === 2,
      'the delivery at approve',
    );

    const [atHold, atApprove] = keys();
    expect(atHold).toMatch(new RegExp(`^[0-9a-f]+-${id}-lead\\.approved-fulfil-hold$`));
    expect(atApprove).toMatch(new RegExp(`^[0-9a-f]+-${id}-lead\\.approved-fulfil$`));
    expect(atHold).not.toBe(atApprove);
    expect(stageJobs(await view(t, id))).toHaveLength(2);
    // the same stage again is no change: nothing more is queued or sent
    expect((await t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve' })).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(keys()).toHaveLength(2);
    expect(stageJobs(await view(t, id))).toHaveLength(2);

    // a re-run of the delivery at hold sends the key that delivery sent
    const runs = (await t.api('GET', `/api/executions?lead=${id}`)).body;
    const first = Math.min(...(runs.executions ?? runs.items ?? runs).map((e: { id: number }) => e.id));
    const rerun = await t.api('POST', `/api/executions/${first}/rerun`, { confirm: true });
    expect(rerun.status, JSON.stringify(rerun.body)).toBe(200);
    expect(keys()).toEqual([atHold, atApprove, atHold]);
  });

  it('a lead that jumps from wait straight to approve is sent for approve only, not for hold', async () => {
    const { t, keys } = await world();
    const id = (await ok(t.api('POST', '/api/leads', { offer: 'own', name: 'Cleo', phone: '+4915100000012' }))).body.id as number;
    await ok(t.api('POST', `/api/leads/${id}/stage`, { stage: 'wait' }));
    await ok(t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve' }));
    await waitFor(
      async () => stageJobs(await view(t, id)).every((j) => j.state === 'done') && keys().length === 1,
      'the delivery at approve',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(keys()).toEqual([expect.stringMatching(new RegExp(`-${id}-lead\\.approved-fulfil$`))]);
    expect(stageJobs(await view(t, id))).toHaveLength(1);
  });
});

describe('the leads of an integration', () => {
  it('GET /api/leads?integration= lists the leads handed to it with its own, and a lead shows its external id there', async () => {
    const { t } = await world();
    const post = async (name: string, offer: string, phone: string) =>
      (await ok(t.api('POST', '/api/leads', { offer, name, phone }))).body.id as number;
    const kept = await post('Dora', 'tea', '+4915100000021'); // A's, never handed on
    const handed = await post('Emil', 'tea', '+4915100000022'); // A's, approved: handed to the fulfilment CRM
    const own = await post('Fritzi', 'own', '+4915100000023'); // the call centre's, approved: handed to the fulfilment CRM
    await waitFor(
      async () => (await view(t, kept)).lead.stage === 'wait' && (await view(t, handed)).lead.stage === 'wait',
      'A took its leads',
    );
    await ok(t.api('POST', `/api/leads/${handed}/stage`, { stage: 'approve' }));
    await ok(t.api('POST', `/api/leads/${own}/stage`, { stage: 'approve' }));
    await waitFor(async () => (await view(t, handed)).handoffs?.[0]?.eid && (await view(t, own)).handoffs?.[0]?.eid, 'both handed on');

    const ids = async (query: string) => (await t.api('GET', `/api/leads?${query}`)).body.leads.map((l: { id: number }) => l.id);
    expect(await ids('integration=fulfil')).toEqual([own, handed]);
    expect(await ids('integration=crm')).toEqual([handed, kept]);
    expect(await ids('integration=fulfil&stage=approve')).toEqual([own, handed]);
    expect(await ids('integration=fulfil&offer=tea')).toEqual([handed]);

    const shown = await view(t, handed);
    expect(shown.lead).toMatchObject({ integration: 'crm', eid: 'A-1', stage: 'approve' });
    expect(shown.handoffs).toEqual([{ integration: 'fulfil', eid: expect.stringMatching(/^FO-\d+$/), at: expect.any(String) }]);
  });
});
