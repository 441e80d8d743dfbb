/**
 * The contract every {@link LeadStore} keeps, whatever its backend: leads read back as stored,
 * a lead and its first job written together, a stage change with its history entry and its keyed
 * outgoing postback in one write (sent once), the repeat and duplicate rules of the intake, the
 * filters, search and keyset paging of the leads list, status-check batches, the counters.
 *
 * @example
 * defineLeadStoreContract('SQLite', async () => {
 *   const records = openSqliteLeadStore(file);
 *   return { store: records, jobs: records, close: () => records.close() };
 * });
 */
import { describe, expect, it } from 'vitest';
import { duplicateValues } from '../../../core/domain/duplicates.ts';
import { hourKey } from '../../../core/domain/dashboard.ts';
import type { LeadInput, Stage } from '../../../core/domain/lead.ts';
import { leadSearchTerms } from '../../../core/domain/lead-search.ts';
import {
  StageConflict,
  type DuplicateCheck,
  type IntakeKeys,
  type JobQueue,
  type LeadQuery,
  type LeadStore,
  type StoreLifecycle,
} from '../../../runtime/store/types.ts';
import { subjects, type Factory } from './subject.ts';

/** A lead store under test, with the job queue of the same backend (a lead's writes make its jobs). */
export interface LeadStoreSubject {
  store: LeadStore;
  jobs: JobQueue;
  /** The backend's identity, when the suite should check `storeId()` too. */
  lifecycle: Pick<StoreLifecycle, 'storeId'>;
  /** Closes this subject and opens the same data again (a restart). */
  reopen(): Promise<LeadStoreSubject>;
  close(): Promise<void>;
}

const order: LeadInput = {
  offer: 'slim-tea',
  wm: 'wm7',
  flow: 's12',
  name: 'Anna Schmidt',
  phone: '+4915112345678',
  country: 'de',
  ip: '203.0.113.9',
  subid: 'click-abc',
  sub3: 'x',
  utm_source: 'fb',
  meta: { landing: 'v2', quiz: { answers: [1, 3] }, vip: true },
  goods: [
    { product: 'tea-30', count: 2, price: 39.5 },
    { product: 'cup', count: 1 },
  ],
};

const now = () => new Date().toISOString();
const move = (from: Stage, stage: Stage) => ({ stage, history: { at: now(), from, stage, source: 'status-check' as const } });

