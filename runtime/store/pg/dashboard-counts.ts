/**
 * The dashboard's counters in PostgreSQL, as the SQLite store keeps them (sqlite-dashboard.ts):
 * `lead_stage_hours` (leads per hour of intake, integration, offer and current stage) and
 * `lead_first_status` (each lead's first status, the kernel's `isFirstStatusMove`), written in the
 * same transaction as the lead's insert or stage change, so the dashboard reads a few hundred
 * counter rows instead of a million leads.
 *
 * Every lead of one hour, offer and integration bumps the same counter, and a bumped row stays
 * locked until its transaction commits (its fsync included): with one row, every insert of the
 * hour would wait for the one before. So a counter is {@link COUNTER_SLOTS} rows (`slot`, picked
 * by the connection's backend pid, so one connection's bumps share a row and two connections
 * seldom do), summed when read. The bump is the last statement of a write, and a move's two rows
 * are bumped in one statement in stage order, so two moves in opposite directions cannot deadlock.
 */
import type pg from 'pg';
import { FIRST_STATUS_SAMPLE, hourKey, isFirstStatusMove } from '../../../core/domain/dashboard.ts';
import type { Stage } from '../../../core/domain/lead.ts';
import type { DashboardCounts, DashboardCountsQuery } from '../types.ts';

/** The lead's columns a counter is keyed by, read before a change. */
export interface CounterKey {
  stage: Stage;
  offer: string;
  integration_id: string;
  /** ISO. */
  created_at: string;
}

/** The rows each counter is split in (see above). */
export const COUNTER_SLOTS = 16;

/**
 * The bump of one hour's, integration's and offer's counters of `stages` by `bys` (SQL
 * expressions: text, text, text, text[], int[]), in the slot of this connection.
 */
export function bumpSql(hour: string, integration: string, offer: string, stages: string, bys: string): string {
  return `INSERT INTO lead_stage_hours (hour, integration_id, offer, stage, count, slot)
    SELECT ${hour}, ${integration}, ${offer}, b.stage, b.by, pg_backend_pid() % ${COUNTER_SLOTS} FROM unnest(${stages}, ${bys}) AS b(stage, by)
    ON CONFLICT (hour, stage, integration_id, offer, slot) DO UPDATE SET count = lead_stage_hours.count + excluded.count`;
}

const BUMP = bumpSql('$1', '$2', '$3', '$4::text[]', '$5::int[]');

/**
 * A lead that moved from `before.stage` to `stage` at `at` (ISO): counted in its new stage, and its
 * first status kept. Within the caller's transaction; nothing when the stage did not change.
 */
export async function countMoved(client: pg.ClientBase, leadId: number, before: CounterKey, stage: Stage, at: string): Promise<void> {
  if (stage === before.stage) return;
  const bumps: [Stage, number][] = [
    [before.stage, -1],
    [stage, 1],
  ];
  bumps.sort(([a], [b]) => (a < b ? -1 : 1));
  if (isFirstStatusMove(before.stage, stage)) {
    await client.query(
      `INSERT INTO lead_first_status (lead_id, integration_id, at, seconds)
       VALUES ($1, $2, $3, greatest(0, extract(epoch FROM $3::timestamptz - $4::timestamptz))::double precision)
       ON CONFLICT (lead_id) DO NOTHING`,
      [leadId, before.integration_id, at, before.created_at],
    );
  }
  await client.query(BUMP, [
    hourKey(before.created_at),
    before.integration_id,
    before.offer,
    bumps.map(([s]) => s),
    bumps.map(([, by]) => by),
  ]);
}

/** The dashboard's numbers over an hour range (see `LeadStore.dashboardCounts`). */
export async function dashboardCounts(pool: pg.Pool, query: DashboardCountsQuery): Promise<DashboardCounts> {
  const of = query.integrationId;
  const hours = await pool.query<{ hour: string; stage: Stage; count: number }>(
    `SELECT hour, stage, sum(count)::int AS count FROM lead_stage_hours
     WHERE hour >= $1 AND hour <= $2 AND ($3::text IS NULL OR integration_id = $3)
     GROUP BY hour, stage HAVING sum(count) <> 0 ORDER BY hour, stage`,
    [query.fromHour, query.toHour, of ?? null],
  );
  const queue = await pool.query<DashboardCounts['queue']>(
    `SELECT count(*) FILTER (WHERE state = 'queued')::int AS queued, count(*) FILTER (WHERE state = 'running')::int AS running
     FROM jobs WHERE state IN ('queued', 'running') AND ($1::text IS NULL OR integration_id = $1)`,
    [of ?? null],
  );
  // the newest first statuses of the range per integration, from the (integration_id, at) index
  // (the median is taken by the caller); every integration with any first status is named, those
  // with none in the range with an empty list, found by a skip scan of that index
  const integrations = of
    ? 'SELECT $2::text AS id'
    : `WITH RECURSIVE ids(id) AS (
         SELECT min(integration_id) FROM lead_first_status
         UNION ALL SELECT (SELECT min(integration_id) FROM lead_first_status WHERE integration_id > ids.id) FROM ids WHERE id IS NOT NULL)
       SELECT id FROM ids WHERE id IS NOT NULL`;
  const { rows } = await pool.query<{ integration_id: string; seconds: number | null }>(
    `SELECT i.id AS integration_id, s.seconds FROM (${integrations}) i
     LEFT JOIN LATERAL (
       SELECT seconds, at FROM lead_first_status WHERE integration_id = i.id AND at >= $1 ORDER BY at DESC LIMIT ${FIRST_STATUS_SAMPLE}
     ) s ON true
     ORDER BY i.id, s.at DESC`,
    of ? [`${query.fromHour}:00:00.000Z`, of] : [`${query.fromHour}:00:00.000Z`],
  );
  const firstStatus: DashboardCounts['firstStatus'] = {};
  for (const row of rows) {
    const list = (firstStatus[row.integration_id] ??= []);
    if (row.seconds !== null) list.push(row.seconds);
  }
  return { hours: hours.rows, queue: queue.rows[0], firstStatus };
}
