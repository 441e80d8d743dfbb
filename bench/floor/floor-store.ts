/**
 * The floor's store: what a hand-written service would keep for a lead, in better-sqlite3 with the
 * settings leadflow's store opens with (`runtime/store/sqlite.ts`: WAL, `synchronous = NORMAL` with
 * the WAL synced after every commit off the event loop — `WalSync`, the same fdatasync —, foreign
 * keys, busy timeout) and, by default, its group commit: every write of one turn of the event loop
 * joins one `BEGIN IMMEDIATE` transaction committed when the turn ends (or, while a sync runs, when
 * it ends), and a write's promise resolves only after that commit's sync, so nothing is answered
 * before it is on disk. `commit: 'request'` commits each write on its own instead, `synchronous =
 * FULL` (one fsync per write, inside COMMIT), what a first hand-written version would do.
 *
 * The schema is the least such a service needs (a lead with its body, its stage history, an execution
 * record per delivery, a job row for the durable queue) with the indexes it reads by — not leadflow's
 * search and dashboard indexes, which are features the floor does not have.
 */
import Database from 'better-sqlite3';
import { WalSync } from '../../runtime/store/sqlite-wal-sync.ts';

export type CommitMode = 'group' | 'request';

const SCHEMA = `
  CREATE TABLE leads (
    id INTEGER PRIMARY KEY, offer TEXT NOT NULL, wm TEXT, source TEXT NOT NULL, stage TEXT NOT NULL, eid TEXT,
    data TEXT NOT NULL, phone_e164 TEXT, email_lc TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
  );
  CREATE INDEX leads_stage ON leads (stage, id);
  CREATE INDEX leads_eid ON leads (eid) WHERE eid IS NOT NULL;
  CREATE TABLE lead_history (
    id INTEGER PRIMARY KEY, lead_id INTEGER NOT NULL REFERENCES leads (id), at TEXT NOT NULL,
    from_stage TEXT, stage TEXT NOT NULL, reason TEXT
  );
  CREATE INDEX lead_history_lead ON lead_history (lead_id);
  CREATE TABLE executions (
    id INTEGER PRIMARY KEY, lead_id INTEGER NOT NULL REFERENCES leads (id), event TEXT NOT NULL, state TEXT NOT NULL,
    started_at TEXT NOT NULL, duration_ms REAL NOT NULL, record TEXT NOT NULL
  );
  CREATE INDEX executions_lead ON executions (lead_id);
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY, lead_id INTEGER NOT NULL REFERENCES leads (id), state TEXT NOT NULL, attempts INTEGER NOT NULL,
    lease_until TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
  );
  CREATE INDEX jobs_state ON jobs (state, id);
`;

export interface StoredLead {
  id: number;
  created_at: string;
  /** The lead's fields, read back for a claimed job's delivery (empty after an insert). */
  fields: Record<string, unknown>;
}

/** One delivery's outcome: the lead's new stage and external id, and the execution that got them. */
export interface Delivered {
  leadId: number;
  stage: string;
  eid: string | undefined;
  reason?: string;
  startedAt: string;
  durationMs: number;
  record: unknown;
  jobId?: number;
}

export class FloorStore {
  readonly db: Database.Database;
  commits = 0;
  writes = 0;
  private batch: Batch | undefined;
  /** A commit's sync under way: one at a time, a batch whose turn ends meanwhile commits after it. */
  private syncing = false;
  private readonly wal: WalSync;
  private readonly sql;

