/**
 * The job queue's statements in PostgreSQL, for {@link PgRecordStore}'s claims and job writes:
 * the same claim contract as the SQLite store (types.ts, `LeadStore.claimJobs`), safe across
 * processes because every claim takes its rows with `FOR UPDATE SKIP LOCKED` — two claims at once
 * each lock different rows and skip the other's, and a row another transaction just claimed is
 * re-read (READ COMMITTED re-checks `state = 'queued'` on the locked row) and left out.
 */
import type pg from 'pg';
import type { ClaimShares, HeldJobs, Job, JobClaim, JobKind, NewJob } from '../types.ts';
import { inQueueOrder, jobFromRow, type JobRow } from './rows.ts';

/** The jobs as {@link insertJobsSql} reads them: one JSON array, in the order given. */
export function jobsJson(jobs: readonly NewJob[], leadId?: number, integrationId?: string): string {
  return JSON.stringify(
    jobs.map((job) => ({
      kind: job.kind,
      lead_id: job.leadId ?? leadId ?? null,
      integration_id: job.integrationId ?? integrationId ?? null,
      key: job.key ?? null,
      payload: job.payload ?? {},
      run_at: job.runAt ? job.runAt.toISOString() : null,
    })),
  );
}

/**
 * The INSERT of the jobs in the JSON array `json` (an SQL expression: see {@link jobsJson}), each
 * due at its `runAt` or `now`; one without a lead or integration gets `leadId`/`integrationId`
 * (SQL expressions over `from`, a row source such as a CTE of the new lead). In the array's order,
 * so ids follow it (a lead's latest lead.new job is its highest id). A job whose `key` is already
 * stored is skipped, whatever that job's state (an outgoing postback is sent once per key); any
 * other violation (a lead that does not exist) fails the statement.
 */
export function insertJobsSql(json: string, now: string, leadId = 'NULL::bigint', integrationId = 'NULL::text', from = ''): string {
  return `INSERT INTO jobs (kind, lead_id, integration_id, key, payload, state, attempts, run_at, created_at, updated_at)
     SELECT j->>'kind', coalesce((j->>'lead_id')::bigint, ${leadId}), coalesce(j->>'integration_id', ${integrationId}), j->>'key',
       j->'payload', 'queued', 0, coalesce((j->>'run_at')::timestamptz, ${now}), ${now}, ${now}
     FROM ${from} jsonb_array_elements(${json}::jsonb) WITH ORDINALITY AS rows(j, n)
     ORDER BY rows.n
     ON CONFLICT (key) DO NOTHING`;
}

/**
 * Inserts jobs (within the caller's transaction when it has one; {@link insertJobsSql}), each
 * without `leadId`/`integrationId` given these. Answers how many it inserted.
 */
export async function insertJobs(
  client: pg.Pool | pg.ClientBase,
  jobs: readonly NewJob[],
  now: string,
  leadId?: number,
  integrationId?: string,
): Promise<number> {
  if (jobs.length === 0) return 0;
  const { rowCount } = await client.query(insertJobsSql('$1', '$2::timestamptz'), [jobsJson(jobs, leadId, integrationId), now]);
  return rowCount ?? 0;
}

/** "integration kind" pairs of the held jobs (an id has no space: the ID pattern says so); '' for a job without integration. */
function heldPairs(held: readonly HeldJobs[]): string[] {
  return held.flatMap((h) => h.kinds.map((kind) => `${h.integrationId} ${kind}`));
}

const HELD = `(coalesce(integration_id, '') || ' ' || kind) <> ALL($HELD::text[])`;

