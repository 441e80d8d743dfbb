/**
 * The offer as the offer screen edits it, before "Save offer": its name, the parameter table by
 * country, goals and products with their parameters as rows, and the duplicate check's fields as
 * text. Routes are not part of it: they are saved as they are chosen (each a move to confirm).
 */
import type { Offer, OfferGoal, OfferProduct, Parameters } from '../../../core/domain/config.ts';
import type { DuplicateAction } from '../../../core/domain/duplicates.ts';
import { geoParameterTable, geoTableProblems, tableParameters, type GeoParameterTable } from '../../../core/domain/geo-parameters.ts';
import type { KeyValueRow } from '../app/KeyValueRows.tsx';

/** A goal or a product being edited; `price` only for products, as typed. */
export interface ItemDraft {
  id: string;
  name: string;
  price: string;
  rows: KeyValueRow<string>[];
}

/** The duplicate check being edited: off, or its fields (comma-separated), window and action. */
export interface DuplicateDraft {
  on: boolean;
  fields: string;
  days: string;
  action: DuplicateAction;
}

export interface OfferDraft {
  name: string;
  table: GeoParameterTable;
  goals: ItemDraft[];
  products: ItemDraft[];
  duplicates: DuplicateDraft;
}

const rowsOf = (values: Parameters | undefined): KeyValueRow<string>[] =>
  Object.entries(values ?? {}).map(([key, value]) => ({ key, value }));

const recordOf = (rows: KeyValueRow<string>[]): Parameters =>
  Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));

const itemDraft = (item: OfferGoal | OfferProduct): ItemDraft => ({
  id: item.id,
  name: item.name ?? '',
  price: 'price' in item && item.price !== undefined ? String(item.price) : '',
  rows: rowsOf(item.parameters),
});

export function draftOf(offer: Offer): OfferDraft {
  return {
    name: offer.name,
    table: geoParameterTable(offer.parameters ?? {}),
    goals: (offer.goals ?? []).map(itemDraft),
    products: (offer.products ?? []).map(itemDraft),
    duplicates: offer.duplicates
      ? { on: true, fields: offer.duplicates.fields.join(', '), days: String(offer.duplicates.days), action: offer.duplicates.action }
      : { on: false, fields: 'phone', days: '30', action: 'trash' },
  };
}

/** The offer the draft saves as: the stored one (its routes) with the draft's fields. */
export function offerOf(draft: OfferDraft, stored: Offer): Offer {
  const item = (d: ItemDraft): OfferGoal => ({
    id: d.id.trim(),
    ...(d.name.trim() ? { name: d.name.trim() } : {}),
    parameters: recordOf(d.rows),
  });
  const { duplicates: _old, ...rest } = stored;
  return {
    ...rest,
    name: draft.name.trim(),
    parameters: tableParameters({ ...draft.table, rows: draft.table.rows.map((r) => ({ ...r, key: r.key.trim() })) }),
    goals: draft.goals.map(item),
    products: draft.products.map((d) => ({ ...item(d), ...(d.price.trim() ? { price: Number(d.price) } : {}) })),
    ...(draft.duplicates.on
      ? {
          duplicates: {
            fields: draft.duplicates.fields
              .split(',')
              .map((f) => f.trim())
              .filter(Boolean),
            days: Number(draft.duplicates.days),
            action: draft.duplicates.action,
          },
        }
      : {}),
  };
}

/** What keeps the draft from saving, in words naming the place; the runtime checks the rest. */
export function draftProblems(draft: OfferDraft): string[] {
  const problems = geoTableProblems(draft.table).map((p) => `Parameters: ${p.message}`);
  if (!draft.name.trim()) problems.push('Name: the offer needs a name');
  for (const [kind, items] of [
    ['Goal', draft.goals],
    ['Product', draft.products],
  ] as const) {
    const seen = new Set<string>();
    for (const [i, item] of items.entries()) {
      if (!item.id.trim()) problems.push(`${kind} ${i + 1}: the id is required`);
      else if (seen.has(item.id.trim())) problems.push(`${kind} ${i + 1}: the id “${item.id.trim()}” is used twice`);
      seen.add(item.id.trim());
      if (item.price.trim() && !(Number(item.price) >= 0)) problems.push(`${kind} ${i + 1}: the price must be a number, 0 or more`);
    }
  }
  if (draft.duplicates.on) {
    if (!draft.duplicates.fields.trim()) problems.push('Duplicate check: name at least one field (phone, email, …)');
    const days = Number(draft.duplicates.days);
    if (!Number.isInteger(days) || days < 1) problems.push('Duplicate check: the days must be a whole number, 1 or more');
  }
  return problems;
}
