/**
 * The SQLite lead store's dashboard counters: `lead_stage_hours` (leads per hour of intake, offer,
 * integration and current stage) and `lead_first_status` (each lead's first status, see the
 * kernel's `isFirstStatusMove`), both written in the same transaction as the lead's insert or
 * stage change, so the dashboard reads a few hundred counter rows instead of a million leads.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { FIRST_STATUS_SAMPLE, hourKey, isFirstStatusMove } from '../../core/domain/dashboard.ts';
import type { Stage } from '../../core/domain/lead.ts';
import type { DashboardCounts, DashboardCountsQuery } from './types.ts';

/** The lead's columns a counter is keyed by, read before a change. */
export interface CounterKey {
  stage: Stage;
  offer: string;
  integration_id: string;
  created_at: string;
}

export function prepareDashboard(db: SqliteDatabase) {
  const bump = db.prepare(
    `INSERT INTO lead_stage_hours (hour, integration_id, offer, stage, count) VALUES (@hour, @integration, @offer, @stage, @by)
     ON CONFLICT (hour, stage, integration_id, offer) DO UPDATE SET count = count + excluded.count`,
  );
  const key = db.prepare('SELECT stage, offer, integration_id, created_at FROM leads WHERE id = ?');
  const firstStatus = db.prepare(
    `INSERT OR IGNORE INTO lead_first_status (lead_id, integration_id, at, seconds)
     VALUES (@lead, @integration, @at, max(0, (julianday(@at) - julianday(@created_at)) * 86400))`,
  );
  const hoursAll = db.prepare(
    `SELECT hour, stage, sum(count) AS count FROM lead_stage_hours WHERE hour >= @from AND hour <= @to GROUP BY hour, stage HAVING sum(count) <> 0`,
  );
  const hoursOf = db.prepare(
    `SELECT hour, stage, sum(count) AS count FROM lead_stage_hours
     WHERE integration_id = @integration AND hour >= @from AND hour <= @to GROUP BY hour, stage HAVING sum(count) <> 0`,
  );
  const queueAll = db.prepare(
    `SELECT count(*) FILTER (WHERE state = 'queued') AS queued, count(*) FILTER (WHERE state = 'running') AS running
     FROM jobs WHERE state IN ('queued', 'running') AND state <> 'done'`,
  );
  const queueOf = db.prepare(
    `SELECT count(*) FILTER (WHERE state = 'queued') AS queued, count(*) FILTER (WHERE state = 'running') AS running
     FROM jobs WHERE integration_id = @integration AND state IN ('queued', 'running') AND state <> 'done'`,
  );
  // the newest first statuses of the range, from the (integration_id, at) index; the median is taken in JS
  const firstStatusOf = db
    .prepare(
      `SELECT seconds FROM lead_first_status WHERE integration_id = @integration AND at >= @since ORDER BY at DESC LIMIT ${FIRST_STATUS_SAMPLE}`,
    )
    .pluck();
  const integrationsWithFirst = db
    .prepare(
      `WITH RECURSIVE ids(id) AS (
         SELECT (SELECT min(integration_id) FROM lead_first_status)
         UNION ALL SELECT (SELECT min(integration_id) FROM lead_first_status WHERE integration_id > ids.id) FROM ids WHERE id IS NOT NULL)
       SELECT id FROM ids WHERE id IS NOT NULL`,
    )
    .pluck();

  return {
    /** The counter key of a lead, read before a change. */
    keyOf: (id: number) => key.get(id) as CounterKey | undefined,
    /** A new lead, counted in its hour and stage. */
    inserted(lead: CounterKey): void {
      bump.run({ hour: hourKey(lead.created_at), integration: lead.integration_id, offer: lead.offer, stage: lead.stage, by: 1 });
    },
    /** A lead that moved from `before.stage` to `stage` at `at`: counted in its new stage, and its first status kept. */
    moved(id: number, before: CounterKey, stage: Stage, at: string): void {
      if (stage === before.stage) return;
      const hour = hourKey(before.created_at);
      const where = { hour, integration: before.integration_id, offer: before.offer };
      bump.run({ ...where, stage: before.stage, by: -1 });
      bump.run({ ...where, stage, by: 1 });
      if (isFirstStatusMove(before.stage, stage)) {
        firstStatus.run({ lead: id, integration: before.integration_id, at, created_at: before.created_at });
      }
    },
    counts(query: DashboardCountsQuery): DashboardCounts {
      const range = { from: query.fromHour, to: query.toHour, integration: query.integrationId };
      const hours = (query.integrationId ? hoursOf.all(range) : hoursAll.all(range)) as DashboardCounts['hours'];
      const queue = (query.integrationId ? queueOf.get(range) : queueAll.get()) as DashboardCounts['queue'];
      const integrations = query.integrationId ? [query.integrationId] : (integrationsWithFirst.all() as string[]);
      const since = `${query.fromHour}:00:00.000Z`;
      const firstStatus: DashboardCounts['firstStatus'] = {};
      for (const integration of integrations) firstStatus[integration] = firstStatusOf.all({ integration, since }) as number[];
      return { hours, queue, firstStatus };
    },
  };
}
