/**
 * The embedded {@link LeadStore}: leads, their history, the job queue and the execution log in one
 * SQLite file (better-sqlite3, WAL). better-sqlite3 is synchronous; the methods are async only to
 * honour the interface a PostgreSQL backend shares, and every write runs in one transaction.
 *
 * @example
 * const leads = openSqliteLeadStore('data/leads.sqlite');
 * const lead = await leads.insertLead({ offer: 'o1', phone: '+49…' }, 'crm', [{ kind: 'lead.new' }]);
 */
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { FlowEvent } from '../domain/config.ts';
import type { Lead, LeadInput, Stage, StageChange, StageSource } from '../domain/lead.ts';
import type {
  Execution,
  ExecutionState,
  Job,
  JobKind,
  JobState,
  LeadBatchQuery,
  LeadChange,
  LeadQuery,
  LeadStore,
  NewExecution,
  NewJob,
} from './types.ts';
import { StageConflict } from './types.ts';

/** `PRAGMA user_version` this code writes; each entry of {@link MIGRATIONS} moves the file up by one. */
export const SCHEMA_VERSION = 2;

/** `MIGRATIONS[n]` takes a file from user_version n to n + 1. Statements are idempotent. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS leads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id TEXT NOT NULL,
    offer TEXT NOT NULL,
    wm TEXT,
    stage TEXT NOT NULL,
    eid TEXT,
    status TEXT,
    reason TEXT,
    status_comment TEXT,
    payout REAL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS leads_integration_eid ON leads (integration_id, eid);
  CREATE INDEX IF NOT EXISTS leads_integration_stage ON leads (integration_id, stage, id);
  CREATE INDEX IF NOT EXISTS leads_stage ON leads (stage);

  CREATE TABLE IF NOT EXISTS lead_history (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    from_stage TEXT NOT NULL,
    stage TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT,
    reason TEXT,
    comment TEXT,
    payout REAL
  );
  CREATE INDEX IF NOT EXISTS lead_history_lead ON lead_history (lead_id, id);

  CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    lead_id INTEGER REFERENCES leads (id) ON DELETE CASCADE,
    integration_id TEXT,
    key TEXT UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS jobs_state_run_at ON jobs (state, run_at);
  CREATE INDEX IF NOT EXISTS jobs_lead ON jobs (lead_id);

  CREATE TABLE IF NOT EXISTS executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL,
    flow_version INTEGER NOT NULL,
    integration_id TEXT NOT NULL,
    event TEXT NOT NULL,
    lead_id INTEGER,
    state TEXT NOT NULL,
    test INTEGER NOT NULL,
    error TEXT,
    response TEXT,
    "trigger" TEXT,
    steps TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration_ms REAL NOT NULL
  );
  CREATE INDEX IF NOT EXISTS executions_lead ON executions (lead_id);
  CREATE INDEX IF NOT EXISTS executions_flow ON executions (flow_id);
  CREATE INDEX IF NOT EXISTS executions_integration ON executions (integration_id);
  `,
  // 1 → 2: where each date-range status check stopped, so the next one goes on from there
  `
  CREATE TABLE IF NOT EXISTS checkpoints (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
];

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

interface LeadRow {
  id: number;
  integration_id: string;
  offer: string;
  wm: string | null;
  stage: Stage;
  eid: string | null;
  status: string | null;
  reason: string | null;
  status_comment: string | null;
  payout: number | null;
  data: string;
  created_at: string;
  updated_at: string;
}

interface HistoryRow {
  at: string;
  from_stage: Stage;
  stage: Stage;
  source: StageSource;
  status: string | null;
  reason: string | null;
  comment: string | null;
  payout: number | null;
}

interface JobRow {
  id: number;
  kind: JobKind;
  lead_id: number | null;
  integration_id: string | null;
  key: string | null;
  payload: string;
  state: JobState;
  attempts: number;
  run_at: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

interface ExecutionRow {
  id: number;
  flow_id: string;
  flow_version: number;
  integration_id: string;
  event: FlowEvent;
  lead_id: number | null;
  state: ExecutionState;
  test: number;
  error: string | null;
  response: string | null;
  trigger: string | null;
  steps: string;
  started_at: string;
  duration_ms: number;
}

/** Columns a {@link LeadChange} may set, each bound as `@name` (null keeps the stored value). */
const LEAD_CHANGE_COLUMNS = ['eid', 'stage', 'status', 'reason', 'status_comment', 'payout'] as const;

