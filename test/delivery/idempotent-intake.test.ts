/**
 * Idempotent intake: a lead posted again by its source with the same `Idempotency-Key` or the same
 * `order_id` is answered with the original lead and queues nothing; the same key with other fields
 * is refused naming the key; keys are the source's own, so another source's same key is a new lead; a
 * synchronous registration's repeat gets the first run's answer.
 */
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

const LEAD = { offer: 'tea', name: 'Anna Schmidt', phone: '+49 151 2345678', country: 'de', wm: 'wm1', subid: 'click-1' };

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  t = await startRuntime();
  await setUpDemoIntegration(t, target.url);
});

afterAll(async () => {
  await t?.close();
  await target?.stop();
  if (t) removeDataDir(t.dataDir);
});

const post = (lead: Record<string, unknown>, headers: Record<string, string> = {}) => t.api('POST', '/api/leads', lead, headers);

async function leadCount(): Promise<number> {
  return (await t.api('GET', '/api/leads?limit=1000')).body.leads.length;
}

describe('a lead posted twice', () => {
  it('with the same Idempotency-Key is one lead and one delivery, and the repeat answers the same id', async () => {
    const before = await leadCount();
    const sent = target.received.length;
    const first = await post(LEAD, { 'idempotency-key': 'k-twice' });
    expect(first.status).toBe(202);
    await waitFor(() => target.received.length > sent, 'the delivery');
    const again = await post(LEAD, { 'idempotency-key': 'k-twice' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(typeof again.body.stage).toBe('string');
    // time for a second delivery to arrive, were one queued
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(target.received.length).toBe(sent + 1);
    expect(await leadCount()).toBe(before + 1);
  });

  it('twenty times at once with one key makes one lead', async () => {
    const before = await leadCount();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post({ ...LEAD, subid: 'burst' }, { 'idempotency-key': 'k-burst' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await leadCount()).toBe(before + 1);
  });

  it('with the same key and other fields is refused with 422 naming Idempotency-Key, and nothing is stored', async () => {
    const first = await post(LEAD, { 'idempotency-key': 'k-changed' });
    expect(first.status).toBe(202);
    const before = await leadCount();
    const changed = await post({ ...LEAD, name: 'Someone Else' }, { 'idempotency-key': 'k-changed' });
    expect(changed.status).toBe(422);
    expect(changed.body.field).toBe('Idempotency-Key');
    expect(await leadCount()).toBe(before);
  });

  it('with the same order_id answers the original id, and other fields under it are refused naming order_id', async () => {
    const first = await post({ ...LEAD, order_id: 'ORD-77' });
    expect(first.status).toBe(202);
    const before = await leadCount();
    const again = await post({ ...LEAD, order_id: 'ORD-77' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    const changed = await post({ ...LEAD, order_id: 'ORD-77', phone: '+49 151 7654321' });
    expect(changed.status).toBe(422);
    expect(changed.body.field).toBe('order_id');
    expect(await leadCount()).toBe(before);
  });

  it('with the same key from another source is a new lead', async () => {
    const created = await t.api('POST', '/api/sources', { id: 'other-network', kind: 'network', offers: '*' });
    expect(created.status).toBe(201);
    const first = await post(LEAD, { 'idempotency-key': 'k-shared' });
    const other = await post(LEAD, { 'idempotency-key': 'k-shared', 'x-api-key': created.body.key });
    expect(first.status).toBe(202);
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
  });

  it('to a lead.register flow answers the stored answer of the first run, and the target is called once', async () => {
    const broker = await startMockServer(() => ({ body: { user_id: 'U-7', login: 'https://broker.test/login?u=U-7' } }));
    try {
      expect((await t.api('POST', '/api/flows', readFlow('flows/examples/register-autologin.json'))).status).toBe(201);
      await t.api('POST', '/api/offers', { id: 'fx', name: 'FX' });
      const integration = await t.api('POST', '/api/integrations', {
        id: 'broker',
        name: 'Broker',
        enabled: true,
        settings: { base_url: broker.url },
        offers: ['fx'],
        flows: { 'lead.register': 'register' },
      });
      expect(integration.status).toBe(201);
      const first = await post({ offer: 'fx', email: 'ann@example.org' }, { 'idempotency-key': 'k-register' });
      expect(first.status).toBe(201);
      const again = await post({ offer: 'fx', email: 'ann@example.org' }, { 'idempotency-key': 'k-register' });
      expect(again).toEqual(first);
      expect(broker.received.length).toBe(1);
    } finally {
      await broker.stop();
    }
  });
});
