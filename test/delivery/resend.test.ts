/**
 * Resending: a lead whose delivery failed (or that waits in the queue) is put back in the queue,
 * its attempts reset, by itself or with every lead a filter selects; who did it is in the audit
 * log. A lead past `new` is refused with a 409 saying why.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { RESEND_BATCH, ResendService } from '../../runtime/services/resend.ts';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  waitForSettled,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const lead = (n: number) => ({
  offer: 'tea',
  name: `Lead ${n}`,
  phone: `+49 151 23456${String(n).padStart(2, '0')}`,
  ip: '10.1.2.3',
  wm: 'wm1',
});

/** The demo CRM with one attempt per delivery, against a target that is down until `up()`. */
async function failingIntegration() {
  let up = false;
  let orders = 0;
  const target = await startMockServer(() => (up ? { body: { status: 'ok', order_id: `E-${++orders}` } } : { status: 503, body: 'down' }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  expect((await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 1 })).status).toBe(200);
  return { t, target, up: () => (up = true) };
}

async function postFailed(t: TestRuntime, n: number): Promise<number> {
  const posted = await t.api('POST', '/api/leads', lead(n));
  expect(posted.status).toBe(202);
  await waitFor(async () => (await t.api('GET', `/api/leads/${posted.body.id}`)).body.delivery?.state === 'failed', 'the delivery to fail');
  return posted.body.id;
}

const stageOf = async (t: TestRuntime, id: number) => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage;

describe('resending one lead', () => {
  it('puts a failed delivery back in the queue with its attempts reset, delivers it, and records who resent it', async () => {
    const { t, up } = await failingIntegration();
    const id = await postFailed(t, 1);
    up();
    const bob = await t.as('bob', 'integrator');
    const resent = await bob('POST', `/api/leads/${id}/resend`);
    expect(resent.status).toBe(202);
    expect(resent.body).toMatchObject({ id, queued: true, delivery: { state: expect.stringMatching(/^(queued|delivered)$/) } });

    // the job is marked done after the run set the stage
    const view = await waitForSettled(t, id, 'wait');
    // the same job, tried once more after the reset, not a second job
    expect(view.deliveries).toEqual([expect.objectContaining({ kind: 'lead.new', state: 'done', attempts: 1 })]);
    expect(view.delivery).toMatchObject({ state: 'delivered' });
    expect((await t.api('GET', '/api/integrations/crm')).body.deliveries).toEqual({ failed: 0, retrying: 0 });

    const audit = (await t.api('GET', `/api/audit?resourceType=lead&resourceId=${id}`)).body.entries;
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'lead.resend',
        actor: expect.objectContaining({ name: 'bob', role: 'integrator' }),
        before: expect.objectContaining({ delivery: 'failed', attempts: 1, lastError: expect.stringContaining('HTTP 503') }),
      }),
    ]);
  });

  it('refuses a lead past new with a 409 naming its stage, and a viewer may not resend', async () => {
    const { t, up } = await failingIntegration();
    up();
    const posted = await t.api('POST', '/api/leads', lead(2));
    await waitFor(async () => (await stageOf(t, posted.body.id)) === 'wait', 'the delivery');
    const refused = await t.api('POST', `/api/leads/${posted.body.id}/resend`);
    expect(refused.status).toBe(409);
    expect(refused.body.field).toBe('stage');
    expect(refused.body.message).toMatch(/is in stage wait, not new: the target has already answered for it/);

    const viewer = await t.as('vera', 'viewer');
    expect((await viewer('POST', `/api/leads/${posted.body.id}/resend`)).status).toBe(403);
    expect((await viewer('POST', '/api/leads/resend', {})).status).toBe(403);
    expect((await t.api('POST', '/api/leads/999999/resend')).status).toBe(404);
  });
});

describe('resending by filter', () => {
  it('resends the failed leads the filter selects, answers how many, and they are delivered', async () => {
    const { t, target, up } = await failingIntegration();
    const ids = [await postFailed(t, 3), await postFailed(t, 4), await postFailed(t, 5)];
    const sentBefore = target.received.length;
    expect((await t.api('GET', '/api/integrations/crm')).body.deliveries.failed).toBe(3);

    // a range that ends before the leads were made selects none
    const none = await t.api('POST', '/api/leads/resend', { integration: 'crm', createdTo: '2020-01-01T00:00:00Z' });
    expect(none.body).toEqual({ matched: 0, queued: 0 });
    expect((await t.api('POST', '/api/leads/resend', { integration: 'other' })).body).toEqual({ matched: 0, queued: 0 });

    up();
    const resent = await t.api('POST', '/api/leads/resend', {
      integration: 'crm',
      offer: 'tea',
      delivery: 'failed',
      createdFrom: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(resent.status).toBe(200);
    expect(resent.body).toEqual({ matched: 3, queued: 3 });
    for (const id of ids) await waitFor(async () => (await stageOf(t, id)) === 'wait', `lead ${id} to be delivered`);
    expect(target.received.length - sentBefore).toBe(3);
    expect((await t.api('GET', '/api/integrations/crm')).body.deliveries).toEqual({ failed: 0, retrying: 0 });

    // nothing is left to resend, and nothing delivered is sent again
    expect((await t.api('POST', '/api/leads/resend', { integration: 'crm' })).body).toEqual({ matched: 0, queued: 0 });
    const audit = (await t.api('GET', '/api/audit?resourceType=lead&resourceId=*')).body.entries;
    expect(audit.find((e: { after: { queued: number } }) => e.after.queued === 3)).toMatchObject({
      action: 'lead.resend-bulk',
      actor: expect.objectContaining({ name: 'admin' }),
      after: { filter: { integration: 'crm', offer: 'tea', delivery: 'failed' }, matched: 3 },
    });
  });

  it('refuses a filter field it does not know or a value it cannot read, naming the field', async () => {
    const { t } = await failingIntegration();
    for (const [body, field] of [
      [{ page: 2 }, 'page'],
      // the Leads page's stage filter is read, but only new leads are ever resent
      [{ stage: 'wait' }, 'stage'],
      [{ delivery: 'delivered' }, 'delivery'],
      [{ createdFrom: 'yesterday' }, 'createdFrom'],
      [{ offer: 7 }, 'offer'],
      [[], '(filter)'],
    ] as const) {
      const refused = await t.api('POST', '/api/leads/resend', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.field).toBe(field);
    }
  });

  it('resends a big set in batches, letting the event loop run between them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-resend-'));
    const store = openSqliteLeadStore(path.join(dir, 'leads.sqlite'));
    cleanups.push(
      () => removeDataDir(dir),
      () => store.close(),
    );
    const count = RESEND_BATCH * 2 + 7;
    for (let n = 0; n < count; n++) await store.insertLead({ offer: 'tea', phone: '+491512345678' }, 'crm', [{ kind: 'lead.new' }]);
    const claimed = await store.claimJobs(['lead.new'], count, new Date());
    await Promise.all(claimed.map((job) => store.failJob(job.id, 'http_error: HTTP 503', undefined)));

    let ticks = 0;
    const ticking = setInterval(() => ticks++, 0);
    const answer = await new ResendService(store, store).resendMany({ delivery: 'failed' });
    clearInterval(ticking);
    expect(answer).toEqual({ matched: count, queued: count });
    expect(ticks).toBeGreaterThan(0);
    expect((await store.deliveryCounts('crm')).failed).toBe(0);
    expect((await store.listLeads({ delivery: 'queued', limit: 500 })).length).toBe(500);
  });
});
