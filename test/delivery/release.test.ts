import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, JobQueue, type JobHandler } from '../../runtime/services/queue.ts';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { Job, JobQueue as JobStore } from '../../runtime/store/types.ts';

const opened: SqliteLeadStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function store(): SqliteLeadStore {
  const s = openSqliteLeadStore(':memory:');
  opened.push(s);
  return s;
}

/** A job as the store answers it. */
async function jobOf(s: SqliteLeadStore, id: number): Promise<Job> {
  for (const lead of await s.listLeads({ limit: 500 })) {
    const job = (await s.jobsOfLead(lead.id)).find((j) => j.id === id);
    if (job) return job;
  }
  throw new Error(`no job ${id}`);
}

/** Whether `worker` holds the running job: its renewal takes (the lease a minute on, as claimed). */
const holds = async (s: JobStore, worker: string, id: number) => (await s.renewLeases(worker, [id], new Date(Date.now() + 60_000))) === 1;

const silent = { error() {} };

describe('releasing jobs a stopping worker will not finish', () => {
  it('puts them back queued and due, the attempt not counted, owner and lease cleared', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await s.claimJobs(['lead.new'], 1, new Date(), [], { worker: 'worker-a', leaseMs: 60_000 });
    const before = await jobOf(s, job.id);

    expect(await s.releaseJobs('worker-a', [job.id], new Date())).toBe(1);
    const released = await jobOf(s, job.id);
    expect(released).toMatchObject({ state: 'queued', attempts: 0, runAt: before.runAt });
    expect(released.lastError).toBeUndefined();
    // owner and lease cleared: its worker's renewal takes nothing
    expect(await holds(s, 'worker-a', job.id)).toBe(false);
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
    expect(await jobOf(s, mine.id)).toMatchObject({ state: 'running', attempts: 1 });
    expect(await holds(s, 'worker-b', mine.id)).toBe(true);
    expect(await jobOf(s, done.id)).toMatchObject({ state: 'done', attempts: 1 });
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
    expect(await jobOf(s, quick.id)).toMatchObject({ state: 'done', attempts: 1 });
    expect(await jobOf(s, stuck.id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect((await jobOf(s, stuck.id)).lastError).toBeUndefined();
    expect(await holds(s, 'w', stuck.id)).toBe(false);
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
    expect(await jobOf(s, runs[0].id)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await holds(s, 'w', runs[0].id)).toBe(false);
  });
});
