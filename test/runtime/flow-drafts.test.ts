/**
 * Drafts and publishing through the API: a user's draft is kept whatever state it is in, the
 * runtime runs only what was published, and publishing validates, numbers, describes and diffs.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
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
let maria: TestRuntime['api'];

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  t = await startRuntime();
  await setUpDemoIntegration(t, target.url);
  maria = await t.as('maria', 'integrator');
});
afterAll(async () => {
  await t.close();
  await target.stop();
  removeDataDir(t.dataDir);
});

type Doc = { id: string; version?: number; nodes: { id: string; params: Record<string, unknown> }[]; [key: string]: unknown };
const send = () => readFlow('flows/demo/demo-crm-send.json') as unknown as Doc;
/** The demo send flow with its HTTP Request's URL replaced. */
const sendingTo = (url: string, version = 1): Doc => {
  const doc = send();
  doc.version = version;
  const request = doc.nodes.find((n) => n.id === 'send')!;
  request.params = { ...request.params, url };
  return doc;
};

async function postLead(): Promise<number> {
  const answer = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456789', name: 'Anna', country: 'DE' });
  expect(answer.status).toBe(202);
  return answer.body.id;
}

describe('drafts', () => {
  it('an invalid draft is kept with its problems named, and the live version stays as it was', async () => {
    const saved = await t.api('PUT', '/api/flows/demo-crm-send/draft', sendingTo(''));
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ flowId: 'demo-crm-send', baseVersion: 1, liveVersion: 1, savedBy: 'admin' });
    expect(saved.body.issues).toContainEqual(expect.objectContaining({ nodeId: 'send', field: 'params.url' }));

    const again = await t.api('GET', '/api/flows/demo-crm-send/draft');
    expect(again.body.doc.nodes.find((n: { id: string }) => n.id === 'send').params.url).toBe('');
    const live = await t.api('GET', '/api/flows/demo-crm-send');
    expect(live.body.version).toBe(1);
    expect(live.body.nodes.find((n: { id: string }) => n.id === 'send').params.url).toBe('{{integration.settings.base_url}}/api/orders');
    expect((await t.api('GET', '/api/flows/demo-crm-send/versions')).body.currentVersion).toBe(1);
  });

  it('leads run the published version while a draft exists, and the draft once it is published', async () => {
    await t.api('PUT', '/api/flows/demo-crm-send/draft', sendingTo('{{integration.settings.base_url}}/api/v2/orders'));
    const first = await postLead();
    await waitFor(async () => (await t.api('GET', `/api/leads/${first}`)).body.lead.stage === 'wait', 'the first lead to reach wait');
    expect(target.received.at(-1)?.path).toBe('/api/orders');

    const published = await t.api('POST', '/api/flows/demo-crm-send/publish', { message: 'orders go to v2' });
    expect(published.status).toBe(200);
    expect(published.body.version).toBe(2);
    expect((await t.api('GET', '/api/flows/demo-crm-send/draft')).status).toBe(404);

    const second = await postLead();
    await waitFor(async () => (await t.api('GET', `/api/leads/${second}`)).body.lead.stage === 'wait', 'the second lead to reach wait');
    expect(target.received.at(-1)?.path).toBe('/api/v2/orders');
  });

  it('publishing refuses an invalid draft, naming each problem, and keeps the draft', async () => {
    await t.api('PUT', '/api/flows/demo-crm-send/draft', sendingTo('', 2));
    const refused = await t.api('POST', '/api/flows/demo-crm-send/publish', {});
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'invalid_flow', field: 'nodes.send.params.url' });
    expect(refused.body.details).toContainEqual(expect.objectContaining({ nodeId: 'send', field: 'params.url' }));
    expect((await t.api('GET', '/api/flows/demo-crm-send/versions')).body.currentVersion).toBe(2);
    expect((await t.api('GET', '/api/flows/demo-crm-send/draft')).status).toBe(200);

    await t.api('DELETE', '/api/flows/demo-crm-send/draft');
    expect((await t.api('GET', '/api/flows/demo-crm-send/draft')).status).toBe(404);
  });

  it("two users' drafts of one flow are separate", async () => {
    await t.api('PUT', '/api/flows/demo-crm-send/draft', sendingTo('{{integration.settings.base_url}}/admin', 2));
    await maria('PUT', '/api/flows/demo-crm-send/draft', sendingTo('{{integration.settings.base_url}}/maria', 2));

    const url = (answer: { body: { doc: Doc } }) => answer.body.doc.nodes.find((n) => n.id === 'send')!.params.url;
    expect(url(await t.api('GET', '/api/flows/demo-crm-send/draft'))).toBe('{{integration.settings.base_url}}/admin');
    expect(url(await maria('GET', '/api/flows/demo-crm-send/draft'))).toBe('{{integration.settings.base_url}}/maria');

    // maria publishes; the admin's draft is still there, now behind the live version
    expect((await maria('POST', '/api/flows/demo-crm-send/publish', {})).body.version).toBe(3);
    const mine = await t.api('GET', '/api/flows/demo-crm-send/draft');
    expect(mine.body).toMatchObject({ baseVersion: 2, liveVersion: 3 });
    const stale = await t.api('POST', '/api/flows/demo-crm-send/publish', {});
    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('version 3 was published by maria');
    expect((await t.api('POST', '/api/flows/demo-crm-send/publish', { replace: true })).body.version).toBe(4);
  });

  it('a new flow can be a draft only: listed for its author, not for others, not runnable', async () => {
    const draft = { ...sendingTo(''), id: 'acme-send', name: 'Acme: send', version: undefined };
    expect((await maria('PUT', '/api/flows/acme-send/draft', draft)).body).toMatchObject({ baseVersion: 0, liveVersion: 0 });

    const list = (await maria('GET', '/api/flows')).body;
    expect(list.flows.map((f: { id: string }) => f.id)).not.toContain('acme-send');
    expect(list.drafts).toContainEqual(expect.objectContaining({ flowId: 'acme-send', name: 'Acme: send', baseVersion: 0 }));
    expect((await t.api('GET', '/api/flows')).body.drafts).not.toContainEqual(expect.objectContaining({ flowId: 'acme-send' }));
    expect((await maria('GET', '/api/flows/acme-send')).status).toBe(404);

    expect((await maria('DELETE', '/api/flows/acme-send')).status).toBe(204);
    expect((await maria('GET', '/api/flows')).body.drafts).toEqual([]);
  });

  it('a draft that is not a flow document is refused naming the field', async () => {
    expect((await t.api('PUT', '/api/flows/demo-crm-send/draft', { name: 'x', edges: [] })).body).toMatchObject({ field: 'nodes' });
    expect((await t.api('PUT', '/api/flows/demo-crm-send/draft', { ...send(), id: 'other' })).body).toMatchObject({ field: 'id' });
    const noType = { ...send(), nodes: [{ id: 'a', position: { x: 0, y: 0 }, params: {} }] };
    expect((await t.api('PUT', '/api/flows/demo-crm-send/draft', noType)).body).toMatchObject({ field: 'nodes[0].type' });
    expect((await t.api('POST', '/api/flows/demo-crm-send/publish', { message: 7 })).body).toMatchObject({ field: 'message' });
  });
});

