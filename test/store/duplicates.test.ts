/**
 * The lead store's duplicate check (insertLeadOnce with an offer's check) on a real SQLite file:
 * the window, the offer, what is recorded as an original, and that a refusal writes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { duplicateValues, duplicateWindowStart } from '../../core/domain/duplicates.ts';
import type { LeadInput } from '../../core/domain/lead.ts';
import { openSqliteLeadStore, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { DuplicateCheck, IntakeKeys } from '../../runtime/store/types.ts';

let dir: string;
let store: SqliteLeadStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-dup-'));
  store = openSqliteLeadStore(path.join(dir, 'leads.sqlite'));
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const keys: IntakeKeys = { source: 'net', bodyHash: 'h' };
const lead = (phone: string, offer = 'tea'): LeadInput => ({ offer, phone, phoneE164: phone.replace(/[^\d+]/g, '') });
const check = (input: LeadInput, since: Date, action: 'refuse' | 'trash' = 'refuse'): DuplicateCheck => ({
  offer: input.offer,
  values: duplicateValues(['phone'], input),
  since,
  action,
});
const longAgo = new Date(Date.now() - 86_400_000);

describe('the duplicate check of the lead store', () => {
  it('finds an original created inside the window and names it', async () => {
    const first = await store.insertLeadOnce(lead('+49 151 1'), 'crm', [{ kind: 'lead.new' }], keys, check(lead('+49 151 1'), longAgo));
    const again = await store.insertLeadOnce(lead('+49151 1'), 'crm', [{ kind: 'lead.new' }], keys, check(lead('+49151 1'), longAgo));
    expect(again.duplicate?.original.id).toBe(first.lead?.id);
    expect(again.duplicate?.fields).toEqual(['phone']);
    expect(again.lead).toBeUndefined();
    expect(await store.listLeads({})).toHaveLength(1);
  });

  it('does not count a lead created before the window began', async () => {
    await store.insertLeadOnce(lead('+49 151 2'), 'crm', [], keys, check(lead('+49 151 2'), longAgo));
    // a window starting after the first lead was stored: it is older than the window
    const later = new Date(Date.now() + 1000);
    const again = await store.insertLeadOnce(lead('+49 151 2'), 'crm', [], keys, check(lead('+49 151 2'), later));
    expect(again.duplicate).toBeUndefined();
    expect(again.lead?.stage).toBe('new');
  });

  it('does not count a lead of another offer', async () => {
    await store.insertLeadOnce(lead('+49 151 3', 'tea'), 'crm', [], keys, check(lead('+49 151 3', 'tea'), longAgo));
    const other = await store.insertLeadOnce(lead('+49 151 3', 'coffee'), 'crm', [], keys, check(lead('+49 151 3', 'coffee'), longAgo));
    expect(other.duplicate).toBeUndefined();
  });

  it('stores a trashed duplicate without its jobs, and does not make it an original', async () => {
    const first = await store.insertLeadOnce(lead('+49 151 4'), 'crm', [{ kind: 'lead.new' }], keys, check(lead('+49 151 4'), longAgo));
    const trashed = await store.insertLeadOnce(
      lead('+49 151 4'),
      'crm',
      [{ kind: 'lead.new' }],
      keys,
      check(lead('+49 151 4'), longAgo, 'trash'),
    );
    expect(trashed.lead).toMatchObject({ stage: 'trash', reason: 'duplicate' });
    expect(await store.jobsOfLead(trashed.lead!.id)).toEqual([]);
    expect(await store.history(trashed.lead!.id)).toMatchObject([{ from: 'new', stage: 'trash', source: 'api', reason: 'duplicate' }]);
    const third = await store.insertLeadOnce(lead('+49 151 4'), 'crm', [], keys, check(lead('+49 151 4'), longAgo, 'trash'));
    expect(third.duplicate?.original.id).toBe(first.lead?.id);
  });
});

describe('duplicate values', () => {
  it('compare a phone by its E.164 form, else by its digits; an email in lower case; a custom field as text', () => {
    const input: LeadInput = { offer: 'o', phone: '0151 2345678', phoneE164: '+491512345678', email: ' Ann@X.org ', meta: { x: 42 } };
    expect(duplicateValues(['phone', 'email', 'meta.x', 'sub1'], input)).toEqual([
      { field: 'phone', value: '+491512345678' },
      { field: 'email', value: 'ann@x.org' },
      { field: 'meta.x', value: '42' },
    ]);
    expect(duplicateValues(['phone'], { offer: 'o', phone: '(0151) 234-5678' })).toEqual([{ field: 'phone', value: '01512345678' }]);
  });

  it('keep a long value as its hash, so the index stays small', () => {
    const [value] = duplicateValues(['meta.note'], { offer: 'o', meta: { note: 'x'.repeat(5000) } });
    expect(value.value).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("start the window the rule's days before now", () => {
    expect(duplicateWindowStart({ days: 30 }, new Date('2026-03-31T12:00:00Z')).toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });
});
