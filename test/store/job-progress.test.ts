import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';

const opened: SqliteLeadStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function store(): SqliteLeadStore {
  const s = openSqliteLeadStore(':memory:');
  opened.push(s);
  return s;
}

const t0 = new Date(Date.now() + 1000);
const A = { worker: 'worker-a', leaseMs: 1000 };
const B = { worker: 'worker-b', leaseMs: 1000 };

async function claimed(s: SqliteLeadStore) {
  await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
  const [job] = await s.claimJobs(['lead.new'], 10, t0, [], A);
  return job;
}

describe("a running job's progress", () => {
  it("is written by the job's owner while it runs, and read with the job when it is claimed again", async () => {
    const s = store();
    const job = await claimed(s);
    expect(await s.saveJobProgress('worker-a', job.id, { resume: { nodeId: 'deal' } })).toBe(true);
    await s.failJob(job.id, 'http_error: HTTP 429', t0);
    const [again] = await s.claimJobs(['lead.new'], 10, t0, [], B);
    expect(again.payload).toEqual({ resume: { nodeId: 'deal' } });
  });

  it('is not written by a worker that lost the job (its lease ran out and another took it)', async () => {
    const s = store();
    const job = await claimed(s);
    await s.requeueExpired(new Date(t0.getTime() + 1000));
    await s.claimJobs(['lead.new'], 10, new Date(t0.getTime() + 1000), [], B);
    expect(await s.saveJobProgress('worker-a', job.id, { resume: { nodeId: 'stale' } })).toBe(false);
    expect((await s.jobsOfLead(job.leadId as number))[0].payload).toEqual({});
  });
});

describe('a job continued later', () => {
  it('goes back to the queue due at the time given, its attempt not counted and its payload kept', async () => {
    const s = store();
    const job = await claimed(s);
    const later = new Date(t0.getTime() + 5000);
    expect(await s.deferJob('worker-a', job.id, later, { resume: { nodeId: 'poll' } })).toBe(true);
    const [deferred] = await s.jobsOfLead(job.leadId as number);
    expect(deferred).toMatchObject({ state: 'queued', attempts: 0, runAt: later.toISOString(), payload: { resume: { nodeId: 'poll' } } });
    expect(await s.claimJobs(['lead.new'], 10, new Date(later.getTime() - 1), [], B)).toEqual([]);
    expect(await s.claimJobs(['lead.new'], 10, later, [], B)).toMatchObject([{ id: job.id, attempts: 1 }]);
  });

  it('is not put back by a worker that no longer holds it', async () => {
    const s = store();
    const job = await claimed(s);
    expect(await s.deferJob('worker-b', job.id, t0)).toBe(false);
    expect((await s.jobsOfLead(job.leadId as number))[0].state).toBe('running');
  });
});
