/**
 * The embedded {@link LeadStore}, {@link JobQueue}, {@link ExecutionLog} and {@link CheckpointStore}
 * in one object: leads, their history, the job queue and the execution log in one SQLite file (better-sqlite3, WAL). better-sqlite3 is synchronous; the methods are async only to
 * honour the interface a PostgreSQL backend shares, and every write runs in one transaction.
 *
 * @example
 * const leads = openSqliteLeadStore('data/leads.sqlite');
 * const lead = await leads.insertLead({ offer: 'o1', phone: '+49…' }, 'crm', [{ kind: 'lead.new' }]);
 */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { Lead, LeadInput, Stage, StageChange } from '../../core/domain/lead.ts';
import type {
  AuditEntry,
  AuditQuery,
  AuditStore,
  DuplicateCheck,
  ClaimShares,
  Execution,
  ExecutionPrune,
  HeldJobs,
  InsertOnceResult,
  IntakeKeys,
  Job,
  JobClaim,
  JobKind,
  LeadBatchQuery,
  LeadChange,
  LeadQuery,
  LeadStore,
  JobQueue,
  ExecutionLog,
  CheckpointStore,
  StoreLifecycle,
  ExecutionListQuery,
  DeliveryCounts,
  DashboardCounts,
  DashboardCountsQuery,
  NewAuditEntry,
  NewExecution,
  NewJob,
} from './types.ts';
import { DEFAULT_CLAIM } from './types.ts';
import { migrate } from './sqlite-schema.ts';
import { prepare } from './sqlite-statements.ts';
import { prepareDelivery } from './sqlite-delivery.ts';
import { prepareHandoffs } from './sqlite-handoffs.ts';
import { prepareDashboard } from './sqlite-dashboard.ts';
import { prepareSearch } from './sqlite-search.ts';
import { prepareExecutions } from './sqlite-executions.ts';
import { prepareAudit } from './sqlite-audit.ts';
import { pageSize, prepareLogPages } from './sqlite-pages.ts';
import type { LeadHandoff } from '../../core/domain/routing.ts';
import type { DeliveryState } from '../../core/domain/delivery.ts';
import { historyFromRow, jobFromRow, leadFromRow, type HistoryRow, type JobRow, type LeadRow } from './sqlite-rows.ts';
import type { CommitStats } from './commit-stats.ts';
import { WalSync } from './sqlite-wal-sync.ts';
import { GroupCommit } from './sqlite-group-commit.ts';
import { prepareJobs } from './sqlite-jobs.ts';
import { prepareLeadWrites, type LeadWrites } from './sqlite-lead-writes.ts';
export { SCHEMA_VERSION } from './sqlite-schema.ts';
export { COMMIT_MS_BOUNDS, type CommitStats } from './commit-stats.ts';

export class SqliteLeadStore implements LeadStore, JobQueue, ExecutionLog, CheckpointStore, StoreLifecycle, AuditStore {
  readonly db: SqliteDatabase;
  private readonly sql: ReturnType<typeof prepare>;
  private readonly delivery: ReturnType<typeof prepareDelivery>;
  private readonly handoffs: ReturnType<typeof prepareHandoffs>;
  private readonly dashboard: ReturnType<typeof prepareDashboard>;
  private readonly leadListeners = new Set<() => void>();
  /** The lead list's search and filters (sqlite-search.ts). */
  readonly search: ReturnType<typeof prepareSearch>;
  /** The execution log (sqlite-executions.ts) and the audit log (sqlite-audit.ts), paged by sqlite-pages.ts. */
  private readonly executions: ReturnType<typeof prepareExecutions>;
  private readonly audit: ReturnType<typeof prepareAudit>;
  /** Today's leads by stage for the home page: a scan of the leads since then, prepared on first use. */
  private stageCountsSql?: Statement;
  /** A lead's writes, each one transaction (sqlite-lead-writes.ts); held here so a write looks up no more than before. */
  private readonly insertLeadTx: LeadWrites['insert'];
  private readonly insertLeadOnceTx: LeadWrites['insertOnce'];
  private readonly updateLeadTx: LeadWrites['update'];
  /** Held here, as the lead writes, so recording a run looks up no more than before. */
  private readonly insertExecutionTx: ReturnType<typeof prepareExecutions>['insert'];
  /** The job queue's claims and inserts (sqlite-jobs.ts); the claim held here as the lead writes are. */
  private readonly jobs: ReturnType<typeof prepareJobs>;
  private readonly claimJobsNow: ReturnType<typeof prepareJobs>['claim'];
  /** The write path: this turn of the event loop's writes share one transaction (sqlite-group-commit.ts). */
  private readonly group: GroupCommit;