describe('versions', () => {
  it('a published version carries its message, author and time, in the list and the audit log', async () => {
    await maria('PUT', '/api/flows/demo-crm-postback/draft', { ...readFlow('flows/demo/demo-crm-postback.json'), name: 'Postback in' });
    expect((await maria('POST', '/api/flows/demo-crm-postback/publish', { message: '  renamed for the team  ' })).status).toBe(200);

    const { versions } = (await t.api('GET', '/api/flows/demo-crm-postback/versions')).body;
    expect(versions.at(-1)).toMatchObject({ version: 2, savedBy: 'maria', message: 'renamed for the team' });
    expect(new Date(versions.at(-1).savedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(versions[0].message).toBeUndefined();
    const audit = (await t.api('GET', '/api/audit?resourceType=flow&resourceId=demo-crm-postback')).body.entries;
    expect(audit[0]).toMatchObject({ action: 'flow.save', after: { version: 2, message: 'renamed for the team' } });
  });

  it('two versions, or the draft and the live version, are diffed node by node and by connection', async () => {
    const v1v2 = (await t.api('GET', '/api/flows/demo-crm-send/diff?from=1&to=2')).body;
    expect(v1v2.nodes.changed).toEqual([
      {
        id: 'send',
        type: 'http-request',
        fields: [
          {
            path: 'params.url',
            before: '{{integration.settings.base_url}}/api/orders',
            after: '{{integration.settings.base_url}}/api/v2/orders',
            changed: true,
          },
        ],
      },
    ]);
    expect(v1v2.nodes.added).toEqual([]);

    const doc = sendingTo('{{integration.settings.base_url}}/api/v2/orders', 4);
    doc.nodes = doc.nodes.filter((n) => n.id !== 'sign');
    doc.edges = [
      ...(doc.edges as { source: string; target: string }[]).filter((e) => e.source !== 'sign' && e.target !== 'sign'),
      { id: 'e-new', source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
    ];
    await t.api('PUT', '/api/flows/demo-crm-send/draft', doc);
    const draft = (await t.api('GET', '/api/flows/demo-crm-send/diff?from=live&to=draft')).body;
    expect(draft.nodes.removed).toEqual([{ id: 'sign', type: 'sign' }]);
    expect(draft.nodes.changed.map((n: { id: string }) => n.id)).toEqual(['send']);
    expect(draft.edges.added).toEqual([{ source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' }]);
    expect(draft.edges.removed).toHaveLength(2);

    expect((await t.api('GET', '/api/flows/demo-crm-send/diff?from=1&to=99')).body).toMatchObject({ error: 'not_found', field: 'version' });
    expect((await t.api('GET', '/api/flows/demo-crm-send/diff?from=1')).body).toMatchObject({ error: 'invalid_field', field: 'to' });
  });
});
