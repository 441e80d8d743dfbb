/** The lead store's count of leads by stage since a time: what the home page's "today's leads" reads. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';

let dir: string;
let store: SqliteLeadStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-stage-counts-'));
  store = openSqliteLeadStore(path.join(dir, 'leads.sqlite'));
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stage counts', () => {
  it('count the leads created since the time given, by stage, leaving out stages with none', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await store.insertLead({ offer: 'tea' }, 'crm', []);
    const moved = await store.insertLead({ offer: 'tea' }, 'crm', []);
    await store.updateLead(
      moved.id,
      { stage: 'wait', history: { at: new Date().toISOString(), from: 'new', stage: 'wait', source: 'delivery' } },
      [],
    );
    expect(await store.stageCounts(before)).toEqual({ new: 3, wait: 1 });
    expect(await store.stageCounts(new Date(Date.now() + 60_000).toISOString())).toEqual({});
  });
});
