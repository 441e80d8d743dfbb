/**
 * Bulk resend of the Leads page's filter: `POST /api/work/resend` (and its count for the
 * confirmation, `POST /api/work/resend/count`) reads every filter the list has — search,
 * integration, offer, source, webmaster, dates, stage — as `GET /api/leads` reads them, so it
 * selects exactly the failed leads the page lists, and resends those and no other.
 */
import { describe, expect, it } from 'vitest';
import {
  cleanUpAfterEach,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  TEST_SOURCE,
  waitFor,
  type TestRuntime,
} from '../support/harness.ts';
import { readEvents } from './sse.ts';

const cleanups = cleanUpAfterEach();

const phone = (n: number) => `+4915123456${String(n).padStart(2, '0')}`;

/**
 * Six leads, webmasters w1 and w2 by turns; the target takes leads 0 and 2 and refuses the others
 * (one attempt each) until `up()`.
 */
async function mixedFates() {
  let up = false;
  let orders = 0;
  const target = await startMockServer((r) => {
    const taken = up || r.body.includes(phone(0).slice(1)) || r.body.includes(phone(2).slice(1));
    return taken ? { body: { status: 'ok', order_id: `E-${++orders}` } } : { status: 503, body: 'down' };
  });
  const t = await startRuntime({ bulkPace: { batch: 2, pauseMs: 0 } });
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  expect((await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 1 })).status).toBe(200);
  const leads: { id: number; created_at: string }[] = [];
  for (let n = 0; n < 6; n++) {
    const posted = await t.api('POST', '/api/leads', {
      offer: 'tea',
      name: `Lead ${n}`,
      phone: phone(n),
      wm: n % 2 ? 'w2' : 'w1',
      ip: '10.1.2.3',
    });
    expect(posted.status).toBe(202);
    leads.push({ id: posted.body.id, created_at: (await t.api('GET', `/api/leads/${posted.body.id}`)).body.lead.created_at });
  }
  await waitFor(async () => {
    const { deliveries } = (await t.api('GET', '/api/integrations/crm')).body;
    return deliveries.failed === 4;
  }, 'four deliveries to fail');
  return { t, leads, up: () => (up = true) };
}

/** The ids the Leads page lists as failed for `filter` (a query string's values). */
async function listedFailed(t: TestRuntime, filter: Record<string, string>): Promise<number[]> {
  const query = new URLSearchParams({ ...filter, stage: 'new', delivery: 'failed' });
  const answer = await t.api('GET', `/api/leads?${query}`);
  expect(answer.status).toBe(200);
  return answer.body.leads.map((lead: { id: number }) => lead.id);
}

describe('bulk resend of the Leads page’s filter', () => {
  it('counts exactly the failed leads the list shows for each filter', async () => {
    const { t, leads } = await mixedFates();
    const [, l1, , l3, l4, l5] = leads.map((lead) => lead.id);
    const cases: [Record<string, string>, Record<string, string>, number[]][] = [
      [{}, {}, [l5, l4, l3, l1]],
      [{ webmaster: 'w1' }, { webmaster: 'w1' }, [l4]],
      [{ q: phone(3) }, { q: phone(3) }, [l3]],
      [{ q: `0151 23456 03` }, { q: `0151 23456 03` }, [l3]],
      [
        { integration: 'crm', offer: 'tea', source: TEST_SOURCE },
        { integration: 'crm', offer: 'tea', source: TEST_SOURCE },
        [l5, l4, l3, l1],
      ],
      [{ from: leads[3].created_at }, { createdFrom: leads[3].created_at }, [l5, l4, l3]],
    ];
    for (const [listFilter, resendFilter, expected] of cases) {
      const listed = await listedFailed(t, listFilter);
      expect(listed, JSON.stringify(listFilter)).toEqual(expected);
      const count = await t.api('POST', '/api/work/resend/count', { ...resendFilter, stage: 'new' });
      expect(count, JSON.stringify(resendFilter)).toMatchObject({ status: 200, body: { leads: listed.length, more: false } });
    }
    for (const [body, field] of [
      [{ stage: 'wait' }, 'stage'],
      [{ webmaster: '' }, 'webmaster'],
      [{ q: 'x'.repeat(201) }, 'q'],
      [{ page: 2 }, 'page'],
    ] as const) {
      expect(await t.api('POST', '/api/work/resend/count', body)).toMatchObject({ status: 400, body: { field } });
      expect(await t.api('POST', '/api/work/resend', body)).toMatchObject({ status: 400, body: { field } });
    }
  });

  it('resends the failed leads of the filter and no other, and they reach wait', async () => {
    const { t, leads, up } = await mixedFates();
    const listed = await listedFailed(t, { webmaster: 'w2' });
    const [l0, l1, l2, l3, l4, l5] = leads.map((lead) => lead.id);
    expect(listed).toEqual([l5, l3, l1]);
    up();
    const started = await t.api('POST', '/api/work/resend', { webmaster: 'w2', stage: 'new', delivery: 'failed' });
    expect(started).toMatchObject({ status: 202, body: { title: 'Resend the failed leads of webmaster w2' } });
    const stream = await readEvents(`${t.url}/api/work/${started.body.id}/stream`, t.cookie);
    cleanups.push(() => stream.close());
    const end = await stream.next((e) => e.event === 'end', 10_000);
    expect(end.data).toMatchObject({ state: 'done', total: 3, done: 3, failed: 0, skipped: {} });
    for (const id of listed)
      await waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', `lead ${id} resent`);
    // lead 4 (webmaster w1) was not in the filter: still failed, never sent again
    expect(await listedFailed(t, {})).toEqual([l4]);
    for (const id of [l0, l2]) expect((await t.api('GET', `/api/leads/${id}`)).body.lead.stage).toBe('wait');
    const audit = (await t.api('GET', '/api/audit?resourceType=lead&resourceId=*')).body.entries;
    expect(audit[0]).toMatchObject({
      action: 'lead.resend-bulk',
      after: { filter: { webmaster: 'w2', stage: 'new', delivery: 'failed' }, matched: 3, queued: 3 },
    });
  });
});