export class SqliteLeadStore implements LeadStore {
  readonly db: SqliteDatabase;
  private readonly sql: ReturnType<typeof prepare>;
  /** Statements for the filter combinations of the list queries, prepared on first use. */
  private readonly listStatements = new Map<string, Statement>();
  private readonly insertLeadTx: (input: LeadInput, integrationId: string, jobs: NewJob[]) => Lead;
  private readonly updateLeadTx: (id: number, change: LeadChange, jobs: NewJob[]) => Lead;
  private readonly claimJobsTx: (kinds: JobKind[], limit: number, now: Date) => Job[];
  /** The transaction this turn of the event loop's writes share (see {@link SqliteLeadStore.write}). */
  private batch: WriteBatch | undefined;

  /** Opens (creating or migrating) the file; `':memory:'` gives a private in-memory store. */
  constructor(file: string) {
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
      this.sql = prepare(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }

    this.insertLeadTx = this.db.transaction((input: LeadInput, integrationId: string, jobs: NewJob[]) => {
      const now = new Date().toISOString();
      const { lastInsertRowid } = this.sql.insertLead.run({
        integration_id: integrationId,
        offer: input.offer,
        wm: input.wm ?? null,
        stage: 'new',
        data: JSON.stringify(input),
        created_at: now,
        updated_at: now,
      });
      const id = Number(lastInsertRowid);
      this.insertJobs(jobs, now, id, integrationId);
      return this.mustGetLead(id);
    });

    this.updateLeadTx = this.db.transaction((id: number, change: LeadChange, jobs: NewJob[]) => {
      const now = new Date().toISOString();
      const h0 = change.history;
      // a stage change is decided on the stage read before it; if another write moved the lead
      // since, this one must be decided again (the caller re-reads and retries)
      if (h0 && this.sql.leadStage.get({ id }) !== h0.from) throw new StageConflict(id, h0.from);
      const params: Record<string, unknown> = { id, updated_at: now };
      params.eid = change.eid ?? null;
      params.stage = change.stage ?? null;
      params.status = change.status ?? null;
      params.reason = change.reason ?? null;
      params.status_comment = change.statusComment ?? null;
      params.payout = change.payout ?? null;
      params.data = change.input ? JSON.stringify(change.input) : null;
      const { changes } = this.sql.updateLead.run(params);
      if (changes === 0) throw new Error(`lead ${id} not found`);
      const h = change.history;
      if (h) {
        this.sql.insertHistory.run({
          lead_id: id,
          at: h.at,
          from_stage: h.from,
          stage: h.stage,
          source: h.source,
          status: h.status ?? null,
          reason: h.reason ?? null,
          comment: h.comment ?? null,
          payout: h.payout ?? null,
        });
      }
      const lead = this.mustGetLead(id);
      this.insertJobs(jobs, now, id, lead.integration);
      return lead;
    });

    this.claimJobsTx = this.db.transaction((kinds: JobKind[], limit: number, now: Date) => {
      const rows = this.sql.claimJobs.all({
        kinds: JSON.stringify(kinds),
        now: now.toISOString(),
        limit,
        updated_at: new Date().toISOString(),
      }) as JobRow[];
      // RETURNING gives no order guarantee; callers get the queue order.
      return rows.sort((a, b) => (a.run_at < b.run_at ? -1 : a.run_at > b.run_at ? 1 : a.id - b.id)).map(jobFromRow);
    });
  }

  /**
   * Stores a new lead in stage `new` with its jobs in one transaction. A job without `leadId` or
   * `integrationId` gets the new lead's (the caller cannot know the id before the insert).
   */
  async insertLead(input: LeadInput, integrationId: string, jobs: NewJob[]): Promise<Lead> {
    return this.write(() => this.insertLeadTx(input, integrationId, jobs));
  }

  async getLead(id: number): Promise<Lead | undefined> {
    const row = this.sql.getLead.get(id) as LeadRow | undefined;
    return row && leadFromRow(row);
  }

  async findLeadByEid(integrationId: string, eid: string): Promise<Lead | undefined> {
    const row = this.sql.findLeadByEid.get(integrationId, eid) as LeadRow | undefined;
    return row && leadFromRow(row);
  }

  async listLeads(query: LeadQuery): Promise<Lead[]> {
    const filters: Array<[string, string, unknown]> = [
      ['stage', 'stage = @stage', query.stage],
      ['integrationId', 'integration_id = @integrationId', query.integrationId],
      ['offer', 'offer = @offer', query.offer],
      ['before', 'id < @before', query.before],
    ];
    return (this.page('leads', filters, query.limit) as LeadRow[]).map(leadFromRow);
  }

