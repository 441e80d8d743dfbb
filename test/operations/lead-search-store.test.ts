/**
 * The SQLite store's lead search: every filter served by an index (the query plans read against
 * the real store, no full-table scan), and the search keys backfilled for a file from before them.
 * What the search, the filters and keyset paging find is the lead store contract's
 * (test/store/contracts/lead-store.contract.ts), which every backend runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { leadSearchTerms } from '../../core/domain/lead-search.ts';
import type { LeadQuery } from '../../runtime/store/types.ts';

let dir: string;
let store: SqliteLeadStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-search-'));
  store = openSqliteLeadStore(path.join(dir, 'leads.sqlite'));
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const DE = ['DE'];

describe('a file from before the search keys', () => {
  it('gets its leads’ keys from their stored fields when it is opened', async () => {
    const file = path.join(dir, 'old.sqlite');
    const old = openSqliteLeadStore(file);
    const stored = await old.insertLead({ offer: 'tea', phoneE164: '+491512345678', email: 'A@B.de' }, 'crm', []);
    await old.close();
    const db = new Database(file);
    db.exec('DROP INDEX leads_phone; DROP INDEX leads_email; UPDATE leads SET phone_e164 = NULL, email_lc = NULL');
    db.exec('ALTER TABLE leads DROP COLUMN phone_e164; ALTER TABLE leads DROP COLUMN email_lc; DROP TABLE execution_leads');
    // version 14: the file as the runtime before the search keys (migration 14 → 15) left it
    db.pragma('user_version = 14');
    db.close();
    const migrated = openSqliteLeadStore(file);
    try {
      expect((await migrated.listLeads({ search: leadSearchTerms('0151 2345678', DE) })).map((l) => l.id)).toEqual([stored.id]);
      expect((await migrated.listLeads({ search: leadSearchTerms('a@b.de', DE) })).map((l) => l.id)).toEqual([stored.id]);
    } finally {
      await migrated.close();
    }
  });
});

describe('the lead list’s query plans', () => {
  /** Every filter combination the Leads page offers: each alone, the search, and them together. */
  const combinations: [string, LeadQuery][] = [
    ['no filter', {}],
    ['search', { search: leadSearchTerms('+491512345678', DE) }],
    ['stage', { stage: 'new' }],
    ['offer', { offer: 'tea' }],
    ['integration', { integrationId: 'crm', withHandoffs: true }],
    ['source', { source: 'src' }],
    ['webmaster', { webmaster: 'w1' }],
    ['dates', { createdFrom: '2026-01-01T00:00:00Z', createdTo: '2026-02-01T00:00:00Z' }],
    ['queued', { delivery: 'queued' }],
    ['failed', { delivery: 'failed' }],
    ['delivered', { delivery: 'delivered' }],
    ['next page', { after: { createdAt: '2026-01-01T00:00:00Z', id: 5 } }],
    ['stage and integration', { stage: 'new', integrationId: 'crm', withHandoffs: true }],
    ['offer and dates and failed', { offer: 'tea', createdFrom: '2026-01-01T00:00:00Z', delivery: 'failed' }],
    ['search and stage', { search: leadSearchTerms('ann@example.com', DE), stage: 'new' }],
    [
      'everything',
      {
        stage: 'new',
        offer: 'tea',
        integrationId: 'crm',
        withHandoffs: true,
        source: 's',
        webmaster: 'w',
        delivery: 'failed',
        createdFrom: '2026-01-01T00:00:00Z',
        after: { createdAt: '2026-03-01T00:00:00Z', id: 9 },
      },
    ],
  ];

  it.each(combinations)('%s: reads the leads through an index, never a scan of the table', (_, query) => {
    for (const plan of store.search.plan(query)) {
      for (const step of plan) {
        // "SCAN leads" alone reads every row; "SCAN leads USING INDEX leads_created" walks the
        // newest first and stops at the page's size; json_each is the query's own small list
        expect(step, plan.join(' | ')).not.toMatch(/^SCAN (leads|jobs|lead_handoffs|h|j)$/);
        expect(step, plan.join(' | ')).not.toMatch(/^SCAN (leads|jobs|lead_handoffs)\b(?! USING (COVERING )?INDEX leads_created)/);
      }
    }
  });
});
