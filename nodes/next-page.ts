import { stringify } from '../core/template/template.ts';
import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { isObject } from '../core/node/values.ts';

/**
 * Next Page: in a date-range status check, tells the check whether the target has another page;
 * while it has, the check runs the flow again for it (`{{batch.page}}` one higher).
 *
 * How the next page is named (`advance`):
 * - `answer`: read from the answer (`more`): a next page number or a cursor, empty on the last
 *   page; the next run gets it as `{{batch.cursor}}`;
 * - `page`: page numbers, `{{batch.page}}` + 1 (1, 2, 3…);
 * - `offset`: offsets, `{{batch.offset}}` + `size` (0, 50, 100…).
 *
 * It stops on the first of: an empty page (`items` empty), the last page read from the answer
 * (`last` true), a page with fewer than `size` items (page and offset paging), `maxPages` pages,
 * and — with `answer` — an empty `more` or a cursor that repeats.
 *
 * Ports: `in`; `out` → the input, unchanged.
 */
export const nextPage = defineNode({
  type: 'next-page',
  version: 1,
  title: 'Next Page',
  category: 'read answer',
  description: "Follows the target's pages: asks for the next page while the answer says there is one.",
  inputs: ['in'],
  outputs: ['out'],
  params: {
    advance: param.select(['answer', 'page', 'offset'], {
      label: 'Next page is',
      help: 'answer: the answer names the next page or cursor. page: page numbers, {{batch.page}} + 1. offset: offsets, {{batch.offset}} + page size.',
      default: 'answer',
    }),
    more: param.template({
      label: 'Next page from the answer',
      help: 'The next page number or cursor, empty on the last page. E.g. {{input.body.next_page}}. The next run has it as {{batch.cursor}}.',
      required: true,
      showIf: { advance: 'answer' },
    }),
    size: param.number({
      label: 'Page size',
      help: 'Items a full page has (what you ask for with limit=…). With page or offset paging, a shorter page is the last; with offset paging, the step.',
      default: 50,
      min: 1,
      max: 100000,
      showIf: { advance: ['page', 'offset'] },
    }),
    items: param.template({
      label: "The page's items",
      help: 'Optional. The list on this page, e.g. {{input.body.leads}}: an empty list is the last page.',
    }),
    last: param.template({
      label: 'Last page when',
      help: 'Optional. True on the last page, from the answer: {{input.body.is_last}}, or {{batch.page | gte:input.body.totalPages}}.',
    }),
    maxPages: param.number({
      label: 'At most … pages',
      help: 'A window stops after this many pages, whatever the answer says.',
      default: 100,
      min: 1,
      max: 1000,
    }),
  },
  execute({ params, input, trigger, nextPage, log }) {
    const batch = isObject(trigger) ? trigger : {};
    const page = positiveInteger(batch.page, 1);
    const offset = positiveInteger(batch.offset, 0);
    const items = params.items === undefined || params.items === '' ? undefined : listOf(params.items);
    const stop = (why: string) => log(`last page: ${why}`);
    const done = ((): string | undefined => {
      if (items !== undefined && items.length === 0) return 'the page is empty';
      if (isTrue(params.last)) return 'the answer says so';
      if (params.advance !== 'answer' && items !== undefined && items.length < params.size)
        return `${items.length} items, fewer than ${params.size}`;
      if (page >= params.maxPages) return `page ${page} is the most asked for`;
      return undefined;
    })();
    if (done) stop(done);
    else if (params.advance === 'page') {
      nextPage(page + 1);
      log(`next page: ${page + 1}`);
    } else if (params.advance === 'offset') {
      nextPage(offset + params.size, { offset: offset + params.size });
      log(`next offset: ${offset + params.size}`);
    } else {
      const more = params.more;
      const empty = more === undefined || more === null || more === false || stringify(more).trim() === '' || more === 0;
      if (empty) stop('no next page in the answer');
      else {
        nextPage(more);
        log(`next page: ${stringify(more)}`);
      }
    }
    return { output: input };
  },
});

function positiveInteger(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** A page's items: a list, or an object keyed by id (its values). */
function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null || value === '') return [];
  if (isObject(value)) return Object.values(value);
  return [value];
}

/** "Last page" as targets write it: true, 1, "1", "true", "yes". */
function isTrue(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return typeof value === 'string' && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}
