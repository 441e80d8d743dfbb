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
const at = (ms: number) => new Date(t0.getTime() + ms);
const A = { worker: 'worker-a', leaseMs: 1000 };
const B = { worker: 'worker-b', leaseMs: 1000 };

function claimOf(s: SqliteLeadStore, id: number) {
  return s.db.prepare('SELECT state, worker, lease_until FROM jobs WHERE id = ?').get(id);
}

describe('durability', () => {
  it('syncs every commit to disk (synchronous = FULL), so a lead answered 2xx survives a power loss', () => {
    // 2 is FULL (0 OFF, 1 NORMAL, 3 EXTRA)
    expect(store().db.pragma('synchronous', { simple: true })).toBe(2);
  });
});

describe('claims with leases', () => {
  it('records which worker took a job and until when', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await s.claimJobs(['lead.new'], 10, t0, [], A);
    expect(claimOf(s, job.id)).toEqual({ state: 'running', worker: 'worker-a', lease_until: at(1000).toISOString() });
  });

  it('a job claimed by worker A is not taken by worker B until the lease expired and the sweep put it back', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await s.claimJobs(['lead.new'], 10, t0, [], A);

    expect(await s.claimJobs(['lead.new'], 10, at(999), [], B)).toEqual([]);
    expect(await s.requeueExpired(at(999))).toBe(0);
    expect(await s.claimJobs(['lead.new'], 10, at(999), [], B)).toEqual([]);

    expect(await s.requeueExpired(at(1000))).toBe(1);
    const [retaken] = await s.claimJobs(['lead.new'], 10, at(1000), [], B);
    expect(retaken).toMatchObject({ id: job.id, attempts: 2 });
    expect(claimOf(s, job.id)).toMatchObject({ worker: 'worker-b', lease_until: at(2000).toISOString() });
  });

  it("the owner's renewal keeps the job past its first lease; another worker's renewal does nothing", async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await s.claimJobs(['lead.new'], 10, t0, [], A);

    expect(await s.renewLeases('worker-b', [job.id], at(5000))).toBe(0);
    expect(await s.renewLeases('worker-a', [job.id], at(1500))).toBe(1);

    expect(await s.requeueExpired(at(1200))).toBe(0);
    expect(await s.claimJobs(['lead.new'], 10, at(1200), [], B)).toEqual([]);
    expect(await s.requeueExpired(at(1500))).toBe(1);
  });

  it('a job running without a lease (left by a runtime older than leases) counts as expired', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await s.claimJobs(['lead.new'], 10, t0, [], A);
    s.db.prepare('UPDATE jobs SET worker = NULL, lease_until = NULL WHERE id = ?').run(job.id);
    expect(await s.requeueExpired(t0)).toBe(1);
  });

  it('finishing a job, done or failed or put back for a retry, releases its claim', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }, { kind: 'lead.new' }, { kind: 'lead.new' }]);
    const [done, failed, retried] = await s.claimJobs(['lead.new'], 10, t0, [], A);
    await s.completeJob(done.id);
    await s.failJob(failed.id, 'refused', undefined);
    await s.failJob(retried.id, 'timeout', at(5000));

    expect(claimOf(s, done.id)).toEqual({ state: 'done', worker: null, lease_until: null });
    expect(claimOf(s, failed.id)).toEqual({ state: 'failed', worker: null, lease_until: null });
    expect(claimOf(s, retried.id)).toEqual({ state: 'queued', worker: null, lease_until: null });
    // a late renewal of a released job renews nothing
    expect(await s.renewLeases('worker-a', [done.id, failed.id, retried.id], at(9000))).toBe(0);
  });

  it('keeps the held argument: a lease claim still skips the jobs of a paused integration', async () => {
    const s = store();
    await s.insertLead({ offer: 'tea' }, 'paused', [{ kind: 'lead.new' }]);
    const other = await s.insertLead({ offer: 'tea' }, 'other', [{ kind: 'lead.new' }]);
    const claimed = await s.claimJobs(['lead.new'], 10, t0, [{ integrationId: 'paused', kinds: ['lead.new'] }], A);
    expect(claimed.map((job) => job.leadId)).toEqual([other.id]);
  });
});