  /** Opens (creating or migrating) the file; `':memory:'` gives a private in-memory store. */
  constructor(file: string) {
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      // NORMAL: COMMIT does not fsync the WAL; the group commit syncs it off the thread and answers
      // no write before (sqlite-wal-sync.ts), so a lead answered 2xx survives a power loss as under FULL
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
      this.sql = prepare(this.db);
      this.delivery = prepareDelivery(this.db);
      this.handoffs = prepareHandoffs(this.db);
      this.dashboard = prepareDashboard(this.db);
      this.search = prepareSearch(this.db);
      const page = prepareLogPages(this.db);
      this.executions = prepareExecutions(this.db, this.sql, page);
      this.audit = prepareAudit(this.sql, page);
      this.group = new GroupCommit(this.db, this.db.memory ? undefined : new WalSync(this.db.name));
      this.jobs = prepareJobs(this.db, this.sql);
    } catch (error) {
      this.db.close();
      throw error;
    }

    const writes = prepareLeadWrites(this.db, this.sql, this.dashboard, this.handoffs, this.jobs);
    this.insertLeadTx = writes.insert;
    this.insertLeadOnceTx = writes.insertOnce;
    this.updateLeadTx = writes.update;
    this.insertExecutionTx = this.executions.insert;
    this.claimJobsNow = this.jobs.claim;
  }

  /**
   * Stores a new lead in stage `new` with its jobs in one transaction. A job without `leadId` or
   * `integrationId` gets the new lead's (the caller cannot know the id before the insert).
   */
  async insertLead(input: LeadInput, integrationId: string, jobs: NewJob[], source?: string): Promise<Lead> {
    return this.leadWrite(() => this.insertLeadTx(input, integrationId, jobs, source));
  }

  async insertLeadOnce(
    input: LeadInput,
    integrationId: string,
    jobs: NewJob[],
    keys: IntakeKeys,
    duplicates?: DuplicateCheck,
  ): Promise<InsertOnceResult> {
    return this.leadWrite(() => this.insertLeadOnceTx(input, integrationId, jobs, keys, duplicates));
  }

  async recordIntakeAnswer(leadId: number, status: number, body: unknown): Promise<void> {
    await this.write(() =>
      this.sql.setIntakeAnswer.run({ lead_id: leadId, status, answer: body === undefined ? null : JSON.stringify(body) }),
    );
  }

  async getLead(id: number): Promise<Lead | undefined> {
    const row = this.sql.getLead.get(id) as LeadRow | undefined;
    return row && leadFromRow(row);
  }

  async findLeadByEid(integrationId: string, eid: string): Promise<Lead | undefined> {
    const row = this.sql.findLeadByEid.get(integrationId, eid) as LeadRow | undefined;
    return row ? leadFromRow(row) : this.handoffs.byEid(integrationId, eid);
  }

  async handoffsOf(leadId: number): Promise<LeadHandoff[]> {
    return this.handoffs.ofLead(leadId);
  }

  async listLeads(query: LeadQuery): Promise<Lead[]> {
    return this.search.list(query, pageSize(query.limit)).map(leadFromRow);
  }

  /**
   * Applies the change (fields left undefined keep their value), its history entry and its jobs in
   * one transaction; throws when the lead does not exist. Jobs without `leadId`/`integrationId` get
   * the lead's. The store records what it is told: whether the stage may move is the caller's rule
   * (`canMoveStage`).
   */
  async updateLead(id: number, change: LeadChange, jobs: NewJob[]): Promise<Lead> {
    return this.leadWrite(() => this.updateLeadTx(id, change, jobs));
  }

  async dashboardCounts(query: DashboardCountsQuery): Promise<DashboardCounts> {
    return this.dashboard.counts(query);
  }

  onLeadsChanged(listener: () => void): () => void {
    this.leadListeners.add(listener);
    return () => this.leadListeners.delete(listener);
  }

  /** A write that stores or changes a lead or its delivery: its listeners hear of it once it is committed. */
  private async leadWrite<T>(work: () => T): Promise<T> {
    const result = await this.write(work);
    for (const listener of this.leadListeners) listener();
    return result;
  }

  async history(leadId: number): Promise<StageChange[]> {
    const rows = this.sql.history.all(leadId) as HistoryRow[];
    return rows.map(historyFromRow);
  }

  /** Jobs whose `key` is already stored are skipped, whatever the state of the stored one. */
  async enqueue(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.write(() => this.db.transaction(() => this.jobs.insert(jobs, new Date().toISOString()))());
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
    // answered at COMMIT, not after its sync: a claim lost in a power cut leaves the job queued,
    // sent again as its expired lease would have it; after its sync still when its transaction
    // holds a write not yet synced, which it may have read (sqlite-group-commit.ts)
    const due = shares && this.jobs.due(kinds, limit, now, held, shares);
    // nothing due: no write, so no commit and no sync for a claim that finds nothing
    if (due && due.length === 0) return [];
    return this.group.write(() => this.claimJobsNow(kinds, limit, now, held, claim, due), 'committed');
  }

  async renewLeases(worker: string, ids: readonly number[], until: Date): Promise<number> {
    if (ids.length === 0) return 0;
    return this.write(() => this.sql.renewLeases.run({ worker, ids: JSON.stringify(ids), lease_until: until.toISOString() }).changes);
  }

  async releaseJobs(worker: string, ids: readonly number[], now = new Date()): Promise<number> {
    if (ids.length === 0) return 0;
    const at = now.toISOString();
    return this.write(() => this.sql.releaseJobs.run({ worker, ids: JSON.stringify(ids), now: at, updated_at: at }).changes);
  }

  async requeueExpired(now: Date): Promise<number> {
    return this.write(() => this.sql.requeueExpired.run({ now: now.toISOString(), updated_at: new Date().toISOString() }).changes);
  }

  async completeJob(id: number, payload?: Record<string, unknown>): Promise<void> {
    await this.write(() =>
      this.sql.completeJob.run({ id, payload: payload ? JSON.stringify(payload) : null, updated_at: new Date().toISOString() }),
    );
  }

  async failJob(id: number, error: string, retryAt: Date | undefined, payload?: Record<string, unknown>): Promise<void> {
    const now = new Date().toISOString();
    const json = payload ? JSON.stringify(payload) : null;
    await this.leadWrite(() => {
      if (retryAt) this.sql.retryJob.run({ id, error, run_at: retryAt.toISOString(), payload: json, updated_at: now });
      else this.sql.failJob.run({ id, error, payload: json, updated_at: now });
    });
  }

  async saveJobProgress(worker: string, id: number, payload: Record<string, unknown>): Promise<boolean> {
    const updated_at = new Date().toISOString();
    return this.write(() => this.sql.saveJobProgress.run({ worker, id, payload: JSON.stringify(payload), updated_at }).changes > 0);
  }

  async deferJob(worker: string, id: number, runAt: Date, payload?: Record<string, unknown>): Promise<boolean> {
    const json = payload ? JSON.stringify(payload) : null;
    const updated_at = new Date().toISOString();
    return this.write(() => this.sql.deferJob.run({ worker, id, run_at: runAt.toISOString(), payload: json, updated_at }).changes > 0);
  }

  async getCheckpoint(key: string): Promise<string | undefined> {
    return (this.sql.getCheckpoint.get(key) as string | undefined) ?? undefined;
  }

  async setCheckpoint(key: string, value: string): Promise<void> {
    await this.write(() => this.sql.setCheckpoint.run({ key, value, updated_at: new Date().toISOString() }));
  }

  async leadBatch(query: LeadBatchQuery): Promise<Lead[]> {
    const rows = this.sql.leadBatch.all({
      integration_id: query.integrationId,
      stage: query.stage,
      after: query.afterId ?? 0,
      since: query.createdSince ? query.createdSince.toISOString() : '',
      limit: query.limit,
    }) as LeadRow[];
    const own = rows.map(leadFromRow);
    const handed = this.handoffs.batch(query);
    if (handed.length === 0) return own;
    return [...own, ...handed].sort((a, b) => a.id - b.id).slice(0, query.limit);
  }

  async requeueRunning(): Promise<number> {
    return this.write(() => this.sql.requeueRunning.run({ updated_at: new Date().toISOString() }).changes);
  }

  async jobsOfLead(leadId: number): Promise<Job[]> {
    return (this.sql.jobsOfLead.all(leadId) as JobRow[]).map(jobFromRow);
  }

  async deliveryCounts(integrationId: string): Promise<DeliveryCounts> {
    return this.delivery.counts(integrationId);
  }

  async stageCounts(createdFrom: string): Promise<Partial<Record<Stage, number>>> {
    this.stageCountsSql ??= this.db.prepare('SELECT stage, COUNT(*) AS n FROM leads WHERE created_at >= ? GROUP BY stage');
    const rows = this.stageCountsSql.all(createdFrom) as { stage: Stage; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
  }

  async deliveryStates(leadIds: readonly number[]): Promise<Record<number, DeliveryState>> {
    return leadIds.length === 0 ? {} : this.delivery.states(leadIds);
  }

  async resendLeadJobs(leadIds: readonly number[], now: Date): Promise<number[]> {
    if (leadIds.length === 0) return [];
    return this.leadWrite(() => this.delivery.resend(leadIds, now));
  }

  async insertExecution(execution: NewExecution): Promise<number> {
    return this.write(() => this.insertExecutionTx(execution));
  }

  async getExecution(id: number): Promise<Execution | undefined> {
    return this.executions.get(id);
  }

  async listExecutions(query: ExecutionListQuery): Promise<Execution[]> {
    return this.executions.list(query);
  }

  async pruneExecutions(prune: ExecutionPrune, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return this.write(() => this.executions.prune(prune, limit));
  }

  async storeId(): Promise<string> {
    return this.sql.storeId.get() as string;
  }

  async appendAudit(entry: NewAuditEntry): Promise<number> {
    const { lastInsertRowid } = await this.write(() => this.audit.append(entry));
    return Number(lastInsertRowid);
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.audit.list(query);
  }

  /**
   * How the group commit went since the store opened: successful COMMITs, the writes they carried,
   * the time spent in COMMIT (on this thread) and in the WAL's syncs after it (off it): `commits` is
   * the number of syncs and `writes / commits` the writes each one paid for. COMMIT's
   * durations are also counted in buckets ({@link COMMIT_MS_BOUNDS}: a quarter of a doubling each,
   * see `commit-stats.ts`). Counters only grow: a reader takes two readings
   * and subtracts. A copy; reading it changes nothing.
   *
   * Not on {@link LeadStore}: it describes this backend's own batching (PostgreSQL commits each
   * write on its server, which has its own group commit and its own statistics), and no caller's
   * correctness depends on it — only the bench reads it.
   */
  commitStats(): CommitStats {
    return this.group.stats();
  }

  async close(): Promise<void> {
    await this.group.close();
    if (this.db.open) this.db.close();
  }

  /** Every write goes through the group commit (sqlite-group-commit.ts). */
  private write<T>(work: () => T): Promise<T> {
    return this.group.write(work);
  }
}

/** Opens the lead store in `file` (created when missing). */
export function openSqliteLeadStore(file: string): SqliteLeadStore {
  return new SqliteLeadStore(file);
}
