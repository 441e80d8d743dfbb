import { describe, expect, it } from 'vitest';
import {
  readFlow,
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
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

/**
 * The fulfilment CRM's statuses: a return cancels the lead; the rest (shipped, delivered, paid) have
 * no stage of their own: Map Status's `unknown` exit goes to the same Update Lead, which keeps them
 * beside the stage the lead has.
 */
const FULFIL_STATUSES = [{ match: 'list', value: 'returned,refused', stage: 'cancel' }];

const fulfilSend = {
  id: 'fulfil-send',
  name: 'Fulfilment: send the approved order',
  event: 'lead.approved',
  nodes: [
    node('lead', 'lead-in', 0),
    node('order', 'json-build', 1, {
      body: { ref: '{{lead.id}}', name: '{{lead.name}}', phone: '{{lead.phone | digits}}', address: '{{lead.address}}' },
    }),
    node('send', 'http-request', 2, {
      method: 'POST',
      url: '{{integration.settings.base_url}}/orders',
      headers: [{ key: 'Idempotency-Key', value: '{{lead.delivery_key}}' }],
      body: 'input',
    }),
    node('answer', 'extract', 3, { fields: [{ key: 'eid', value: 'body.order_id' }], required: 'eid' }),
    node('keep', 'update-lead', 4, {}),
  ],
  edges: [edge('lead', 'order'), edge('order', 'send'), edge('send', 'answer'), edge('answer', 'keep')],
};

const fulfilPostback = {
  id: 'fulfil-postback',
  name: 'Fulfilment: status postback',
  event: 'postback.in',
  nodes: [
    node('call', 'postback-in', 0),
    node('stage', 'map-status', 1, { value: '{{input.status}}', rules: FULFIL_STATUSES, default: '' }),
    node('save', 'update-lead', 2, { find: 'eid', eid: '{{input.order_id}}', setEid: '', reason: '{{input.reason}}' }),
  ],
  edges: [edge('call', 'stage'), edge('stage', 'save'), edge('stage', 'save', 'unknown')],
};

const fulfilApprovedCheck = {
  id: 'fulfil-approved',
  name: 'Fulfilment: approved orders returned later',
  event: 'status.approved',
  nodes: [
    node('check', 'status-check', 0, { schedule: '1h', batchSize: 10, days: 30 }),
    node('ask', 'http-request', 1, { method: 'GET', url: '{{integration.settings.base_url}}/orders/status?ids={{batch.eids | join:","}}' }),
    node('each', 'for-each', 2, { items: '{{input.body.orders}}' }),
    node('stage', 'map-status', 3, { value: '{{item.status}}', rules: FULFIL_STATUSES, default: '' }),
    node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '', reason: '{{item.reason}}' }),
  ],
  edges: [
    edge('check', 'ask'),
    edge('ask', 'each'),
    edge('each', 'stage', 'item'),
    edge('stage', 'save'),
    edge('stage', 'save', 'unknown'),
  ],
};

/** A fulfilment CRM: takes orders (`FO-1`, `FO-2`, …) and reports their statuses, which the test changes. */
interface FulfilmentCrm {
  server: MockServer;
  statuses: Map<string, { status: string; reason?: string }>;
  orders(): { body: Record<string, unknown>; key: string | undefined }[];
}

async function startFulfilmentCrm(): Promise<FulfilmentCrm> {
  const statuses = new Map<string, { status: string; reason?: string }>();
  const server = await startMockServer((r) => {
    if (r.method === 'POST' && r.path === '/orders') {
      const id = `FO-${statuses.size + 1}`;
      statuses.set(id, { status: 'accepted' });
      return { body: { order_id: id } };
    }
    if (r.path === '/orders/status') {
      const ids = (r.query.ids ?? '').split(',').filter((id) => statuses.has(id));
      return { body: { orders: ids.map((id) => ({ order_id: id, ...statuses.get(id) })) } };
    }
    return { status: 404, body: { error: 'no route' } };
  });
  cleanups.push(() => server.stop());
  return {
    server,
    statuses,
    orders: () =>
      server.received
        .filter((r) => r.method === 'POST' && r.path === '/orders')
        .map((r) => ({ body: JSON.parse(r.body), key: r.headers['idempotency-key'] as string | undefined })),
  };
}

interface World {
  t: TestRuntime;
  crm: MockServer;
  fulfilment: FulfilmentCrm;
  tracker: MockServer;
  /** The postback tokens of `crm` (target A) and `fulfil` (the fulfilment CRM B). */
  tokens: { crm: string; fulfil: string };
}

