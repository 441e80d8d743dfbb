/**
 * The lead store's delivery queries: the delivery-state filter selects by the kernel's rule, an
 * integration's counts come from an index alone, and a resend touches only leads still new whose
 * delivery is not running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveryState } from '../../core/domain/delivery.ts';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';

let dir: string;
let store: SqliteLeadStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-delivery-'));
  store = openSqliteLeadStore(path.join(dir, 'leads.sqlite'));
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const lead = { offer: 'tea', phone: '+4915112345678' };

/** Leads of `crm` in each delivery state (one running, on its first attempt), and one of another integration that failed. */
async function oneOfEach() {
  const ids: Record<string, number> = {};
  for (const name of ['running', 'retrying', 'failed', 'delivered', 'other']) {
    ids[name] = (await store.insertLead(lead, name === 'other' ? 'shop' : 'crm', [{ kind: 'lead.new' }])).id;
  }
  const claimed = await store.claimJobs(['lead.new'], 10, new Date());
  const jobOf = (name: string) => claimed.find((job) => job.leadId === ids[name])?.id as number;
  // made after the claim: not tried yet
  ids.queued = (await store.insertLead(lead, 'crm', [{ kind: 'lead.new' }])).id;
  await store.failJob(jobOf('retrying'), 'http_error: HTTP 503', new Date(Date.now() + 60_000));
  await store.failJob(jobOf('failed'), 'http_error: HTTP 503', undefined);
  await store.failJob(jobOf('other'), 'timeout', undefined);
  await store.updateLead(
    ids.delivered,
    { stage: 'wait', history: { at: new Date().toISOString(), from: 'new', stage: 'wait', source: 'delivery' } },
    [],
  );
  await store.completeJob(jobOf('delivered'));
  return ids;
}

describe('delivery state in the store', () => {
  it('the delivery filter and the states of a page of leads follow the kernel’s rule', async () => {
    const ids = await oneOfEach();
    const all = await store.listLeads({ limit: 50 });
    const states = await store.deliveryStates(all.map((l) => l.id));
    for (const stored of all) {
      const jobs = await store.jobsOfLead(stored.id);
      expect(states[stored.id], `lead ${stored.id}`).toBe(deliveryState(stored.stage, jobs.at(-1)));
    }
    expect(states[ids.running]).toBe('queued');
    const selected = async (delivery: 'queued' | 'retrying' | 'failed' | 'delivered') =>
      (await store.listLeads({ delivery, integrationId: 'crm' })).map((l) => l.id);
    expect(await selected('queued')).toEqual([ids.queued, ids.running]);
    expect(await selected('retrying')).toEqual([ids.retrying]);
    expect(await selected('failed')).toEqual([ids.failed]);
    expect(await selected('delivered')).toEqual([ids.delivered]);
  });

  it('counts an integration’s failed deliveries and retries waiting from its index alone', async () => {
    await oneOfEach();
    expect(await store.deliveryCounts('crm')).toEqual({ failed: 1, retrying: 1 });
    expect(await store.deliveryCounts('shop')).toEqual({ failed: 1, retrying: 0 });
    expect(await store.deliveryCounts('nobody')).toEqual({ failed: 0, retrying: 0 });
    const plan = store.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT count(*) FROM jobs WHERE integration_id = 'crm' AND state IN ('failed', 'queued') AND kind IN ('lead.new', 'lead.update', 'lead.approved')`,
      )
      .all() as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING COVERING INDEX jobs_integration_state/);
  });

  it('a resend makes the job anew for leads still new, and leaves a running delivery and a delivered lead alone', async () => {
    const ids = await oneOfEach();
    const now = new Date(Date.now() + 5_000);
    const resent = await store.resendLeadJobs([ids.failed, ids.retrying, ids.running, ids.delivered], now);
    expect(resent.sort()).toEqual([ids.failed, ids.retrying].sort());
    const [job] = await store.jobsOfLead(ids.failed);
    expect(job).toMatchObject({ state: 'queued', attempts: 0, runAt: now.toISOString(), createdAt: now.toISOString() });
    expect(job.lastError).toBeUndefined();
    expect((await store.jobsOfLead(ids.running))[0].state).toBe('running');
    expect((await store.jobsOfLead(ids.delivered))[0].state).toBe('done');
    expect(await store.deliveryCounts('crm')).toEqual({ failed: 0, retrying: 0 });
  });
});
