import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, JobQueue, type JobHandler } from '../../runtime/services/queue.ts';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { Job } from '../../runtime/store/types.ts';
import { removeDataDir, waitFor } from '../support/harness.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const silent = { error() {} };

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-lease-'));
  cleanup.push(() => removeDataDir(dir));
  return dir;
}

function open(file: string): SqliteLeadStore {
  const store = openSqliteLeadStore(file);
  cleanup.push(() => store.close());
  return store;
}

/** A handler that records the jobs it runs and holds each until `finish()`. */
function blockingHandler() {
  const runs: Job[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const handler: JobHandler = {
    kinds: ['lead.new'],
    async handle(job) {
      runs.push(job);
      await finished;
      return { state: 'done' };
    },
  };
  return { handler, runs, finish };
}

function queue(store: SqliteLeadStore, handler: JobHandler, worker: string, leaseMs: number): JobQueue {
  const q = new JobQueue(store, [handler], { concurrency: 4, pollMs: 20, retry: DEFAULT_RETRY, log: silent, worker, leaseMs });
  cleanup.push(() => q.stop());
  return q;
}

/** Whether `worker` holds the running job, as the store answers it: its renewal (to `until`) takes. */
const holds = async (store: SqliteLeadStore, worker: string, id: number, until: Date) =>
  (await store.renewLeases(worker, [id], until)) === 1;

describe('the queue and its leases', () => {
  it("a job runs once while its worker's heartbeat keeps renewing the lease, and finishing releases it", async () => {
    const store = open(path.join(dataDir(), 'leads.sqlite'));
    const lead = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const a = blockingHandler();
    const b = blockingHandler();
    await queue(store, a.handler, 'worker-a', 150).start();
    await queue(store, b.handler, 'worker-b', 150).start();

    await waitFor(() => a.runs.length === 1 || b.runs.length === 1, 'the job to be taken');
    // several leases long: without the heartbeat the other worker's sweep would have taken it back
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(a.runs.length + b.runs.length).toBe(1);
    const [job] = await store.jobsOfLead(lead.id);
    const owner = a.runs.length === 1 ? 'worker-a' : 'worker-b';
    expect(job.state).toBe('running');
    // its lease is live (the sweep takes nothing back now) and its owner's: the owner's renewal takes, the other's not
    expect(await store.requeueExpired(new Date())).toBe(0);
    expect(await holds(store, owner === 'worker-a' ? 'worker-b' : 'worker-a', job.id, new Date(Date.now() + 150))).toBe(false);
    expect(await holds(store, owner, job.id, new Date(Date.now() + 150))).toBe(true);

    a.finish();
    b.finish();
    await waitFor(async () => (await store.jobsOfLead(lead.id))[0].state === 'done', 'the job to be done');
    // released: no owner's renewal takes it, and no sweep
    expect(await holds(store, owner, job.id, new Date(Date.now() + 60_000))).toBe(false);
    expect(await store.requeueExpired(new Date(Date.now() + 3_600_000))).toBe(0);
  });

  it('the sweep gives a job whose lease expired (its worker stuck or gone) to another worker', async () => {
    const store = open(path.join(dataDir(), 'leads.sqlite'));
    const lead = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000), [], { worker: 'stuck', leaseMs: 100 });
    const b = blockingHandler();
    b.finish();
    await queue(store, b.handler, 'worker-b', 150).start();

    await waitFor(async () => (await store.jobsOfLead(lead.id))[0].state === 'done', 'the job to be done by worker B', 5000);
    expect(b.runs).toMatchObject([{ id: job.id, attempts: 2 }]);
  });
});

describe('a restart over the same data folder', () => {
  // The restarted process is a new worker: it cannot tell from a worker id that the process which
  // held a lease is gone (two runtimes on one folder by mistake, a reused id), and a job run twice
  // sends a lead twice, so the previous leases are waited out (at most one lease) instead.
  it('does not re-run a job whose lease is still live', async () => {
    const file = path.join(dataDir(), 'leads.sqlite');
    const before = openSqliteLeadStore(file);
    const lead = await before.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    await before.claimJobs(['lead.new'], 1, new Date(), [], { worker: 'previous-process', leaseMs: 60_000 });
    await before.close();

    const store = open(file);
    const after = blockingHandler();
    after.finish();
    await queue(store, after.handler, 'restarted', 150).start();
    await new Promise((resolve) => setTimeout(resolve, 400));

    expect(after.runs).toEqual([]);
    const [job] = await store.jobsOfLead(lead.id);
    expect(job.state).toBe('running');
    expect(await holds(store, 'previous-process', job.id, new Date(Date.now() + 60_000))).toBe(true);
  });

  it('takes back at start a job whose lease ran out while it was down', async () => {
    const file = path.join(dataDir(), 'leads.sqlite');
    const before = openSqliteLeadStore(file);
    const lead = await before.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    await before.claimJobs(['lead.new'], 1, new Date(Date.now() - 120_000 + 1000), [], { worker: 'previous-process', leaseMs: 60_000 });
    await before.close();

    const store = open(file);
    const after = blockingHandler();
    after.finish();
    await queue(store, after.handler, 'restarted', 60_000).start();

    await waitFor(async () => (await store.jobsOfLead(lead.id))[0].state === 'done', 'the job to be done after the restart');
    expect(after.runs).toHaveLength(1);
  });
});
