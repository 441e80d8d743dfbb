import { afterEach, describe, expect, it } from 'vitest';
import { startAlterCpa, type AlterCpa } from '../../runtime/sandboxes/altercpa.ts';
import { startMockServer, waitFor } from '../support/harness.ts';

let target: AlterCpa;
afterEach(() => target?.close());

const lead = {
  id: '501',
  offer: '25',
  wm: '9',
  name: 'Anna',
  phone: '+49 151 2345670',
  ip: '10.1.2.3',
  country: 'de',
  us: 'fb',
  uc: 'spring',
};

async function add(body: Record<string, string>, auth = '17-k3y', as: 'form' | 'json' = 'form') {
  const response = await fetch(`${target.url}/api/ext/add.json?id=${auth}`, {
    method: 'POST',
    headers: { 'content-type': as === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: as === 'json' ? JSON.stringify(body) : new URLSearchParams(body).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the AlterCPA sandbox', () => {
  it("takes a lead as a form or as JSON and answers the network's order id under uid", async () => {
    target = await startAlterCpa(0, { user: '17', key: 'k3y', stepMs: 10_000 });
    const form = await add(lead);
    expect(form).toEqual({ status: 200, body: { status: 'ok', uid: 100001 } });
    const json = await add({ ...lead, id: '502', phone: '+49 151 2345671' }, '17-k3y', 'json');
    expect(json.body).toEqual({ status: 'ok', uid: 100002 });
    expect(target.orders.get(100001)).toMatchObject({
      uid: 100001,
      id: '501',
      offer: '25',
      wm: '9',
      phone: '491512345670',
      fields: { us: 'fb', uc: 'spring', country: 'de' },
    });
    // the same sender's id again is refused as a duplicate, and no second order is made
    expect((await add(lead)).body).toEqual({ status: 'error', error: 'duplicate' });
    expect(target.orders.size).toBe(2);
  });

  it('answers refusals as AlterCPA does: HTTP 200, status error and a code naming what is wrong', async () => {
    target = await startAlterCpa(0, { user: '17', key: 'k3y', offers: ['25'] });
    expect(await add(lead, '17-wrong')).toEqual({ status: 200, body: { status: 'error', error: 'key' } });
    expect((await add({ ...lead, offer: '99' })).body).toEqual({ status: 'error', error: 'nooffer' });
    expect((await add({ ...lead, offer: '' })).body).toEqual({ status: 'error', error: 'offer' });
    expect((await add({ ...lead, phone: '12' })).body).toEqual({ status: 'error', error: 'phone' });
    expect((await add({ ...lead, ip: '' })).body).toEqual({ status: 'error', error: 'ip' });
    const { id: _id, ...withoutId } = lead;
    expect((await add(withoutId)).body).toEqual({ status: 'error', error: 'id' });
    expect(target.orders.size).toBe(0);
  });

  it("moves orders through the stages the phone's last digit says and lists them keyed by uid, by uids or by our ids", async () => {
    target = await startAlterCpa(0, { user: '17', key: 'k3y', stepMs: 150 });
    const phones = { '1': '4915100000000', '2': '4915100000005', '3': '4915100000006', '4': '4915100000008', '5': '4915100000009' };
    for (const [id, phone] of Object.entries(phones)) await add({ ...lead, id, phone });
    type Row = { uid: number; id: string; stage: string; status: number; reason: number; comment: string };
    const list = async (query: string) =>
      (await (await fetch(`${target.url}/api/ext/list.json?id=17-k3y&${query}`)).json()) as Record<string, Row>;
    const first = await list('ids=100001,100002,999');
    expect(Object.keys(first)).toEqual(['100001', '100002']);
    expect(Object.values(first).map((o) => [o.uid, o.id, o.stage])).toEqual([
      [100001, '1', 'wait'],
      [100002, '2', 'wait'],
    ]);
    await waitFor(async () => (await list('ids=100002'))['100002']?.stage === 'approve', 'the hold-then-approve order', 3000);
    const final = await list('oid=1,2,3,4,5');
    expect(Object.values(final).map((o) => o.stage)).toEqual(['approve', 'approve', 'cancel', 'hold', 'trash']);
    expect(final['100003']).toMatchObject({ status: 5, reason: 2, comment: 'customer changed their mind' });
    // none found: PHP's empty array
    expect(await list('ids=999')).toEqual([]);
    expect(await (await fetch(`${target.url}/api/ext/list.json?id=17-k3y`)).json()).toEqual({ status: 'error', error: 'ids' });
  });

  it('sends each change to the postback URL when one is set', async () => {
    const hits: string[] = [];
    const tracker = await startMockServer((r) => {
      hits.push(r.url);
      return { body: 'ok' };
    });
    try {
      target = await startAlterCpa(0, { user: '17', key: 'k3y', stepMs: 20, postbackUrl: `${tracker.url}/pb?token=t` });
      await add({ ...lead, phone: '4915100000005' });
      await waitFor(() => hits.length === 2, 'two postbacks');
      expect(hits.map((h) => new URL(h, tracker.url).searchParams.get('stage'))).toEqual(['hold', 'approve']);
      expect(new URL(hits[1], tracker.url).searchParams.get('id')).toBe('501');
      expect(new URL(hits[1], tracker.url).searchParams.get('uid')).toBe('100001');
    } finally {
      await tracker.stop();
    }
  });
});
