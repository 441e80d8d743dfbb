/**
 * The lead writes in PostgreSQL, each the body of one transaction (the caller's, see
 * transaction.ts): a lead with its first jobs and counters; a lead once per intake key, with the
 * offer's duplicate check; a change with its history entry, handoffs, jobs and counters — the
 * invariants the SQLite store keeps (sqlite.ts), kept here across processes by row locks and
 * transaction-scoped advisory locks.
 */
import type pg from 'pg';
import type { Lead, LeadInput, StageChange } from '../../../core/domain/lead.ts';
import { leadSearchKeys } from '../../../core/domain/lead-search.ts';
import {
  StageConflict,
  type DuplicateCheck,
  type InsertOnceResult,
  type IntakeKeys,
  type IntakeRepeat,
  type LeadChange,
  type NewJob,
} from '../types.ts';
import { bumpSql, countMoved, type CounterKey } from './dashboard-counts.ts';
import { hourKey } from '../../../core/domain/dashboard.ts';
import { openHandoffs, setHandoffEid } from './handoffs.ts';
import { insertJobs, insertJobsSql, jobsJson } from './jobs.ts';
import { iso, leadFromRow, type LeadRow, type PgTime } from './rows.ts';
import type { Queryable } from './transaction.ts';
import { historyColumns } from '../history-columns.ts';
import { duplicateTrashEntry } from '../../../core/domain/duplicates.ts';

/** What a lead write did beyond its answer: whether it queued jobs (the caller notifies the queue). */
export interface Written<T> {
  value: T;
  jobsQueued: number;
}