export function defineLeadStoreContract(name: string, factory: Factory<LeadStoreSubject>): void {
  const opened = subjects(factory);

  describe(`${name}: the lead store contract`, () => {
    describe('leads', () => {
      it('a stored lead reads back with every input field, its goods and meta, in stage new', async () => {
        const { store } = await opened.open();
        const stored = await store.insertLead(order, 'crm', [], 'src-1');
        const read = await store.getLead(stored.id);
        expect(read).toEqual({
          ...order,
          id: stored.id,
          integration: 'crm',
          source: 'src-1',
          stage: 'new',
          created_at: stored.created_at,
          updated_at: stored.created_at,
        });
        expect(new Date(read!.created_at).toISOString()).toBe(read!.created_at);
      });

      it('what a lead does not have is absent, not null; an unknown id reads as undefined', async () => {
        const { store } = await opened.open();
        const read = (await store.getLead((await store.insertLead({ offer: 'slim-tea' }, 'crm', [])).id))!;
        for (const key of ['eid', 'status', 'reason', 'statusComment', 'payout', 'wm', 'goods', 'meta', 'source'])
          expect(key in read, key).toBe(false);
        expect(await store.getLead(404_404)).toBeUndefined();
      });

      it('a new lead and its first job are written together, the job carrying the lead and its integration', async () => {
        const { store, jobs } = await opened.open();
        const lead = await store.insertLead(order, 'crm', [{ kind: 'lead.new', payload: { attempt: 'first' } }]);
        expect(await jobs.jobsOfLead(lead.id)).toEqual([
          expect.objectContaining({
            kind: 'lead.new',
            leadId: lead.id,
            integrationId: 'crm',
            payload: { attempt: 'first' },
            state: 'queued',
            attempts: 0,
          }),
        ]);
      });

      it('a lead whose job cannot be written is not stored either', async () => {
        const { store } = await opened.open();
        await expect(store.insertLead(order, 'crm', [{ kind: 'postback.out', leadId: 999_999 }])).rejects.toThrow();
        expect(await store.listLeads({})).toEqual([]);
      });

      it('ids grow: a later lead has a greater id', async () => {
        const { store } = await opened.open();
        const a = await store.insertLead(order, 'crm', []);
        const b = await store.insertLead(order, 'crm', []);
        expect(b.id).toBeGreaterThan(a.id);
      });
    });

    describe('external ids and handoffs', () => {
      it('findLeadByEid finds a lead by the target id within its integration only', async () => {
        const { store } = await opened.open();
        const a = await store.insertLead(order, 'crm', []);
        const b = await store.insertLead(order, 'other', []);
        await store.updateLead(a.id, { eid: 'T-1' }, []);
        await store.updateLead(b.id, { eid: 'T-2' }, []);
        expect((await store.findLeadByEid('crm', 'T-1'))?.id).toBe(a.id);
        expect(await store.findLeadByEid('crm', 'T-2')).toBeUndefined();
        expect(await store.findLeadByEid('other', 'T-1')).toBeUndefined();
      });

      it('a lead handed to another integration is found there by its external id there, the newest on a tie', async () => {
        const { store } = await opened.open();
        const older = await store.insertLead(order, 'crm', []);
        const newer = await store.insertLead(order, 'crm', []);
        await store.updateLead(older.id, { handoffs: ['fulfil'], handoffEid: { integrationId: 'fulfil', eid: 'F-1' } }, []);
        await store.updateLead(newer.id, { handoffs: ['fulfil'], handoffEid: { integrationId: 'fulfil', eid: 'F-1' } }, []);
        expect((await store.findLeadByEid('fulfil', 'F-1'))?.id).toBe(newer.id);
        expect(await store.findLeadByEid('crm', 'F-1')).toBeUndefined();
      });

      it('handoffsOf lists the integrations a lead was handed to, each once, with its external id there', async () => {
        const { store } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        expect(await store.handoffsOf(lead.id)).toEqual([]);
        await store.updateLead(lead.id, { handoffs: ['fulfil'] }, []);
        await store.updateLead(lead.id, { handoffs: ['fulfil'], handoffEid: { integrationId: 'fulfil', eid: 'F-7' } }, []);
        expect(await store.handoffsOf(lead.id)).toEqual([{ integration: 'fulfil', eid: 'F-7', at: expect.any(String) }]);
      });
    });

    describe('the leads list', () => {
      it('pages newest first with before and limit', async () => {
        const { store } = await opened.open();
        const ids: number[] = [];
        for (let i = 0; i < 7; i++) ids.push((await store.insertLead(order, 'crm', [])).id);
        const newestFirst = [...ids].reverse();
        const first = await store.listLeads({ limit: 3 });
        const second = await store.listLeads({ limit: 3, before: first.at(-1)!.id });
        const last = await store.listLeads({ limit: 3, before: second.at(-1)!.id });
        expect(first.map((l) => l.id)).toEqual(newestFirst.slice(0, 3));
        expect(second.map((l) => l.id)).toEqual(newestFirst.slice(3, 6));
        expect(last.map((l) => l.id)).toEqual(newestFirst.slice(6));
      });

      it('gives 50 leads by default and never more than 500', async () => {
        const { store } = await opened.open();
        await Promise.all(Array.from({ length: 520 }, () => store.insertLead({ offer: 'o' }, 'crm', [])));
        expect(await store.listLeads({})).toHaveLength(50);
        expect(await store.listLeads({ limit: 10_000 })).toHaveLength(500);
      });

      it('filters by stage, integration, offer, source and webmaster together', async () => {
        const { store } = await opened.open();
        const waitingAtCrm = await store.insertLead(order, 'crm', [], 'src-a');
        await store.updateLead(waitingAtCrm.id, { stage: 'wait' }, []);
        const newAtCrm = await store.insertLead(order, 'crm', [], 'src-b');
        const waitingElsewhere = await store.insertLead({ ...order, wm: 'wm9' }, 'other', [], 'src-b');
        await store.updateLead(waitingElsewhere.id, { stage: 'wait' }, []);
        const otherOffer = await store.insertLead({ ...order, offer: 'hair-oil' }, 'crm', []);
        await store.updateLead(otherOffer.id, { stage: 'wait' }, []);
        const ids = async (q: LeadQuery) => (await store.listLeads(q)).map((l) => l.id);
        expect(await ids({ stage: 'wait', integrationId: 'crm', offer: 'slim-tea' })).toEqual([waitingAtCrm.id]);
        expect(await ids({ stage: 'wait', integrationId: 'crm' })).toEqual([otherOffer.id, waitingAtCrm.id]);
        expect(await ids({ stage: 'wait' })).toHaveLength(3);
        expect(await ids({ offer: 'hair-oil' })).toEqual([otherOffer.id]);
        expect(await ids({ source: 'src-b' })).toEqual([waitingElsewhere.id, newAtCrm.id]);
        expect(await ids({ webmaster: 'wm9' })).toEqual([waitingElsewhere.id]);
        expect(await ids({ stage: 'approve' })).toEqual([]);
      });

      it('an integration with its handoffs: the leads it took as new and those handed to it at a stage', async () => {
        const { store } = await opened.open();
        const own = await store.insertLead(order, 'fulfil', []);
        const handed = await store.insertLead(order, 'crm', []);
        await store.updateLead(handed.id, { ...move('new', 'approve'), handoffs: ['fulfil'] }, []);
        const ids = async (q: LeadQuery) => (await store.listLeads(q)).map((l) => l.id);
        expect(await ids({ integrationId: 'fulfil' })).toEqual([own.id]);
        expect(await ids({ integrationId: 'fulfil', withHandoffs: true })).toEqual([handed.id, own.id]);
        expect(await ids({ integrationId: 'fulfil', withHandoffs: true, stage: 'approve' })).toEqual([handed.id]);
      });

      it('selects by creation time: from inclusive, to exclusive', async () => {
        const { store } = await opened.open();
        const made = [];
        for (let n = 0; n < 3; n++) {
          made.push(await store.insertLead(order, 'crm', []));
          // apart in time, so the range tells them apart however fast they are stored
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const [a, b, c] = made;
        const ids = async (q: LeadQuery) => (await store.listLeads(q)).map((l) => l.id);
        expect(await ids({ createdFrom: b.created_at, createdTo: c.created_at })).toEqual([b.id]);
        expect(await ids({ createdFrom: b.created_at })).toEqual([c.id, b.id]);
        expect(await ids({ createdTo: b.created_at })).toEqual([a.id]);
        expect(await ids({ createdFrom: new Date(Date.parse(c.created_at) + 60_000).toISOString() })).toEqual([]);
      });

      it('finds a lead by its phone in any format, its email in another case, our id and its external ids', async () => {
        const { store } = await opened.open();
        const DE = ['DE'];
        await store.insertLead({ offer: 'tea', phone: '+4915100000000', phoneE164: '+4915100000000' }, 'crm', []);
        const ann = await store.insertLead(
          { offer: 'tea', phone: '0151 2345678', country: 'de', phoneE164: '+491512345678', email: 'Ann@Example.com' },
          'crm',
          [],
        );
        await store.updateLead(ann.id, { eid: 'CRM-77' }, []);
        const other = await store.insertLead({ offer: 'tea', phone: '+4915122222222' }, 'crm', []);
        await store.updateLead(other.id, { handoffEid: { integrationId: 'fulfil', eid: 'F-9' } }, []);
        const found = async (text: string) => (await store.listLeads({ search: leadSearchTerms(text, DE) })).map((l) => l.id);
        expect(await found('+49 151 2345678')).toEqual([ann.id]);
        expect(await found('0151 234-5678')).toEqual([ann.id]);
        expect(await found('00491512345678')).toEqual([ann.id]);
        expect(await found('ANN@example.COM ')).toEqual([ann.id]);
        expect(await found(String(ann.id))).toContain(ann.id);
        expect(await found('CRM-77')).toEqual([ann.id]);
        expect(await found('F-9')).toEqual([other.id]);
        expect(await found('nobody@example.com')).toEqual([]);
      });

      it("keeps the search keys true when a lead's fields are replaced", async () => {
        const { store } = await opened.open();
        const lead = await store.insertLead({ offer: 'tea', email: 'old@example.com' }, 'crm', []);
        const changed = await store.updateLead(
          lead.id,
          { input: { offer: 'tea', email: 'New@Example.com', phoneE164: '+491512345678' } },
          [],
        );
        expect(changed.email).toBe('New@Example.com');
        expect((await store.listLeads({ search: leadSearchTerms('new@example.com', []) })).map((l) => l.id)).toEqual([lead.id]);
        expect(await store.listLeads({ search: leadSearchTerms('old@example.com', []) })).toEqual([]);
      });

      it('pages with the keyset cursor: every lead once, newest first, leads of the same millisecond included', async () => {
        const { store } = await opened.open();
        // in a few bursts, so several leads share a creation time and the cursor must go on by id
        const stored: number[] = [];
        for (let burst = 0; burst < 6; burst++) {
          const leads = await Promise.all(
            Array.from({ length: 10 }, (_, i) => store.insertLead({ offer: i % 2 ? 'tea' : 'coffee' }, 'crm', [])),
          );
          stored.push(...leads.map((l) => l.id));
        }
        const seen: number[] = [];
        let after: LeadQuery['after'];
        let previous: { createdAt: string; id: number } | undefined;
        for (let page = 0; page < 20; page++) {
          const leads = await store.listLeads({ limit: 7, after });
          for (const lead of leads) {
            if (previous)
              expect(lead.created_at < previous.createdAt || (lead.created_at === previous.createdAt && lead.id < previous.id)).toBe(true);
            previous = { createdAt: lead.created_at, id: lead.id };
          }
          seen.push(...leads.map((l) => l.id));
          if (leads.length < 7) break;
          after = { createdAt: leads.at(-1)!.created_at, id: leads.at(-1)!.id };
        }
        expect([...seen].sort((x, y) => x - y)).toEqual([...stored].sort((x, y) => x - y));
        expect(new Set(seen).size).toBe(stored.length);
      });

      it('selects by delivery state: queued, retrying, failed and delivered', async () => {
        const { store, jobs } = await opened.open();
        const queued = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const retrying = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const failed = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const delivered = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const claimed = await jobs.claimJobs(['lead.new'], 10, new Date(Date.now() + 1000), [], { worker: 'w', leaseMs: 60_000 });
        const jobOf = (id: number) => claimed.find((job) => job.leadId === id)!.id;
        await jobs.releaseJobs('w', [jobOf(queued.id)]);
        await jobs.failJob(jobOf(retrying.id), 'http_error: HTTP 503', new Date(Date.now() + 60_000));
        await jobs.failJob(jobOf(failed.id), 'http_error: HTTP 401', undefined);
        await store.updateLead(delivered.id, move('new', 'wait'), []);
        await jobs.completeJob(jobOf(delivered.id));
        const ids = async (delivery: LeadQuery['delivery']) => (await store.listLeads({ delivery, integrationId: 'crm' })).map((l) => l.id);
        expect(await ids('queued')).toEqual([queued.id]);
        expect(await ids('retrying')).toEqual([retrying.id]);
        expect(await ids('failed')).toEqual([failed.id]);
        expect(await ids('delivered')).toEqual([delivered.id]);
      });
    });

    describe('a change of a lead', () => {
      it('changes the lead, appends its history entry and queues its keyed postback, in one write', async () => {
        const { store, jobs } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        const at = '2025-03-01T10:00:00.000Z';
        const updated = await store.updateLead(
          lead.id,
          {
            eid: 'T-77',
            stage: 'approve',
            status: 'confirmed (2)',
            statusCode: '2',
            statusComment: 'called, paid',
            payout: 12.5,
            history: { at, from: 'new', stage: 'approve', source: 'postback', status: 'confirmed (2)', payout: 12.5 },
          },
          [{ kind: 'postback.out', key: `pb:${lead.id}:approve`, payload: { stage: 'approve' } }],
        );
        expect(updated).toMatchObject({
          eid: 'T-77',
          stage: 'approve',
          status: 'confirmed (2)',
          statusCode: '2',
          statusComment: 'called, paid',
          payout: 12.5,
        });
        expect(await store.getLead(lead.id)).toEqual(updated);
        expect(await store.history(lead.id)).toEqual([
          { at, from: 'new', stage: 'approve', source: 'postback', status: 'confirmed (2)', payout: 12.5 },
        ]);
        expect(await jobs.jobsOfLead(lead.id)).toMatchObject([
          { kind: 'postback.out', leadId: lead.id, integrationId: 'crm', key: `pb:${lead.id}:approve`, state: 'queued' },
        ]);
      });

      it('sends its postback once: the same change replayed is refused as a conflict and queues no second job', async () => {
        const { store, jobs } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        const change = move('new', 'approve');
        const postback = [{ kind: 'postback.out' as const, key: `pb:${lead.id}:approve` }];
        await store.updateLead(lead.id, change, postback);
        await expect(store.updateLead(lead.id, change, postback)).rejects.toBeInstanceOf(StageConflict);
        // without the stage check, the key still dedupes
        await store.updateLead(lead.id, { statusComment: 'again' }, postback);
        await jobs.enqueue(postback.map((job) => ({ ...job, leadId: lead.id })));
        expect(await jobs.jobsOfLead(lead.id)).toHaveLength(1);
        expect(await store.history(lead.id)).toHaveLength(1);
      });

      it('of a lead another write moved meanwhile is a StageConflict that writes nothing', async () => {
        const { store, jobs } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        await store.updateLead(lead.id, move('new', 'wait'), []);
        const before = await store.getLead(lead.id);
        const conflict = await store
          .updateLead(lead.id, { ...move('new', 'cancel'), reason: 'late' }, [{ kind: 'postback.out', key: 'k-cancel' }])
          .catch((e: unknown) => e);
        expect(conflict).toBeInstanceOf(StageConflict);
        expect(conflict).toMatchObject({ leadId: lead.id, expected: 'new' });
        expect(await store.getLead(lead.id)).toEqual(before);
        expect(await store.history(lead.id)).toHaveLength(1);
        expect(await jobs.jobsOfLead(lead.id)).toEqual([]);
      });

      it('of two at once from the same stage, exactly one is written', async () => {
        const { store } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        const results = await Promise.allSettled([
          store.updateLead(lead.id, move('new', 'approve'), []),
          store.updateLead(lead.id, move('new', 'cancel'), []),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(StageConflict);
        expect(await store.history(lead.id)).toHaveLength(1);
      });

      it('writes nothing when one of its jobs cannot be written: stage, history and jobs stay as they were', async () => {
        const { store, jobs } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        await expect(
          store.updateLead(
            lead.id,
            { stage: 'cancel', reason: 'duplicate', history: { at: lead.created_at, from: 'new', stage: 'cancel', source: 'delivery' } },
            [
              { kind: 'postback.out', key: 'fine' },
              { kind: 'postback.out', leadId: 999_999 },
            ],
          ),
        ).rejects.toThrow();
        expect(await store.getLead(lead.id)).toEqual(lead);
        expect(await store.history(lead.id)).toEqual([]);
        expect(await jobs.jobsOfLead(lead.id)).toEqual([]);
      });

      it('keeps the stored value of every field the change leaves out', async () => {
        const { store } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        await store.updateLead(lead.id, { eid: 'T-1', stage: 'wait', status: 'accepted' }, []);
        const updated = await store.updateLead(lead.id, { statusComment: 'no answer' }, []);
        expect(updated).toMatchObject({ eid: 'T-1', stage: 'wait', status: 'accepted', statusComment: 'no answer', name: order.name });
      });

      it('of an unknown lead is an error naming it', async () => {
        const { store } = await opened.open();
        await expect(store.updateLead(404_404, { stage: 'wait' }, [])).rejects.toThrow(/404404/);
      });

      it('history lists the changes oldest first', async () => {
        const { store } = await opened.open();
        const lead = await store.insertLead(order, 'crm', []);
        await store.updateLead(
          lead.id,
          { stage: 'wait', history: { at: '2026-01-01T10:00:00.000Z', from: 'new', stage: 'wait', source: 'delivery' } },
          [],
        );
        await store.updateLead(
          lead.id,
          { stage: 'approve', history: { at: '2026-01-01T11:00:00.000Z', from: 'wait', stage: 'approve', source: 'status-check' } },
          [],
        );
        expect((await store.history(lead.id)).map((h) => h.stage)).toEqual(['wait', 'approve']);
      });
    });

    describe('the intake keys', () => {
      const keys = (more: Partial<IntakeKeys> = {}): IntakeKeys => ({ source: 'net', bodyHash: 'h1', ...more });

      it('a repeat by Idempotency-Key or order id answers the original and writes nothing', async () => {
        const { store, jobs } = await opened.open();
        const first = await store.insertLeadOnce(order, 'crm', [{ kind: 'lead.new' }], keys({ idempotencyKey: 'k1', orderId: 'o1' }));
        expect(first.lead).toMatchObject({ stage: 'new', source: 'net' });
        const byKey = await store.insertLeadOnce(order, 'crm', [{ kind: 'lead.new' }], keys({ idempotencyKey: 'k1', bodyHash: 'h2' }));
        expect(byKey.repeat).toMatchObject({ lead: { id: first.lead!.id }, field: 'Idempotency-Key', sameBody: false });
        const byOrder = await store.insertLeadOnce(order, 'crm', [{ kind: 'lead.new' }], keys({ orderId: 'o1' }));
        expect(byOrder.repeat).toMatchObject({ lead: { id: first.lead!.id }, field: 'order_id', sameBody: true });
        expect(byOrder.lead).toBeUndefined();
        expect(await store.listLeads({})).toHaveLength(1);
        expect(await jobs.jobsOfLead(first.lead!.id)).toHaveLength(1);
      });

      it('keys are unique within their source only; without keys nothing is looked up', async () => {
        const { store } = await opened.open();
        await store.insertLeadOnce(order, 'crm', [], keys({ idempotencyKey: 'k1' }));
        expect((await store.insertLeadOnce(order, 'crm', [], keys({ source: 'other', idempotencyKey: 'k1' }))).lead).toBeDefined();
        expect((await store.insertLeadOnce(order, 'crm', [], keys())).lead).toBeDefined();
        expect((await store.insertLeadOnce(order, 'crm', [], keys())).lead).toBeDefined();
        expect(await store.listLeads({})).toHaveLength(4);
      });

      it('a repeat carries the synchronous answer kept for the original, once there is one', async () => {
        const { store } = await opened.open();
        const first = await store.insertLeadOnce(order, 'crm', [], keys({ idempotencyKey: 'k1' }));
        expect((await store.insertLeadOnce(order, 'crm', [], keys({ idempotencyKey: 'k1' }))).repeat?.answer).toBeUndefined();
        await store.recordIntakeAnswer(first.lead!.id, 201, { id: first.lead!.id, url: 'https://x.example/pay' });
        expect((await store.insertLeadOnce(order, 'crm', [], keys({ idempotencyKey: 'k1' }))).repeat?.answer).toEqual({
          status: 201,
          body: { id: first.lead!.id, url: 'https://x.example/pay' },
        });
      });

      it('concurrent repeats make one lead', async () => {
        const { store } = await opened.open();
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.insertLeadOnce(order, 'crm', [{ kind: 'lead.new' }], keys({ idempotencyKey: 'same' }))),
        );
        expect(results.filter((r) => r.lead)).toHaveLength(1);
        expect(results.filter((r) => r.repeat)).toHaveLength(7);
        expect(await store.listLeads({})).toHaveLength(1);
      });
    });

    describe('the duplicate check', () => {
      const keys: IntakeKeys = { source: 'net', bodyHash: 'h' };
      const lead = (phone: string, offer = 'tea'): LeadInput => ({ offer, phone, phoneE164: phone.replace(/[^\d+]/g, '') });
      const check = (input: LeadInput, since: Date, action: 'refuse' | 'trash' = 'refuse'): DuplicateCheck => ({
        offer: input.offer,
        values: duplicateValues(['phone'], input),
        since,
        action,
      });
      const longAgo = new Date(Date.now() - 86_400_000);

      it('finds an original created inside the window, names it, and a refusal writes nothing', async () => {
        const { store } = await opened.open();
        const first = await store.insertLeadOnce(lead('+49 151 1'), 'crm', [{ kind: 'lead.new' }], keys, check(lead('+49 151 1'), longAgo));
        const again = await store.insertLeadOnce(lead('+49151 1'), 'crm', [{ kind: 'lead.new' }], keys, check(lead('+49151 1'), longAgo));
        expect(again.duplicate?.original.id).toBe(first.lead?.id);
        expect(again.duplicate?.fields).toEqual(['phone']);
        expect(again.lead).toBeUndefined();
        expect(await store.listLeads({})).toHaveLength(1);
      });

      it('does not count a lead created before the window began, nor one of another offer', async () => {
        const { store } = await opened.open();
        await store.insertLeadOnce(lead('+49 151 2'), 'crm', [], keys, check(lead('+49 151 2'), longAgo));
        const later = await store.insertLeadOnce(lead('+49 151 2'), 'crm', [], keys, check(lead('+49 151 2'), new Date(Date.now() + 1000)));
        expect(later.duplicate).toBeUndefined();
        expect(later.lead?.stage).toBe('new');
        const other = await store.insertLeadOnce(lead('+49 151 2', 'coffee'), 'crm', [], keys, check(lead('+49 151 2', 'coffee'), longAgo));
        expect(other.duplicate).toBeUndefined();
      });

      it('stores a trashed duplicate without its jobs, with its history entry, and does not make it an original', async () => {
        const { store, jobs } = await opened.open();
        const first = await store.insertLeadOnce(lead('+49 151 4'), 'crm', [{ kind: 'lead.new' }], keys, check(lead('+49 151 4'), longAgo));
        const trashed = await store.insertLeadOnce(
          lead('+49 151 4'),
          'crm',
          [{ kind: 'lead.new' }],
          keys,
          check(lead('+49 151 4'), longAgo, 'trash'),
        );
        expect(trashed.lead).toMatchObject({ stage: 'trash', reason: 'duplicate' });
        expect(trashed.duplicate?.original.id).toBe(first.lead?.id);
        expect(await jobs.jobsOfLead(trashed.lead!.id)).toEqual([]);
        expect(await store.history(trashed.lead!.id)).toMatchObject([{ from: 'new', stage: 'trash', source: 'api', reason: 'duplicate' }]);
        const third = await store.insertLeadOnce(lead('+49 151 4'), 'crm', [], keys, check(lead('+49 151 4'), longAgo, 'trash'));
        expect(third.duplicate?.original.id).toBe(first.lead?.id);
      });

      it('of concurrent first leads with one value, one is the original and the others its duplicates', async () => {
        const { store } = await opened.open();
        const results = await Promise.all(
          Array.from({ length: 6 }, () => store.insertLeadOnce(lead('+49 151 5'), 'crm', [], keys, check(lead('+49 151 5'), longAgo))),
        );
        expect(results.filter((r) => r.lead)).toHaveLength(1);
        expect(results.filter((r) => r.duplicate)).toHaveLength(5);
      });
    });

    describe("a status check's batches", () => {
      it("stream the integration's leads in a stage in id order after a cursor, its handed leads with their external id there", async () => {
        const { store } = await opened.open();
        const own: number[] = [];
        for (let i = 0; i < 5; i++) {
          const lead = await store.insertLead(order, 'crm', []);
          await store.updateLead(lead.id, { ...move('new', 'wait'), eid: `C-${i}` }, []);
          own.push(lead.id);
        }
        await store.insertLead(order, 'crm', []);
        const handed = await store.insertLead(order, 'shop', []);
        await store.updateLead(
          handed.id,
          { ...move('new', 'wait'), handoffs: ['crm'], handoffEid: { integrationId: 'crm', eid: 'H-1' } },
          [],
        );
        const first = await store.leadBatch({ integrationId: 'crm', stage: 'wait', limit: 4 });
        expect(first.map((l) => l.id)).toEqual(own.slice(0, 4));
        const rest = await store.leadBatch({ integrationId: 'crm', stage: 'wait', limit: 4, afterId: first.at(-1)!.id });
        expect(rest.map((l) => [l.id, l.eid])).toEqual([
          [own[4], 'C-4'],
          [handed.id, 'H-1'],
        ]);
        expect(
          await store.leadBatch({ integrationId: 'crm', stage: 'wait', limit: 10, createdSince: new Date(Date.now() + 60_000) }),
        ).toEqual([]);
        expect(await store.leadBatch({ integrationId: 'crm', stage: 'approve', limit: 10 })).toEqual([]);
      });
    });

    describe('the counters', () => {
      it('stage counts: the leads created since a time, by stage, stages with none left out', async () => {
        const { store } = await opened.open();
        const before = new Date(Date.now() - 1000).toISOString();
        for (let i = 0; i < 3; i++) await store.insertLead({ offer: 'tea' }, 'crm', []);
        const moved = await store.insertLead({ offer: 'tea' }, 'crm', []);
        await store.updateLead(moved.id, move('new', 'wait'), []);
        expect(await store.stageCounts(before)).toEqual({ new: 3, wait: 1 });
        expect(await store.stageCounts(new Date(Date.now() + 60_000).toISOString())).toEqual({});
      });

      it("the dashboard's counts: each lead once in the stage it is in now, by integration, its first status, the queue", async () => {
        const { store, jobs } = await opened.open();
        const hour = hourKey(new Date().toISOString());
        const totals = (hours: { stage: string; count: number }[]) => {
          const byStage: Record<string, number> = {};
          for (const row of hours) byStage[row.stage] = (byStage[row.stage] ?? 0) + row.count;
          return byStage;
        };
        const a = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const b = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        await store.insertLead({ offer: 'tea' }, 'other', [{ kind: 'lead.new' }]);
        await store.updateLead(a.id, move('new', 'wait'), []);
        await store.updateLead(a.id, move('wait', 'approve'), []);
        await store.updateLead(b.id, move('new', 'wait'), []);
        await jobs.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000));
        const counts = await store.dashboardCounts({ fromHour: hour, toHour: hour });
        expect(totals(counts.hours)).toEqual({ new: 1, wait: 1, approve: 1 });
        expect(counts.hours.every((row) => row.hour === hour)).toBe(true);
        expect(totals((await store.dashboardCounts({ fromHour: hour, toHour: hour, integrationId: 'crm' })).hours)).toEqual({
          wait: 1,
          approve: 1,
        });
        // a's verdict (approve) is its first status; b only waits, and a move to wait is no verdict
        expect(counts.firstStatus).toEqual({ crm: [expect.any(Number)] });
        expect(counts.firstStatus.crm[0]).toBeGreaterThanOrEqual(0);
        expect(counts.queue).toEqual({ queued: 2, running: 1 });
        expect((await store.dashboardCounts({ fromHour: '2020-01-01T00', toHour: '2020-01-01T05' })).hours).toEqual([]);
      });
    });

    describe('listeners', () => {
      it('hear of each committed write that stores or changes a lead, until stopped', async () => {
        const { store } = await opened.open();
        let heard = 0;
        const stop = store.onLeadsChanged(() => heard++);
        const lead = await store.insertLead(order, 'crm', []);
        await eventually(() => heard >= 1);
        const afterInsert = heard;
        await store.updateLead(lead.id, { statusComment: 'called' }, []);
        await eventually(() => heard > afterInsert);
        stop();
        const stopped = heard;
        await store.insertLead(order, 'crm', []);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(heard).toBe(stopped);
      });
    });

    describe('a restart', () => {
      it('keeps leads, their history, handoffs, intake keys and jobs', async () => {
        const first = await opened.open();
        const lead = await first.store.insertLeadOnce(order, 'crm', [{ kind: 'lead.new' }], {
          source: 'net',
          idempotencyKey: 'k',
          bodyHash: 'h',
        });
        const updated = await first.store.updateLead(lead.lead!.id, { ...move('new', 'wait'), eid: 'T-9', handoffs: ['fulfil'] }, []);
        const id = await first.lifecycle?.storeId();
        const again = await opened.reopen(first);
        expect(await again.store.getLead(updated.id)).toEqual(updated);
        expect(await again.store.findLeadByEid('crm', 'T-9')).toEqual(updated);
        expect(await again.store.history(updated.id)).toHaveLength(1);
        expect(await again.store.handoffsOf(updated.id)).toMatchObject([{ integration: 'fulfil' }]);
        expect(await again.jobs.jobsOfLead(updated.id)).toMatchObject([{ kind: 'lead.new', state: 'queued' }]);
        expect(
          (await again.store.insertLeadOnce(order, 'crm', [], { source: 'net', idempotencyKey: 'k', bodyHash: 'h' })).repeat,
        ).toBeDefined();
        expect((await again.store.insertLead(order, 'crm', [])).id).toBeGreaterThan(updated.id);
        if (id !== undefined) expect(await again.lifecycle?.storeId()).toBe(id);
      });
    });

    describe("the store's id", () => {
      it('is made once per store: stable while it is open, another store has another', async () => {
        const a = await opened.open();
        const id = await a.lifecycle.storeId();
        expect(id).toMatch(/^\S{8,}$/);
        expect(await a.lifecycle.storeId()).toBe(id);
        const other = await factory();
        try {
          expect(await other.lifecycle!.storeId()).not.toBe(id);
        } finally {
          await other.close();
        }
      });
    });
  });
}

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('not heard in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
