import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';

const DELIVERIES = ['lead.new', 'lead.update', 'lead.approved'] as const;
const opened: SqliteLeadStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

function store(): SqliteLeadStore {
  const s = openSqliteLeadStore(':memory:');
  opened.push(s);
  return s;
}

describe('claiming jobs past held ones', () => {
  it("leaves a held integration's deliveries queued, attempts uncounted, and takes the others and its postbacks past them", async () => {
    const s = store();
    const paused = await s.insertLead({ offer: 'tea' }, 'paused', [{ kind: 'lead.new' }]);
    await s.enqueue([{ kind: 'postback.out', leadId: paused.id, integrationId: 'paused', payload: { url: 'http://127.0.0.1/pb' } }]);
    const other = await s.insertLead({ offer: 'tea' }, 'other', [{ kind: 'lead.new' }]);
    const held = [{ integrationId: 'paused', kinds: DELIVERIES }];
    const now = new Date(Date.now() + 1000);

    const claimed = await s.claimJobs(['lead.new', 'postback.out'], 10, now, held);
    expect(claimed.map((job) => [job.kind, job.leadId])).toEqual(
      expect.arrayContaining([
        ['lead.new', other.id],
        ['postback.out', paused.id],
      ]),
    );
    expect(claimed).toHaveLength(2);
    expect(await s.jobsOfLead(paused.id)).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'lead.new', state: 'queued', attempts: 0 })]),
    );

    // no longer held: taken as it was
    const [resumed] = await s.claimJobs(['lead.new'], 10, now, []);
    expect(resumed).toMatchObject({ kind: 'lead.new', leadId: paused.id, attempts: 1 });
  });
});
