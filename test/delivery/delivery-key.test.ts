/**
 * The delivery key (`{{lead.delivery_key}}`): every send of one lead's event carries the same key
 * — each retry, and after a restart — and another lead, another event of the lead, or another
 * data folder gets another one, so a target can drop a repeat by it. The demo CRM's send flow
 * sends it as an `Idempotency-Key` header.
 */
import { describe, expect, it } from 'vitest';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type Received,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const keyedUpdate = {
  id: 'keyed-update',
  name: 'Send an upsell with its key',
  event: 'lead.update',
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    {
      id: 'send',
      type: 'http-request',
      position: { x: 1, y: 0 },
      params: {
        method: 'PUT',
        url: '{{integration.settings.base_url}}/api/orders/{{lead.eid}}',
        headers: [{ key: 'Idempotency-Key', value: '{{lead.delivery_key}}' }],
      },
    },
  ],
  edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' }],
};

async function start(target: MockServer, dataDir?: string): Promise<TestRuntime> {
  const t = await startRuntime(dataDir ? { dataDir } : {});
  if (!dataDir) {
    await setUpDemoIntegration(t, target.url);
    expect((await t.api('POST', '/api/flows', keyedUpdate)).status).toBe(201);
    await t.api('PATCH', '/api/integrations/crm', { flows: { 'lead.update': 'keyed-update' } });
  }
  return t;
}

let phone = 100;
const post = (t: TestRuntime) => t.api('POST', '/api/leads', { offer: 'tea', country: 'de', phone: `+49 151 2345${phone++}` });
const keyOf = (r: Received) => r.headers['idempotency-key'] as string | undefined;
const sendsOf = (target: MockServer, leadId: number) =>
  target.received.filter((r) => r.method === 'POST' && String(JSON.parse(r.body || '{}').order_ref) === String(leadId));
const delivered = (t: TestRuntime, id: number) =>
  waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', `lead ${id} delivered`, 10_000);

describe('the delivery key', () => {
  it('is the same on every retry of one lead, and names the lead and the event', async () => {
    let failures = 2;
    const target = await startMockServer((r) =>
      r.method === 'POST' && failures-- > 0 ? { status: 503, body: { status: 'error' } } : { body: { status: 'ok', order_id: 'E-1' } },
    );
    const t = await start(target);
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    const lead = await post(t);
    await delivered(t, lead.body.id);
    const sends = sendsOf(target, lead.body.id);
    expect(sends.length).toBe(3);
    const keys = new Set(sends.map(keyOf));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(new RegExp(`^[0-9a-f]{16}-${lead.body.id}-lead\\.new$`));
  });

  it('differs between two leads, and between two events of one lead', async () => {
    const target = await startMockServer((r) => ({ body: r.method === 'PUT' ? { status: 'ok' } : { status: 'ok', order_id: 'E-2' } }));
    const t = await start(target);
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    const first = await post(t);
    const second = await post(t);
    await delivered(t, first.body.id);
    await delivered(t, second.body.id);
    const [a] = sendsOf(target, first.body.id).map(keyOf);
    const [b] = sendsOf(target, second.body.id).map(keyOf);
    expect(a).toBeTruthy();
    expect(b).toBeTruthy();
    expect(a).not.toBe(b);

    expect((await t.api('PATCH', `/api/leads/${first.body.id}`, { comment: 'call after 6 pm' })).status).toBe(200);
    const update = await waitFor(() => target.received.find((r) => r.method === 'PUT'), 'the update at the target');
    expect(keyOf(update)).toMatch(new RegExp(`-${first.body.id}-lead\\.update$`));
    expect(keyOf(update)).not.toBe(a);
  });

  it("survives a restart, and a new data folder never sends an earlier folder's key", async () => {
    let up = false;
    const target = await startMockServer((r) =>
      r.method === 'POST' && !up ? { status: 503, body: { status: 'error' } } : { body: { status: 'ok', order_id: 'E-3' } },
    );
    cleanups.push(() => target.stop());
    const t = await start(target);
    cleanups.push(() => removeDataDir(t.dataDir));
    const lead = await post(t);
    await waitFor(() => sendsOf(target, lead.body.id).length >= 1, 'a first attempt');
    const before = keyOf(sendsOf(target, lead.body.id)[0]);
    await t.close();

    up = true;
    const again = await start(target, t.dataDir);
    cleanups.push(() => again.close());
    await delivered(again, lead.body.id);
    const sends = sendsOf(target, lead.body.id);
    expect(sends.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sends.map(keyOf))).toEqual(new Set([before]));

    // a wiped folder starts its ids again: its lead with the same id gets another key
    const wiped = await start(target);
    cleanups.push(
      () => wiped.close(),
      () => removeDataDir(wiped.dataDir),
    );
    const fresh = await post(wiped);
    expect(fresh.body.id).toBe(lead.body.id);
    await delivered(wiped, fresh.body.id);
    const latest = sendsOf(target, fresh.body.id).at(-1)!;
    expect(keyOf(latest)).toMatch(new RegExp(`-${fresh.body.id}-lead\\.new$`));
    expect(keyOf(latest)).not.toBe(before);
  });
});
