import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, JobQueue, type JobHandler } from '../../runtime/services/queue.ts';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { Job } from '../../runtime/store/types.ts';

const opened: SqliteLeadStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function store(): SqliteLeadStore {
  const s = openSqliteLeadStore(':memory:');
  opened.push(s);
  return s;
}

function rowOf(s: SqliteLeadStore, id: number) {
  return s.db.prepare('SELECT state, attempts, worker, lease_until, run_at, last_error FROM jobs WHERE id = ?').get(id);
}

const silent = { error() {} };

describe('releasing jobs a stopping worker will not finish', () => {
  it('puts them back queued and due, the attempt not counted, owner and lease cleared', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await s.claimJobs(['lead.new'], 1, new Date(), [], { worker: 'worker-a', leaseMs: 60_000 });
    const before = rowOf(s, job.id) as { run_at: string };

    expect(await s.releaseJobs('worker-a', [job.id], new Date())).toBe(1);
    expect(rowOf(s, job.id)).toEqual({
      state: 'queued',
      attempts: 0,
      worker: null,
      lease_until: null,
      run_at: before.run_at,
      last_error: null,
    });
    // another worker takes it at once, without waiting out the lease
    expect(await s.claimJobs(['lead.new'], 1, new Date(), [], { worker: 'worker-b', leaseMs: 60_000 })).toMatchObject([
      { id: job.id, attempts: 1 },
    ]);
  });

  it("leaves alone a job that is not the worker's any more, or not running", async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }, { kind: 'lead.update' }]);
    const [mine] = await s.claimJobs(['lead.new'], 1, new Date(), [], { worker: 'worker-b', leaseMs: 60_000 });
    const [done] = await s.claimJobs(['lead.update'], 1, new Date(), [], { worker: 'worker-a', leaseMs: 60_000 });
    await s.completeJob(done.id);

    expect(await s.releaseJobs('worker-a', [mine.id, done.id], new Date())).toBe(0);
    expect(rowOf(s, mine.id)).toMatchObject({ state: 'running', worker: 'worker-b', attempts: 1 });
    expect(rowOf(s, done.id)).toMatchObject({ state: 'done', attempts: 1 });
  });
});

describe('the queue stopping with a grace period', () => {
  /** A handler that holds each job until its signal aborts, or `finish(id)`. */
  function hangingHandler() {
    const runs: Job[] = [];
    const finishers = new Map<number, () => void>();
    const handler: JobHandler = {
      kinds: ['lead.new'],
      handle(job, signal) {
        runs.push(job);
        return new Promise((resolve) => {
          finishers.set(job.id, () => resolve({ state: 'done' }));
          signal?.addEventListener('abort', () => resolve({ state: 'retry', error: 'aborted' }), { once: true });
        });
      },
    };
    return { handler, runs, finish: (id: number) => finishers.get(id)?.() };
  }

  it('lets a job that finishes within the grace period complete, and releases the one still running after it', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const h = hangingHandler();
    const queue = new JobQueue(s, [h.handler], {
      concurrency: 4,
      pollMs: 20,
      retry: DEFAULT_RETRY,
      log: silent,
      worker: 'w',
      leaseMs: 60_000,
    });
    await queue.start();
    while (h.runs.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const [quick, stuck] = h.runs;

    const started = Date.now();
    const stopped = queue.stop({ graceMs: 300 });
    setTimeout(() => h.finish(quick.id), 50);
    await stopped;

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(queue.releasedCount).toBe(1);
    expect(rowOf(s, quick.id)).toMatchObject({ state: 'done', attempts: 1 });
    expect(rowOf(s, stuck.id)).toMatchObject({ state: 'queued', attempts: 0, worker: null, lease_until: null, last_error: null });
  });

  it('releases a job whose handler ignores its signal too, once the aborts had their time', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const runs: Job[] = [];
    const deaf: JobHandler = { kinds: ['lead.new'], handle: (job) => (runs.push(job), new Promise(() => {})) };
    const queue = new JobQueue(s, [deaf], { concurrency: 4, pollMs: 20, retry: DEFAULT_RETRY, log: silent, worker: 'w', leaseMs: 60_000 });
    await queue.start();
    while (runs.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));

    await queue.stop({ graceMs: 50 });
    expect(queue.releasedCount).toBe(1);
    expect(rowOf(s, runs[0].id)).toMatchObject({ state: 'queued', attempts: 0, worker: null });
  });
});
