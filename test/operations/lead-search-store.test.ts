/**
 * Finding any lead in the store: by phone in any format, email, our id or an external id; each
 * filter; keyset paging that gives every lead once; and every filter served by an index (the
 * query plans read against the real SQLite store, no full-table scan).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { leadSearchTerms } from '../../core/domain/lead-search.ts';
import type { LeadQuery } from '../../runtime/store/types.ts';
import { SCHEMA_VERSION } from '../../runtime/store/sqlite-schema.ts';

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

describe('searching leads', () => {
  it('finds a lead by its phone typed in three formats, by email in another case, by our id and by the target’s id', async () => {
    await store.insertLead({ offer: 'tea', phone: '+4915100000000', phoneE164: '+4915100000000' }, 'crm', []);
    const ann = await store.insertLead(
      { offer: 'tea', phone: '0151 2345678', country: 'de', phoneE164: '+491512345678', email: 'Ann@Example.com' },
      'crm',
      [],
    );
    await store.updateLead(ann.id, { eid: 'CRM-77' }, []);
    const other = await store.insertLead({ offer: 'tea', phone: '+4915122222222' }, 'crm', []);
    await store.updateLead(other.id, { handoffEid: { integrationId: 'fulfil', eid: 'F-9' } }, []);
    const found = async (text: string) => (await store.listLeads({ search: leadSearchTerms(text, DE) })).map((l) => l.id);

    expect(await found('+49 151 2345678')).toEqual([ann.id]);
    expect(await found('0151 234-5678')).toEqual([ann.id]);
    expect(await found('00491512345678')).toEqual([ann.id]);
    expect(await found('491512345678')).toEqual([ann.id]);
    expect(await found('ANN@example.COM ')).toEqual([ann.id]);
    expect(await found(String(ann.id))).toContain(ann.id);
    expect(await found('CRM-77')).toEqual([ann.id]);
    expect(await found('F-9')).toEqual([other.id]);
    expect(await found('nobody@example.com')).toEqual([]);
  });

  it('keeps the search keys true when a lead’s fields change, and backfills them for leads stored before them', async () => {
    const lead = await store.insertLead({ offer: 'tea', email: 'old@example.com' }, 'crm', []);
    await store.updateLead(lead.id, { input: { offer: 'tea', email: 'New@Example.com', phoneE164: '+491512345678' } }, []);
    expect((await store.listLeads({ search: leadSearchTerms('new@example.com', []) })).map((l) => l.id)).toEqual([lead.id]);
    expect((await store.listLeads({ search: leadSearchTerms('old@example.com', []) })).map((l) => l.id)).toEqual([]);

    // a file at the previous version: its leads get their keys from the stored fields
    const file = path.join(dir, 'old.sqlite');
    const old = openSqliteLeadStore(file);
    const stored = await old.insertLead({ offer: 'tea', phoneE164: '+491512345678', email: 'A@B.de' }, 'crm', []);
    await old.close();
    const db = new Database(file);
    db.exec('DROP INDEX leads_phone; DROP INDEX leads_email; UPDATE leads SET phone_e164 = NULL, email_lc = NULL');
    db.exec('ALTER TABLE leads DROP COLUMN phone_e164; ALTER TABLE leads DROP COLUMN email_lc; DROP TABLE execution_leads');
    db.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
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

describe('filtering leads', () => {
  it('each filter selects its leads: stage, offer, integration with the leads handed to it, source, webmaster and dates', async () => {
    const a = await store.insertLead({ offer: 'tea', wm: 'w1' }, 'crm', [], 'src-a');
    const b = await store.insertLead({ offer: 'coffee', wm: 'w2' }, 'shop', [], 'src-b');
    const c = await store.insertLead({ offer: 'tea', wm: 'w2' }, 'shop', [], 'src-a');
    await store.updateLead(c.id, { stage: 'approve', handoffs: ['crm'] }, []);
    // a second apart, so the date range below tells them apart however fast they were stored
    for (const [n, lead] of [a, b, c].entries()) {
      lead.created_at = `2026-12-01T10:00:0${n}.000Z`;
      store.db.prepare('UPDATE leads SET created_at = ? WHERE id = ?').run(lead.created_at, lead.id);
    }
    const ids = async (query: LeadQuery) => (await store.listLeads(query)).map((l) => l.id).sort((x, y) => x - y);

    expect(await ids({ stage: 'approve' })).toEqual([c.id]);
    expect(await ids({ offer: 'tea' })).toEqual([a.id, c.id]);
    expect(await ids({ integrationId: 'crm' })).toEqual([a.id]);
    expect(await ids({ integrationId: 'crm', withHandoffs: true })).toEqual([a.id, c.id]);
    expect(await ids({ source: 'src-b' })).toEqual([b.id]);
    expect(await ids({ webmaster: 'w2' })).toEqual([b.id, c.id]);
    expect(await ids({ createdFrom: b.created_at, createdTo: c.created_at })).toEqual([b.id]);
    expect(await ids({ offer: 'tea', stage: 'new', integrationId: 'crm', withHandoffs: true })).toEqual([a.id]);
  });

  it('selects by delivery state: queued, failed and delivered', async () => {
    const queued = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const failed = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const delivered = await store.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
    const jobs = await store.claimJobs(['lead.new'], 10, new Date());
    const jobOf = (id: number) => jobs.find((job) => job.leadId === id)?.id as number;
    await store.releaseJobs('local', [jobOf(queued.id)]);
    await store.failJob(jobOf(failed.id), 'http_error: HTTP 401', undefined);
    await store.updateLead(delivered.id, { stage: 'wait' }, []);
    await store.completeJob(jobOf(delivered.id));
    const ids = async (delivery: LeadQuery['delivery']) => (await store.listLeads({ delivery })).map((l) => l.id);
    expect(await ids('queued')).toEqual([queued.id]);
    expect(await ids('failed')).toEqual([failed.id]);
    expect(await ids('delivered')).toEqual([delivered.id]);
  });
});

describe('paging leads', () => {
  it('gives every lead once across pages, newest first, leads stored in the same millisecond included', async () => {
    const stored: number[] = [];
    for (let i = 0; i < 57; i++) stored.push((await store.insertLead({ offer: i % 2 ? 'tea' : 'coffee' }, 'crm', [])).id);
    // several leads at one time: the keyset must go on by id within it
    store.db.prepare(`UPDATE leads SET created_at = '2026-12-01T10:00:00.000Z' WHERE id % 5 = 0`).run();
    const seen: number[] = [];
    let after: LeadQuery['after'];
    for (let page = 0; page < 20; page++) {
      const leads = await store.listLeads({ limit: 10, after });
      seen.push(...leads.map((l) => l.id));
      if (leads.length < 10) break;
      const last = leads.at(-1)!;
      after = { createdAt: last.created_at, id: last.id };
    }
    expect([...seen].sort((x, y) => x - y)).toEqual(stored);
    expect(new Set(seen).size).toBe(stored.length);
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
