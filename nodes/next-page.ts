import { stringify } from '../core/template/template.ts';
import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';

/**
 * Next Page: in a date-range status check, tells the check that the target has another page.
 * While `more` is not empty, the check runs the flow again with `{{batch.page}}` one higher and
 * `{{batch.cursor}}` set to it; an empty `more` ends the check (and a cursor that repeats, too).
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
    more: param.template({
      label: 'Next page',
      help: 'From the answer: the next page number or cursor, empty on the last page. E.g. {{input.body.next_page}}.',
      required: true,
    }),
  },
  execute({ params, input, nextPage, log }) {
    const more = params.more;
    const empty = more === undefined || more === null || more === false || stringify(more).trim() === '' || more === 0;
    if (!empty) nextPage(more);
    log(empty ? 'last page' : `next page: ${stringify(more)}`);
    return { output: input };
  },
});
