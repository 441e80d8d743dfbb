/**
 * The SQLite lead store's lead list: search and filters, newest first, paged by a keyset cursor on
 * (created_at, id). Each filter has an index ending in `created_at` (sqlite-schema.ts, 13 → 14), so
 * a page is one index range read newest first and stopped at the page's size, never an OFFSET or a
 * scan of the table; a search is first read into the ids it matches, each by an index seek.
 * Kept apart from sqlite.ts, which it extends, so the list's query plan reads in one place.
 */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { LeadQuery } from './types.ts';
import { DELIVERY_STATE_SQL } from './sqlite-delivery.ts';
import type { LeadRow } from './sqlite-rows.ts';
import type { LeadSearchTerms } from '../../core/domain/lead-search.ts';

/** The most leads one search's text may match (a phone shared by a call centre's leads). */
const SEARCH_MATCHES = 5_000;

/** The job states a lead's latest `lead.new` job can be in for each delivery state still open. */
const OPEN_DELIVERY_JOBS: Record<string, string> = {
  queued: `('queued', 'running')`,
  retrying: `('queued', 'running')`,
  failed: `('failed')`,
};

type Filter = [name: string, clause: string, value: unknown];

/** The filters of a query that have a value, each an SQL clause over `leads`. */
function filtersOf(query: LeadQuery, ids: number[] | undefined, handed: boolean): Filter[] {
  const open = query.delivery === undefined ? undefined : OPEN_DELIVERY_JOBS[query.delivery];
  const filters: Filter[] = [
    // a handed lead is another integration's own: the join gives it, here only that it is not ours
    ['integrationId', handed ? 'leads.integration_id <> @integrationId' : 'leads.integration_id = @integrationId', query.integrationId],
    ['stage', 'leads.stage = @stage', query.stage],
    ['offer', 'leads.offer = @offer', query.offer],
    ['source', 'leads.source = @source', query.source],
    ['webmaster', 'leads.wm = @webmaster', query.webmaster],
    ['searchIds', 'leads.id IN (SELECT value FROM json_each(@searchIds))', ids && JSON.stringify(ids)],
    // an open delivery is a lead still new (the kernel's rule): read newest first through
    // leads_stage_created, few as they are, each checked against its job (jobs_kind_state_lead)
    [
      'delivery',
      open
        ? `leads.stage = 'new' AND leads.id IN (SELECT lead_id FROM jobs WHERE kind = 'lead.new' AND state IN ${open} AND state <> 'done') AND ${DELIVERY_STATE_SQL} = @delivery`
        : `${DELIVERY_STATE_SQL} = @delivery`,
      query.delivery,
    ],
    ['createdFrom', 'leads.created_at >= @createdFrom', query.createdFrom],
    ['createdTo', 'leads.created_at < @createdTo', query.createdTo],
    ['before', 'leads.id < @before', query.before],
    // the keyset: strictly after the cursor's lead in (created_at DESC, id DESC) order; the first
    // clause is the index range, the second drops the cursor's own time's leads already given
    ['afterAt', 'leads.created_at <= @afterAt AND (leads.created_at < @afterAt OR leads.id < @afterId)', query.after?.createdAt],
  ];
  return filters.filter(([, , value]) => value !== undefined);
}

export function prepareSearch(db: SqliteDatabase) {
  const statements = new Map<string, Statement>();
  const matches = db
    .prepare(
      `SELECT id FROM leads WHERE id = @id
       UNION SELECT id FROM leads WHERE phone_e164 IN (SELECT value FROM json_each(@phones))
       UNION SELECT id FROM leads WHERE email_lc = @email
       UNION SELECT id FROM leads WHERE eid = @eid
       UNION SELECT lead_id FROM lead_handoffs WHERE eid = @eid
       LIMIT ${SEARCH_MATCHES}`,
    )
    .pluck();

  /** The statement for one combination of filters, prepared once (each can use its own index). */
  function statement(filters: Filter[], handed: boolean): Statement {
    // keyed by the clauses themselves: the delivery filter's clause differs with its value
    const key = `${handed ? 'handed' : 'own'}:${filters.map(([, clause]) => clause).join(' AND ')}`;
    let prepared = statements.get(key);
    if (!prepared) {
      const where = filters.map(([, clause]) => clause);
      const from = handed ? 'lead_handoffs h JOIN leads ON leads.id = h.lead_id' : 'leads';
      if (handed) where.unshift('h.integration_id = @integrationId');
      const sql = `SELECT leads.* FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY leads.created_at DESC, leads.id DESC LIMIT @limit`;
      prepared = db.prepare(sql);
      statements.set(key, prepared);
    }
    return prepared;
  }

  function params(filters: Filter[], query: LeadQuery, limit: number): Record<string, unknown> {
    const values: Record<string, unknown> = { limit };
    for (const [name, , value] of filters) values[name] = value;
    if (query.after) values.afterId = query.after.id;
    return values;
  }

  return {
    /** The ids a search's terms match, each found by an index seek. */
    matching(terms: LeadSearchTerms): number[] {
      return matches.all({
        id: terms.id ?? null,
        phones: JSON.stringify(terms.phones),
        email: terms.email ?? null,
        eid: terms.eid ?? null,
      }) as number[];
    },
    /**
     * A page of leads newest first. With `integrationId` and `withHandoffs`, the leads handed to it
     * too: a second indexed read over its handoffs, merged with its own page.
     */
    list(query: LeadQuery, limit: number): LeadRow[] {
      const ids = query.search ? this.matching(query.search) : undefined;
      if (ids && ids.length === 0) return [];
      const own = filtersOf(query, ids, false);
      const rows = statement(own, false).all(params(own, query, limit)) as LeadRow[];
      if (!query.withHandoffs || query.integrationId === undefined) return rows;
      const handed = filtersOf(query, ids, true);
      const more = statement(handed, true).all(params(handed, query, limit)) as LeadRow[];
      if (more.length === 0) return rows;
      return [...rows, ...more]
        .sort((a, b) => (a.created_at === b.created_at ? b.id - a.id : a.created_at < b.created_at ? 1 : -1))
        .slice(0, limit);
    },
    /** The query plan of each statement {@link list} runs for a query (EXPLAIN QUERY PLAN's details). */
    plan(query: LeadQuery): string[][] {
      const ids = query.search ? [1] : undefined;
      const plans: string[][] = [];
      const shapes = query.withHandoffs && query.integrationId !== undefined ? [false, true] : [false];
      for (const handed of shapes) {
        const filters = filtersOf(query, ids, handed);
        const sql = (statement(filters, handed) as unknown as { source: string }).source;
        const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params(filters, query, 50)) as { detail: string }[];
        plans.push(rows.map((row) => row.detail));
      }
      if (query.search) {
        const rows = db
          .prepare(`EXPLAIN QUERY PLAN ${(matches as unknown as { source: string }).source}`)
          .all({ id: 1, phones: '[]', email: 'a', eid: 'a' }) as { detail: string }[];
        plans.push(rows.map((row) => row.detail));
      }
      return plans;
    },
  };
}
