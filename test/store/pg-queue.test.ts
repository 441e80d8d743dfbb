/**
 * The PostgreSQL job queue against a real server, a fresh database per test: the claim contract
 * of the SQLite store (kinds, due times, held integrations, shares per lane, leases with a worker
 * id, renewal, the expiry sweep, release, progress, deferral), that two processes (two pools)
 * claiming at once never take the same job, and the `LISTEN/NOTIFY` wake-ups between processes.
 * Through the store's public methods only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PgRecordStore } from '../../runtime/store/pg/record-store.ts';
import { DEFAULT_CLAIM, type Job } from '../../runtime/store/types.ts';
import { recordDatabase, type RecordDatabase } from '../support/pg-records.ts';
import { waitFor } from '../support/harness.ts';

let db: RecordDatabase;
let store: PgRecordStore;
/** A time after every job a test queues is due, leases counted from it. */
let t0: Date;

beforeEach(async () => {
  db = await recordDatabase();
  store = db.process();
  t0 = new Date(Date.now() + 60_000);
});

afterEach(async () => {
  await db.close();
});

const at = (ms: number) => new Date(t0.getTime() + ms);
const A = { worker: 'worker-a', leaseMs: 1000 };
const B = { worker: 'worker-b', leaseMs: 1000 };

async function queue(integration: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) ids.push((await store.insertLead({ offer: 'tea' }, integration, [{ kind: 'lead.new' }])).id);
  return ids;
}