  /**
   * Applies the change (fields left undefined keep their value), its history entry and its jobs in
   * one transaction; throws when the lead does not exist. Jobs without `leadId`/`integrationId` get
   * the lead's. The store records what it is told: whether the stage may move is the caller's rule
   * (`canMoveStage`).
   */
  async updateLead(id: number, change: LeadChange, jobs: NewJob[]): Promise<Lead> {
    return this.write(() => this.updateLeadTx(id, change, jobs));
  }

  async history(leadId: number): Promise<StageChange[]> {
    const rows = this.sql.history.all(leadId) as HistoryRow[];
    return rows.map(historyFromRow);
  }

  /** Jobs whose `key` is already stored are skipped, whatever the state of the stored one. */
  async enqueue(jobs: NewJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.write(() => this.db.transaction(() => this.insertJobs(jobs, new Date().toISOString()))());
  }

  /** Counts the attempt here: a job's `attempts` includes the run it is claimed for. */
  async claimJobs(kinds: JobKind[], limit: number, now: Date): Promise<Job[]> {
    if (kinds.length === 0 || limit <= 0) return [];
    return this.write(() => this.claimJobsTx(kinds, limit, now));
  }

  async completeJob(id: number, payload?: Record<string, unknown>): Promise<void> {
    await this.write(() => this.sql.completeJob.run({ id, payload: payload ? JSON.stringify(payload) : null, updated_at: new Date().toISOString() }));
  }

  async failJob(id: number, error: string, retryAt: Date | undefined, payload?: Record<string, unknown>): Promise<void> {
    const now = new Date().toISOString();
    const json = payload ? JSON.stringify(payload) : null;
    await this.write(() => {
      if (retryAt) this.sql.retryJob.run({ id, error, run_at: retryAt.toISOString(), payload: json, updated_at: now });
      else this.sql.failJob.run({ id, error, payload: json, updated_at: now });
    });
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
    return rows.map(leadFromRow);
  }

  async requeueRunning(): Promise<number> {
    return this.write(() => this.sql.requeueRunning.run({ updated_at: new Date().toISOString() }).changes);
  }

  async jobsOfLead(leadId: number): Promise<Job[]> {
    return (this.sql.jobsOfLead.all(leadId) as JobRow[]).map(jobFromRow);
  }

  async insertExecution(execution: NewExecution): Promise<number> {
    const { lastInsertRowid } = await this.write(() =>
      this.sql.insertExecution.run({
        flow_id: execution.flowId,
        flow_version: execution.flowVersion,
        integration_id: execution.integrationId,
        event: execution.event,
        lead_id: execution.leadId ?? null,
        state: execution.state,
        test: execution.test ? 1 : 0,
        error: toJson(execution.error),
        response: toJson(execution.response),
        trigger: toJson(execution.trigger),
        steps: JSON.stringify(execution.steps),
        started_at: execution.startedAt,
        duration_ms: execution.durationMs,
      }),
    );
    return Number(lastInsertRowid);
  }

  async getExecution(id: number): Promise<Execution | undefined> {
    const row = this.sql.getExecution.get(id) as ExecutionRow | undefined;
    return row && executionFromRow(row);
  }

  async listExecutions(query: {
    leadId?: number;
    flowId?: string;
    integrationId?: string;
    limit?: number;
    before?: number;
  }): Promise<Execution[]> {
    const filters: Array<[string, string, unknown]> = [
      ['leadId', 'lead_id = @leadId', query.leadId],
      ['flowId', 'flow_id = @flowId', query.flowId],
      ['integrationId', 'integration_id = @integrationId', query.integrationId],
      ['before', 'id < @before', query.before],
    ];
    return (this.page('executions', filters, query.limit) as ExecutionRow[]).map(executionFromRow);
  }

  async close(): Promise<void> {
    if (this.batch) this.commit(this.batch);
    if (this.db.open) this.db.close();
  }

  /**
   * Group commit. Every write of one turn of the event loop joins one transaction, committed when
   * the turn ends (`setImmediate`): one commit — one set of WAL frames for the pages the writes
   * share — instead of one per write, which was most of a delivery's store cost. A write's promise
   * resolves only after that commit, so nothing is acknowledged (a lead accepted, a job done)
   * before it is on disk. Each write keeps its own atomicity: a `db.transaction` inside the open
   * one runs as a savepoint, and a single statement is atomic on its own, so a write that throws
   * undoes itself only and rejects at once.
   */
  private write<T>(work: () => T): Promise<T> {
    let batch = this.batch;
    if (batch && !this.db.inTransaction) {
      // SQLite rolled the shared transaction back (an I/O error, say): its writes are lost
      this.settle(batch, new Error('the transaction was rolled back by SQLite'));
      batch = undefined;
    }
    // inside a transaction a caller opened on `db` itself, that transaction commits the write
    if (!batch && this.db.inTransaction) return new Promise((resolve) => resolve(work()));
    if (!batch) batch = this.open();
    const result = work();
    return batch.committed.then(() => result);
  }

