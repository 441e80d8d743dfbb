/**
 * The kernel's duplicate values (what an offer's duplicate check compares) and its window. The
 * store's check itself (insertLeadOnce with a `DuplicateCheck`) is the lead store contract's
 * (test/store/contracts/lead-store.contract.ts).
 */
import { describe, expect, it } from 'vitest';
import { duplicateValues, duplicateWindowStart } from '../../core/domain/duplicates.ts';
import type { LeadInput } from '../../core/domain/lead.ts';

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