describe('claiming jobs', () => {
  it('takes only due jobs of the kinds asked, oldest run_at first, counting the attempt', async () => {
    const time = (iso: string) => new Date(iso);
    await store.enqueue([
      { kind: 'lead.new', payload: { name: 'later' }, runAt: time('2025-01-01T10:02:00.000Z') },
      { kind: 'lead.new', payload: { name: 'future' }, runAt: time('2025-01-01T11:00:00.000Z') },
      { kind: 'postback.out', payload: { name: 'other kind' }, runAt: time('2025-01-01T10:00:00.000Z') },
      { kind: 'lead.new', payload: { name: 'first' }, runAt: time('2025-01-01T10:01:00.000Z') },
      { kind: 'lead.update', payload: { name: 'exactly now' }, runAt: time('2025-01-01T10:30:00.000Z') },
    ]);

    const claimed = await store.claimJobs(['lead.new', 'lead.update'], 10, time('2025-01-01T10:30:00.000Z'));

    expect(claimed.map((j) => j.payload.name)).toEqual(['first', 'later', 'exactly now']);
    expect(claimed.every((j) => j.state === 'running' && j.attempts === 1)).toBe(true);
  });

  it('two processes claiming at once, round after round, never take the same job', async () => {
    const processes = [store, db.process(), db.process()];
    await store.enqueue(Array.from({ length: 120 }, (_, i) => ({ kind: 'lead.new' as const, payload: { i } })));
    const taken: Job[][] = processes.map(() => []);

    for (let round = 0; round < 12; round++) {
      const claims = await Promise.all(processes.map((s, n) => s.claimJobs(['lead.new'], 4, t0, [], { worker: `w${n}`, leaseMs: 60_000 })));
      claims.forEach((jobs, n) => taken[n].push(...jobs));
    }
    const ids = taken.flat().map((job) => job.id);

    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
    expect(taken.every((jobs) => jobs.length > 0)).toBe(true);
  });

  it('two processes claiming by shares at once never take the same job either', async () => {
    await queue('a', 10);
    await queue('b', 10);
    const shares = { integrations: { a: 3 }, deliveries: 3, postbacks: 1 };
    const other = db.process();

    const [x, y] = await Promise.all([
      store.claimJobs(['lead.new'], 10, t0, [], A, shares),
      other.claimJobs(['lead.new'], 10, t0, [], B, shares),
    ]);

    const ids = [...x, ...y].map((job) => job.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(x.filter((job) => job.integrationId === 'a').length).toBeLessThanOrEqual(3);
    expect(ids.length).toBeGreaterThanOrEqual(6);
  });

  it("takes no more of one integration's deliveries than its share, and another's queued behind them", async () => {
    await queue('slow', 20);
    const healthy = await queue('healthy', 3);
    const claimed = await store.claimJobs(['lead.new'], 10, t0, [], DEFAULT_CLAIM, {
      integrations: { slow: 4 },
      deliveries: 4,
      postbacks: 1,
    });

    expect(claimed.filter((job) => job.integrationId === 'slow')).toHaveLength(4);
    expect(claimed.filter((job) => job.integrationId === 'healthy').map((job) => job.leadId)).toEqual(healthy);
  });

  it('a share of 0 takes none of that lane; postbacks share one lane; a lane takes its oldest first in queue order', async () => {
    const a = await queue('a', 3);
    await queue('full', 3);
    const b = await queue('b', 3);
    await store.enqueue([0, 1, 2, 3].map((n) => ({ kind: 'postback.out' as const, leadId: a[0], integrationId: n % 2 ? 'a' : 'b' })));
    const claimed = await store.claimJobs(['lead.new', 'postback.out'], 20, t0, [], DEFAULT_CLAIM, {
      integrations: { full: 0 },
      deliveries: 2,
      postbacks: 2,
    });

    expect(claimed.filter((job) => job.kind === 'lead.new').map((job) => job.leadId)).toEqual([a[0], a[1], b[0], b[1]]);
    expect(claimed.filter((job) => job.kind === 'postback.out')).toHaveLength(2);
  });

  it('leaves the jobs of a held integration queued and takes the others past them', async () => {
    await store.insertLead({ offer: 'tea' }, 'paused', [{ kind: 'lead.new' }, { kind: 'postback.out' }]);
    const other = await store.insertLead({ offer: 'tea' }, 'other', [{ kind: 'lead.new' }]);
    const held = [{ integrationId: 'paused', kinds: ['lead.new' as const] }];

    expect((await store.claimJobs(['lead.new'], 10, t0, held, A)).map((job) => job.leadId)).toEqual([other.id]);
    expect(await store.claimJobs(['lead.new'], 10, t0, held, A, { integrations: {}, deliveries: 5, postbacks: 5 })).toEqual([]);
    expect(await store.claimJobs(['postback.out'], 10, t0, held, A)).toHaveLength(1);
  });
});

describe('leases', () => {
  it("a dead worker's job is not taken by another until its lease ran out and the sweep put it back", async () => {
    await queue('crm', 1);
    const [job] = await store.claimJobs(['lead.new'], 10, t0, [], A);
    const other = db.process();

    expect(await other.claimJobs(['lead.new'], 10, at(999), [], B)).toEqual([]);
    expect(await other.requeueExpired(at(999))).toBe(0);
    expect(await other.requeueExpired(at(1000))).toBe(1);
    const [retaken] = await other.claimJobs(['lead.new'], 10, at(1000), [], B);

    expect(retaken).toMatchObject({ id: job.id, attempts: 2 });
    // the dead worker, had it lived on, can no longer write to it
    expect(await store.saveJobProgress('worker-a', job.id, { stale: true })).toBe(false);
    expect(await store.renewLeases('worker-a', [job.id], at(9000))).toBe(0);
  });

  it("the owner's renewal keeps the job past its first lease; another worker's renewal does nothing", async () => {
    await queue('crm', 1);
    const [job] = await store.claimJobs(['lead.new'], 10, t0, [], A);

    expect(await store.renewLeases('worker-b', [job.id], at(5000))).toBe(0);
    expect(await store.renewLeases('worker-a', [job.id], at(1500))).toBe(1);
    expect(await store.requeueExpired(at(1200))).toBe(0);
    expect(await store.requeueExpired(at(1500))).toBe(1);
  });

  it('finishing a job, done or failed or put back for a retry, releases its claim', async () => {
    await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }, { kind: 'lead.new' }, { kind: 'lead.new' }]);
    const [done, failed, retried] = await store.claimJobs(['lead.new'], 10, t0, [], A);
    await store.completeJob(done.id, { log: ['sent'] });
    await store.failJob(failed.id, 'refused', undefined);
    await store.failJob(retried.id, 'timeout', at(5000));

    expect(await store.renewLeases('worker-a', [done.id, failed.id, retried.id], at(9000))).toBe(0);
    expect(await store.requeueExpired(at(4000))).toBe(0);
    expect(await store.jobsOfLead(done.leadId!)).toMatchObject([
      { state: 'done', payload: { log: ['sent'] } },
      { state: 'failed', lastError: 'refused' },
      { state: 'queued', lastError: 'timeout', runAt: at(5000).toISOString() },
    ]);
  });

  it('a released job goes back queued at once with its attempt uncounted; requeueRunning puts back every running one', async () => {
    const [lead] = await queue('crm', 1);
    const [job] = await store.claimJobs(['lead.new'], 1, t0, [], A);

    expect(await store.releaseJobs('worker-b', [job.id])).toBe(0);
    expect(await store.releaseJobs('worker-a', [job.id], t0)).toBe(1);
    expect(await store.jobsOfLead(lead)).toMatchObject([{ state: 'queued', attempts: 0 }]);
    await store.claimJobs(['lead.new'], 1, t0, [], B);
    expect(await store.requeueRunning()).toBe(1);
    expect(await store.claimJobs(['lead.new'], 1, t0, [], A)).toMatchObject([{ id: job.id, attempts: 2 }]);
  });

  it("a running job's progress is written by its owner only, and a deferred job waits until its time with its attempt uncounted", async () => {
    await queue('crm', 1);
    const [job] = await store.claimJobs(['lead.new'], 10, t0, [], A);

    expect(await store.saveJobProgress('worker-a', job.id, { resume: { nodeId: 'deal' } })).toBe(true);
    expect(await store.deferJob('worker-b', job.id, at(5000))).toBe(false);
    expect(await store.deferJob('worker-a', job.id, at(5000), { resume: { nodeId: 'poll' } })).toBe(true);
    expect(await store.claimJobs(['lead.new'], 10, at(4999), [], B)).toEqual([]);
    expect(await store.claimJobs(['lead.new'], 10, at(5000), [], B)).toMatchObject([
      { id: job.id, attempts: 1, payload: { resume: { nodeId: 'poll' } } },
    ]);
  });
});

