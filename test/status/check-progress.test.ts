/**
 * "Check now" as long work: `POST …/checks/:event/runs` answers the work's report at once (202),
 * its progress comes batch by batch over `/api/work/:id/stream`, a cancel stops it after the batch
 * in hand, and its summary counts the leads checked (moved, unchanged), failed, and skipped with
 * why. Against a CRM on 127.0.0.1 that answers the statuses of a batch of order ids, each answer
 * held until the test lets it go.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readFlow, removeDataDir, startRuntime, waitFor, cleanUpAfterEach, type TestRuntime } from '../support/harness.ts';
import { SKIPPED_CANCELLED, SKIPPED_STOPPED } from '../../runtime/services/status-checks.ts';
import { readEvents } from '../operations/sse.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

const processing = {
  id: 'processing',
  name: 'processing',
  event: 'status.processing',
  nodes: [
    node('check', 'status-check', 0, { schedule: '1h', batchSize: 2 }),
    node('ask', 'http-request', 1, {
      method: 'GET',
      url: '{{integration.settings.base_url}}/status?ids={{batch.eids | join:","}}',
      timeoutMs: 1500,
    }),
    node('each', 'for-each', 2, { items: '{{input.body.orders}}' }),
    node('stage', 'map-status', 3, {
      value: '{{item.status}}',
      rules: [
        { match: 'list', value: 'new,processing', stage: 'wait' },
        { match: 'exact', value: 'confirmed', stage: 'approve' },
      ],
    }),
    node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '' }),
  ],
  edges: [edge('check', 'ask'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
};

async function ok(r: Promise<{ status: number; body: any }>) {
  const answer = await r;
  if (answer.status >= 300) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/**
 * A CRM that takes orders at once and answers status questions (E1 confirmed, the rest still
 * processing, E3 never when `hangOn3`) only as the test lets each go: held until `release()`, or
 * at once after `flowing()`.
 */
async function startCrm(hangOn3 = false) {
  let orders = 0;
  let free = false;
  const held: { ids: string[]; res: ServerResponse }[] = [];
  const asked: string[][] = [];
  const answer = ({ ids, res }: { ids: string[]; res: ServerResponse }) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ orders: ids.map((id) => ({ order_id: id, status: id === 'E1' ? 'confirmed' : 'processing' })) }));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/api/orders') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ status: 'ok', order_id: `E${++orders}` }));
      }
      if (url.pathname !== '/status') return res.writeHead(404).end();
      const ids = (url.searchParams.get('ids') ?? '').split(',');
      asked.push(ids);
      if (hangOn3 && ids.includes('E3')) return;
      if (free) answer({ ids, res });
      else held.push({ ids, res });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    asked,
    release: () => held.splice(0).forEach(answer),
    flowing: () => {
      free = true;
      held.splice(0).forEach(answer);
    },
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A runtime with `count` leads waiting at the CRM (E1…), its processing check batching them two by two. */
async function world(count: number, hangOn3 = false): Promise<{ t: TestRuntime; crm: Awaited<ReturnType<typeof startCrm>> }> {
  const crm = await startCrm(hangOn3);
  const t = await startRuntime();
  cleanups.push(
    () => crm.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await ok(t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json')));
  await ok(t.api('POST', '/api/flows', processing));
  await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' } }));
  await ok(
    t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: crm.url },
      secrets: { api_key: 'k-123456', api_secret: 's-123456' },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', 'status.processing': 'processing' },
    }),
  );
  for (let i = 0; i < count; i++) {
    const { body } = await ok(t.api('POST', '/api/leads', { offer: 'tea', phone: `+4915100000${i}` }));
    await waitFor(async () => (await t.api('GET', `/api/leads/${body.id}`)).body.lead.stage === 'wait', `lead ${body.id} delivered`);
  }
  return { t, crm };
}

const RUNS = '/api/integrations/crm/checks/status.processing/runs';

