/**
 * The duplicate rule of an offer, and what "the same lead" means for each field it names. The
 * intake applies it (runtime/services/intake.ts) and the lead store looks the values up in the
 * same write as the insert; the editor and the API read the rule's shape from here.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { LeadInput, StageChange } from './lead.ts';

/** What happens to a lead that repeats one the offer took within the window. */
export type DuplicateAction = 'refuse' | 'trash';

export const DUPLICATE_ACTIONS: readonly DuplicateAction[] = ['refuse', 'trash'];

/**
 * An offer's duplicate check: a new lead is a duplicate when any one of `fields` has the value an
 * earlier lead of the same offer had, within the last `days`.
 * - `refuse`: answered 409 naming the original lead and the fields that matched; nothing stored.
 * - `trash`: stored in stage `trash` with reason `duplicate`, nothing queued, answered with the
 *   original lead's id.
 *
 * Fields: `phone` (compared in E.164, `phoneE164`, when the intake could read it, else by its
 * digits), `email` (case-insensitive, trimmed), `ip`, or any other field by name: a lead field
 * (`sub1`, `name`) or a custom one (`meta.x`), compared as trimmed text.
 *
 * Only leads stored while the offer had the rule (with that field) count as originals, and a lead
 * stored as a duplicate is not one itself: the window runs from the first lead, not the last repeat.
 * @example { fields: ['phone', 'email'], days: 30, action: 'trash' }
 */
export interface DuplicateRule {
  fields: string[];
  days: number;
  action: DuplicateAction;
}

/** A field name a rule may hold: a lead field, or `meta.` and a custom field's name. */
export const DUPLICATE_FIELD_PATTERN = '^(meta\\.)?[A-Za-z_][A-Za-z0-9_-]{0,63}$';

/** The longest `days` a rule takes (ten years). */
export const MAX_DUPLICATE_DAYS = 3650;

/** One field's value as the duplicate check compares it. */
export interface DuplicateValue {
  field: string;
  value: string;
}

/** The longest value kept as it is; a longer one is kept as its SHA-256, so the lookup index stays small. */
const MAX_VALUE = 128;

/**
 * The lead's values for the rule's fields, normalised (see {@link DuplicateRule}); a field the
 * lead leaves empty is not compared.
 * @example duplicateValues(['phone', 'email'], { offer: 'o', phone: '0151 2345678', phoneE164: '+491512345678', email: ' Ann@X.org' })
 * // [{ field: 'phone', value: '+491512345678' }, { field: 'email', value: 'ann@x.org' }]
 */
export function duplicateValues(fields: readonly string[], input: LeadInput): DuplicateValue[] {
  const values: DuplicateValue[] = [];
  for (const field of fields) {
    const value = normalised(field, input);
    if (value !== '') values.push({ field, value: value.length > MAX_VALUE ? `sha256:${bytesToHex(sha256(utf8ToBytes(value)))}` : value });
  }
  return values;
}

function normalised(field: string, input: LeadInput): string {
  if (field === 'phone') return input.phoneE164 ?? textOf(input.phone).replace(/\D+/g, '');
  if (field === 'email') return textOf(input.email).toLowerCase();
  if (field === 'ip') return textOf(input.ip).toLowerCase();
  if (field.startsWith('meta.')) {
    const meta = input.meta ?? {};
    const name = field.slice('meta.'.length);
    return Object.hasOwn(meta, name) ? textOf(meta[name]) : '';
  }
  const record = input as unknown as Record<string, unknown>;
  return Object.hasOwn(record, field) ? textOf(record[field]) : '';
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).trim();
}

/** The start of a rule's window for a lead arriving at `now`. */
export function duplicateWindowStart(rule: Pick<DuplicateRule, 'days'>, now: Date): Date {
  return new Date(now.getTime() - rule.days * 86_400_000);
}

/** The history entry of a lead stored as a duplicate (`trash`): straight from new, naming its original and the fields that matched. */
export function duplicateTrashEntry(originalId: number, fields: readonly string[], at: Date): StageChange {
  return {
    at: at.toISOString(),
    from: 'new',
    stage: 'trash',
    source: 'api',
    reason: 'duplicate',
    comment: `duplicate of lead ${originalId} (${fields.join(', ')})`,
  };
}
