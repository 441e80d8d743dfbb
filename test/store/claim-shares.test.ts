import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { DEFAULT_CLAIM } from '../../runtime/store/types.ts';

const opened: SqliteLeadStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function store(): SqliteLeadStore {
  const s = openSqliteLeadStore(':memory:');
  opened.push(s);
  return s;
}

const later = () => new Date(Date.now() + 1000);

async function queue(s: SqliteLeadStore, integration: string, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) ids.push((await s.insertLead({ offer: 'tea' }, integration, [{ kind: 'lead.new' }])).id);
  return ids;
}

describe('claiming jobs by shares', () => {
  it("takes no more of one integration's deliveries than its share, and takes another's queued behind them", async () => {
    const s = store();
    await queue(s, 'slow', 20);
    const healthy = await queue(s, 'healthy', 3);

    const claimed = await s.claimJobs(['lead.new'], 10, later(), [], DEFAULT_CLAIM, {
      integrations: { slow: 4 },
      deliveries: 4,
      postbacks: 1,
    });
    const of = (integration: string) => claimed.filter((job) => job.integrationId === integration);
    expect(of('slow')).toHaveLength(4);
    expect(of('healthy').map((job) => job.leadId)).toEqual(healthy);
  });

  it('a share of 0 takes none of that lane; the share of an integration not named is `deliveries`', async () => {
    const s = store();
    await queue(s, 'full', 5);
    await queue(s, 'other', 5);
    const claimed = await s.claimJobs(['lead.new'], 10, later(), [], DEFAULT_CLAIM, {
      integrations: { full: 0 },
      deliveries: 2,
      postbacks: 1,
    });
    expect(claimed.map((job) => job.integrationId)).toEqual(['other', 'other']);
  });

  it("outgoing postbacks share one lane of their own, whichever integration's they are", async () => {
    const s = store();
    const [lead] = await queue(s, 'crm', 1);
    const pb = (n: number) => ({ kind: 'postback.out' as const, leadId: lead, integrationId: n % 2 ? 'crm' : 'other', payload: { n } });
    await s.enqueue([0, 1, 2, 3, 4].map(pb));
    const claimed = await s.claimJobs(['lead.new', 'postback.out'], 10, later(), [], DEFAULT_CLAIM, {
      integrations: {},
      deliveries: 4,
      postbacks: 2,
    });
    expect(claimed.filter((job) => job.kind === 'postback.out')).toHaveLength(2);
    expect(claimed.filter((job) => job.kind === 'lead.new')).toHaveLength(1);
  });

  it('a lane takes its oldest jobs first, and the claim stays in queue order', async () => {
    const s = store();
    const a = await queue(s, 'a', 3);
    const b = await queue(s, 'b', 3);
    const claimed = await s.claimJobs(['lead.new'], 10, later(), [], DEFAULT_CLAIM, { integrations: {}, deliveries: 2, postbacks: 1 });
    expect(claimed.map((job) => job.leadId)).toEqual([a[0], a[1], b[0], b[1]]);
  });
});

describe('giving a claimed job back', () => {
  it('puts it back queued with its attempt uncounted, owner and lease cleared', async () => {
    const s = store();
    const [lead] = await queue(s, 'crm', 1);
    const [job] = await s.claimJobs(['lead.new'], 1, later(), [], { worker: 'w1', leaseMs: 60_000 });
    expect(job.attempts).toBe(1);
    expect(await s.releaseJobs('w1', [job.id])).toBe(1);
    expect(await s.jobsOfLead(lead)).toEqual([expect.objectContaining({ state: 'queued', attempts: 0 })]);
    const [again] = await s.claimJobs(['lead.new'], 1, later(), [], { worker: 'w2', leaseMs: 60_000 });
    expect(again).toMatchObject({ id: job.id, attempts: 1 });
  });

  it('leaves a job that is no longer running alone', async () => {
    const s = store();
    const [lead] = await queue(s, 'crm', 1);
    const [job] = await s.claimJobs(['lead.new'], 1, later());
    await s.completeJob(job.id);
    expect(await s.releaseJobs(DEFAULT_CLAIM.worker, [job.id])).toBe(0);
    expect(await s.jobsOfLead(lead)).toEqual([expect.objectContaining({ state: 'done', attempts: 1 })]);
  });
});