describe('“Check now” as long work', () => {
  it('reports each batch over the work’s stream and ends with leads checked, moved and unchanged', async () => {
    const { t, crm } = await world(5);
    const started = await t.api('POST', RUNS);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      kind: 'status.check',
      state: 'running',
      done: 0,
      title: 'When the status is checked (leads in processing) of crm',
    });
    const stream = await readEvents(`${t.url}/api/work/${started.body.id}/stream`, t.cookie);
    cleanups.push(() => stream.close());
    // the schedule names the work under way
    const checks = (await t.api('GET', '/api/integrations/crm/checks')).body.checks;
    expect(checks).toEqual([expect.objectContaining({ event: 'status.processing', schedule: '1h', running: true, work: started.body.id })]);

    await waitFor(() => crm.asked.length === 1, 'the first batch asked');
    crm.release();
    const first = await stream.next((e) => e.event === 'progress' && e.data.done === 2);
    expect(first.data).toMatchObject({ state: 'running', done: 2, outcomes: { moved: 1, unchanged: 1 }, failed: 0 });
    crm.flowing();
    const end = await stream.next((e) => e.event === 'end', 10_000);
    expect(end.data).toMatchObject({ state: 'done', done: 5, outcomes: { moved: 1, unchanged: 4 }, failed: 0, skipped: {} });
    expect(crm.asked).toEqual([['E1', 'E2'], ['E3', 'E4'], ['E5']]);

    const last = (await t.api('GET', '/api/integrations/crm/checks')).body.checks[0];
    expect(last).toMatchObject({ running: false, last: { runs: 3, leads: 5, moved: 1, unchanged: 4, failed: 0 } });
    expect(last.work).toBeUndefined();
    expect((await t.api('GET', `/api/work/${started.body.id}`)).body).toMatchObject({ state: 'done', done: 5 });
  });

  it('joins the check running when asked again, and a cancel stops it after the batch in hand, counting the rest skipped', async () => {
    const { t, crm } = await world(5);
    const started = await t.api('POST', RUNS);
    await waitFor(() => crm.asked.length === 1, 'the first batch asked');
    // never twice at once: a second "Check now" follows the same work
    const again = await t.api('POST', RUNS);
    expect(again).toMatchObject({ status: 202, body: { id: started.body.id } });
    const stream = await readEvents(`${t.url}/api/work/${started.body.id}/stream`, t.cookie);
    cleanups.push(() => stream.close());
    crm.release();
    await stream.next((e) => e.event === 'progress' && e.data.done === 2);
    await waitFor(() => crm.asked.length === 2, 'the second batch asked');

    expect((await t.api('POST', `/api/work/${started.body.id}/cancel`)).status).toBe(200);
    crm.release();
    const end = await stream.next((e) => e.event === 'end', 10_000);
    expect(end.data).toMatchObject({ state: 'cancelled', done: 4, failed: 0, skipped: { [SKIPPED_CANCELLED]: 1 } });
    // the batch in hand was finished, the third never asked
    expect(crm.asked).toHaveLength(2);
    const third = await t.api('GET', '/api/leads?q=%2B49151000004');
    expect(third.body.leads[0].stage).toBe('wait');
  });

  it('counts a batch whose run failed as failed with the reason, and the leads after it skipped', async () => {
    const { t, crm } = await world(5, true);
    crm.flowing();
    const started = await t.api('POST', RUNS);
    const stream = await readEvents(`${t.url}/api/work/${started.body.id}/stream`, t.cookie);
    cleanups.push(() => stream.close());
    const end = await stream.next((e) => e.event === 'end', 10_000);
    expect(end.data).toMatchObject({ state: 'done', done: 2, failed: 2, skipped: { [SKIPPED_STOPPED]: 1 } });
    expect(end.data.error).toMatch(/run #\d+/);
    const last = (await t.api('GET', '/api/integrations/crm/checks')).body.checks[0];
    expect(last.last).toMatchObject({ leads: 4, moved: 1, unchanged: 1, failed: 2, error: { code: 'timeout', nodeId: 'ask' } });
  });

  it('refuses to start a check the integration has no flow for, naming the field', async () => {
    const { t } = await world(1);
    expect(await t.api('POST', '/api/integrations/crm/checks/status.range/runs')).toMatchObject({ status: 404, body: { field: 'event' } });
    expect(await t.api('POST', '/api/integrations/crm/checks/status.nothing/runs')).toMatchObject({
      status: 400,
      body: { field: 'event' },
    });
    expect(await t.api('GET', '/api/work/0123')).toMatchObject({ status: 404, body: { field: 'id' } });
  });
});
