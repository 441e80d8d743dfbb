/**
 * The PostgreSQL record store (leads with their history, the job queue's writes that go with
 * them) against a real server, a fresh database per test: what the SQLite store's tests say of
 * leads, the invariants in one transaction, and that they hold between two processes (two pools)
 * writing at once. Through the store's public methods only, so these can move into the shared
 * contract suite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LeadInput } from '../../core/domain/lead.ts';
import { leadSearchTerms } from '../../core/domain/lead-search.ts';
import { duplicateValues } from '../../core/domain/duplicates.ts';
import { hourKey } from '../../core/domain/dashboard.ts';
import { deliveryState } from '../../core/domain/delivery.ts';
import type { PgRecordStore } from '../../runtime/store/pg/record-store.ts';
import { StageConflict, type DuplicateCheck, type IntakeKeys, type LeadQuery } from '../../runtime/store/types.ts';
import { recordDatabase, type RecordDatabase } from '../support/pg-records.ts';

let db: RecordDatabase;
let store: PgRecordStore;

beforeEach(async () => {
  db = await recordDatabase();
  store = db.process();
});

afterEach(async () => {
  await db.close();
});

const order: LeadInput = {
  offer: 'slim-tea',
  wm: 'wm7',
  name: 'Anna Schmidt',
  phone: '+4915112345678',
  country: 'de',
  subid: 'click-abc',
  meta: { landing: 'v2', quiz: { answers: [1, 3] }, vip: true },
  goods: [
    { product: 'tea-30', count: 2, price: 39.5 },
    { product: 'cup', count: 1 },
  ],
};

const moved = (from: 'new' | 'wait', stage: 'wait' | 'approve' | 'cancel') => ({
  stage,
  history: { at: new Date().toISOString(), from, stage, source: 'delivery' as const },
});

describe('leads', () => {
  it('a stored lead reads back with every input field in the order given, in stage new, absent fields absent', async () => {
    const stored = await store.insertLead(order, 'crm', []);
    const read = (await store.getLead(stored.id))!;

    expect(read).toEqual({
      ...order,
      id: stored.id,
      integration: 'crm',
      stage: 'new',
      created_at: stored.created_at,
      updated_at: stored.created_at,
    });
    expect(JSON.stringify(read.goods)).toBe(JSON.stringify(order.goods));
    expect(new Date(read.created_at).toISOString()).toBe(read.created_at);
    for (const key of ['eid', 'status', 'reason', 'statusComment', 'payout', 'source']) expect(key in read, key).toBe(false);
    expect(await store.getLead(404)).toBeUndefined();
  });

  it('a new lead and its delivery job are written together, the job carrying the lead and integration', async () => {
    const lead = await store.insertLead(order, 'crm', [{ kind: 'lead.new', payload: { attempt: 'first' } }], 'src-1');

    expect(lead.source).toBe('src-1');
    expect(await store.jobsOfLead(lead.id)).toMatchObject([
      { kind: 'lead.new', leadId: lead.id, integrationId: 'crm', payload: { attempt: 'first' }, state: 'queued', attempts: 0 },
    ]);
  });

  it('a lead whose job cannot be written is not stored either', async () => {
    await expect(store.insertLead(order, 'crm', [{ kind: 'postback.out', leadId: 999 }])).rejects.toThrow();
    expect(await store.listLeads({})).toEqual([]);
    expect(await store.stageCounts(new Date(0).toISOString())).toEqual({});
  });

  it('findLeadByEid finds a lead by the target id within its integration, or one handed to it there', async () => {
    const a = await store.insertLead(order, 'crm', []);
    const b = await store.insertLead(order, 'other', []);
    await store.updateLead(a.id, { eid: 'T-1' }, []);
    await store.updateLead(b.id, { eid: 'T-2', handoffs: ['fulfil'], handoffEid: { integrationId: 'fulfil', eid: 'F-2' } }, []);

    expect((await store.findLeadByEid('crm', 'T-1'))?.id).toBe(a.id);
    expect(await store.findLeadByEid('crm', 'T-2')).toBeUndefined();
    expect((await store.findLeadByEid('fulfil', 'F-2'))?.id).toBe(b.id);
    expect(await store.handoffsOf(b.id)).toEqual([{ integration: 'fulfil', eid: 'F-2', at: expect.any(String) }]);
  });

  it('listLeads gives 50 leads by default and never more than 500', async () => {
    for (let n = 0; n < 520; n += 20) await Promise.all(Array.from({ length: 20 }, () => store.insertLead({ offer: 'o' }, 'crm', [])));

    expect(await store.listLeads({})).toHaveLength(50);
    expect(await store.listLeads({ limit: 10_000 })).toHaveLength(500);
  });

  it('a status check’s batches give the integration’s own leads and those handed to it, in id order, with its external id', async () => {
    const own = await store.insertLead(order, 'crm', []);
    const handed = await store.insertLead(order, 'shop', []);
    await store.updateLead(own.id, moved('new', 'wait'), []);
    await store.updateLead(handed.id, { ...moved('new', 'wait'), eid: 'S-1', handoffs: ['crm'] }, []);

    const first = await store.leadBatch({ integrationId: 'crm', stage: 'wait', limit: 1 });
    const rest = await store.leadBatch({ integrationId: 'crm', stage: 'wait', limit: 10, afterId: first[0].id });

    expect(first.map((l) => l.id)).toEqual([own.id]);
    expect(rest).toMatchObject([{ id: handed.id }]);
    expect('eid' in rest[0]).toBe(false);
  });
});

describe('a stage change', () => {
  it('changes the lead, appends its history entry and queues its keyed postback, in one write', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    const at = '2025-03-01T10:00:00.000Z';

    const updated = await store.updateLead(
      lead.id,
      {
        eid: 'T-77',
        stage: 'approve',
        status: 'confirmed (2)',
        payout: 12.5,
        history: { at, from: 'new', stage: 'approve', source: 'postback', payout: 12.5 },
      },
      [{ kind: 'postback.out', key: `pb:${lead.id}:approve`, payload: { stage: 'approve' } }],
    );

    expect(updated).toMatchObject({ eid: 'T-77', stage: 'approve', status: 'confirmed (2)', payout: 12.5 });
    expect(await store.getLead(lead.id)).toEqual(updated);
    expect(await store.history(lead.id)).toEqual([{ at, from: 'new', stage: 'approve', source: 'postback', payout: 12.5 }]);
    expect(await store.jobsOfLead(lead.id)).toMatchObject([
      { kind: 'postback.out', integrationId: 'crm', key: `pb:${lead.id}:approve`, state: 'queued' },
    ]);
  });

  it('writes nothing when one of its jobs cannot be written: stage, history, jobs and counters stay as they were', async () => {
    const lead = await store.insertLead(order, 'crm', []);

    await expect(
      store.updateLead(lead.id, moved('new', 'cancel'), [
        { kind: 'postback.out', key: 'fine' },
        { kind: 'postback.out', leadId: 999 },
      ]),
    ).rejects.toThrow();

    expect(await store.getLead(lead.id)).toEqual(lead);
    expect(await store.history(lead.id)).toEqual([]);
    expect(await store.jobsOfLead(lead.id)).toEqual([]);
    expect(await store.stageCounts(new Date(0).toISOString())).toEqual({ new: 1 });
  });

  it('keeps the stored value of every field the change leaves out; an unknown lead is an error', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    await store.updateLead(lead.id, { eid: 'T-1', stage: 'wait', status: 'accepted' }, []);

    expect(await store.updateLead(lead.id, { statusComment: 'no answer' }, [])).toMatchObject({
      eid: 'T-1',
      stage: 'wait',
      status: 'accepted',
      statusComment: 'no answer',
    });
    await expect(store.updateLead(404, { stage: 'wait' }, [])).rejects.toThrow(/404/);
  });

  it('decided on a stage the lead has left is refused with StageConflict', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    await store.updateLead(lead.id, moved('new', 'wait'), []);

    await expect(store.updateLead(lead.id, moved('new', 'cancel'), [])).rejects.toBeInstanceOf(StageConflict);
    expect((await store.getLead(lead.id))?.stage).toBe('wait');
  });

  it('made by two processes at once from the same stage: one is written, the other refused', async () => {
    const other = db.process();
    const lead = await store.insertLead(order, 'crm', []);

    const results = await Promise.allSettled([
      store.updateLead(lead.id, moved('new', 'wait'), [{ kind: 'postback.out', key: `pb:${lead.id}:wait` }]),
      other.updateLead(lead.id, moved('new', 'cancel'), [{ kind: 'postback.out', key: `pb:${lead.id}:cancel` }]),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(StageConflict);
    expect(await store.history(lead.id)).toHaveLength(1);
    expect(await store.jobsOfLead(lead.id)).toHaveLength(1);
  });

  it('its keyed postback is queued once, however many processes write the key at once, and never again once sent', async () => {
    const others = [db.process(), db.process()];
    const leads = await Promise.all(Array.from({ length: 8 }, () => store.insertLead(order, 'crm', [])));
    const job = (id: number) => ({ kind: 'postback.out' as const, leadId: id, key: `pb:${id}:approve` });

    // each lead's change and two other processes' enqueues of its key, all at once
    await Promise.all(
      leads.flatMap((lead) => [
        store.updateLead(lead.id, { status: 'approved' }, [{ ...job(lead.id), payload: { n: 0 } }]),
        ...others.map((s, n) => s.enqueue([{ ...job(lead.id), payload: { n: n + 1 } }])),
      ]),
    );
    for (const lead of leads) expect(await store.jobsOfLead(lead.id)).toHaveLength(1);
    const claimed = await others[0].claimJobs(['postback.out'], 10, new Date());
    expect(claimed).toHaveLength(leads.length);
    for (const { id } of claimed) await others[0].completeJob(id);
    await others[1].enqueue(leads.map((lead) => job(lead.id)));

    expect(await store.jobsOfLead(leads[0].id)).toMatchObject([{ id: claimed.find((j) => j.leadId === leads[0].id)!.id, state: 'done' }]);
    expect(await store.claimJobs(['postback.out'], 10, new Date())).toEqual([]);
  });
});

describe('intake keys and duplicates', () => {
  const keys: IntakeKeys = { source: 'net', idempotencyKey: 'idem-1', bodyHash: 'h1' };
  const lead = (phone: string): LeadInput => ({ offer: 'tea', phone, phoneE164: phone });
  const check = (input: LeadInput, action: 'refuse' | 'trash' = 'refuse'): DuplicateCheck => ({
    offer: input.offer,
    values: duplicateValues(['phone'], input),
    since: new Date(Date.now() - 86_400_000),
    action,
  });

  it('a repeat of an Idempotency-Key or order id answers the original, with its synchronous answer once recorded', async () => {
    const first = await store.insertLeadOnce(lead('+491'), 'crm', [{ kind: 'lead.new' }], { ...keys, orderId: 'o-1' });
    await store.recordIntakeAnswer(first.lead!.id, 201, { id: first.lead!.id, b: 1, a: 2 });

    const again = await store.insertLeadOnce(lead('+491'), 'crm', [{ kind: 'lead.new' }], keys);
    const byOrder = await store.insertLeadOnce(lead('+492'), 'crm', [], { source: 'net', orderId: 'o-1', bodyHash: 'h2' });
    const elsewhere = await store.insertLeadOnce(lead('+491'), 'crm', [], { ...keys, source: 'other-net' });

    expect(again.repeat).toMatchObject({ lead: { id: first.lead!.id }, field: 'Idempotency-Key', sameBody: true });
    expect(JSON.stringify(again.repeat?.answer)).toBe(JSON.stringify({ status: 201, body: { id: first.lead!.id, b: 1, a: 2 } }));
    expect(byOrder.repeat).toMatchObject({ field: 'order_id', sameBody: false });
    expect(elsewhere.lead).toBeDefined();
    expect(await store.jobsOfLead(first.lead!.id)).toHaveLength(1);
  });

  it('repeats posted through two processes at once make one lead', async () => {
    const processes = [store, db.process(), db.process()];
    const results = await Promise.all(processes.map((s) => s.insertLeadOnce(lead('+493'), 'crm', [{ kind: 'lead.new' }], keys)));

    expect(results.filter((r) => r.lead)).toHaveLength(1);
    expect(results.filter((r) => r.repeat).map((r) => r.repeat!.lead.id)).toEqual([
      results.find((r) => r.lead)!.lead!.id,
      results.find((r) => r.lead)!.lead!.id,
    ]);
    expect(await store.listLeads({})).toHaveLength(1);
  });

  it('duplicates posted through two processes at once: one original, the others trashed as its duplicates without jobs', async () => {
    const processes = [store, db.process(), db.process()];
    const results = await Promise.all(
      processes.map((s, n) =>
        s.insertLeadOnce(lead('+494'), 'crm', [{ kind: 'lead.new' }], { source: 'net', bodyHash: `h${n}` }, check(lead('+494'), 'trash')),
      ),
    );
    const original = results.find((r) => !r.duplicate)!.lead!;

    expect(results.filter((r) => r.duplicate).map((r) => [r.duplicate!.original.id, r.lead!.stage, r.duplicate!.fields])).toEqual([
      [original.id, 'trash', ['phone']],
      [original.id, 'trash', ['phone']],
    ]);
    const trashed = results.find((r) => r.duplicate)!.lead!;
    expect(await store.jobsOfLead(trashed.id)).toEqual([]);
    expect(await store.history(trashed.id)).toMatchObject([{ from: 'new', stage: 'trash', source: 'api', reason: 'duplicate' }]);
    const refused = await store.insertLeadOnce(lead('+494'), 'crm', [], { source: 'net', bodyHash: 'x' }, check(lead('+494')));
    expect(refused).toEqual({ duplicate: { original: expect.objectContaining({ id: original.id }), fields: ['phone'] } });
  });
});

describe('searching and paging', () => {
  it('finds a lead by its phone in three formats, by email in another case, by our id and by the target’s ids', async () => {
    await store.insertLead({ offer: 'tea', phoneE164: '+4915100000000' }, 'crm', []);
    const ann = await store.insertLead({ offer: 'tea', phone: '0151 2345678', country: 'de', email: 'Ann@Example.com' }, 'crm', []);
    await store.updateLead(ann.id, { eid: 'CRM-77' }, []);
    const other = await store.insertLead({ offer: 'tea', phone: '+4915122222222' }, 'crm', []);
    await store.updateLead(other.id, { handoffEid: { integrationId: 'fulfil', eid: 'F-9' } }, []);
    const found = async (text: string) => (await store.listLeads({ search: leadSearchTerms(text, ['DE']) })).map((l) => l.id);

    expect(await found('+49 151 2345678')).toEqual([ann.id]);
    expect(await found('0151 234-5678')).toEqual([ann.id]);
    expect(await found('00491512345678')).toEqual([ann.id]);
    expect(await found('ANN@example.COM ')).toEqual([ann.id]);
    expect(await found(String(ann.id))).toContain(ann.id);
    expect(await found('CRM-77')).toEqual([ann.id]);
    expect(await found('F-9')).toEqual([other.id]);
    expect(await found('nobody@example.com')).toEqual([]);
    await store.updateLead(ann.id, { input: { offer: 'tea', email: 'new@example.com' } }, []);
    expect(await found('ann@example.com')).toEqual([]);
    expect(await found('NEW@example.com')).toEqual([ann.id]);
  });

  it('each filter selects its leads: stage, offer, integration with the leads handed to it, source, webmaster and dates', async () => {
    const a = await store.insertLead({ offer: 'tea', wm: 'w1' }, 'crm', [], 'src-a');
    const b = await store.insertLead({ offer: 'coffee', wm: 'w2' }, 'shop', [], 'src-b');
    const c = await store.insertLead({ offer: 'tea', wm: 'w2' }, 'shop', [], 'src-a');
    await store.updateLead(c.id, { stage: 'approve', handoffs: ['crm'] }, []);
    const ids = async (query: LeadQuery) => (await store.listLeads(query)).map((l) => l.id).sort((x, y) => x - y);

    expect(await ids({ stage: 'approve' })).toEqual([c.id]);
    expect(await ids({ offer: 'tea' })).toEqual([a.id, c.id]);
    expect(await ids({ integrationId: 'crm' })).toEqual([a.id]);
    expect(await ids({ integrationId: 'crm', withHandoffs: true })).toEqual([a.id, c.id]);
    expect(await ids({ source: 'src-b' })).toEqual([b.id]);
    expect(await ids({ webmaster: 'w2' })).toEqual([b.id, c.id]);
    expect(await ids({ createdFrom: b.created_at, createdTo: c.created_at })).toEqual(b.created_at < c.created_at ? [b.id] : []);
    expect(await ids({ offer: 'tea', stage: 'new', integrationId: 'crm', withHandoffs: true })).toEqual([a.id]);
    expect(await ids({ before: c.id })).toEqual([a.id, b.id]);
  });

  it('the keyset cursor gives every lead once across pages, newest first', async () => {
    const stored: number[] = [];
    for (let n = 0; n < 57; n += 19)
      stored.push(...(await Promise.all(Array.from({ length: 19 }, () => store.insertLead({ offer: 'tea' }, 'crm', [])))).map((l) => l.id));
    const seen: number[] = [];
    let after: LeadQuery['after'];
    for (let page = 0; page < 20; page++) {
      const leads = await store.listLeads({ limit: 10, after });
      seen.push(...leads.map((l) => l.id));
      if (leads.length < 10) break;
      after = { createdAt: leads.at(-1)!.created_at, id: leads.at(-1)!.id };
    }
    expect([...seen].sort((x, y) => x - y)).toEqual(stored.sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(stored.length);
  });
});

describe('counts and delivery states', () => {
  it('the dashboard counts each lead once in its stage now, per integration, and keeps its first status', async () => {
    const hour = hourKey(new Date().toISOString());
    const a = await store.insertLead({ offer: 'tea' }, 'crm', []);
    const b = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    await db.process().insertLead({ offer: 'tea' }, 'other', []);
    await store.updateLead(a.id, moved('new', 'wait'), []);
    await store.updateLead(a.id, moved('wait', 'approve'), []);
    await store.updateLead(b.id, moved('new', 'wait'), []);
    const totals = (hours: { stage: string; count: number }[]) => Object.fromEntries(hours.map((h) => [h.stage, h.count]));

    const all = await store.dashboardCounts({ fromHour: hour, toHour: hour });
    expect(totals(all.hours)).toEqual({ new: 1, wait: 1, approve: 1 });
    expect(all.queue).toEqual({ queued: 1, running: 0 });
    expect(all.firstStatus).toEqual({ crm: [expect.any(Number)] });
    const crm = await store.dashboardCounts({ fromHour: hour, toHour: hour, integrationId: 'crm' });
    expect(totals(crm.hours)).toEqual({ wait: 1, approve: 1 });
    expect(await store.stageCounts(new Date(Date.now() - 60_000).toISOString())).toEqual({ new: 1, wait: 1, approve: 1 });
  });

  it('delivery states, the delivery filter and the counts follow the kernel’s rule; a resend makes the job anew', async () => {
    const ids: Record<string, number> = {};
    for (const name of ['running', 'retrying', 'failed', 'delivered'])
      ids[name] = (await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }])).id;
    const claimed = await store.claimJobs(['lead.new'], 10, new Date());
    const jobOf = (name: string) => claimed.find((job) => job.leadId === ids[name])!.id;
    ids.queued = (await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }])).id;
    await store.failJob(jobOf('retrying'), 'http_error: HTTP 503', new Date(Date.now() + 60_000));
    await store.failJob(jobOf('failed'), 'http_error: HTTP 503', undefined);
    await store.updateLead(ids.delivered, moved('new', 'wait'), []);
    await store.completeJob(jobOf('delivered'));

    const states = await store.deliveryStates(Object.values(ids));
    for (const id of Object.values(ids))
      expect(states[id]).toBe(deliveryState((await store.getLead(id))!.stage, (await store.jobsOfLead(id)).at(-1)));
    const selected = async (delivery: LeadQuery['delivery']) =>
      (await store.listLeads({ delivery, integrationId: 'crm' })).map((l) => l.id);
    expect(await selected('queued')).toEqual([ids.queued, ids.running]);
    expect(await selected('retrying')).toEqual([ids.retrying]);
    expect(await selected('failed')).toEqual([ids.failed]);
    expect(await selected('delivered')).toEqual([ids.delivered]);
    expect(await store.deliveryCounts('crm')).toEqual({ failed: 1, retrying: 1 });

    const now = new Date(Date.now() + 5_000);
    expect((await store.resendLeadJobs([ids.failed, ids.retrying, ids.running, ids.delivered], now)).sort()).toEqual(
      [ids.failed, ids.retrying].sort(),
    );
    expect((await store.jobsOfLead(ids.failed))[0]).toMatchObject({
      state: 'queued',
      attempts: 0,
      runAt: now.toISOString(),
      createdAt: now.toISOString(),
    });
    expect(await store.deliveryCounts('crm')).toEqual({ failed: 0, retrying: 0 });
  });
});

describe('the lead list’s query plans', () => {
  /** Every filter combination the Leads page offers: each alone, the search, and them together. */
  const combinations: [string, LeadQuery][] = [
    ['no filter', {}],
    ['search', { search: leadSearchTerms('+491512345678', ['DE']) }],
    ['stage', { stage: 'new' }],
    ['offer', { offer: 'tea' }],
    ['integration', { integrationId: 'crm', withHandoffs: true }],
    ['source', { source: 'src' }],
    ['webmaster', { webmaster: 'w1' }],
    ['dates', { createdFrom: '2026-01-01T00:00:00Z', createdTo: '2026-02-01T00:00:00Z' }],
    ['queued', { delivery: 'queued' }],
    ['failed', { delivery: 'failed' }],
    ['delivered', { delivery: 'delivered' }],
    ['next page', { after: { createdAt: '2026-01-01T00:00:00Z', id: 5 } }],
    ['stage and integration', { stage: 'new', integrationId: 'crm', withHandoffs: true }],
    ['search and stage', { search: leadSearchTerms('ann@example.com', ['DE']), stage: 'new' }],
    [
      'everything',
      {
        stage: 'new',
        offer: 'tea',
        integrationId: 'crm',
        withHandoffs: true,
        source: 's',
        webmaster: 'w',
        delivery: 'failed',
        createdFrom: '2026-01-01T00:00:00Z',
        after: { createdAt: '2026-03-01T00:00:00Z', id: 9 },
      },
    ],
  ];

  it('read the leads through an index for every filter, never a scan of a table', async () => {
    // many leads, as the planner would see them in production (written directly: 20,000 through
    // the store would take the test a minute of commits)
    const pool = db.pool();
    await pool.query(
      `INSERT INTO leads (integration_id, offer, wm, source, stage, data, phone_e164, email_lc, eid, created_at, updated_at)
       SELECT 'i' || (n % 20), 'o' || (n % 50), 'w' || (n % 30), 's' || (n % 10), (ARRAY['new','wait','approve','cancel'])[1 + n % 4], '{"offer":"o"}',
         '+49151' || n, 'a' || n || '@example.com', 'E-' || n, now() - n * interval '1 minute', now()
       FROM generate_series(1, 20000) AS n`,
    );
    await pool.query(
      `INSERT INTO jobs (kind, lead_id, integration_id, payload, state, attempts, run_at, created_at, updated_at)
       SELECT 'lead.new', id, integration_id, '{}', (ARRAY['done','done','done','failed','queued'])[1 + id % 5], 1, now(), now(), now() FROM leads`,
    );
    await pool.query(
      `INSERT INTO lead_handoffs (lead_id, integration_id, eid, created_at) SELECT id, 'h' || (id % 20), 'H-' || id, now() FROM leads`,
    );
    await pool.query('ANALYZE');

    for (const [name, query] of combinations) {
      for (const plan of await store.listPlans(query)) {
        expect(plan.join('\n'), name).not.toMatch(/Seq Scan on (leads|jobs|lead_handoffs)\b/);
      }
    }
  });
});
