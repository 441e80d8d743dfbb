/**
 * The lead list in PostgreSQL, as the SQLite store's (sqlite-search.ts): search and filters, newest
 * first, paged by a keyset cursor on `(created_at, id)`. Each filter has an index ending in
 * `(created_at, id)` (schema-records.ts, version 1), so a page is one index range read newest first
 * and stopped at the page's size, never an OFFSET; a search is read into the ids it matches, each
 * by an index seek, within the same statement.
 */
import type pg from 'pg';
import type { LeadQuery } from '../types.ts';
import { DELIVERY_STATE_SQL } from './delivery.ts';
import { leadFromRow, type LeadRow } from './rows.ts';
import type { Lead } from '../../../core/domain/lead.ts';

/** The most leads one search's text may match (a phone shared by a call centre's leads). */
const SEARCH_MATCHES = 5_000;

/** The job states a lead's latest `lead.new` job can be in for each delivery state still open. */
const OPEN_DELIVERY_JOBS: Record<string, string> = {
  queued: `('queued', 'running')`,
  retrying: `('queued', 'running')`,
  failed: `('failed')`,
};

/** A statement's WHERE clauses and their parameters, numbered as they are added. */
class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  /** Adds `clause`, its `$?` marks replaced by the next parameters' numbers. */
  add(clause: string, ...values: unknown[]): void {
    let n = 0;
    this.clauses.push(clause.replace(/\$\?/g, () => `$${this.params.length + ++n}`));
    this.params.push(...values);
  }

  /** The next parameter's mark, for a clause that uses one value twice. */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** The statement of a page of `query`: the leads themselves, or (`handed`) those handed to `query.integrationId`. */
function pageStatement(query: LeadQuery, limit: number, handed: boolean): { text: string; values: unknown[] } {
  const where = new Where();
  if (query.integrationId !== undefined) {
    if (handed) {
      // a handed lead is another integration's own: the join gives it, here only that it is not ours
      const integration = where.param(query.integrationId);
      where.clauses.push(`h.integration_id = ${integration}`, `leads.integration_id <> ${integration}`);
    } else where.add('leads.integration_id = $?', query.integrationId);
  }
  if (query.stage !== undefined) where.add('leads.stage = $?', query.stage);
  if (query.offer !== undefined) where.add('leads.offer = $?', query.offer);
  if (query.source !== undefined) where.add('leads.source = $?', query.source);
  if (query.webmaster !== undefined) where.add('leads.wm = $?', query.webmaster);
  if (query.search) {
    const t = query.search;
    const eid = where.param(t.eid ?? null);
    where.add(
      `leads.id IN (SELECT id FROM (
         SELECT id FROM leads WHERE id = $?::bigint
         UNION SELECT id FROM leads WHERE phone_e164 = ANY($?::text[])
         UNION SELECT id FROM leads WHERE email_lc = $?
         UNION SELECT id FROM leads WHERE eid = ${eid}
         UNION SELECT lead_id FROM lead_handoffs WHERE eid = ${eid}
       ) matches LIMIT ${SEARCH_MATCHES})`,
      t.id ?? null,
      t.phones,
      t.email ?? null,
    );
  }
  if (query.delivery !== undefined) {
    const open = OPEN_DELIVERY_JOBS[query.delivery];
    // an open delivery is a lead still new (the kernel's rule): few as they are, each checked against its job
    where.add(
      open
        ? `leads.stage = 'new' AND leads.id IN (SELECT lead_id FROM jobs WHERE kind = 'lead.new' AND state IN ${open}) AND ${DELIVERY_STATE_SQL} = $?`
        : `${DELIVERY_STATE_SQL} = $?`,
      query.delivery,
    );
  }
  if (query.createdFrom !== undefined) where.add('leads.created_at >= $?', query.createdFrom);
  if (query.createdTo !== undefined) where.add('leads.created_at < $?', query.createdTo);
  if (query.before !== undefined) where.add('leads.id < $?', query.before);
  // the keyset: strictly after the cursor's lead in (created_at DESC, id DESC) order, one index range
  if (query.after) where.add('(leads.created_at, leads.id) < ($?::timestamptz, $?::bigint)', query.after.createdAt, query.after.id);
  const from = handed ? 'lead_handoffs h JOIN leads ON leads.id = h.lead_id' : 'leads';
  const text = `SELECT leads.* FROM ${from} ${where.clauses.length ? `WHERE ${where.clauses.join(' AND ')}` : ''}
    ORDER BY leads.created_at DESC, leads.id DESC LIMIT ${where.param(limit)}`;
  return { text, values: where.params };
}

/**
 * A page of leads newest first, filtered by every field of the query given. With `integrationId`
 * and `withHandoffs`, the leads handed to it too: a second indexed read over its handoffs, merged
 * with its own page.
 */
export async function listLeads(pool: pg.Pool, query: LeadQuery, limit: number): Promise<Lead[]> {
  const own = pageStatement(query, limit, false);
  const rows = (await pool.query<LeadRow>(own.text, own.values)).rows.map(leadFromRow);
  if (!query.withHandoffs || query.integrationId === undefined) return rows;
  const handed = pageStatement(query, limit, true);
  const more = (await pool.query<LeadRow>(handed.text, handed.values)).rows.map(leadFromRow);
  if (more.length === 0) return rows;
  return [...rows, ...more]
    .sort((a, b) => (a.created_at === b.created_at ? b.id - a.id : a.created_at < b.created_at ? 1 : -1))
    .slice(0, limit);
}

/** The plan PostgreSQL picks for each statement {@link listLeads} runs for a query (`EXPLAIN` lines). */
export async function listPlans(pool: pg.Pool, query: LeadQuery): Promise<string[][]> {
  const shapes = query.withHandoffs && query.integrationId !== undefined ? [false, true] : [false];
  const plans: string[][] = [];
  for (const handed of shapes) {
    const statement = pageStatement(query, 50, handed);
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, statement.values);
    plans.push(rows.map((row) => row['QUERY PLAN']));
  }
  return plans;
}
