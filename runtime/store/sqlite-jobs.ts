/**
 * The SQLite lead store's side of the job queue: inserting jobs (with a lead's write or alone) and
 * claiming them, by queue order or by each lane's share. Kept apart from sqlite.ts, which runs these
 * inside its transactions, so the claim's rules read in one place.
 */
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { ClaimShares, HeldJobs, JobClaim, JobKind, NewJob } from './types.ts';
import type { prepare } from './sqlite-statements.ts';
import { jobFromRow, type JobRow } from './sqlite-rows.ts';

type Statements = ReturnType<typeof prepare>;

export function prepareJobs(db: SqliteDatabase, sql: Statements) {
  function insert(jobs: NewJob[], now: string, leadId?: number, integrationId?: string): void {
    for (const job of jobs) {
      sql.insertJob.run({
        kind: job.kind,
        lead_id: job.leadId ?? leadId ?? null,
        integration_id: job.integrationId ?? integrationId ?? null,
        key: job.key ?? null,
        payload: JSON.stringify(job.payload ?? {}),
        run_at: job.runAt ? job.runAt.toISOString() : now,
        created_at: now,
        updated_at: now,
      });
    }
  }

  /**
   * Claims jobs, in queue order, each attempt counted: by `due`, the ids {@link dueByShares} read
   * just before in the same turn (one connection: nothing wrote in between), or else the oldest due
   * up to `limit`. One statement either way, atomic on its own.
   */
  function claim(kinds: JobKind[], limit: number, now: Date, held: readonly HeldJobs[], by: JobClaim, due?: readonly number[]) {
    const lease = {
      worker: by.worker,
      lease_until: new Date(now.getTime() + by.leaseMs).toISOString(),
      updated_at: new Date().toISOString(),
    };
    const rows = due
      ? (sql.claimIds.all({ ...lease, ids: JSON.stringify(due) }) as JobRow[])
      : (sql.claimJobs.all({
          ...lease,
          kinds: JSON.stringify(kinds),
          held: JSON.stringify(heldPairsOf(held)),
          now: now.toISOString(),
          limit,
        }) as JobRow[]);
    // RETURNING gives no order guarantee; callers get the queue order.
    return rows.sort(byQueueOrder).map(jobFromRow);
  }

  const due = dueStatements(db);

  return {
    /** Within the caller's transaction: a job without `leadId` or `integrationId` gets the ones given. */
    insert,
    claim,
    /** A read: the ids a claim by shares takes now (a claim with none due writes nothing). */
    due: (kinds: JobKind[], limit: number, now: Date, held: readonly HeldJobs[], shares: ClaimShares) =>
      dueByShares(sql, due, kinds, limit, now, held, shares),
  };
}

/**
 * The ids a claim by shares takes: each lane's oldest due jobs up to its share (one indexed read
 * per lane, so a lane's backlog costs the others nothing), then the oldest of those up to `limit`.
 */
function dueByShares(
  sql: Statements,
  due: ReturnType<typeof dueStatements>,
  kinds: JobKind[],
  limit: number,
  now: Date,
  held: readonly HeldJobs[],
  shares: ClaimShares,
): number[] {
  const at = now.toISOString();
  const deliveryKinds = kinds.filter((kind) => kind !== 'postback.out');
  const ids: { id: number; run_at: string }[] = [];
  if (deliveryKinds.length > 0) {
    const lanes = (sql.queuedLanes.pluck().all() as (string | null)[]).concat([null]);
    for (const integration of lanes) {
      const share = integration === null ? shares.deliveries : (shares.integrations[integration] ?? shares.deliveries);
      if (share <= 0) continue;
      const heldKinds = held.filter((h) => h.integrationId === integration).flatMap((h) => h.kinds);
      if (deliveryKinds.every((kind) => heldKinds.includes(kind))) continue;
      const rows = due
        .ofIntegration(deliveryKinds.length, heldKinds.length)
        .all(integration, at, ...deliveryKinds, ...heldKinds, Math.min(share, limit));
      ids.push(...(rows as typeof ids));
    }
  }
  if (kinds.includes('postback.out') && shares.postbacks > 0) {
    const heldPairs = heldPairsOf(held);
    const rows = due.postbacks(heldPairs.length).all(at, ...heldPairs, Math.min(shares.postbacks, limit));
    ids.push(...(rows as typeof ids));
  }
  ids.sort(byQueueOrder);
  return ids.slice(0, limit).map((row) => row.id);
}

/**
 * The claim's reads of a lane's due jobs, prepared once per count of kinds and of held kinds: a list
 * of `?` is read as it stands, where a JSON list through `json_each` cost a virtual table and a bloom
 * filter per run, a third of the read, made after every job. Binds: integration (or null), now,
 * the kinds, the held ones, the limit; for postbacks now, the held "integration kind" pairs, the limit.
 */
function dueStatements(db: SqliteDatabase) {
  const cache = new Map<string, Statement>();
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  const prepared = (key: string, sql: () => string) => {
    let statement = cache.get(key);
    if (!statement) cache.set(key, (statement = db.prepare(sql())));
    return statement;
  };
  return {
    ofIntegration: (kinds: number, held: number) =>
      prepared(
        `lane ${kinds} ${held}`,
        () => `SELECT id, run_at FROM jobs
         WHERE state = 'queued' AND integration_id IS ? AND run_at <= ? AND kind IN (${marks(kinds)})
           ${held > 0 ? `AND kind NOT IN (${marks(held)})` : ''}
         ORDER BY run_at, id LIMIT ?`,
      ),
    postbacks: (held: number) =>
      prepared(
        `postbacks ${held}`,
        () => `SELECT id, run_at FROM jobs
         WHERE state = 'queued' AND kind = 'postback.out' AND run_at <= ?
           ${held > 0 ? `AND coalesce(integration_id, '') || ' postback.out' NOT IN (${marks(held)})` : ''}
         ORDER BY run_at, id LIMIT ?`,
      ),
  };
}

/** The queue's order: the oldest due first, then by id. */
function byQueueOrder(a: { run_at: string; id: number }, b: { run_at: string; id: number }): number {
  return a.run_at < b.run_at ? -1 : a.run_at > b.run_at ? 1 : a.id - b.id;
}

/** The held lanes as "integration kind" pairs (an id has no space, the ID pattern says so). */
function heldPairsOf(held: readonly HeldJobs[]): string[] {
  return held.flatMap((h) => h.kinds.map((kind) => `${h.integrationId} ${kind}`));
}
