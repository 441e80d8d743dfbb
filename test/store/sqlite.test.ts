/**
 * What only the embedded SQLite backend has (its behaviour through the interfaces is the contract
 * suites', test/store/embedded.contract.test.ts): the file's settings, a file written by a newer
 * or an older runtime, and the index an integration's delivery counts are read from. These read
 * the file with SQLite itself, as an operator would; group commit is group-commit.test.ts's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, SCHEMA_VERSION, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';

let dir: string;
let file: string;
let store: SqliteLeadStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-sqlite-'));
  file = path.join(dir, 'leads.sqlite');
  store = openSqliteLeadStore(file);
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Reads (or changes) the file with SQLite itself, beside the store. */
function withFile<T>(use: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return use(db);
  } finally {
    db.close();
  }
}

describe('the file', () => {
  it('is opened in WAL mode, synchronous NORMAL (the group commit syncs every commit itself: wal-sync.test.ts), foreign keys on', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    // 1 is NORMAL (0 OFF, 2 FULL, 3 EXTRA): COMMIT leaves the WAL's sync to the group commit
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('records its schema version', () => {
    expect(withFile((db) => db.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION);
  });

  it('written by a newer runtime is refused rather than misread', async () => {
    await store.close();
    withFile((db) => db.pragma(`user_version = ${SCHEMA_VERSION + 1}`));
    expect(() => openSqliteLeadStore(file)).toThrow(/newer/);
    store = openSqliteLeadStore(':memory:');
  });

  it('a job left running without a lease by a runtime older than leases counts as expired', async () => {
    await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await store.claimJobs(['lead.new'], 10, new Date(Date.now() + 1000), [], { worker: 'w', leaseMs: 60_000 });
    withFile((db) => db.prepare('UPDATE jobs SET worker = NULL, lease_until = NULL WHERE id = ?').run(job.id));
    expect(await store.requeueExpired(new Date())).toBe(1);
    expect(await store.jobsOfLead(job.leadId as number)).toMatchObject([{ id: job.id, state: 'queued' }]);
  });

  it('a run of its own lead only writes no link (executions.lead_id names it); a run stored before that, linked to its own lead too, reads back the same', async () => {
    const a = await store.insertLead({ offer: 'tea' }, 'crm', []);
    const b = await store.insertLead({ offer: 'tea' }, 'crm', []);
    const run = (leadId: number, leadIds?: number[]) =>
      store.insertExecution({
        flowId: 'f',
        flowVersion: 1,
        integrationId: 'crm',
        event: 'lead.new',
        leadId,
        leadIds,
        state: 'success',
        test: false,
        steps: [],
        startedAt: new Date().toISOString(),
        durationMs: 1,
      });
    const own = await run(a.id);
    const both = await run(a.id, [a.id, b.id]);
    expect(withFile((db) => db.prepare('SELECT execution_id, lead_id FROM execution_leads ORDER BY execution_id, lead_id').all())).toEqual([
      { execution_id: both, lead_id: b.id },
    ]);
    const read = async () => ({
      own: await store.getExecution(own),
      both: await store.getExecution(both),
      ofA: (await store.listExecutions({ leadId: a.id })).map((e) => [e.id, e.leadIds]),
      ofB: (await store.listExecutions({ leadId: b.id })).map((e) => [e.id, e.leadIds]),
    });
    const now = await read();
    expect(now.own?.leadIds).toBeUndefined();
    expect(now.both?.leadIds).toEqual([a.id, b.id]);
    expect(now.ofA).toEqual([
      [both, [a.id, b.id]],
      [own, undefined],
    ]);
    expect(now.ofB).toEqual([[both, [a.id, b.id]]]);
    // as a runtime before schema version 17 wrote them: each run linked to its own lead as well
    withFile((db) => db.prepare('INSERT INTO execution_leads (execution_id, lead_id) VALUES (?, ?), (?, ?)').run(own, a.id, both, a.id));
    expect(await read()).toEqual(now);
  });
});

describe('the indexes', () => {
  it("an integration's delivery counts are read from its covering index alone", async () => {
    await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    expect(await store.deliveryCounts('crm')).toEqual({ failed: 0, retrying: 0 });
    const plan = withFile(
      (db) =>
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT count(*) FROM jobs WHERE integration_id = 'crm' AND state IN ('failed', 'queued') AND state <> 'done' AND kind IN ('lead.new', 'lead.update', 'lead.approved')`,
          )
          .all() as { detail: string }[],
    );
    expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING COVERING INDEX jobs_integration_state/);
  });

  it("a status check's batch of handed leads is one range of the integration's handoffs from the cursor, not a walk over the stage's leads", async () => {
    // many leads in the stage, none handed on: the batch must not read them to find that out
    for (let i = 0; i < 300; i++) await store.insertLead({ offer: 'tea' }, 'crm', []);
    expect(await store.leadBatch({ integrationId: 'beta', stage: 'new', limit: 100 })).toEqual([]);
    // the plan of the store's statement (sqlite-handoffs.ts), read with SQLite itself
    const plan = withFile((db) =>
      (
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT leads.*, h.eid AS handoff_eid FROM lead_handoffs h CROSS JOIN leads ON leads.id = h.lead_id
             WHERE h.integration_id = 'beta' AND h.lead_id > 0 AND leads.integration_id <> 'beta' AND leads.stage = 'new' AND leads.created_at >= ''
             ORDER BY h.lead_id LIMIT 100`,
          )
          .all() as { detail: string }[]
      ).map((row) => row.detail),
    );
    expect(plan[0]).toMatch(/SEARCH h USING (COVERING )?INDEX lead_handoffs_integration \(integration_id=\? AND lead_id>\?\)/);
    expect(plan.join(' ')).not.toMatch(/leads_stage_created|TEMP B-TREE/);
  });

  it("a lead's runs, linked or its own, are read by primary key from the two indexes, newest first without a sort", () => {
    const plan = withFile((db) =>
      (
        db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT * FROM executions WHERE id IN (SELECT execution_id FROM execution_leads WHERE lead_id = 7
               UNION ALL SELECT id FROM executions WHERE lead_id = 7 AND lead_id > 0) ORDER BY id DESC LIMIT 50`,
          )
          .all() as { detail: string }[]
      ).map((row) => row.detail),
    );
    expect(plan[0]).toMatch(/SEARCH executions USING INTEGER PRIMARY KEY/);
    expect(plan.join(' ')).toMatch(/INDEX execution_leads_lead \(lead_id=\?\).*INDEX executions_lead \(lead_id=\?\)/);
    expect(plan.join(' ')).not.toMatch(/TEMP B-TREE|SCAN/);
  });

  it('the eid indexes hold only the leads a target has named, and a lead is found by its eid from them', async () => {
    const leads = [];
    for (let i = 0; i < 3; i++) leads.push(await store.insertLead({ offer: 'tea' }, 'crm', []));
    await store.updateLead(leads[1].id, { eid: 'CRM-7' }, []);
    expect((await store.findLeadByEid('crm', 'CRM-7'))?.id).toBe(leads[1].id);
    expect((await store.listLeads({ search: { phones: [], eid: 'CRM-7' } })).map((lead) => lead.id)).toEqual([leads[1].id]);
    const entries = (index: string) =>
      withFile(
        (db) =>
          (db.prepare(`SELECT coalesce(sum(ncell), 0) AS n FROM dbstat WHERE name = ? AND pagetype = 'leaf'`).get(index) as { n: number })
            .n,
      );
    expect([entries('leads_integration_eid'), entries('leads_eid')]).toEqual([1, 1]);
    const plan = (sql: string) =>
      withFile((db) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join(' '));
    expect(plan(`SELECT * FROM leads WHERE integration_id = 'crm' AND eid = 'CRM-7' ORDER BY id DESC LIMIT 1`)).toMatch(
      /SEARCH leads USING INDEX leads_integration_eid \(integration_id=\? AND eid=\?\)/,
    );
    expect(plan(`SELECT id FROM leads WHERE eid = 'CRM-7'`)).toMatch(/SEARCH leads USING COVERING INDEX leads_eid \(eid=\?\)/);
  });

  it('the queue reads its open jobs from indexes of open jobs only: a done job is in none of them', async () => {
    await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await store.claimJobs(['lead.new'], 10, new Date(Date.now() + 1000));
    await store.completeJob(job.id);
    const plan = (sql: string) =>
      withFile((db) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join(' '));
    expect(plan(`SELECT id FROM jobs WHERE state = 'queued' AND kind = 'postback.out' AND run_at <= '9' ORDER BY run_at, id`)).toMatch(
      /USING (COVERING )?INDEX jobs_lane_kind/,
    );
    expect(plan(`SELECT id FROM jobs WHERE state = 'queued' AND integration_id IS 'crm' AND run_at <= '9' ORDER BY run_at, id`)).toMatch(
      /USING (COVERING )?INDEX jobs_lane_integration/,
    );
    expect(plan(`SELECT id FROM jobs WHERE state = 'running' AND (lease_until IS NULL OR lease_until <= '9')`)).toMatch(
      /INDEX jobs_running_lease/,
    );
    // each index's entries (dbstat reads the file's pages): the done job is in none; the queued one in those of queued jobs
    await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const entries = (index: string) =>
      withFile(
        (db) =>
          (db.prepare(`SELECT coalesce(sum(ncell), 0) AS n FROM dbstat WHERE name = ? AND pagetype = 'leaf'`).get(index) as { n: number })
            .n,
      );
    expect(['jobs_lane_kind', 'jobs_lane_integration', 'jobs_integration_state', 'jobs_kind_state_lead'].map(entries)).toEqual([
      1, 1, 1, 1,
    ]);
    expect(entries('jobs_running_lease')).toBe(0);
    expect(entries('jobs_lead')).toBe(2);
  });
});
