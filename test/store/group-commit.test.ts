import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { StageConflict } from '../../runtime/store/types.ts';
import { COMMIT_MS_BOUNDS, commitBucket } from '../../runtime/store/commit-stats.ts';

const opened: { store: SqliteLeadStore; dir: string }[] = [];
afterEach(async () => {
  for (const { store, dir } of opened.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function open(): { store: SqliteLeadStore; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-group-'));
  const file = path.join(dir, 'leads.sqlite');
  const store = openSqliteLeadStore(file);
  opened.push({ store, dir });
  return { store, file };
}

describe('group commit: writes of one turn share a transaction', () => {
  it('a write is on disk when its promise resolves: another connection sees it', async () => {
    const { store, file } = open();
    const lead = await store.insertLead({ offer: 'tea', phone: '+4915100000' }, 'crm', [{ kind: 'lead.new' }]);
    const other = new Database(file, { readonly: true });
    try {
      expect(other.prepare('SELECT stage FROM leads WHERE id = ?').pluck().get(lead.id)).toBe('new');
      expect(other.prepare('SELECT count(*) FROM jobs WHERE lead_id = ?').pluck().get(lead.id)).toBe(1);
    } finally {
      other.close();
    }
  });

  it('a write that fails in a turn with others undoes only itself', async () => {
    const { store, file } = open();
    const first = await store.insertLead({ offer: 'tea', phone: '+4915100001' }, 'crm', []);
    // three writes in one turn; the middle one is decided on a stage the lead no longer has
    const results = await Promise.allSettled([
      store.insertLead({ offer: 'tea', phone: '+4915100002' }, 'crm', []),
      store.updateLead(
        first.id,
        { stage: 'approve', history: { at: new Date().toISOString(), from: 'wait', stage: 'approve', source: 'api' } },
        [{ kind: 'postback.out', key: 'pb-x' }],
      ),
      store.updateLead(
        first.id,
        { stage: 'wait', eid: 'E-1', history: { at: new Date().toISOString(), from: 'new', stage: 'wait', source: 'delivery' } },
        [],
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StageConflict);
    const other = new Database(file, { readonly: true });
    try {
      expect(other.prepare('SELECT count(*) FROM leads').pluck().get()).toBe(2);
      expect(other.prepare('SELECT stage || eid FROM leads WHERE id = ?').pluck().get(first.id)).toBe('waitE-1');
      // the failed write's history entry and job are gone with it
      expect(other.prepare('SELECT group_concat(stage) FROM lead_history WHERE lead_id = ?').pluck().get(first.id)).toBe('wait');
      expect(other.prepare("SELECT count(*) FROM jobs WHERE key = 'pb-x'").pluck().get()).toBe(0);
    } finally {
      other.close();
    }
  });

  it('writes in later turns commit on their own', async () => {
    const { store } = open();
    const a = await store.insertLead({ offer: 'tea', phone: '+4915100003' }, 'crm', []);
    await new Promise((resolve) => setImmediate(resolve));
    const b = await store.insertLead({ offer: 'tea', phone: '+4915100004' }, 'crm', []);
    expect(b.id).toBe(a.id + 1);
    expect((await store.getLead(a.id))?.phone).toBe('+4915100003');
  });
});

describe('commitStats: what the group commit did', () => {
  it('counts one commit per turn and the writes each carried, with the time spent in COMMIT', async () => {
    const { store } = open();
    const before = store.commitStats();
    await Promise.all([1, 2, 3].map((i) => store.insertLead({ offer: 'tea', phone: `+491510000${i}0` }, 'crm', [{ kind: 'lead.new' }])));
    await new Promise((resolve) => setImmediate(resolve));
    await store.insertLead({ offer: 'tea', phone: '+4915100040' }, 'crm', []);
    const after = store.commitStats();
    expect(after.commits - before.commits).toBe(2);
    expect(after.writes - before.writes).toBe(4);
    expect(after.commitMs).toBeGreaterThan(before.commitMs);
    // every commit lands in one duration bucket
    const bucketed = (s: typeof after) => s.commitMsBuckets.counts.reduce((a, b) => a + b, 0);
    expect(bucketed(after) - bucketed(before)).toBe(2);
    expect(after.commitMsBuckets.upperMs.at(-1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('does not count a write that threw, nor a turn whose only write threw', async () => {
    const { store } = open();
    const lead = await store.insertLead({ offer: 'tea', phone: '+4915100050' }, 'crm', []);
    const before = store.commitStats();
    const stale = { at: new Date().toISOString(), from: 'wait' as const, stage: 'approve' as const, source: 'api' as const };
    await expect(store.updateLead(lead.id, { stage: 'approve', history: stale }, [])).rejects.toBeInstanceOf(StageConflict);
    const results = await Promise.allSettled([
      store.updateLead(lead.id, { stage: 'approve', history: stale }, []),
      store.insertLead({ offer: 'tea', phone: '+4915100051' }, 'crm', []),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    const after = store.commitStats();
    // the first turn's only write undid itself, so it wrote nothing to fsync; the second carried one write
    expect(after.commits - before.commits).toBe(1);
    expect(after.writes - before.writes).toBe(1);
  });

  it('a claim by shares that finds nothing due writes nothing: no commit, no sync; one that finds a job commits', async () => {
    const { store } = open();
    const shares = { integrations: {}, deliveries: 10, postbacks: 2 };
    const claim = { worker: 'w1', leaseMs: 60_000 };
    const before = store.commitStats();
    expect(await store.claimJobs(['lead.new', 'postback.out'], 10, new Date(), [], claim, shares)).toEqual([]);
    const idle = store.commitStats();
    expect([idle.commits - before.commits, idle.syncs - before.syncs]).toEqual([0, 0]);
    const lead = await store.insertLead({ offer: 'tea', phone: '+4915100070' }, 'crm', [{ kind: 'lead.new' }]);
    const claimed = await store.claimJobs(['lead.new', 'postback.out'], 10, new Date(), [], claim, shares);
    expect(claimed.map((job) => [job.leadId, job.state, job.attempts])).toEqual([[lead.id, 'running', 1]]);
    // the lead's commit and the claim's
    expect(store.commitStats().commits - idle.commits).toBe(2);
  });

  it('is a copy: changing what it returned changes nothing in the store', async () => {
    const { store } = open();
    await store.insertLead({ offer: 'tea', phone: '+4915100060' }, 'crm', []);
    const read = store.commitStats();
    read.commitMsBuckets.counts.fill(0);
    read.commits = 0;
    expect(store.commitStats().commits).toBe(1);
    expect(store.commitStats().commitMsBuckets.counts.reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('commit duration buckets', () => {
  it('puts a duration in the first bucket whose bound is at or above it', () => {
    for (const ms of [0, 0.005, 0.01, 0.0101, 0.5, 1, 1.19, 3.7, 250, 1e9]) {
      const i = commitBucket(ms);
      expect(ms).toBeLessThanOrEqual(COMMIT_MS_BOUNDS[i]);
      if (i > 0) expect(ms).toBeGreaterThan(COMMIT_MS_BOUNDS[i - 1]);
    }
    for (const bound of COMMIT_MS_BOUNDS.slice(0, -1)) expect(COMMIT_MS_BOUNDS[commitBucket(bound)]).toBe(bound);
  });
});
