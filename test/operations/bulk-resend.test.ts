/**
 * Bulk resend as long work: the failed leads of a filter are resent batch by batch against a
 * target that refused them and now accepts, the progress comes over the work's event stream, a
 * cancel stops it before the next batch, and the summary and the audit log say how it ended.
 */
import { describe, expect, it } from 'vitest';
import {
  cleanUpAfterEach,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type TestRuntime,
} from '../support/harness.ts';
import { SKIPPED_CHANGED } from '../../runtime/services/bulk-resend.ts';
import { readEvents } from './sse.ts';

const cleanups = cleanUpAfterEach();

/** The demo CRM, one attempt per delivery, against a target that refuses until `up()`; `count` leads failed. */
async function failedLeads(count: number, pauseMs: number) {
  let up = false;
  let orders = 0;
  const target = await startMockServer(() => (up ? { body: { status: 'ok', order_id: `E-${++orders}` } } : { status: 503, body: 'down' }));
  const t = await startRuntime({ bulkPace: { batch: 1, pauseMs } });
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  expect((await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 1 })).status).toBe(200);
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const posted = await t.api('POST', '/api/leads', {
      offer: 'tea',
      name: `Lead ${n}`,
      phone: `+49 151 23456${String(n).padStart(2, '0')}`,
      ip: '10.1.2.3',
    });
    ids.push(posted.body.id);
  }
  await waitFor(
    async () => (await t.api('GET', '/api/integrations/crm')).body.deliveries.failed === count,
    'every delivery to fail',
    10_000,
  );
  return { t, ids, up: () => (up = true) };
}

const stageOf = async (t: TestRuntime, id: number) => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage;

describe('bulk resend of a filter', () => {
  it('reports its progress over the stream, ends with the counts, and the leads reach wait', async () => {
    const { t, ids, up } = await failedLeads(5, 30);
    up();
    const started = await t.api('POST', '/api/work/resend', { integration: 'crm', delivery: 'failed' });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'lead.resend-bulk', state: 'running', title: 'Resend the failed leads of integration crm' });
    const stream = await readEvents(`${t.url}/api/work/${started.body.id}/stream`, t.cookie);
    cleanups.push(() => stream.close());
    const end = await stream.next((e) => e.event === 'end', 10_000);
    expect(end.data).toMatchObject({ state: 'done', total: 5, done: 5, failed: 0, skipped: {} });
    const progress = stream.seen.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.some((e) => e.data.done > 0 && e.data.done < 5)).toBe(true);

    for (const id of ids) await waitFor(async () => (await stageOf(t, id)) === 'wait', `lead ${id} to be delivered`);
    expect((await t.api('GET', `/api/work/${started.body.id}`)).body).toMatchObject({ state: 'done', done: 5 });
    const audit = (await t.api('GET', '/api/audit?resourceType=lead&resourceId=*')).body.entries;
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'lead.resend-bulk',
        actor: expect.objectContaining({ name: 'admin' }),
        after: expect.objectContaining({ matched: 5, queued: 5, cancelled: false }),
      }),
    ]);
  });

  it('stops before the next batch when cancelled, and its summary says how far it got', async () => {
    const { t } = await failedLeads(6, 400);
    const started = await t.api('POST', '/api/work/resend', { integration: 'crm' });
    const stream = await readEvents(`${t.url}/api/work/${started.body.id}/stream`, t.cookie);
    cleanups.push(() => stream.close());
    await stream.next((e) => e.event === 'progress' && e.data.done >= 1);
    const cancelled = await t.api('POST', `/api/work/${started.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const end = await stream.next((e) => e.event === 'end');
    expect(end.data.state).toBe('cancelled');
    expect(end.data.total).toBe(6);
    expect(end.data.done).toBeLessThan(6);
    // the rest are still failed, untouched
    expect((await t.api('GET', '/api/integrations/crm')).body.deliveries.failed).toBeGreaterThanOrEqual(6 - end.data.done - 1);
    const audit = (await t.api('GET', '/api/audit?resourceType=lead&resourceId=*')).body.entries;
    expect(audit[0]).toMatchObject({ action: 'lead.resend-bulk', after: { cancelled: true, matched: 6, queued: end.data.done } });
  });

  it('skips a lead that moved on since it was found, saying why, and refuses a bad filter naming the field', async () => {
    const { t, ids } = await failedLeads(2, 300);
    const started = await t.api('POST', '/api/work/resend', { integration: 'crm' });
    // the newest is resent first; the older one is set by hand meanwhile
    await t.api('POST', `/api/leads/${ids[0]}/stage`, { stage: 'trash', comment: 'a test order' });
    const end = await waitFor(async () => {
      const report = (await t.api('GET', `/api/work/${started.body.id}`)).body;
      return report.state !== 'running' && report;
    }, 'the work to end');
    expect(end).toMatchObject({ state: 'done', total: 2, done: 1, skipped: { [SKIPPED_CHANGED]: 1 } });

    const bad = await t.api('POST', '/api/work/resend', { delivery: 'delivered' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('delivery');
    expect((await t.api('GET', '/api/work/nope')).status).toBe(404);
    const viewer = await t.as('vera', 'viewer');
    expect((await viewer('POST', '/api/work/resend', {})).status).toBe(403);
  });
});