/** Marks the locked rows `ids` running for `claim`, counting the attempt; answers them in queue order. */
async function take(client: pg.ClientBase, ids: readonly number[], now: Date, claim: JobClaim): Promise<Job[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<JobRow>(
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $2, lease_until = $3, updated_at = $4
     WHERE id = ANY($1::bigint[]) RETURNING *`,
    [ids, claim.worker, new Date(now.getTime() + claim.leaseMs), new Date()],
  );
  return inQueueOrder(rows.map(jobFromRow));
}

/**
 * A claim without shares: the oldest due jobs of `kinds` not held, up to `limit`, locked and
 * marked running in one statement (its own transaction).
 */
export async function claimDue(
  client: pg.Pool | pg.ClientBase,
  kinds: JobKind[],
  limit: number,
  now: Date,
  held: readonly HeldJobs[],
  claim: JobClaim,
): Promise<Job[]> {
  const { rows } = await client.query<JobRow>(
    `WITH due AS (
       SELECT id FROM jobs
       WHERE state = 'queued' AND run_at <= $1 AND kind = ANY($2::text[]) AND ${HELD.replace('$HELD', '$3')}
       ORDER BY run_at, id LIMIT $4
       FOR UPDATE SKIP LOCKED)
     UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = $5, lease_until = $6, updated_at = $7
     FROM due WHERE jobs.id = due.id
     RETURNING jobs.*`,
    [now, kinds, heldPairs(held), limit, claim.worker, new Date(now.getTime() + claim.leaseMs), new Date()],
  );
  return inQueueOrder(rows.map(jobFromRow));
}

/**
 * A claim by shares, within the caller's transaction: each lane's oldest due jobs up to its share
 * — one indexed read per lane (`LATERAL` over the integrations with queued jobs, found by a skip
 * scan of `jobs_lane_integration`), so a lane's backlog costs the others nothing — then the oldest
 * of those up to `limit`. Rows read but past `limit` stay locked only until the commit.
 */
export async function claimByShares(
  client: pg.ClientBase,
  kinds: JobKind[],
  limit: number,
  now: Date,
  held: readonly HeldJobs[],
  claim: JobClaim,
  shares: ClaimShares,
): Promise<Job[]> {
  const pairs = heldPairs(held);
  const deliveryKinds = kinds.filter((kind) => kind !== 'postback.out');
  const due: { id: number; run_at: Date }[] = [];
  if (deliveryKinds.length > 0) {
    // the lanes named with their share; any other integration's (and jobs without one) take `deliveries`
    const deliveries = Math.max(0, Math.min(shares.deliveries, limit));
    const named = Object.entries(shares.integrations).map(([id, share]) => ({ id, share: Math.max(0, Math.min(share, limit)) }));
    const { rows } = await client.query<{ id: number; run_at: Date }>(
      `WITH RECURSIVE lanes(integration) AS (
         SELECT min(integration_id) FROM jobs WHERE state = 'queued'
         UNION ALL
         SELECT (SELECT min(integration_id) FROM jobs WHERE state = 'queued' AND integration_id > lanes.integration)
         FROM lanes WHERE lanes.integration IS NOT NULL),
       shares AS (
         SELECT l.integration, coalesce(s.share, $4) AS share FROM lanes l
         LEFT JOIN jsonb_to_recordset($5::jsonb) AS s(id text, share int) ON s.id = l.integration
         WHERE l.integration IS NOT NULL)
       SELECT d.id, d.run_at FROM shares CROSS JOIN LATERAL (
         SELECT id, run_at FROM jobs
         WHERE state = 'queued' AND integration_id = shares.integration AND run_at <= $1 AND kind = ANY($2::text[])
           AND ${HELD.replace('$HELD', '$3')}
         ORDER BY run_at, id LIMIT shares.share
         FOR UPDATE SKIP LOCKED) d
       WHERE shares.share > 0`,
      [now, deliveryKinds, pairs, deliveries, JSON.stringify(named)],
    );
    due.push(...rows);
    // jobs of no integration are a lane of their own with the `deliveries` share (FOR UPDATE
    // allows no UNION with the lanes above)
    if (deliveries > 0) {
      const orphans = await client.query<{ id: number; run_at: Date }>(
        `SELECT id, run_at FROM jobs
         WHERE state = 'queued' AND integration_id IS NULL AND run_at <= $1 AND kind = ANY($2::text[]) AND ${HELD.replace('$HELD', '$3')}
         ORDER BY run_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED`,
        [now, deliveryKinds, pairs, deliveries],
      );
      due.push(...orphans.rows);
    }
  }
  if (kinds.includes('postback.out') && shares.postbacks > 0) {
    const { rows } = await client.query<{ id: number; run_at: Date }>(
      `SELECT id, run_at FROM jobs
       WHERE state = 'queued' AND kind = 'postback.out' AND run_at <= $1 AND ${HELD.replace('$HELD', '$2')}
       ORDER BY run_at, id LIMIT $3
       FOR UPDATE SKIP LOCKED`,
      [now, pairs, Math.min(shares.postbacks, limit)],
    );
    due.push(...rows);
  }
  due.sort((a, b) => new Date(a.run_at).getTime() - new Date(b.run_at).getTime() || Number(a.id) - Number(b.id));
  return take(
    client,
    due.slice(0, limit).map((row) => Number(row.id)),
    now,
    claim,
  );
}