async function insertHistory(client: pg.ClientBase, leadId: number, h: StageChange): Promise<void> {
  await client.query(
    `INSERT INTO lead_history (lead_id, at, from_stage, stage, source, status, reason, comment, payout)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [leadId, h.at, h.from, h.stage, h.source, h.status ?? null, h.reason ?? null, h.comment ?? null, h.payout ?? null],
  );
}

async function mustGetLead(client: pg.ClientBase, id: number): Promise<Lead> {
  const { rows } = await client.query<LeadRow>('SELECT * FROM leads WHERE id = $1', [id]);
  if (!rows[0]) throw new Error(`lead ${id} not found`);
  return leadFromRow(rows[0]);
}

/**
 * Stores a lead in stage `new` (or, with `trash`, a duplicate straight in its end stage with that
 * history entry) and its jobs, each without `leadId`/`integrationId` given the lead's, and counts
 * it: one statement, atomic on its own (on the pool) or within the caller's transaction.
 */
export async function insertLead(
  client: Queryable,
  input: LeadInput,
  integrationId: string,
  jobs: readonly NewJob[],
  source: string | undefined,
  trash?: StageChange,
): Promise<Written<Lead>> {
  const now = new Date().toISOString();
  const keys = leadSearchKeys(input);
  const stage = trash ? trash.stage : 'new';
  // one statement, so a lead on its own is one round trip and its own transaction: the lead, its
  // jobs (their lead's id from the CTE; the foreign key is checked at the statement's end, when
  // the lead is there), a duplicate's history entry and the counter bump
  const { rows } = await client.query<LeadRow & { jobs_queued: number }>(
    `WITH lead AS (
       INSERT INTO leads (integration_id, offer, wm, source, stage, reason, data, phone_e164, email_lc, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *),
     queued AS (${insertJobsSql('$11', '$10::timestamptz', 'lead.id', 'lead.integration_id', 'lead,')} RETURNING 1),
     history AS (
       INSERT INTO lead_history (lead_id, at, from_stage, stage, source, status, reason, comment, payout)
       SELECT lead.id, h.at, h.from_stage, h.stage, h.source, h.status, h.reason, h.comment, h.payout
       FROM lead, json_to_recordset($12::json) AS h(at timestamptz, from_stage text, stage text, source text, status text, reason text, comment text, payout double precision)),
     bump AS (${bumpSql('$13', '$1', '$2', 'ARRAY[$5]::text[]', 'ARRAY[1]')})
     SELECT lead.*, (SELECT count(*) FROM queued)::int AS jobs_queued FROM lead`,
    [
      integrationId,
      input.offer,
      input.wm ?? null,
      source ?? null,
      stage,
      trash?.reason ?? null,
      JSON.stringify(input),
      keys.phone ?? null,
      keys.email ?? null,
      now,
      jobsJson(jobs),
      JSON.stringify(trash ? [historyColumns(trash)] : []),
      hourKey(now),
    ],
  );
  return { value: leadFromRow(rows[0]), jobsQueued: rows[0].jobs_queued };
}

/**
 * Takes, for the rest of the transaction, the advisory locks of these texts in one order (their
 * hashes sorted), so two writes naming the same key or value run one after the other and two
 * naming several cannot deadlock. 64-bit hashes prefixed `leadflow:` keep them apart from other
 * modules' locks.
 */
async function lockTexts(client: pg.ClientBase, texts: readonly string[]): Promise<void> {
  if (texts.length === 0) return;
  await client.query(
    `SELECT pg_advisory_xact_lock(h) FROM (
       SELECT DISTINCT hashtextextended('leadflow:' || t, 0) AS h FROM unnest($1::text[]) AS t ORDER BY h) locks`,
    [texts],
  );
}

type HeldKey = [field: IntakeRepeat['field'], kind: string, value: string | undefined];

/**
 * `LeadStore.insertLeadOnce`'s transaction. The intake keys and the duplicate values are locked
 * first (see {@link lockTexts}): a concurrent repeat waits for the original's commit and then finds
 * it (READ COMMITTED reads it in the next statement), and of two duplicates at once one is first.
 */
export async function insertLeadOnce(
  client: pg.ClientBase,
  input: LeadInput,
  integrationId: string,
  jobs: readonly NewJob[],
  keys: IntakeKeys,
  duplicates: DuplicateCheck | undefined,
): Promise<Written<InsertOnceResult>> {
  const held: HeldKey[] = [
    ['Idempotency-Key', 'key', keys.idempotencyKey],
    ['order_id', 'order', keys.orderId],
  ];
  const present = held.filter((h): h is [IntakeRepeat['field'], string, string] => h[2] !== undefined);
  await lockTexts(client, [
    ...present.map(([, kind, value]) => `intake:${JSON.stringify([keys.source, kind, value])}`),
    ...(duplicates?.values ?? []).map(({ field, value }) => `duplicate:${JSON.stringify([duplicates!.offer, field, value])}`),
  ]);
  // both keys in one read; the Idempotency-Key is looked up first, then the order id
  const { rows: found } = await client.query<{ kind: string; lead_id: number; body_hash: string; status: number | null; answer: unknown }>(
    `SELECT kind, lead_id, body_hash, status, answer FROM intake_keys
     WHERE source = $1 AND (kind, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
    [keys.source, present.map(([, kind]) => kind), present.map(([, , value]) => value)],
  );
  for (const [field, kind] of present) {
    const row = found.find((r) => r.kind === kind);
    if (!row) continue;
    const repeat: IntakeRepeat = { lead: await mustGetLead(client, Number(row.lead_id)), field, sameBody: row.body_hash === keys.bodyHash };
    if (row.status !== null) repeat.answer = { status: row.status, body: row.answer === null ? undefined : row.answer };
    return { value: { repeat }, jobsQueued: 0 };
  }
  const match = duplicates && (await findOriginal(client, duplicates));
  if (duplicates && match) {
    const duplicate = { original: await mustGetLead(client, match.leadId), fields: match.fields };
    if (duplicates.action === 'refuse') return { value: { duplicate }, jobsQueued: 0 };
    const trash = duplicateTrashEntry(match.leadId, match.fields, new Date());
    const { value: lead } = await insertLead(client, input, integrationId, [], keys.source, trash);
    await insertIntakeKeys(client, present, keys, lead.id);
    return { value: { lead, duplicate }, jobsQueued: 0 };
  }
  const { value: lead, jobsQueued } = await insertLead(client, input, integrationId, jobs, keys.source);
  await insertIntakeKeys(client, present, keys, lead.id);
  if (duplicates) await recordOriginal(client, duplicates, lead.id, lead.created_at);
  return { value: { lead }, jobsQueued };
}

async function insertIntakeKeys(client: pg.ClientBase, present: readonly HeldKey[], keys: IntakeKeys, leadId: number): Promise<void> {
  if (present.length === 0) return;
  await client.query(
    `INSERT INTO intake_keys (source, kind, value, body_hash, lead_id)
     SELECT $1, k.kind, k.value, $4, $5 FROM unnest($2::text[], $3::text[]) AS k(kind, value)`,
    [keys.source, present.map(([, kind]) => kind), present.map(([, , value]) => value), keys.bodyHash, leadId],
  );
}

/** The oldest original in the window matching any of the check's values, and every field it matched on. */
async function findOriginal(client: pg.ClientBase, check: DuplicateCheck): Promise<{ leadId: number; fields: string[] } | undefined> {
  if (check.values.length === 0) return undefined;
  // per value its oldest original, one index range of duplicate_keys_lookup each
  const { rows } = await client.query<{ field: string; lead_id: number }>(
    `SELECT v.field, o.lead_id FROM unnest($2::text[], $3::text[]) AS v(field, value)
     CROSS JOIN LATERAL (
       SELECT lead_id FROM duplicate_keys d WHERE d.offer = $1 AND d.field = v.field AND d.value = v.value AND d.created_at >= $4
       ORDER BY d.created_at, d.lead_id LIMIT 1) o`,
    [check.offer, check.values.map((v) => v.field), check.values.map((v) => v.value), check.since],
  );
  if (rows.length === 0) return undefined;
  // the oldest original: a field that matched it has it as its own oldest match too
  const leadId = Math.min(...rows.map((row) => Number(row.lead_id)));
  const fields = check.values
    .map((v) => v.field)
    .filter((field) => rows.some((row) => row.field === field && Number(row.lead_id) === leadId));
  return { leadId, fields: [...new Set(fields)] };
}

async function recordOriginal(client: pg.ClientBase, check: DuplicateCheck, leadId: number, createdAt: string): Promise<void> {
  if (check.values.length === 0) return;
  await client.query(
    `INSERT INTO duplicate_keys (offer, field, value, created_at, lead_id)
     SELECT $1, v.field, v.value, $4, $5 FROM unnest($2::text[], $3::text[]) AS v(field, value)`,
    [check.offer, check.values.map((v) => v.field), check.values.map((v) => v.value), createdAt, leadId],
  );
}

/**
 * `LeadStore.updateLead`'s transaction. The lead's row is locked first, so a stage change is
 * decided on the stage as it is when it is written: another process's change waits, and a change
 * whose `history.from` is no longer the stage throws {@link StageConflict}. `FOR NO KEY UPDATE`,
 * not `FOR UPDATE`: another transaction inserting a job of this lead (its foreign key check takes
 * `FOR KEY SHARE`) does not wait for this one — it might hold the job's key this one inserts too,
 * and the two would wait for each other.
 */
export async function updateLead(client: pg.ClientBase, id: number, change: LeadChange, jobs: readonly NewJob[]): Promise<Written<Lead>> {
  const now = new Date().toISOString();
  const { rows: found } = await client.query<Omit<CounterKey, 'created_at'> & { created_at: PgTime }>(
    'SELECT stage, offer, integration_id, created_at FROM leads WHERE id = $1 FOR NO KEY UPDATE',
    [id],
  );
  const before = found[0] && { ...found[0], created_at: iso(found[0].created_at) };
  const h0 = change.history;
  if (h0 && before?.stage !== h0.from) throw new StageConflict(id, h0.from);
  if (!before) throw new Error(`lead ${id} not found`);
  const keys = change.input && leadSearchKeys(change.input);
  const { rows } = await client.query<LeadRow>(
    `UPDATE leads SET eid = coalesce($2, eid), stage = coalesce($3, stage), status = coalesce($4, status),
       status_code = coalesce($5, status_code), reason = coalesce($6, reason), status_comment = coalesce($7, status_comment),
       payout = coalesce($8, payout), data = coalesce($9::json, data),
       phone_e164 = CASE WHEN $10 THEN $11 ELSE phone_e164 END, email_lc = CASE WHEN $10 THEN $12 ELSE email_lc END,
       updated_at = $13
     WHERE id = $1 RETURNING *`,
    [
      id,
      change.eid ?? null,
      change.stage ?? null,
      change.status ?? null,
      change.statusCode ?? null,
      change.reason ?? null,
      change.statusComment ?? null,
      change.payout ?? null,
      change.input ? JSON.stringify(change.input) : null,
      keys !== undefined,
      keys?.phone ?? null,
      keys?.email ?? null,
      now,
    ],
  );
  const lead = leadFromRow(rows[0]);
  if (h0) await insertHistory(client, id, h0);
  if (change.handoffs?.length) await openHandoffs(client, id, change.handoffs, now);
  if (change.handoffEid) await setHandoffEid(client, id, change.handoffEid.integrationId, change.handoffEid.eid, now);
  const jobsQueued = await insertJobs(client, jobs, now, id, lead.integration);
  await countMoved(client, id, before, lead.stage, h0?.at ?? now);
  return { value: lead, jobsQueued };
}
