/**
 * The SQLite store's dashboard counters rebuilt from the leads by the migration that adds them (an
 * older file's leads count). That every backend keeps them in the same write as each insert and
 * stage change is the lead store contract's (test/store/contracts/lead-store.contract.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { hourKey } from '../../core/domain/dashboard.ts';
import { removeDataDir } from '../support/harness.ts';

const file = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-counters-'));
  return { dir, file: path.join(dir, 'leads.sqlite') };
};

const hour = hourKey(new Date().toISOString());
const totals = (hours: { stage: string; count: number }[]) => {
  const byStage: Record<string, number> = {};
  for (const row of hours) byStage[row.stage] = (byStage[row.stage] ?? 0) + row.count;
  return byStage;
};

describe('the dashboard counters', () => {
  it('are rebuilt from the leads and their history by the migration', async () => {
    const { dir, file: at } = file();
    let store = openSqliteLeadStore(at);
    try {
      const a = await store.insertLead({ offer: 'tea' }, 'crm', []);
      await store.insertLead({ offer: 'tea' }, 'crm', []);
      await store.updateLead(
        a.id,
        { stage: 'cancel', history: { at: new Date().toISOString(), from: 'new', stage: 'cancel', source: 'delivery' } },
        [],
      );
      await store.close();
      // as a file from before the counters (and so before the search keys of the migration after them)
      const db = new Database(at);
      db.exec('DROP TABLE lead_stage_hours; DROP TABLE lead_first_status;');
      // and from before what came after them (migration 15: the lead search's keys and run links)
      db.exec('DROP INDEX leads_phone; DROP INDEX leads_email; DROP TABLE execution_leads;');
      db.exec('ALTER TABLE leads DROP COLUMN phone_e164; ALTER TABLE leads DROP COLUMN email_lc;');
      db.pragma('user_version = 13');
      db.close();
      store = openSqliteLeadStore(at);
      const counts = await store.dashboardCounts({ fromHour: hour, toHour: hour });
      expect(totals(counts.hours)).toEqual({ new: 1, cancel: 1 });
      expect(counts.firstStatus.crm).toHaveLength(1);
    } finally {
      await store.close();
      removeDataDir(dir);
    }
  });
});
