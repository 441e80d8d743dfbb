import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';

/**
 * For Each: runs the branch on `item` once for every item of a list — the orders of a status
 * answer, say — with the item as the branch's input and as `{{item}}`; then the branch on `done`
 * once, with `{ count }`.
 *
 * A value that is not a list is one item; an object whose values are the items (`{"D1": {...},
 * "D2": {...}}`, as some targets key their answers) gives its values, each with its key as `key`.
 *
 * Ports: `in`; `item` → each item; `done` → `{ count }`.
 */
export const forEach = defineNode({
  type: 'for-each',
  version: 1,
  title: 'For Each',
  category: 'read answer',
  description: 'Runs the next nodes once for every item of a list, such as every order in a status answer.',
  inputs: ['in'],
  outputs: ['item', 'done'],
  params: {
    items: param.template({
      label: 'Items',
      help: 'The list, e.g. {{input.body.orders}}. An object keyed by id ({"D1": {…}, "D2": {…}}) gives its values, each with its key as {{item.key}}.',
      default: '{{input}}',
      required: true,
    }),
  },
  execute({ params }) {
    const items = toItems(params.items);
    return { port: 'item', output: { count: items.length }, items, after: { port: 'done', output: { count: items.length } } };
  },
});

function toItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null || value === '') return [];
  if (typeof value === 'object') {
    return Object.entries(value).map(([key, item]) =>
      item !== null && typeof item === 'object' && !Array.isArray(item) ? { key, ...item } : { key, value: item },
    );
  }
  return [value];
}
