import { describe, expect, it } from 'vitest';
import { nextPage } from '../../nodes/next-page.ts';
import { runNode } from './context.ts';

/** Runs Next Page on one page of a date-range check: the batch is its trigger, the answer its input. */
function onPage(batch: Record<string, unknown>, body: unknown, params: Record<string, unknown>) {
  const trigger = { from: '2024-05-06 00:00:00', to: '2024-05-06 01:00:00', page: 1, offset: 0, cursor: undefined, ...batch };
  return runNode(nextPage, { event: 'status.range', lead: null, trigger, batch: trigger, input: { status: 200, body }, params });
}

describe('Next Page', () => {
  it('reads the next page or cursor from the answer, and stops when the answer names none', async () => {
    const more = await onPage({}, { next: 'c-2' }, { more: '{{input.body.next}}' });
    expect(more.nextPage).toBe('c-2');
    const last = await onPage({ page: 2, cursor: 'c-2' }, { next: null }, { more: '{{input.body.next}}' });
    expect(last.nextPage).toBeUndefined();
    expect(last.logs).toEqual(['last page: no next page in the answer']);
  });

  it('counts page numbers: page 2 after page 1, until a page comes back shorter than the page size', async () => {
    const full = await onPage({ page: 1 }, { leads: [1, 2] }, { advance: 'page', size: 2, items: '{{input.body.leads}}' });
    expect(full.nextPage).toBe(2);
    const short = await onPage({ page: 2 }, { leads: [3] }, { advance: 'page', size: 2, items: '{{input.body.leads}}' });
    expect(short.nextPage).toBeUndefined();
  });

  it('counts offsets by the page size: offset 100 after offset 50', async () => {
    const run = await onPage(
      { page: 2, offset: 50 },
      { rows: new Array(50).fill({}) },
      { advance: 'offset', size: 50, items: '{{input.body.rows}}' },
    );
    expect(run.nextPage).toBe(100);
    expect(run.nextOffset).toBe(100);
  });

  it('stops on an empty page, whatever the answer says of a next one', async () => {
    const run = await onPage({}, { leads: [], next: 5 }, { more: '{{input.body.next}}', items: '{{input.body.leads}}' });
    expect(run.nextPage).toBeUndefined();
    expect(run.logs).toEqual(['last page: the page is empty']);
  });

  it('stops on the last page the answer names, compared with a filter', async () => {
    const params = { advance: 'page', last: '{{batch.page | gte:input.body.totalPages}}' };
    expect((await onPage({ page: 2 }, { totalPages: 3 }, params)).nextPage).toBe(3);
    expect((await onPage({ page: 3 }, { totalPages: 3 }, params)).nextPage).toBeUndefined();
    expect((await onPage({ page: 1 }, { is_last: 'true' }, { advance: 'page', last: '{{input.body.is_last}}' })).nextPage).toBeUndefined();
  });

  it('stops at the most pages it may ask for', async () => {
    const run = await onPage({ page: 5 }, {}, { advance: 'page', maxPages: 5 });
    expect(run.nextPage).toBeUndefined();
    expect(run.logs).toEqual(['last page: page 5 is the most asked for']);
  });

  it('passes the answer on unchanged', async () => {
    const run = await onPage({}, { next: 2 }, { more: '{{input.body.next}}' });
    expect(run.result.output).toEqual({ status: 200, body: { next: 2 } });
  });
});
