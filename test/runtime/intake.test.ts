import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readFlow,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
} from '../support/harness.ts';

let t: TestRuntime;
let target: MockServer;

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  t = await startRuntime();
  await setUpDemoIntegration(t, target.url);
});
afterAll(async () => {
  await t.close();
  await target.stop();
  removeDataDir(t.dataDir);
});

describe('intake: bad input gets a 4xx answer that names the field', () => {
  it.each([
    [{ offer: 'tea', phone: 'call me maybe' }, 400, 'phone'],
    [{ offer: 'tea' }, 400, 'phone'],
    [{ phone: '+49151234567' }, 400, 'offer'],
    [{ offer: 'tea', phone: '+49151234567', email: 'not-an-email' }, 400, 'email'],
    [{ offer: 'tea', phone: '+49151234567', country: 'Germany' }, 400, 'country'],
    [{ offer: 'tea', phone: '+49151234567', ip: '999.1.1.1' }, 400, 'ip'],
    [{ offer: 'tea', phone: '+49151234567', goods: [{ count: 2 }] }, 400, 'goods[0].product'],
    [{ offer: 'tea', phone: '+49151234567', goods: [{ product: 'tea', count: 0 }] }, 400, 'goods[0].count'],
    [{ offer: 'nope', phone: '+49151234567' }, 422, 'offer'],
  ])('%j → %i naming %s', async (lead, status, field) => {
    const before = (await t.api('GET', '/api/leads')).body.leads.length;
    const answer = await t.api('POST', '/api/leads', lead);
    expect(answer.status).toBe(status);
    expect(answer.body.field).toBe(field);
    expect(answer.body.message).toContain(field);
    // nothing is stored for a lead we refused
    expect((await t.api('GET', '/api/leads')).body.leads.length).toBe(before);
  });

  it('a body that is not JSON is a 400, not a crash', async () => {
    const answer = await t.api('POST', '/api/leads', '{"offer": ', { 'content-type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_json', field: '(body)' });
  });

  it('a lead sent as form fields is accepted, goods included, and unknown fields are kept in meta', async () => {
    const response = await fetch(`${t.url}/api/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': t.intakeKey },
      body: 'offer=tea&phone=%2B49151234567&wm=17&goods[0][product]=tea&goods[0][count]=2&landing=v2',
    });
    expect(response.status).toBe(202);
    const { id } = await response.json();
    const { lead } = (await t.api('GET', `/api/leads/${id}`)).body;
    expect(lead).toMatchObject({ wm: '17', goods: [{ product: 'tea', count: 2 }], meta: { landing: 'v2' } });
  });
});

describe('flows: an invalid flow is refused with the node and the field', () => {
  it('a missing required parameter', async () => {
    const flow = readFlow('flows/demo/demo-crm-send.json');
    flow.id = 'broken';
    const send = (flow.nodes as { id: string; params: Record<string, unknown> }[]).find((n) => n.id === 'send');
    if (send) delete send.params.url;
    const answer = await t.api('POST', '/api/flows', flow);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({ error: 'invalid_flow', field: 'nodes.send.params.url' });
    expect(answer.body.message).toContain('node "send": params.url: is required');
  });

  it('a bad template, an unknown node type and a dangling edge', async () => {
    const answer = await t.api('POST', '/api/flows', {
      id: 'broken2',
      name: 'broken',
      event: 'lead.new',
      nodes: [
        { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
        { id: 'body', type: 'json-build', position: { x: 1, y: 0 }, params: { body: { phone: '{{lead.phone | shout}}' } } },
        { id: 'odd', type: 'teleport', position: { x: 2, y: 0 }, params: {} },
      ],
      edges: [
        { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'body', targetHandle: 'in' },
        { id: 'e2', source: 'body', sourceHandle: 'out', target: 'ghost', targetHandle: 'in' },
      ],
    });
    expect(answer.status).toBe(422);
    const issues = answer.body.details as { nodeId?: string; field: string; message: string }[];
    expect(issues).toContainEqual(
      expect.objectContaining({ nodeId: 'body', field: 'params.body.phone', message: expect.stringContaining('unknown filter "shout"') }),
    );
    expect(issues).toContainEqual(expect.objectContaining({ nodeId: 'odd', field: 'type' }));
    expect(issues).toContainEqual(expect.objectContaining({ field: 'edges[1].target', message: 'no node "ghost"' }));
  });

  it('a schema error names the node by its id', async () => {
    const answer = await t.api('POST', '/api/flows', {
      id: 'broken3',
      name: 'broken',
      event: 'lead.new',
      nodes: [{ id: 'lead', type: 'lead-in', position: { x: 0, y: 'top' }, params: {} }],
      edges: [],
    });
    expect(answer.status).toBe(422);
    expect(answer.body.details).toContainEqual({ nodeId: 'lead', field: 'position.y', message: 'must be number' });
  });

  it('a node that reads a secret it may not see is refused', async () => {
    const flow = readFlow('flows/demo/demo-crm-send.json');
    flow.id = 'leaky';
    // Update Lead writes to the lead, which is no request: it may not read secrets
    const rejected = (flow.nodes as { id: string; params: Record<string, unknown> }[]).find((n) => n.id === 'rejected');
    if (rejected) rejected.params.reason = 'key {{secrets.api_key}}';
    const answer = await t.api('POST', '/api/flows', flow);
    expect(answer.status).toBe(422);
    expect(answer.body.field).toBe('nodes.rejected.params.reason');
  });

  it('saving again makes a new version and keeps the old one as it was', async () => {
    const flow = readFlow('flows/demo/demo-crm-postback.json');
    const maria = await t.as('maria', 'integrator');
    const saved = await maria('PUT', '/api/flows/demo-crm-postback', { ...flow, name: 'Renamed' });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(2);
    const versions = (await t.api('GET', '/api/flows/demo-crm-postback/versions')).body;
    expect(versions.currentVersion).toBe(2);
    expect(versions.versions[1]).toMatchObject({ version: 2, savedBy: 'maria' });
    expect((await t.api('GET', '/api/flows/demo-crm-postback/versions/1')).body.name).toBe(flow.name);
  });
});

describe('the management API', () => {
  it('never answers a secret value, and keeps a secret a write leaves out', async () => {
    const listed = await t.api('GET', '/api/integrations/crm');
    expect(listed.body.secrets).toEqual({ api_key: { set: true }, api_secret: { set: true } });
    expect(JSON.stringify(listed.body)).not.toContain('test-key');
    const patched = await t.api('PATCH', '/api/integrations/crm', { settings: { base_url: target.url }, secrets: { extra: 'xyz-secret' } });
    expect(patched.body.secrets).toEqual({ api_key: { set: true }, api_secret: { set: true }, extra: { set: true } });
    expect((await t.api('PATCH', '/api/integrations/crm', { secrets: { extra: null } })).body.secrets).not.toHaveProperty('extra');
  });

  it('an integration write names the bad field', async () => {
    expect((await t.api('PATCH', '/api/integrations/crm', { flows: { 'lead.new': 'nope' } })).body).toMatchObject({
      field: 'flows.lead.new',
    });
    expect((await t.api('PATCH', '/api/integrations/crm', { flows: { 'lead.new': 'demo-crm-postback' } })).body.message).toContain(
      'handles postback.in',
    );
    expect((await t.api('PATCH', '/api/integrations/crm', { offers: ['tea', 'ghost'] })).body).toMatchObject({ field: 'offers[1]' });
    expect((await t.api('PATCH', '/api/integrations/crm', { colour: 'red' })).body).toMatchObject({ field: 'colour' });
  });

  it('an integration is not switched on while a flow of it names a secret or setting it lacks', async () => {
    // an offer of its own: another enabled integration takes tea's new leads already
    await t.api('POST', '/api/offers', { id: 'herbal', name: 'Herbal tea', parameters: { crm_offer_id: '301' } });
    await t.api('POST', '/api/integrations', {
      id: 'half',
      name: 'Half done',
      settings: {},
      offers: ['herbal'],
      flows: { 'lead.new': 'demo-crm-send' },
    });
    const noSetting = await t.api('PATCH', '/api/integrations/half', { enabled: true });
    expect(noSetting.status).toBe(400);
    expect(noSetting.body).toMatchObject({ field: 'settings.base_url' });
    const noSecret = await t.api('PATCH', '/api/integrations/half', {
      enabled: true,
      settings: { base_url: target.url },
      secrets: { api_key: 'k-1234' },
    });
    expect(noSecret.body).toMatchObject({ field: 'secrets.api_secret' });
    expect((await t.api('GET', '/api/integrations/half')).body.enabled).toBe(false);
    // a refused write stores none of it
    expect((await t.api('GET', '/api/integrations/half')).body.secrets).toEqual({});
    const ready = await t.api('PATCH', '/api/integrations/half', {
      enabled: true,
      settings: { base_url: target.url },
      secrets: { api_key: 'k-1234', api_secret: 's-1234' },
    });
    expect(ready.status).toBe(200);
    expect(ready.body.enabled).toBe(true);
    // at most one enabled integration takes an offer's new leads: ticking tea here is refused, naming where they go
    const both = await t.api('PATCH', '/api/integrations/half', { offers: ['herbal', 'tea'] });
    expect(both.status).toBe(409);
    expect(both.body).toMatchObject({ field: 'offers[1]', details: { current: { kind: 'integration', id: 'crm' } } });
    expect(both.body.message).toMatch(/offer "tea" \(Tea\): its new leads go to integration "crm" \(CRM\) now; send "move": true/);
    expect((await t.api('GET', '/api/integrations/half')).body.offers).toEqual(['herbal']);
    await t.api('DELETE', '/api/integrations/half');
  });

  it('creating a flow or an offer whose id exists is a conflict that changes nothing', async () => {
    const flow = await t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json'));
    expect(flow.status).toBe(409);
    expect(flow.body).toMatchObject({ error: 'conflict', field: 'id' });
    expect((await t.api('GET', '/api/flows/demo-crm-send/versions')).body.currentVersion).toBe(1);
    const offer = await t.api('POST', '/api/offers', { id: 'tea', name: 'Another tea' });
    expect(offer.status).toBe(409);
    expect((await t.api('GET', '/api/offers/tea')).body.name).toBe('Tea');
  });

  it('offers keep parameters, goals and products; a bad one names the field', async () => {
    const offer = {
      id: 'cream',
      name: 'Cream',
      parameters: { stream: 's1', 'stream-de': 's2' },
      goals: [{ id: 'sale' }],
      products: [{ id: 'jar', price: 12.5 }],
    };
    expect((await t.api('POST', '/api/offers', offer)).status).toBe(201);
    expect((await t.api('GET', '/api/offers/cream')).body).toMatchObject(offer);
    const bad = await t.api('PUT', '/api/offers/cream', { ...offer, products: [{ id: 'jar', price: -1 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('products.0.price');
  });

  it('lists the node catalog without code', async () => {
    const { nodes } = (await t.api('GET', '/api/nodes')).body;
    const types = nodes.map((n: { type: string }) => n.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'lead-in',
        'json-build',
        'form-build',
        'sign',
        'http-request',
        'extract',
        'map-status',
        'condition',
        'update-lead',
        'respond',
        'postback-trigger',
      ]),
    );
    expect(nodes.every((n: { execute?: unknown; params: object }) => n.execute === undefined && typeof n.params === 'object')).toBe(true);
  });
});

describe('synchronous registration', () => {
  it('an offer whose integration has a lead.register flow answers with what its Respond node gives', async () => {
    const register = readFlow('flows/examples/register-autologin.json');
    const broker = await startMockServer((r) => ({
      body: { user_id: 'U-1', login: `https://broker.test/login?u=U-1&e=${encodeURIComponent(JSON.parse(r.body).email)}` },
    }));
    try {
      expect((await t.api('POST', '/api/flows', register)).status).toBe(201);
      await t.api('POST', '/api/offers', { id: 'fx', name: 'FX' });
      await t.api('POST', '/api/integrations', {
        id: 'broker',
        name: 'Broker',
        enabled: true,
        settings: { base_url: broker.url },
        offers: ['fx'],
        flows: { 'lead.register': 'register' },
      });
      const answer = await t.api('POST', '/api/leads', { offer: 'fx', email: 'ann@example.org' });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ id: expect.any(Number), autologin: 'https://broker.test/login?u=U-1&e=ann%40example.org' });
      // done while the caller waited: no queued delivery, and the lead is already in wait
      const view = (await t.api('GET', `/api/leads/${answer.body.id}`)).body;
      expect(view.lead).toMatchObject({ stage: 'wait', eid: 'U-1' });
      expect(view.deliveries.filter((d: { kind: string }) => d.kind === 'lead.new')).toEqual([]);

      // the broker down: the caller hears it at once, the lead is kept
      await broker.stop();
      const failed = await t.api('POST', '/api/leads', { offer: 'fx', email: 'bob@example.org' });
      expect(failed.status).toBe(502);
      expect(failed.body).toMatchObject({ error: 'delivery_failed', node: 'call' });
      expect((await t.api('GET', `/api/leads/${failed.body.id}`)).body.lead.stage).toBe('new');
    } finally {
      await broker.stop();
    }
  });
});

describe('test runs', () => {
  it('run a flow on a sample lead against the target without changing any lead', async () => {
    const before = target.received.length;
    const answer = await t.api('POST', '/api/flows/demo-crm-send/test', {
      integration: 'crm',
      lead: { offer: 'tea', phone: '+49151234567', name: 'Sample' },
      send: 'real',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.execution).toMatchObject({ test: true, state: 'success' });
    expect(answer.body.execution.steps.at(-1).output).toMatchObject({ stageChanged: true, lead: { stage: 'wait', eid: 'E-1' } });
    await waitFor(() => target.received.length === before + 1, 'the test request');
    expect((await t.api('GET', '/api/leads')).body.leads.every((l: { name?: string }) => l.name !== 'Sample')).toBe(true);
  });
});