describe('wake-ups between processes', () => {
  it('a job queued through one process wakes a queue listening through another', async () => {
    const listener = db.process();
    let woken = 0;
    listener.onJobsQueued(() => woken++);
    await listener.listening();

    await store.enqueue([{ kind: 'lead.new' }]);
    await waitFor(() => woken > 0, 'the wake-up');
    const before = woken;
    await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    await waitFor(() => woken > before, 'the second wake-up');
  });

  it('a retry, a release and a sweep wake it too; a write that queues nothing does not', async () => {
    const listener = db.process();
    let woken = 0;
    listener.onJobsQueued(() => woken++);
    await listener.listening();
    await store.enqueue([{ kind: 'lead.new' }, { kind: 'lead.new' }, { kind: 'lead.new' }]);
    await waitFor(() => woken === 1, 'the enqueue');
    const [retried, released, expired] = await store.claimJobs(['lead.new'], 3, t0, [], A);

    await store.completeJob(expired.id);
    await store.insertLead({ offer: 'tea' }, 'crm', []);
    await store.failJob(retried.id, 'timeout', t0);
    await waitFor(() => woken === 2, 'the retry');
    await store.releaseJobs('worker-a', [released.id]);
    await waitFor(() => woken === 3, 'the release');
    await store.claimJobs(['lead.new'], 3, t0, [], B);
    await store.requeueExpired(at(60_000));
    await waitFor(() => woken === 4, 'the sweep');
  });

  it("every process's lead listeners hear another process's writes, and their own once", async () => {
    const other = db.process();
    const heard = { here: 0, there: 0 };
    store.onLeadsChanged(() => heard.here++);
    const stop = other.onLeadsChanged(() => heard.there++);
    await Promise.all([store.listening(), other.listening()]);

    const lead = await store.insertLead({ offer: 'tea' }, 'crm', []);
    expect(heard.here).toBe(1);
    await waitFor(() => heard.there === 1, 'the other process hearing the insert');
    await other.updateLead(lead.id, { status: 'called' }, []);
    await waitFor(() => heard.here === 2, 'this process hearing the change');
    stop();
    await store.insertLead({ offer: 'tea' }, 'crm', []);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toEqual({ here: 3, there: 2 });
  });
});

describe('a listener that lost its connection', () => {
  it('connects again, wakes its queue once for what it may have missed, and hears what comes next', async () => {
    const listener = db.process();
    let woken = 0;
    listener.onJobsQueued(() => woken++);
    await listener.listening();
    // the server drops the listening session (a restart, a network cut)
    const admin = db.pool();
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
    );
    expect(rows).toEqual([{ ended: true }]);

    await waitFor(() => woken === 1, 'the wake-up after reconnecting');
    await store.enqueue([{ kind: 'lead.new' }]);
    await waitFor(() => woken === 2, 'the next wake-up');
  });
});