  private open(): WriteBatch {
    this.db.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const committed = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    // a batch no write waits on (all threw) must not report an unhandled rejection
    committed.catch(() => {});
    const batch: WriteBatch = { committed, resolve, reject };
    this.batch = batch;
    setImmediate(() => this.commit(batch));
    return batch;
  }

  private commit(batch: WriteBatch): void {
    if (this.batch !== batch) return;
    try {
      if (!this.db.inTransaction) throw new Error('the transaction was rolled back by SQLite');
      this.db.exec('COMMIT');
      this.settle(batch);
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.settle(batch, error instanceof Error ? error : new Error(String(error)));
    }
  }

  private settle(batch: WriteBatch, error?: Error): void {
    if (this.batch === batch) this.batch = undefined;
    if (error) batch.reject(error);
    else batch.resolve();
  }

  private mustGetLead(id: number): Lead {
    const row = this.sql.getLead.get(id) as LeadRow | undefined;
    if (!row) throw new Error(`lead ${id} not found`);
    return leadFromRow(row);
  }

  private insertJobs(jobs: NewJob[], now: string, leadId?: number, integrationId?: string): void {
    for (const job of jobs) {
      this.sql.insertJob.run({
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
   * A newest-first page of `table` with the filters that have a value. Each combination of filters
   * is its own statement, prepared once, so SQLite can pick the matching index (a catch-all
   * `(@x IS NULL OR col = @x)` would defeat it).
   */
  private page(table: 'leads' | 'executions', filters: Array<[string, string, unknown]>, limit: number | undefined): unknown[] {
    const used = filters.filter(([, , value]) => value !== undefined);
    const cacheKey = `${table}:${used.map(([name]) => name).join(',')}`;
    let statement = this.listStatements.get(cacheKey);
    if (!statement) {
      const where = used.length ? `WHERE ${used.map(([, clause]) => clause).join(' AND ')}` : '';
      statement = this.db.prepare(`SELECT * FROM ${table} ${where} ORDER BY id DESC LIMIT @limit`);
      this.listStatements.set(cacheKey, statement);
    }
    const params: Record<string, unknown> = { limit: pageSize(limit) };
    for (const [name, , value] of used) params[name] = value;
    return statement.all(params);
  }
}

/** The writes of one turn of the event loop, and the commit they wait for. */
interface WriteBatch {
  committed: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** Opens the lead store in `file` (created when missing). */
export function openSqliteLeadStore(file: string): SqliteLeadStore {
  return new SqliteLeadStore(file);
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`lead store schema version ${current} is newer than this runtime's (${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}

function prepare(db: SqliteDatabase) {
  return {
    insertLead: db.prepare(
      `INSERT INTO leads (integration_id, offer, wm, stage, data, created_at, updated_at)
       VALUES (@integration_id, @offer, @wm, @stage, @data, @created_at, @updated_at)`,
    ),
    getLead: db.prepare('SELECT * FROM leads WHERE id = ?'),
    leadStage: db.prepare('SELECT stage FROM leads WHERE id = @id').pluck(),
    // Ties (a target that reuses ids) resolve to the newest lead.
    findLeadByEid: db.prepare('SELECT * FROM leads WHERE integration_id = ? AND eid = ? ORDER BY id DESC LIMIT 1'),
    updateLead: db.prepare(
      `UPDATE leads SET ${LEAD_CHANGE_COLUMNS.map((c) => `${c} = coalesce(@${c}, ${c})`).join(', ')},
         data = coalesce(@data, data), updated_at = @updated_at
       WHERE id = @id`,
    ),
    insertHistory: db.prepare(
      `INSERT INTO lead_history (lead_id, at, from_stage, stage, source, status, reason, comment, payout)
       VALUES (@lead_id, @at, @from_stage, @stage, @source, @status, @reason, @comment, @payout)`,
    ),
    history: db.prepare(
      'SELECT at, from_stage, stage, source, status, reason, comment, payout FROM lead_history WHERE lead_id = ? ORDER BY id',
    ),
    // ON CONFLICT(key) rather than INSERT OR IGNORE: only a duplicate key is skipped, any other
    // constraint violation (NOT NULL, foreign key) still fails the write. PostgreSQL reads the same.
    insertJob: db.prepare(
      `INSERT INTO jobs (kind, lead_id, integration_id, key, payload, state, attempts, run_at, created_at, updated_at)
       VALUES (@kind, @lead_id, @integration_id, @key, @payload, 'queued', 0, @run_at, @created_at, @updated_at)
       ON CONFLICT (key) DO NOTHING`,
    ),
    claimJobs: db.prepare(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = @updated_at
       WHERE id IN (
         SELECT id FROM jobs
         WHERE state = 'queued' AND run_at <= @now AND kind IN (SELECT value FROM json_each(@kinds))
         ORDER BY run_at, id
         LIMIT @limit)
       RETURNING *`,
    ),
    completeJob: db.prepare(
      `UPDATE jobs SET state = 'done', payload = coalesce(@payload, payload), updated_at = @updated_at WHERE id = @id`,
    ),
    retryJob: db.prepare(
      `UPDATE jobs SET state = 'queued', run_at = @run_at, last_error = @error, payload = coalesce(@payload, payload),
         updated_at = @updated_at WHERE id = @id`,
    ),
    failJob: db.prepare(
      `UPDATE jobs SET state = 'failed', last_error = @error, payload = coalesce(@payload, payload), updated_at = @updated_at
       WHERE id = @id`,
    ),
    getCheckpoint: db.prepare('SELECT value FROM checkpoints WHERE key = ?').pluck(),
    setCheckpoint: db.prepare(
      `INSERT INTO checkpoints (key, value, updated_at) VALUES (@key, @value, @updated_at)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ),
    // a status check's batches: keyset paging on (integration_id, stage, id), one index range each
    leadBatch: db.prepare(
      `SELECT * FROM leads WHERE integration_id = @integration_id AND stage = @stage AND id > @after AND created_at >= @since
       ORDER BY id LIMIT @limit`,
    ),
    requeueRunning: db.prepare(`UPDATE jobs SET state = 'queued', updated_at = @updated_at WHERE state = 'running'`),
    jobsOfLead: db.prepare('SELECT * FROM jobs WHERE lead_id = ? ORDER BY id'),
    insertExecution: db.prepare(
      `INSERT INTO executions (flow_id, flow_version, integration_id, event, lead_id, state, test, error, response,
         "trigger", steps, started_at, duration_ms)
       VALUES (@flow_id, @flow_version, @integration_id, @event, @lead_id, @state, @test, @error, @response,
         @trigger, @steps, @started_at, @duration_ms)`,
    ),
    getExecution: db.prepare('SELECT * FROM executions WHERE id = ?'),
  };
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit) || limit <= 0) return DEFAULT_LIMIT;
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function fromJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

/** Copies the columns that hold a value; SQL NULL becomes an absent key, never `null`. */
function setPresent<T extends object>(target: T, values: Partial<Record<keyof T, unknown>>): T {
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
  return target;
}

function leadFromRow(row: LeadRow): Lead {
  const input = JSON.parse(row.data) as LeadInput;
  const lead: Lead = {
    ...input,
    id: row.id,
    integration: row.integration_id,
    stage: row.stage,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
  return setPresent(lead, {
    eid: row.eid,
    status: row.status,
    reason: row.reason,
    statusComment: row.status_comment,
    payout: row.payout,
  });
}

function historyFromRow(row: HistoryRow): StageChange {
  const change: StageChange = { at: row.at, from: row.from_stage, stage: row.stage, source: row.source };
  return setPresent(change, { status: row.status, reason: row.reason, comment: row.comment, payout: row.payout });
}

function jobFromRow(row: JobRow): Job {
  const job: Job = {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    state: row.state,
    attempts: row.attempts,
    runAt: row.run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  return setPresent(job, {
    leadId: row.lead_id,
    integrationId: row.integration_id,
    key: row.key,
    lastError: row.last_error,
  });
}

function executionFromRow(row: ExecutionRow): Execution {
  const execution: Execution = {
    id: row.id,
    flowId: row.flow_id,
    flowVersion: row.flow_version,
    integrationId: row.integration_id,
    event: row.event,
    state: row.state,
    test: row.test === 1,
    steps: JSON.parse(row.steps) as Execution['steps'],
    startedAt: row.started_at,
    durationMs: row.duration_ms,
  };
  return setPresent(execution, {
    leadId: row.lead_id,
    error: fromJson(row.error),
    response: fromJson(row.response),
    trigger: fromJson(row.trigger),
  });
}
