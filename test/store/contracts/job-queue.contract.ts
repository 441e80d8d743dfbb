/**
 * The contract every {@link JobQueue} keeps, whatever its backend: keyed jobs made once, claims
 * of due jobs oldest first with worker id, lease and heartbeat (nobody else's while the lease
 * lasts, also to a second store on the same data), the expiry sweep, release, shares, deferral,
 * progress written only by the owner, failures and retries, the deliveries' state and counts, resends.
 *
 * @example
 * defineJobQueueContract('SQLite', async () => {
 *   const records = openSqliteLeadStore(file);
 *   return { store: records, leads: records, twin: async () => openSqliteLeadStore(file), close: () => records.close() };
 * });
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { deliveryState } from '../../../core/domain/delivery.ts';
import { DEFAULT_CLAIM, type JobQueue, type LeadStore } from '../../../runtime/store/types.ts';
import { subjects, type Factory } from './subject.ts';

/** A job queue under test, with the lead store of the same backend (deliveries are jobs of leads). */
export interface JobQueueSubject {
  store: JobQueue;
  leads: LeadStore;
  /**
   * Another queue on the same data, as a second runtime process opens it (closed by the
   * subject's `close`).
   */
  twin(): Promise<JobQueue>;
  /** Closes this subject and opens the same data again (a restart). */
  reopen(): Promise<JobQueueSubject>;
  close(): Promise<void>;
}

/**
 * Each test's "now": a minute ahead of the clock, so the jobs its leads make are due even when
 * opening the subject (a fresh database, migrated) took seconds on a loaded machine.
 */
let t0 = new Date();
const at = (ms: number) => new Date(t0.getTime() + ms);
const A = { worker: 'worker-a', leaseMs: 1000 };
const B = { worker: 'worker-b', leaseMs: 1000 };
const later = () => new Date(Date.now() + 1000);

/** What a backend can do beyond the contract every one meets. */
export interface JobQueueCapabilities {
  /**
   * The twin's claims may overlap the store's in time (two processes at once): the claim race is
   * tested then. SQLite's two handles in one process cannot: a group commit holds the file's lock
   * across a turn of the event loop, which the other handle's synchronous wait would block.
   * PostgreSQL's can.
   */
  overlappingTwins?: boolean;
}

