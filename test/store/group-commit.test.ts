import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { StageConflict } from '../../runtime/store/types.ts';

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
