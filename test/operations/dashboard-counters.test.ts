/**
 * The dashboard's counters in the lead store: kept in the same write as each insert and stage
 * change, and rebuilt from the leads by the migration that adds them (an older file's leads count).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  it('count each lead once, in the stage it is in now, and keep its first status', async () => {
    const { dir, file: at } = file();
    const store = openSqliteLeadStore(at);
    try {
      const a = await store.insertLead({ offer: 'tea' }, 'crm', []);
      const b = await store.insertLead({ offer: 'tea' }, 'crm', []);
      await store.insertLead({ offer: 'tea' }, 'other', []);
      const move = (id: number, from: 'new' | 'wait', stage: 'wait' | 'approve') =>
        store.updateLead(id, { stage, history: { at: new Date().toISOString(), from, stage, source: 'manual' } }, []);
      await move(a.id, 'new', 'wait');
      await move(a.id, 'wait', 'approve');
      await move(b.id, 'new', 'wait');
      const counts = await store.dashboardCounts({ fromHour: hour, toHour: hour });
      expect(totals(counts.hours)).toEqual({ new: 1, wait: 1, approve: 1 });
      expect(totals((await store.dashboardCounts({ fromHour: hour, toHour: hour, integrationId: 'crm' })).hours)).toEqual({
        wait: 1,
        approve: 1,
      });
      expect(counts.firstStatus).toEqual({ crm: [expect.any(Number)] });
    } finally {
      await store.close();
      removeDataDir(dir);
    }
  });

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
      // as a file from before the counters (and so before the search keys of the migration after them)
      store.db.exec('DROP TABLE lead_stage_hours; DROP TABLE lead_first_status;');
      // and from before what came after them (migration 15: the lead search's keys and run links)
      store.db.exec('DROP INDEX leads_phone; DROP INDEX leads_email; DROP TABLE execution_leads;');
      store.db.exec('ALTER TABLE leads DROP COLUMN phone_e164; ALTER TABLE leads DROP COLUMN email_lc;');
      store.db.pragma('user_version = 13');
      await store.close();
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