  constructor(
    file: string,
    private readonly mode: CommitMode,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(mode === 'group' ? 'synchronous = NORMAL' : 'synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.wal = new WalSync(file);
    const db = this.db;
    this.sql = {
      insertLead: db.prepare(
        `INSERT INTO leads (offer, wm, source, stage, data, phone_e164, email_lc, created_at, updated_at)
         VALUES (@offer, @wm, @source, 'new', @data, @phone, @email, @at, @at) RETURNING id, created_at`,
      ),
      insertJob: db.prepare(`INSERT INTO jobs (lead_id, state, attempts, created_at, updated_at) VALUES (?, 'queued', 0, ?, ?)`),
      claim: db.prepare(
        `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = @lease, updated_at = @now
         WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT @limit)
         RETURNING id, lead_id`,
      ),
      getLead: db.prepare('SELECT id, created_at, data FROM leads WHERE id = ?'),
      setStage: db.prepare(`UPDATE leads SET stage = @stage, eid = @eid, updated_at = @at WHERE id = @id`),
      insertHistory: db.prepare(
        `INSERT INTO lead_history (lead_id, at, from_stage, stage, reason) VALUES (@id, @at, 'new', @stage, @reason)`,
      ),
      insertExecution: db.prepare(
        `INSERT INTO executions (lead_id, event, state, started_at, duration_ms, record)
         VALUES (@id, @event, @state, @startedAt, @durationMs, @record)`,
      ),
      jobDone: db.prepare(`UPDATE jobs SET state = @state, lease_until = NULL, updated_at = @at WHERE id = @jobId`),
    };
  }

  /** Stores a checked lead in `new` (and its delivery job when `queued`); resolves once committed. */
  insertLead(
    lead: { offer: string; wm?: string; source: string; data: unknown; phone?: string; email?: string },
    queued: boolean,
  ): Promise<StoredLead> {
    return this.write(() => {
      const at = new Date().toISOString();
      const row = this.sql.insertLead.get({
        offer: lead.offer,
        wm: lead.wm ?? null,
        source: lead.source,
        data: JSON.stringify(lead.data),
        phone: lead.phone ?? null,
        email: lead.email ?? null,
        at,
      }) as { id: number; created_at: string };
      if (queued) this.sql.insertJob.run(row.id, at, at);
      return { id: row.id, created_at: row.created_at, fields: {} };
    });
  }

  /** Takes up to `limit` queued jobs with a lease, with their leads; resolves once the claim is committed. */
  claim(limit: number, leaseMs: number): Promise<{ jobId: number; lead: StoredLead }[]> {
    return this.write(() => {
      const now = Date.now();
      const jobs = this.sql.claim.all({
        limit,
        lease: new Date(now + leaseMs).toISOString(),
        now: new Date(now).toISOString(),
      }) as { id: number; lead_id: number }[];
      return jobs.map((job) => {
        const row = this.sql.getLead.get(job.lead_id) as { id: number; created_at: string; data: string };
        return { jobId: job.id, lead: { id: row.id, created_at: row.created_at, fields: JSON.parse(row.data) as Record<string, unknown> } };
      });
    });
  }

  /** The lead's new stage, its history entry, the execution record and the job's end, in one transaction. */
  delivered(d: Delivered, event: string): Promise<void> {
    return this.write(() => {
      const at = new Date().toISOString();
      this.sql.setStage.run({ id: d.leadId, stage: d.stage, eid: d.eid ?? null, at });
      this.sql.insertHistory.run({ id: d.leadId, at, stage: d.stage, reason: d.reason ?? null });
      this.sql.insertExecution.run({
        id: d.leadId,
        event,
        state: d.stage === 'new' ? 'failed' : 'done',
        startedAt: d.startedAt,
        durationMs: d.durationMs,
        record: JSON.stringify(d.record),
      });
      if (d.jobId !== undefined) this.sql.jobDone.run({ jobId: d.jobId, state: d.stage === 'new' ? 'failed' : 'done', at });
    });
  }

  /** Commits and syncs what is open (waiting for a sync under way), then closes. */
  async close(): Promise<void> {
    while (this.syncing || this.batch) {
      if (this.batch && !this.syncing) this.commit();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    this.wal.close();
    this.db.close();
  }

  private write<T>(work: () => T): Promise<T> {
    this.writes++;
    if (this.mode === 'request') {
      try {
        const result = this.db.transaction(work)();
        this.commits++;
        return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    if (!this.batch) {
      this.db.exec('BEGIN IMMEDIATE');
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const committed = new Promise<void>((ok, fail) => {
        resolve = ok;
        reject = fail;
      });
      committed.catch(() => {});
      const batch: Batch = { committed, resolve, reject, due: false };
      this.batch = batch;
      setImmediate(() => {
        if (this.batch !== batch) return;
        if (this.syncing) batch.due = true;
        else this.commit();
      });
    }
    // a savepoint, so a write that throws undoes only itself
    const result = this.db.transaction(work)();
    return this.batch.committed.then(() => result);
  }

  private commit(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    try {
      this.db.exec('COMMIT');
      this.commits++;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      batch.reject(error as Error);
      return;
    }
    this.syncing = true;
    this.wal.sync((error) => {
      this.syncing = false;
      if (error) batch.reject(error);
      else batch.resolve();
      if (this.batch?.due) this.commit();
    });
  }
}

interface Batch {
  committed: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
  /** Its turn ended while a sync ran: it commits when that sync ends. */
  due: boolean;
}