export function defineJobQueueContract(name: string, factory: Factory<JobQueueSubject>, can: JobQueueCapabilities = {}): void {
  const opened = subjects(factory);
  beforeEach(() => {
    t0 = new Date(Date.now() + 60_000);
  });

  /** A fresh subject with one lead of `crm` whose first job worker A claimed at t0. */
  async function claimedOne() {
    const subject = await opened.open();
    await subject.leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await subject.store.claimJobs(['lead.new'], 10, t0, [], A);
    return { ...subject, job };
  }

  async function queueLeads(leads: LeadStore, integration: string, count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let n = 0; n < count; n++) ids.push((await leads.insertLead({ offer: 'tea' }, integration, [{ kind: 'lead.new' }])).id);
    return ids;
  }

  describe(`${name}: the job queue contract`, () => {
    describe('keyed jobs', () => {
      it('enqueueing the same key twice, or through a lead change, keeps the first job', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', []);
        const job = { kind: 'postback.out' as const, leadId: lead.id, key: `pb:${lead.id}:approve`, payload: { n: 1 } };
        await store.enqueue([job]);
        await store.enqueue([{ ...job, payload: { n: 2 } }]);
        await leads.updateLead(lead.id, { stage: 'approve' }, [{ ...job, payload: { n: 3 } }]);
        const jobs = await store.jobsOfLead(lead.id);
        expect(jobs).toHaveLength(1);
        expect(jobs[0].payload).toEqual({ n: 1 });
      });

      it('a key stays taken after its job is done, so the postback is not sent again', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', []);
        await store.enqueue([{ kind: 'postback.out', leadId: lead.id, key: 'k' }]);
        const [claimed] = await store.claimJobs(['postback.out'], 10, later());
        await store.completeJob(claimed.id);
        await store.enqueue([{ kind: 'postback.out', leadId: lead.id, key: 'k' }]);
        expect(await store.jobsOfLead(lead.id)).toMatchObject([{ id: claimed.id, state: 'done' }]);
      });

      it('jobs without a key are all kept, in id order', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', []);
        await store.enqueue([
          { kind: 'lead.update', leadId: lead.id, payload: { n: 1 } },
          { kind: 'lead.update', leadId: lead.id, payload: { n: 2 } },
        ]);
        expect((await store.jobsOfLead(lead.id)).map((job) => job.payload.n)).toEqual([1, 2]);
      });

      it('concurrent enqueues of one key make one job', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', []);
        await Promise.all(
          Array.from({ length: 8 }, (_, n) => store.enqueue([{ kind: 'postback.out', leadId: lead.id, key: 'once', payload: { n } }])),
        );
        expect(await store.jobsOfLead(lead.id)).toHaveLength(1);
      });
    });

    describe('claims', () => {
      it('take only due jobs of the kinds asked, oldest run_at first, counting the attempt', async () => {
        const { store } = await opened.open();
        const iso = (s: string) => new Date(s);
        await store.enqueue([
          { kind: 'lead.new', payload: { name: 'later' }, runAt: iso('2025-01-01T10:02:00.000Z') },
          { kind: 'lead.new', payload: { name: 'future' }, runAt: iso('2025-01-01T11:00:00.000Z') },
          { kind: 'postback.out', payload: { name: 'other kind' }, runAt: iso('2025-01-01T10:00:00.000Z') },
          { kind: 'lead.new', payload: { name: 'first' }, runAt: iso('2025-01-01T10:01:00.000Z') },
          { kind: 'lead.update', payload: { name: 'exactly now' }, runAt: iso('2025-01-01T10:30:00.000Z') },
        ]);
        const claimed = await store.claimJobs(['lead.new', 'lead.update'], 10, iso('2025-01-01T10:30:00.000Z'));
        expect(claimed.map((j) => j.payload.name)).toEqual(['first', 'later', 'exactly now']);
        expect(claimed.every((j) => j.state === 'running' && j.attempts === 1)).toBe(true);
      });

      it('never hand out the same job twice', async () => {
        const { store } = await opened.open();
        await store.enqueue(Array.from({ length: 5 }, (_, i) => ({ kind: 'lead.new' as const, payload: { i } })));
        const first = await store.claimJobs(['lead.new'], 3, later());
        const second = await store.claimJobs(['lead.new'], 3, later());
        expect(first).toHaveLength(3);
        expect(second).toHaveLength(2);
        expect(await store.claimJobs(['lead.new'], 3, later())).toEqual([]);
        expect(new Set([...first, ...second].map((j) => j.id)).size).toBe(5);
      });

      it('of two stores on the same data never take the same job', async () => {
        const subject = await opened.open();
        const other = await subject.twin();
        await subject.store.enqueue(Array.from({ length: 6 }, () => ({ kind: 'lead.new' as const })));
        const a = await subject.store.claimJobs(['lead.new'], 4, later(), [], A);
        const b = await other.claimJobs(['lead.new'], 4, later(), [], B);
        expect(a).toHaveLength(4);
        expect(b).toHaveLength(2);
        expect(a.some((j) => b.some((k) => k.id === j.id))).toBe(false);
        // the twin sees the first store's claims and releases as they are
        expect(await other.releaseJobs('worker-a', [a[0].id])).toBe(1);
        expect(await subject.store.claimJobs(['lead.new'], 4, later(), [], A)).toMatchObject([{ id: a[0].id }]);
      });

      // defined only for a backend whose twins can claim at the same moment (see JobQueueCapabilities)
      (can.overlappingTwins ? it : () => {})('of two stores claiming at the same time never take the same job', async () => {
        const subject = await opened.open();
        const other = await subject.twin();
        await subject.store.enqueue(Array.from({ length: 40 }, () => ({ kind: 'lead.new' as const })));
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, n) => (n % 2 ? other : subject.store).claimJobs(['lead.new'], 7, later(), [], n % 2 ? B : A)),
        );
        const ids = claims.flat().map((job) => job.id);
        expect(ids).toHaveLength(40);
        expect(new Set(ids).size).toBe(40);
      });

      it('skip the held jobs of a paused integration, and take the others past them', async () => {
        const { store, leads } = await opened.open();
        const paused = await leads.insertLead({ offer: 'tea' }, 'paused', [{ kind: 'lead.new' }]);
        const other = await leads.insertLead({ offer: 'tea' }, 'other', [{ kind: 'lead.new' }]);
        const claimed = await store.claimJobs(['lead.new'], 10, t0, [{ integrationId: 'paused', kinds: ['lead.new'] }], A);
        expect(claimed.map((job) => job.leadId)).toEqual([other.id]);
        const [held] = await store.jobsOfLead(paused.id);
        expect(held).toMatchObject({ state: 'queued', attempts: 0 });
      });

      it('record which worker took a job and until when: nobody else takes it while the lease lasts', async () => {
        const { store, job } = await claimedOne();
        expect(job).toMatchObject({ state: 'running', attempts: 1 });
        expect(await store.claimJobs(['lead.new'], 10, at(999), [], B)).toEqual([]);
        expect(await store.requeueExpired(at(999))).toBe(0);
        expect(await store.claimJobs(['lead.new'], 10, at(999), [], B)).toEqual([]);
        expect(await store.requeueExpired(at(1000))).toBe(1);
        const [retaken] = await store.claimJobs(['lead.new'], 10, at(1000), [], B);
        expect(retaken).toMatchObject({ id: job.id, attempts: 2 });
        // now B's, until its own lease ends
        expect(await store.renewLeases('worker-a', [job.id], at(9000))).toBe(0);
        expect(await store.requeueExpired(at(1999))).toBe(0);
        expect(await store.requeueExpired(at(2000))).toBe(1);
      });

      it("the owner's renewal keeps the job past its first lease; another worker's renewal does nothing", async () => {
        const { store, job } = await claimedOne();
        expect(await store.renewLeases('worker-b', [job.id], at(5000))).toBe(0);
        expect(await store.renewLeases('worker-a', [job.id], at(1500))).toBe(1);
        expect(await store.requeueExpired(at(1200))).toBe(0);
        expect(await store.claimJobs(['lead.new'], 10, at(1200), [], B)).toEqual([]);
        expect(await store.requeueExpired(at(1500))).toBe(1);
      });

      it('finishing a job, done or failed or put back for a retry, releases its claim', async () => {
        const { store, leads } = await opened.open();
        await leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }, { kind: 'lead.new' }, { kind: 'lead.new' }]);
        const [done, failed, retried] = await store.claimJobs(['lead.new'], 10, t0, [], A);
        await store.completeJob(done.id);
        await store.failJob(failed.id, 'refused', undefined);
        await store.failJob(retried.id, 'timeout', at(5000));
        expect(await store.renewLeases('worker-a', [done.id, failed.id, retried.id], at(9000))).toBe(0);
        expect(await store.requeueExpired(at(60_000))).toBe(0);
        expect(await store.saveJobProgress('worker-a', retried.id, { stale: true })).toBe(false);
      });

      it("requeueRunning puts every running job back, live leases included (an operator's tool)", async () => {
        const { store } = await opened.open();
        await store.enqueue([{ kind: 'lead.new' }, { kind: 'lead.new' }, { kind: 'postback.out' }]);
        const taken = await store.claimJobs(['lead.new'], 10, later(), [], { worker: 'w', leaseMs: 3_600_000 });
        expect(await store.requeueRunning()).toBe(2);
        const retaken = await store.claimJobs(['lead.new'], 10, later());
        expect(retaken.map((j) => j.id)).toEqual(taken.map((j) => j.id));
        expect(retaken.every((j) => j.attempts === 2)).toBe(true);
      });
    });

    describe('finishing', () => {
      it('completeJob marks the job done, its payload replaced when given, and it is not claimed again', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const [job] = await store.claimJobs(['lead.new'], 1, later());
        await store.completeJob(job.id, { log: ['sent'] });
        await store.requeueRunning();
        expect(await store.jobsOfLead(lead.id)).toMatchObject([{ state: 'done', payload: { log: ['sent'] } }]);
        expect(await store.claimJobs(['lead.new'], 1, later())).toEqual([]);
      });

      it('failJob with a retry time puts the job back with its error, due at that time', async () => {
        const { store } = await opened.open();
        await store.enqueue([{ kind: 'lead.new' }]);
        const [job] = await store.claimJobs(['lead.new'], 1, later());
        const retryAt = new Date(Date.now() + 60_000);
        await store.failJob(job.id, 'ECONNRESET', retryAt, { tries: 1 });
        expect(await store.claimJobs(['lead.new'], 1, new Date(retryAt.getTime() - 1))).toEqual([]);
        const [again] = await store.claimJobs(['lead.new'], 1, retryAt);
        expect(again).toMatchObject({
          id: job.id,
          lastError: 'ECONNRESET',
          runAt: retryAt.toISOString(),
          attempts: 2,
          payload: { tries: 1 },
        });
      });

      it('failJob without a retry time fails the job for good', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        const [job] = await store.claimJobs(['lead.new'], 1, later());
        await store.failJob(job.id, 'rejected: bad phone', undefined);
        expect(await store.jobsOfLead(lead.id)).toMatchObject([
          { id: job.id, state: 'failed', lastError: 'rejected: bad phone', attempts: 1 },
        ]);
        expect(await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 3_600_000))).toEqual([]);
      });
    });

    describe('shares', () => {
      it("take no more of one integration's deliveries than its share, and another's queued behind them", async () => {
        const { store, leads } = await opened.open();
        await queueLeads(leads, 'slow', 20);
        const healthy = await queueLeads(leads, 'healthy', 3);
        const claimed = await store.claimJobs(['lead.new'], 10, later(), [], DEFAULT_CLAIM, {
          integrations: { slow: 4 },
          deliveries: 4,
          postbacks: 1,
        });
        const of = (integration: string) => claimed.filter((job) => job.integrationId === integration);
        expect(of('slow')).toHaveLength(4);
        expect(of('healthy').map((job) => job.leadId)).toEqual(healthy);
      });

      it('a share of 0 takes none of that lane; the share of an integration not named is `deliveries`', async () => {
        const { store, leads } = await opened.open();
        await queueLeads(leads, 'full', 5);
        await queueLeads(leads, 'other', 5);
        const claimed = await store.claimJobs(['lead.new'], 10, later(), [], DEFAULT_CLAIM, {
          integrations: { full: 0 },
          deliveries: 2,
          postbacks: 1,
        });
        expect(claimed.map((job) => job.integrationId)).toEqual(['other', 'other']);
      });

      it("outgoing postbacks share one lane of their own, whichever integration's they are", async () => {
        const { store, leads } = await opened.open();
        const [lead] = await queueLeads(leads, 'crm', 1);
        const pb = (n: number) => ({ kind: 'postback.out' as const, leadId: lead, integrationId: n % 2 ? 'crm' : 'other', payload: { n } });
        await store.enqueue([0, 1, 2, 3, 4].map(pb));
        const claimed = await store.claimJobs(['lead.new', 'postback.out'], 10, later(), [], DEFAULT_CLAIM, {
          integrations: {},
          deliveries: 4,
          postbacks: 2,
        });
        expect(claimed.filter((job) => job.kind === 'postback.out')).toHaveLength(2);
        expect(claimed.filter((job) => job.kind === 'lead.new')).toHaveLength(1);
      });

      it('a lane takes its oldest jobs first, the claim in queue order, and never more than `limit`', async () => {
        const { store, leads } = await opened.open();
        const a = await queueLeads(leads, 'a', 3);
        const b = await queueLeads(leads, 'b', 3);
        const claimed = await store.claimJobs(['lead.new'], 10, later(), [], DEFAULT_CLAIM, {
          integrations: {},
          deliveries: 2,
          postbacks: 1,
        });
        expect(claimed.map((job) => job.leadId)).toEqual([a[0], a[1], b[0], b[1]]);
        const capped = await store.claimJobs(['lead.new'], 1, later(), [], DEFAULT_CLAIM, {
          integrations: {},
          deliveries: 5,
          postbacks: 1,
        });
        expect(capped.map((job) => job.leadId)).toEqual([a[2]]);
      });

      it('keep the held jobs out of every lane', async () => {
        const { store, leads } = await opened.open();
        await queueLeads(leads, 'paused', 2);
        const other = await queueLeads(leads, 'other', 2);
        const claimed = await store.claimJobs(
          ['lead.new'],
          10,
          later(),
          [{ integrationId: 'paused', kinds: ['lead.new'] }],
          DEFAULT_CLAIM,
          {
            integrations: {},
            deliveries: 5,
            postbacks: 1,
          },
        );
        expect(claimed.map((job) => job.leadId)).toEqual(other);
      });
    });

    describe('giving a claimed job back', () => {
      it('puts it back queued, due at once, its attempt uncounted and its error kept, owner and lease cleared', async () => {
        const { store, leads } = await opened.open();
        const [lead] = await queueLeads(leads, 'crm', 1);
        const [job] = await store.claimJobs(['lead.new'], 1, later(), [], { worker: 'w1', leaseMs: 60_000 });
        await store.failJob(job.id, 'ECONNRESET', later());
        const [second] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 2000), [], { worker: 'w1', leaseMs: 60_000 });
        expect(second.attempts).toBe(2);
        expect(await store.releaseJobs('w2', [job.id])).toBe(0);
        expect(await store.releaseJobs('w1', [job.id], new Date(Date.now() + 3000))).toBe(1);
        expect(await store.jobsOfLead(lead)).toEqual([expect.objectContaining({ state: 'queued', attempts: 1, lastError: 'ECONNRESET' })]);
        expect(await store.renewLeases('w1', [job.id], new Date(Date.now() + 90_000))).toBe(0);
        const [again] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 3000), [], { worker: 'w2', leaseMs: 60_000 });
        expect(again).toMatchObject({ id: job.id, attempts: 2 });
      });

      it('leaves a job that is no longer running alone', async () => {
        const { store, leads } = await opened.open();
        const [lead] = await queueLeads(leads, 'crm', 1);
        const [job] = await store.claimJobs(['lead.new'], 1, later());
        await store.completeJob(job.id);
        expect(await store.releaseJobs(DEFAULT_CLAIM.worker, [job.id])).toBe(0);
        expect(await store.jobsOfLead(lead)).toEqual([expect.objectContaining({ state: 'done', attempts: 1 })]);
      });
    });

    describe("a running job's progress", () => {
      it("is written by the job's owner while it runs, and read with the job when it is claimed again", async () => {
        const { store, job } = await claimedOne();
        expect(await store.saveJobProgress('worker-a', job.id, { resume: { nodeId: 'deal' } })).toBe(true);
        await store.failJob(job.id, 'http_error: HTTP 429', t0);
        const [again] = await store.claimJobs(['lead.new'], 10, t0, [], B);
        expect(again.payload).toEqual({ resume: { nodeId: 'deal' } });
      });

      it('is not written by a worker that lost the job (its lease ran out and another took it)', async () => {
        const { store, job } = await claimedOne();
        await store.requeueExpired(at(1000));
        await store.claimJobs(['lead.new'], 10, at(1000), [], B);
        expect(await store.saveJobProgress('worker-a', job.id, { resume: { nodeId: 'stale' } })).toBe(false);
        expect((await store.jobsOfLead(job.leadId as number))[0].payload).toEqual({});
      });
    });

    describe('a job continued later', () => {
      it('goes back to the queue due at the time given, its attempt not counted and its payload kept', async () => {
        const { store, job } = await claimedOne();
        const due = at(5000);
        expect(await store.deferJob('worker-a', job.id, due, { resume: { nodeId: 'poll' } })).toBe(true);
        const [deferred] = await store.jobsOfLead(job.leadId as number);
        expect(deferred).toMatchObject({ state: 'queued', attempts: 0, runAt: due.toISOString(), payload: { resume: { nodeId: 'poll' } } });
        expect(await store.claimJobs(['lead.new'], 10, new Date(due.getTime() - 1), [], B)).toEqual([]);
        expect(await store.claimJobs(['lead.new'], 10, due, [], B)).toMatchObject([{ id: job.id, attempts: 1 }]);
      });

      it('is not put back by a worker that no longer holds it', async () => {
        const { store, job } = await claimedOne();
        expect(await store.deferJob('worker-b', job.id, t0)).toBe(false);
        expect((await store.jobsOfLead(job.leadId as number))[0].state).toBe('running');
      });
    });

    describe('deliveries', () => {
      /** Leads of `crm` in each delivery state (one running, on its first attempt), and one of another integration that failed. */
      async function oneOfEach(store: JobQueue, leads: LeadStore) {
        const ids: Record<string, number> = {};
        for (const name of ['running', 'retrying', 'failed', 'delivered', 'other']) {
          ids[name] = (await leads.insertLead({ offer: 'tea' }, name === 'other' ? 'shop' : 'crm', [{ kind: 'lead.new' }])).id;
        }
        const claimed = await store.claimJobs(['lead.new'], 10, new Date());
        const jobOf = (name: string) => claimed.find((job) => job.leadId === ids[name])!.id;
        ids.queued = (await leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }])).id;
        await store.failJob(jobOf('retrying'), 'http_error: HTTP 503', new Date(Date.now() + 60_000));
        await store.failJob(jobOf('failed'), 'http_error: HTTP 503', undefined);
        await store.failJob(jobOf('other'), 'timeout', undefined);
        await leads.updateLead(
          ids.delivered,
          { stage: 'wait', history: { at: new Date().toISOString(), from: 'new', stage: 'wait', source: 'delivery' } },
          [],
        );
        await store.completeJob(jobOf('delivered'));
        return ids;
      }

      it("the states of a page of leads follow the kernel's rule", async () => {
        const { store, leads } = await opened.open();
        const ids = await oneOfEach(store, leads);
        const all = await leads.listLeads({ limit: 50 });
        const states = await store.deliveryStates(all.map((l) => l.id));
        for (const stored of all)
          expect(states[stored.id], `lead ${stored.id}`).toBe(deliveryState(stored.stage, (await store.jobsOfLead(stored.id)).at(-1)));
        expect(states[ids.running]).toBe('queued');
        expect(states[ids.failed]).toBe('failed');
        expect(await store.deliveryStates([])).toEqual({});
      });

      it("count an integration's failed deliveries and retries waiting", async () => {
        const { store, leads } = await opened.open();
        await oneOfEach(store, leads);
        expect(await store.deliveryCounts('crm')).toEqual({ failed: 1, retrying: 1 });
        expect(await store.deliveryCounts('shop')).toEqual({ failed: 1, retrying: 0 });
        expect(await store.deliveryCounts('nobody')).toEqual({ failed: 0, retrying: 0 });
      });

      it('a resend makes the job anew for leads still new, and leaves a running delivery and a delivered lead alone', async () => {
        const { store, leads } = await opened.open();
        const ids = await oneOfEach(store, leads);
        const now = new Date(Date.now() + 5_000);
        const resent = await store.resendLeadJobs([ids.failed, ids.retrying, ids.running, ids.delivered], now);
        expect([...resent].sort((a, b) => a - b)).toEqual([ids.failed, ids.retrying].sort((a, b) => a - b));
        const [job] = await store.jobsOfLead(ids.failed);
        expect(job).toMatchObject({ state: 'queued', attempts: 0, runAt: now.toISOString(), createdAt: now.toISOString() });
        expect(job.lastError).toBeUndefined();
        expect((await store.jobsOfLead(ids.running))[0].state).toBe('running');
        expect((await store.jobsOfLead(ids.delivered))[0].state).toBe('done');
        expect(await store.deliveryCounts('crm')).toEqual({ failed: 0, retrying: 0 });
      });

      it("a failed attempt and a resend are changes the lead store's listeners hear of", async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
        let heard = 0;
        const stop = leads.onLeadsChanged(() => heard++);
        const [job] = await store.claimJobs(['lead.new'], 1, later());
        await store.failJob(job.id, 'http_error: HTTP 503', undefined);
        await until(() => heard >= 1);
        const before = heard;
        await store.resendLeadJobs([lead.id], new Date());
        await until(() => heard > before);
        stop();
      });
    });

    describe('a restart', () => {
      it('keeps queued and running jobs with their owner, payload and attempts', async () => {
        const first = await opened.open();
        const lead = await first.leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }, { kind: 'lead.update' }]);
        const [running] = await first.store.claimJobs(['lead.new'], 1, t0, [], A);
        await first.store.saveJobProgress('worker-a', running.id, { resume: 'here' });
        const again = await opened.reopen(first);
        expect(await again.store.jobsOfLead(lead.id)).toMatchObject([
          { id: running.id, state: 'running', attempts: 1, payload: { resume: 'here' } },
          { kind: 'lead.update', state: 'queued', attempts: 0 },
        ]);
        expect(await again.store.renewLeases('worker-a', [running.id], at(5000))).toBe(1);
        expect(await again.store.requeueExpired(at(4999))).toBe(0);
      });
    });
  });
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('not heard in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