const ok = async (r: Promise<{ status: number; body: any }>) => {
  const answer = await r;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
};

/**
 * Target A (`crm`, the demo CRM's flows) takes offer `tea` as new; the fulfilment CRM B (`fulfil`)
 * takes no new leads, only the approved ones the offers route to it. Offer `own` is processed by
 * the network's call centre: no integration takes its new leads.
 */
async function world(): Promise<World> {
  const crm = await startMockServer(() => ({ body: { status: 'ok', order_id: 'A-1' } }));
  const fulfilment = await startFulfilmentCrm();
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const t = await startRuntime();
  cleanups.push(
    () => crm.stop(),
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await ok(t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json')));
  await ok(t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-postback.json')));
  for (const flow of [fulfilSend, fulfilPostback, fulfilApprovedCheck]) await ok(t.api('POST', '/api/flows', flow));
  await ok(t.api('PUT', '/api/webmasters/wm1', { postbackUrl: `${tracker.url}/pb?lead={id}&stage={stage}` }));
  await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' } }));
  await ok(t.api('POST', '/api/offers', { id: 'own', name: 'Own call centre' }));
  const a = await ok(
    t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'Target A',
      enabled: true,
      settings: { base_url: crm.url },
      secrets: { api_key: 'k-123456', api_secret: 's-123456' },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', 'postback.in': 'demo-crm-postback' },
    }),
  );
  const b = await ok(
    t.api('POST', '/api/integrations', {
      id: 'fulfil',
      name: 'Fulfilment CRM B',
      enabled: true,
      settings: { base_url: fulfilment.server.url },
      offers: [],
      flows: { 'lead.approved': 'fulfil-send', 'postback.in': 'fulfil-postback', 'status.approved': 'fulfil-approved' },
    }),
  );
  const stages = [{ stage: 'approve', integration: 'fulfil' }];
  await ok(t.api('PUT', '/api/offers/tea', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' }, routes: { stages } }));
  await ok(t.api('PUT', '/api/offers/own', { id: 'own', name: 'Own call centre', routes: { new: null, stages } }));
  const token = (view: { body: { postbackUrl: string } }) => new URL(view.body.postbackUrl).searchParams.get('token') as string;
  return { t, crm, fulfilment, tracker, tokens: { crm: token(a), fulfil: token(b) } };
}

async function leadView(w: World, id: number) {
  return (await w.t.api('GET', `/api/leads/${id}`)).body;
}

const stagesSeen = (tracker: MockServer, id: number) =>
  tracker.received.filter((r) => r.query.lead === String(id)).map((r) => r.query.stage);

describe('approved leads to a fulfilment CRM', () => {
  it('a lead approved by target A’s postback is delivered once to fulfilment CRM B, which keeps its own external id', async () => {
    const w = await world();
    const posted = await ok(w.t.api('POST', '/api/leads', { offer: 'tea', name: 'Anna', phone: '+4915100000001', wm: 'wm1' }));
    const id = posted.body.id as number;
    await waitFor(async () => (await leadView(w, id)).lead.stage === 'wait', 'delivery to target A');

    expect((await fetch(`${w.t.url}/postback/crm?token=${w.tokens.crm}&order_id=A-1&status=confirmed`)).status).toBe(200);
    const view = await waitFor(async () => {
      const v = await leadView(w, id);
      // the handoff's id is written mid-run, the job is marked done when the run ends: wait for both
      const done = v.deliveries.some((j: { kind: string; state: string }) => j.kind === 'lead.approved' && j.state === 'done');
      return v.handoffs?.[0]?.eid && done && v;
    }, 'the fulfilment order');
    expect(w.fulfilment.orders()).toHaveLength(1);
    expect(w.fulfilment.orders()[0].body).toMatchObject({ ref: id, name: 'Anna', phone: '4915100000001' });
    // its own delivery key, naming the fulfilment CRM
    expect(w.fulfilment.orders()[0].key).toMatch(new RegExp(`-${id}-lead\\.approved-fulfil$`));
    expect(view.lead).toMatchObject({ stage: 'approve', integration: 'crm', eid: 'A-1' });
    expect(view.handoffs).toEqual([{ integration: 'fulfil', eid: 'FO-1', at: expect.any(String) }]);
    expect(view.deliveries.filter((j: { kind: string }) => j.kind === 'lead.approved')).toMatchObject([
      { integrationId: 'fulfil', state: 'done' },
    ]);

    // A says "confirmed" again: the lead is approved already, nothing more is queued or sent
    expect((await fetch(`${w.t.url}/postback/crm?token=${w.tokens.crm}&order_id=A-1&status=confirmed`)).status).toBe(200);
    const again = await leadView(w, id);
    expect(again.deliveries.filter((j: { kind: string }) => j.kind === 'lead.approved')).toHaveLength(1);
    expect(w.fulfilment.orders()).toHaveLength(1);
    await waitFor(() => stagesSeen(w.tracker, id).length === 2, 'the postbacks for wait and approve');
    expect(stagesSeen(w.tracker, id)).toEqual(['wait', 'approve']);
  });

  it('B reports a return by its postback: the lead moves to cancel with the reason and the webmaster gets one postback for it', async () => {
    const w = await world();
    const id = (await ok(w.t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915100000002', wm: 'wm1' }))).body.id as number;
    await waitFor(async () => (await leadView(w, id)).lead.stage === 'wait', 'delivery to target A');
    await fetch(`${w.t.url}/postback/crm?token=${w.tokens.crm}&order_id=A-1&status=confirmed`);
    await waitFor(async () => (await leadView(w, id)).handoffs?.[0]?.eid === 'FO-1', 'the fulfilment order');

    // shipped: a status of the fulfilment CRM kept beside approve, no stage change, no postback
    const shipped = await fetch(`${w.t.url}/postback/fulfil?token=${w.tokens.fulfil}&order_id=FO-1&status=shipped`);
    expect(shipped.status).toBe(200);
    expect((await leadView(w, id)).lead).toMatchObject({ stage: 'approve', status: 'shipped' });

    const returned = await fetch(
      `${w.t.url}/postback/fulfil?token=${w.tokens.fulfil}&order_id=FO-1&status=returned&reason=${encodeURIComponent('refused at the door')}`,
    );
    expect(returned.status).toBe(200);
    const view = await leadView(w, id);
    expect(view.lead).toMatchObject({ stage: 'cancel', status: 'returned', reason: 'refused at the door', eid: 'A-1' });
    expect(view.history.map((h: { source: string; stage: string }) => `${h.source}:${h.stage}`)).toEqual([
      'delivery:wait',
      'postback:approve',
      'postback:cancel',
    ]);
    // the same return reported twice changes nothing more
    await fetch(`${w.t.url}/postback/fulfil?token=${w.tokens.fulfil}&order_id=FO-1&status=returned`);
    await waitFor(() => stagesSeen(w.tracker, id).length === 3, 'the postbacks for wait, approve, cancel');
    expect(stagesSeen(w.tracker, id)).toEqual(['wait', 'approve', 'cancel']);
    // target A does not know the fulfilment CRM's id, nor B the first target's
    expect((await fetch(`${w.t.url}/postback/crm?token=${w.tokens.crm}&order_id=FO-1&status=confirmed`)).status).toBe(404);
    expect((await fetch(`${w.t.url}/postback/fulfil?token=${w.tokens.fulfil}&order_id=A-1&status=returned`)).status).toBe(404);
  });

  it('a lead of an offer with no lead.new integration, approved by hand, is delivered to B; B’s approved check finds its return', async () => {
    const w = await world();
    const posted = await ok(w.t.api('POST', '/api/leads', { offer: 'own', name: 'Ben', phone: '+4915100000003', wm: 'wm1' }));
    expect(posted.body).toMatchObject({ stage: 'new' });
    const id = posted.body.id as number;
    const stored = await leadView(w, id);
    expect(stored.lead.integration).toBe('');
    expect(stored.deliveries).toEqual([]);
    expect(w.crm.received).toHaveLength(0);

    const approved = await w.t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve', comment: 'confirmed by our call centre' });
    expect(approved.status).toBe(200);
    await waitFor(async () => (await leadView(w, id)).handoffs?.[0]?.eid === 'FO-1', 'the fulfilment order');
    expect(w.fulfilment.orders()).toHaveLength(1);
    expect(w.fulfilment.orders()[0].body).toMatchObject({ ref: id, name: 'Ben' });
    // approving it again by hand is no change, and sends nothing
    expect((await w.t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve' })).status).toBe(409);

    // B delivers it, then the buyer sends it back: the approved check finds the return by polling
    w.fulfilment.statuses.set('FO-1', { status: 'delivered' });
    const first = (await w.t.api('POST', '/api/integrations/fulfil/checks/status.approved')).body;
    expect(first).toMatchObject({ runs: 1, leads: 1 });
    expect(first.error).toBeUndefined();
    expect((await leadView(w, id)).lead).toMatchObject({ stage: 'approve', status: 'delivered' });

    w.fulfilment.statuses.set('FO-1', { status: 'returned', reason: 'damaged parcel' });
    const second = (await w.t.api('POST', '/api/integrations/fulfil/checks/status.approved')).body;
    expect(second.error).toBeUndefined();
    const asked = w.fulfilment.server.received.filter((r) => r.path === '/orders/status').map((r) => r.query.ids);
    expect(asked).toEqual(['FO-1', 'FO-1']);
    const view = await leadView(w, id);
    expect(view.lead).toMatchObject({ stage: 'cancel', reason: 'damaged parcel' });
    expect(view.history.map((h: { source: string; stage: string }) => `${h.source}:${h.stage}`)).toEqual([
      'manual:approve',
      'status-check:cancel',
    ]);
    await waitFor(() => stagesSeen(w.tracker, id).length === 2, 'the postbacks for approve and cancel');
    expect(stagesSeen(w.tracker, id)).toEqual(['approve', 'cancel']);
    expect(w.fulfilment.orders()).toHaveLength(1);
  });
});

describe('routes per event', () => {
  it('offers and integrations show the routes both ways, and at most one integration takes an offer’s new leads', async () => {
    const w = await world();
    const fulfil = (await w.t.api('GET', '/api/integrations/fulfil')).body;
    expect(fulfil.routes).toEqual({ new: [], stages: [{ stage: 'approve', offers: ['tea', 'own'] }] });
    const crm = (await w.t.api('GET', '/api/integrations/crm')).body;
    expect(crm.routes).toEqual({ new: ['tea'], stages: [] });
    expect((await w.t.api('GET', '/api/offers/own')).body.routes).toEqual({
      new: null,
      stages: [{ stage: 'approve', integration: 'fulfil' }],
    });

    // an offer the network processes itself cannot be taken by an integration as well (unless moved: 409 naming our call centre)
    const listed = await w.t.api('PATCH', '/api/integrations/crm', { offers: ['tea', 'own'] });
    expect(listed.status).toBe(409);
    expect(listed.body).toMatchObject({ field: 'offers[1]', details: { current: { kind: 'network' } } });
    expect(listed.body.message).toContain('offer "own"');
    // nor may an offer name another integration for its new leads than the one that lists it (unless moved: 409 naming it)
    const other = await w.t.api('PUT', '/api/offers/tea', { id: 'tea', name: 'Tea', routes: { new: 'fulfil' } });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ field: 'routes.new', details: { current: { kind: 'integration', id: 'crm' } } });
    expect((await w.t.api('GET', '/api/integrations/crm')).body.offers).toEqual(['tea']);
    const unknown = await w.t.api('PUT', '/api/offers/own', {
      id: 'own',
      name: 'Own',
      routes: { stages: [{ stage: 'approve', integration: 'ghost' }] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ field: 'routes.stages[0].integration' });
    expect(unknown.body.message).toContain('no integration "ghost"');
    // a stage route needs a lead.approved flow to send the lead with
    const noFlow = await w.t.api('PUT', '/api/offers/own', {
      id: 'own',
      name: 'Own',
      routes: { stages: [{ stage: 'hold', integration: 'crm' }] },
    });
    expect(noFlow.status).toBe(400);
    expect(noFlow.body.message).toContain('no lead.approved flow');
    const badStage = await w.t.api('PUT', '/api/offers/own', {
      id: 'own',
      name: 'Own',
      routes: { stages: [{ stage: 'new', integration: 'fulfil' }] },
    });
    expect(badStage.status).toBe(400);
    expect(badStage.body).toMatchObject({ field: 'routes.stages.0.stage' });
  });

  it('an integration an offer routes leads to cannot be deleted until the routes name another', async () => {
    const w = await world();
    const refused = await w.t.api('DELETE', '/api/integrations/fulfil');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ field: 'routes' });
    expect(refused.body.message).toContain('"tea", "own"');
    expect((await w.t.api('GET', '/api/integrations/fulfil')).status).toBe(200);
    // once no offer names it, it goes
    for (const [id, name] of [
      ['tea', 'Tea'],
      ['own', 'Own'],
    ]) {
      const offer = (await w.t.api('GET', `/api/offers/${id}`)).body;
      expect((await w.t.api('PUT', `/api/offers/${id}`, { ...offer, name, routes: { ...offer.routes, stages: [] } })).status).toBe(200);
    }
    expect((await w.t.api('DELETE', '/api/integrations/fulfil')).status).toBe(204);
  });
});
