/**
 * The PostgreSQL backend of leads (with their history) and the job queue: {@link PgRecordStore},
 * several runtime processes on one database. Same semantics as the SQLite store (sqlite.ts), the
 * invariants each in one transaction: a lead and its first jobs; a stage change, its history entry
 * and its keyed outgoing-postback job (sent once: the unique key dedupes, across processes too).
 *
 * The queue is our own `FOR UPDATE SKIP LOCKED` over the `jobs` table rather than pg-boss or
 * graphile-worker: it keeps the embedded queue's claim semantics exactly — lanes with shares, held
 * integrations, leases with a worker id renewed by a heartbeat, a sweep of expired leases, a job
 * inserted in its lead's own transaction, dedupe by a unique key — in one schema with the leads
 * (a delivery's state is a join, its counts an index), where a library would bring its own tables,
 * its own claim rules and its own worker loop to reconcile with ours. Wake-ups come by
 * `LISTEN/NOTIFY` (notify.ts): {@link PgRecordStore.onJobsQueued}.
 *
 * @example
 * const pool = openPgPool(process.env.LEADFLOW_DATABASE_URL!);
 * await migrate(pool, MIGRATIONS);
 * const records = new PgRecordStore(pool);
 * const stop = records.onJobsQueued(() => queue.wake());
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { DeliveryState } from '../../../core/domain/delivery.ts';
import type { Lead, LeadInput, Stage, StageChange } from '../../../core/domain/lead.ts';
import type { LeadHandoff } from '../../../core/domain/routing.ts';
import {
  DEFAULT_CLAIM,
  type ClaimShares,
  type DashboardCounts,
  type DashboardCountsQuery,
  type DeliveryCounts,
  type DuplicateCheck,
  type HeldJobs,
  type InsertOnceResult,
  type IntakeKeys,
  type Job,
  type JobQueue,
  type JobClaim,
  type JobKind,
  type LeadBatchQuery,
  type LeadChange,
  type LeadQuery,
  type LeadStore,
  type NewJob,
} from '../types.ts';
import { dashboardCounts } from './dashboard-counts.ts';
import { deliveryCounts, deliveryStates, resendLeadJobs } from './delivery.ts';
import { handedBatch, handedByEid, handoffsOf } from './handoffs.ts';
import { claimByShares, claimDue, insertJobs } from './jobs.ts';
import { listLeads, listPlans } from './lead-search.ts';
import { insertLead, insertLeadOnce, updateLead, type Written } from './leads.ts';
import { JOBS_CHANNEL, LEADS_CHANNEL, PgListener, PgNotifier } from './notify.ts';
import { historyFromRow, jobFromRow, leadFromRow, type HistoryRow, type JobRow, type LeadRow } from './rows.ts';
import { inTransaction } from './transaction.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export class PgRecordStore implements LeadStore, JobQueue {
  /** This store's id in its lead notifications, so it does not hear its own writes twice. */
  private readonly origin = randomBytes(8).toString('hex');
  private readonly leadListeners = new Set<() => void>();
  private readonly listener: PgListener;
  private readonly notifier: PgNotifier;
  private stopLeadNotifications: (() => void) | undefined;

  /**
   * The pool is the caller's ({@link close} leaves it open), its schema migrated (`RECORD_MIGRATIONS`
   * or all of `MIGRATIONS`). While anything listens, one of its connections is the listener's: give
   * it at least two.
   */
  constructor(private readonly pool: pg.Pool) {
    this.listener = new PgListener(pool);
    this.notifier = new PgNotifier(pool, this.origin);
  }

  async insertLead(input: LeadInput, integrationId: string, jobs: NewJob[], source?: string): Promise<Lead> {
    // one statement: its own transaction, no BEGIN/COMMIT round trips
    return this.committed(await insertLead(this.pool, input, integrationId, jobs, source));
  }

  async insertLeadOnce(
    input: LeadInput,
    integrationId: string,
    jobs: NewJob[],
    keys: IntakeKeys,
    duplicates?: DuplicateCheck,
  ): Promise<InsertOnceResult> {
    // with nothing to look up, a plain insert: one statement, no transaction round trips
    if (keys.idempotencyKey === undefined && keys.orderId === undefined && !duplicates) {
      return { lead: await this.insertLead(input, integrationId, jobs, keys.source) };
    }
    return this.leadWrite((client) => insertLeadOnce(client, input, integrationId, jobs, keys, duplicates));
  }

  async recordIntakeAnswer(leadId: number, status: number, body: unknown): Promise<void> {
    await this.pool.query('UPDATE intake_keys SET status = $2, answer = $3 WHERE lead_id = $1', [
      leadId,
      status,
      body === undefined ? null : JSON.stringify(body),
    ]);
  }

  async getLead(id: number): Promise<Lead | undefined> {
    const { rows } = await this.pool.query<LeadRow>('SELECT * FROM leads WHERE id = $1', [id]);
    return rows[0] && leadFromRow(rows[0]);
  }

  async findLeadByEid(integrationId: string, eid: string): Promise<Lead | undefined> {
    // ties (a target that reuses ids) resolve to the newest lead
    const { rows } = await this.pool.query<LeadRow>('SELECT * FROM leads WHERE integration_id = $1 AND eid = $2 ORDER BY id DESC LIMIT 1', [
      integrationId,
      eid,
    ]);
    return rows[0] ? leadFromRow(rows[0]) : handedByEid(this.pool, integrationId, eid);
  }

  async handoffsOf(leadId: number): Promise<LeadHandoff[]> {
    return handoffsOf(this.pool, leadId);
  }

  async listLeads(query: LeadQuery): Promise<Lead[]> {
    return listLeads(this.pool, query, pageSize(query.limit));
  }

  /** The `EXPLAIN` lines of each statement {@link listLeads} runs for a query: not on the interface, for the plan tests. */
  async listPlans(query: LeadQuery): Promise<string[][]> {
    return listPlans(this.pool, query);
  }

  /** @throws StageConflict when `change.history.from` is not the lead's stage when the change is written. */
  async updateLead(id: number, change: LeadChange, jobs: NewJob[]): Promise<Lead> {
    return this.leadWrite((client) => updateLead(client, id, change, jobs));
  }

  async history(leadId: number): Promise<StageChange[]> {
    const { rows } = await this.pool.query<HistoryRow>(
      'SELECT at, from_stage, stage, source, status, reason, comment, payout FROM lead_history WHERE lead_id = $1 ORDER BY id',
      [leadId],
    );
    return rows.map(historyFromRow);
  }

  async leadBatch(query: LeadBatchQuery): Promise<Lead[]> {
    const { rows } = await this.pool.query<LeadRow>(
      `SELECT * FROM leads WHERE integration_id = $1 AND stage = $2 AND id > $3 AND ($4::timestamptz IS NULL OR created_at >= $4)
       ORDER BY id LIMIT $5`,
      [query.integrationId, query.stage, query.afterId ?? 0, query.createdSince ?? null, query.limit],
    );
    const own = rows.map(leadFromRow);
    const handed = await handedBatch(this.pool, query);
    if (handed.length === 0) return own;
    return [...own, ...handed].sort((a, b) => a.id - b.id).slice(0, query.limit);
  }

  async stageCounts(createdFrom: string): Promise<Partial<Record<Stage, number>>> {
    const { rows } = await this.pool.query<{ stage: Stage; n: number }>(
      'SELECT stage, count(*)::int AS n FROM leads WHERE created_at >= $1 GROUP BY stage',
      [createdFrom],
    );
    return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
  }

  async dashboardCounts(query: DashboardCountsQuery): Promise<DashboardCounts> {
    return dashboardCounts(this.pool, query);
  }

  /**
   * Calls `listener` after each committed write that stored a lead, changed one, or changed its
   * delivery — this store's at once, before the write's promise resolves (as the SQLite store),
   * and every other process's (any other store on the database) when its notification arrives.
   */
  onLeadsChanged(listener: () => void): () => void {
    this.leadListeners.add(listener);
    this.stopLeadNotifications ??= this.listener.on(LEADS_CHANNEL, (origin) => {
      if (origin === this.origin) return;
      for (const each of this.leadListeners) each();
    });
    return () => {
      this.leadListeners.delete(listener);
      if (this.leadListeners.size === 0) {
        this.stopLeadNotifications?.();
        this.stopLeadNotifications = undefined;
      }
    };
  }

  /**
   * Calls `listener` when any process (this one included) commits a write that made a job queued:
   * a new job, a retry, a release, a requeue, a resend (`NOTIFY leadflow_jobs`), so a queue polling
   * slowly still starts a new job at once. A wake-up, not a count: several writes may come as one
   * call, and after a lost connection every listener is called once. Listens on one client of the
   * pool, dedicated while any listener is registered; answers the function that stops it.
   */
  onJobsQueued(listener: () => void): () => void {
    return this.listener.on(JOBS_CHANNEL, () => listener());
  }

  /** Resolves once this store LISTENs for what its listeners asked ({@link onJobsQueued}, {@link onLeadsChanged}). */
  listening(): Promise<void> {
    return this.listener.listening();
  }

  /** Jobs whose `key` is already stored are skipped, whatever the state of the stored one. */
  async enqueue(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if ((await insertJobs(this.pool, jobs, new Date().toISOString())) > 0) this.notifier.notify(JOBS_CHANNEL);
  }

  /** Counts the attempt here: a job's `attempts` includes the run it is claimed for. */
  async claimJobs(
    kinds: JobKind[],
    limit: number,
    now: Date,
    held: readonly HeldJobs[] = [],
    claim: JobClaim = DEFAULT_CLAIM,
    shares?: ClaimShares,
  ): Promise<Job[]> {
    if (kinds.length === 0 || limit <= 0) return [];
    if (!shares) return claimDue(this.pool, kinds, limit, now, held, claim);
    return inTransaction(this.pool, (client) => claimByShares(client, kinds, limit, now, held, claim, shares));
  }

  async renewLeases(worker: string, ids: readonly number[], until: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `UPDATE jobs SET lease_until = $3 WHERE state = 'running' AND worker = $1 AND id = ANY($2::bigint[])`,
      [worker, ids, until],
    );
    return rowCount ?? 0;
  }

  /**
   * The sweep. Rows locked by someone else at that moment (another process's sweep, the owner
   * completing the job) are skipped: that one decides them.
   */
  async requeueExpired(now: Date): Promise<number> {
    return this.requeue(
      `SELECT id FROM jobs WHERE state = 'running' AND (lease_until IS NULL OR lease_until <= $1) FOR UPDATE SKIP LOCKED`,
      [now],
    );
  }

  async requeueRunning(): Promise<number> {
    return this.requeue(`SELECT id FROM jobs WHERE state = 'running' FOR UPDATE`, []);
  }

  async releaseJobs(worker: string, ids: readonly number[], now = new Date()): Promise<number> {
    if (ids.length === 0) return 0;
    return this.queuedBy(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0),
         run_at = least(run_at, $3), updated_at = $3
       WHERE state = 'running' AND worker = $1 AND id = ANY($2::bigint[])`,
      [worker, ids, now],
    );
  }

  async completeJob(id: number, payload?: Record<string, unknown>): Promise<void> {
    await this.pool.query(
      `UPDATE jobs SET state = 'done', worker = NULL, lease_until = NULL, payload = coalesce($2::jsonb, payload), updated_at = $3 WHERE id = $1`,
      [id, payload ? JSON.stringify(payload) : null, new Date()],
    );
  }

  async failJob(id: number, error: string, retryAt: Date | undefined, payload?: Record<string, unknown>): Promise<void> {
    const json = payload ? JSON.stringify(payload) : null;
    await this.leadWrite(async (client) => {
      const { rowCount } = retryAt
        ? await client.query(
            `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, run_at = $3, last_error = $2,
               payload = coalesce($4::jsonb, payload), updated_at = $5 WHERE id = $1`,
            [id, error, retryAt, json, new Date()],
          )
        : await client.query(
            `UPDATE jobs SET state = 'failed', worker = NULL, lease_until = NULL, last_error = $2,
               payload = coalesce($3::jsonb, payload), updated_at = $4 WHERE id = $1`,
            [id, error, json, new Date()],
          );
      return { value: undefined, jobsQueued: retryAt ? (rowCount ?? 0) : 0 };
    });
  }

  async saveJobProgress(worker: string, id: number, payload: Record<string, unknown>): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE jobs SET payload = $3, updated_at = $4 WHERE id = $2 AND state = 'running' AND worker = $1`,
      [worker, id, JSON.stringify(payload), new Date()],
    );
    return (rowCount ?? 0) > 0;
  }

  async deferJob(worker: string, id: number, runAt: Date, payload?: Record<string, unknown>): Promise<boolean> {
    const deferred = await this.queuedBy(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0), run_at = $3,
         payload = coalesce($4::jsonb, payload), updated_at = $5
       WHERE id = $2 AND state = 'running' AND worker = $1`,
      [worker, id, runAt, payload ? JSON.stringify(payload) : null, new Date()],
    );
    return deferred > 0;
  }

  async jobsOfLead(leadId: number): Promise<Job[]> {
    const { rows } = await this.pool.query<JobRow>('SELECT * FROM jobs WHERE lead_id = $1 ORDER BY id', [leadId]);
    return rows.map(jobFromRow);
  }

  async deliveryCounts(integrationId: string): Promise<DeliveryCounts> {
    return deliveryCounts(this.pool, integrationId);
  }

  async deliveryStates(leadIds: readonly number[]): Promise<Record<number, DeliveryState>> {
    return leadIds.length === 0 ? {} : deliveryStates(this.pool, leadIds);
  }

  async resendLeadJobs(leadIds: readonly number[], now: Date): Promise<number[]> {
    if (leadIds.length === 0) return [];
    return this.leadWrite(async (client) => {
      const resent = await resendLeadJobs(client, leadIds, now);
      return { value: resent, jobsQueued: resent.length };
    });
  }

  /** Sends the notifications still pending and stops this store's listening (its dedicated client closed); the pool stays the caller's to end. */
  async close(): Promise<void> {
    await this.notifier.flush();
    this.leadListeners.clear();
    this.stopLeadNotifications = undefined;
    this.listener.close();
  }

  /**
   * A write that stores or changes a lead or its delivery, in one transaction; once committed, this
   * store's listeners hear of it, and the other processes (and the queue, when it queued jobs) are
   * notified.
   */
  private async leadWrite<T>(work: (client: pg.PoolClient) => Promise<Written<T>>): Promise<T> {
    return this.committed(await inTransaction(this.pool, work));
  }

  /** After a lead write committed: its notifications sent, this store's listeners called; answers its value. */
  private committed<T>(written: Written<T>): T {
    this.notifier.notify(LEADS_CHANNEL, ...(written.jobsQueued > 0 ? [JOBS_CHANNEL] : []));
    for (const listener of this.leadListeners) listener();
    return written.value;
  }

  /** Puts the running jobs `select` finds (and locks) back in the queue, owner and lease cleared; notifies the queue. */
  private async requeue(select: string, params: unknown[]): Promise<number> {
    return this.queuedBy(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, updated_at = now()
       WHERE id IN (${select})`,
      params,
    );
  }

  /** Runs an UPDATE that puts jobs in the queue and, when it did, notifies the queue; answers how many. */
  private async queuedBy(update: string, params: unknown[]): Promise<number> {
    const { rowCount } = await this.pool.query(update, params);
    if ((rowCount ?? 0) > 0) this.notifier.notify(JOBS_CHANNEL);
    return rowCount ?? 0;
  }
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return DEFAULT_LIMIT;
  return Math.min(Math.floor(limit), MAX_LIMIT);
}
