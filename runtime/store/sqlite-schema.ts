/**
 * The lead store's SQLite schema: its numbered migrations and the prepared statements the store
 * runs. Kept apart from the store's logic so a schema change reads as one diff.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';

/** The lead columns a change may set; a column left out (NULL parameter) keeps its value. */
export const LEAD_CHANGE_COLUMNS = ['eid', 'stage', 'status', 'status_code', 'reason', 'status_comment', 'payout'] as const;

/** `PRAGMA user_version` this code writes; each entry of {@link MIGRATIONS} moves the file up by one. */
export const SCHEMA_VERSION = 16;

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
  // 2 → 3: the source whose intake key posted the lead (NULL for older leads). ALTER TABLE is not
  // idempotent, but the migration and its user_version bump run in one transaction
  `
  ALTER TABLE leads ADD COLUMN source TEXT;
  `,
  // 3 → 4: the audit log (who changed what, before and after, secrets already replaced); append-only
  `
  CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor_name TEXT,
    actor_role TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    note TEXT
  );
  CREATE INDEX IF NOT EXISTS audit_resource ON audit (resource_type, resource_id, id);
  CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor_id, id);
  `,
  // 4 → 5: the caller's keys of a lead (its Idempotency-Key, its order id), unique per source, so a
  // repeat finds the original lead; written in the lead's own transaction. `answer` keeps a
  // synchronous registration's answer for the repeat.
  `
  CREATE TABLE IF NOT EXISTS intake_keys (
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    status INTEGER,
    answer TEXT,
    PRIMARY KEY (source, kind, value)
  );
  CREATE INDEX IF NOT EXISTS intake_keys_lead ON intake_keys (lead_id);
  `,
  // 5 → 6: a claim's owner and lease (see JobQueue.claimJobs); a job left running by an older
  // runtime has neither and counts as expired
  `
  ALTER TABLE jobs ADD COLUMN worker TEXT;
  ALTER TABLE jobs ADD COLUMN lease_until TEXT;
  CREATE INDEX IF NOT EXISTS jobs_state_lease ON jobs (state, lease_until);
  `,
  // 6 → 7: an offer's duplicate check (see LeadStore.insertLeadOnce): each original lead's
  // normalised values of the rule's fields, found by one index range per field
  `
  CREATE TABLE IF NOT EXISTS duplicate_keys (
    offer TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at TEXT NOT NULL,
    lead_id INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE
  );
  CREATE INDEX IF NOT EXISTS duplicate_keys_lookup ON duplicate_keys (offer, field, value, created_at, lead_id);
  CREATE INDEX IF NOT EXISTS duplicate_keys_lead ON duplicate_keys (lead_id);
  `,
  // 7 → 8: the store's own random id, made once (delivery keys start with it, so a wiped and
  // recreated store never sends another store's keys)
  `
  CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  INSERT OR IGNORE INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(8))));
  `,
  // 8 → 9: the execution log's retention removes the oldest records by start time
  `
  CREATE INDEX IF NOT EXISTS executions_started ON executions (started_at);
  `,
  // 9 → 10: an integration's failed deliveries and retries waiting, counted from the index alone
  // (sqlite-delivery.ts)
  `
  CREATE INDEX IF NOT EXISTS jobs_integration_state ON jobs (integration_id, state, kind, attempts);
  `,
  // 10 → 11: a claim by shares reads each lane's oldest due jobs (see JobQueue.claimJobs): one
  // integration's, or every postback, without walking the other lanes' backlog
  `
  CREATE INDEX IF NOT EXISTS jobs_lane_integration ON jobs (state, integration_id, run_at, id);
  CREATE INDEX IF NOT EXISTS jobs_lane_kind ON jobs (state, kind, run_at, id);
  `,
  // 11 → 12: the target's raw status code beside its status text (Map Status keeps both)
  `
  ALTER TABLE leads ADD COLUMN status_code TEXT;
  `,
  // 12 → 13: the integrations a lead was handed to at a stage beyond its own (a fulfilment CRM),
  // and its external id at each (sqlite-handoffs.ts). Not unique per (integration, eid), as
  // leads.eid is not: a target that reuses an id must not make a status write fail
  `
  CREATE TABLE IF NOT EXISTS lead_handoffs (
    lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    eid TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (lead_id, integration_id)
  );
  CREATE INDEX IF NOT EXISTS lead_handoffs_eid ON lead_handoffs (integration_id, eid);
  CREATE INDEX IF NOT EXISTS lead_handoffs_integration ON lead_handoffs (integration_id, lead_id);
  `,
  // 13 → 14: the dashboard's counters (sqlite-dashboard.ts), kept in each lead write's transaction
  // and backfilled here: leads per hour of intake, integration, offer and current stage; and each
  // lead's first status (the first move away from new/wait; a duplicate trashed at intake has none)
  `
  CREATE TABLE IF NOT EXISTS lead_stage_hours (
    hour TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    offer TEXT NOT NULL,
    stage TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (hour, stage, integration_id, offer)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS lead_stage_hours_integration ON lead_stage_hours (integration_id, hour, stage, count);
  INSERT OR IGNORE INTO lead_stage_hours (hour, integration_id, offer, stage, count)
    SELECT substr(created_at, 1, 13), integration_id, offer, stage, count(*) FROM leads GROUP BY 1, 2, 3, 4;
  CREATE TABLE IF NOT EXISTS lead_first_status (
    lead_id INTEGER PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    at TEXT NOT NULL,
    seconds REAL NOT NULL
  );
  CREATE INDEX IF NOT EXISTS lead_first_status_integration ON lead_first_status (integration_id, at);
  INSERT OR IGNORE INTO lead_first_status (lead_id, integration_id, at, seconds)
    SELECT h.lead_id, l.integration_id, h.at, max(0, (julianday(h.at) - julianday(l.created_at)) * 86400)
    FROM lead_history h JOIN leads l ON l.id = h.lead_id
    WHERE h.id IN (
      SELECT min(id) FROM lead_history
      WHERE from_stage IN ('new', 'wait') AND stage NOT IN ('new', 'wait') AND NOT (source = 'api' AND reason = 'duplicate')
      GROUP BY lead_id);
  `,
  // 14 → 15: finding any lead (sqlite-search.ts): its phone (E.164) and email (lower case) as
  // indexed search keys, backfilled from the stored fields (the intake's phoneE164); each list
  // filter served by an index ending in created_at, so a page newest first is one index range;
  // the executions each run touched (execution_leads, both ways), backfilled from executions.lead_id;
  // the log's filters by event and outcome
  `
  ALTER TABLE leads ADD COLUMN phone_e164 TEXT;
  ALTER TABLE leads ADD COLUMN email_lc TEXT;
  UPDATE leads SET phone_e164 = json_extract(data, '$.phoneE164'),
    email_lc = nullif(lower(trim(json_extract(data, '$.email'))), '');
  CREATE INDEX IF NOT EXISTS leads_phone ON leads (phone_e164);
  CREATE INDEX IF NOT EXISTS leads_email ON leads (email_lc);
  CREATE INDEX IF NOT EXISTS leads_eid ON leads (eid);
  CREATE INDEX IF NOT EXISTS lead_handoffs_eid_any ON lead_handoffs (eid);
  DROP INDEX IF EXISTS leads_stage;
  CREATE INDEX IF NOT EXISTS leads_created ON leads (created_at);
  CREATE INDEX IF NOT EXISTS leads_stage_created ON leads (stage, created_at);
  CREATE INDEX IF NOT EXISTS leads_integration_created ON leads (integration_id, created_at);
  CREATE INDEX IF NOT EXISTS leads_offer_created ON leads (offer, created_at);
  CREATE INDEX IF NOT EXISTS leads_source_created ON leads (source, created_at);
  CREATE INDEX IF NOT EXISTS leads_wm_created ON leads (wm, created_at);
  CREATE INDEX IF NOT EXISTS jobs_kind_state_lead ON jobs (kind, state, lead_id);
  CREATE TABLE IF NOT EXISTS execution_leads (
    execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL,
    PRIMARY KEY (execution_id, lead_id)
  );
  CREATE INDEX IF NOT EXISTS execution_leads_lead ON execution_leads (lead_id, execution_id);
  INSERT OR IGNORE INTO execution_leads (execution_id, lead_id) SELECT id, lead_id FROM executions WHERE lead_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS executions_event ON executions (event, id);
  CREATE INDEX IF NOT EXISTS executions_state ON executions (state, id);
  CREATE INDEX IF NOT EXISTS executions_integration_event ON executions (integration_id, event, id);
  CREATE INDEX IF NOT EXISTS executions_integration_state ON executions (integration_id, state, id);
  CREATE INDEX IF NOT EXISTS executions_integration_started ON executions (integration_id, started_at);
  `,
  // 15 → 16: the queue's indexes hold the jobs still open, not every job done since the store
  // began: the lanes only queued jobs, the leases only running ones, the counts and the search's
  // delivery filter only jobs not done (the queries say \`state <> 'done'\` to use them). A job's
  // three steps (queued, running, done) rewrote nine index entries each; now a done job leaves
  // them, and the indexes stay the size of the queue however many leads were delivered.
  // executions_integration was the first column of three other indexes.
  `
  DROP INDEX IF EXISTS jobs_state_run_at;
  DROP INDEX IF EXISTS jobs_state_lease;
  DROP INDEX IF EXISTS jobs_integration_state;
  DROP INDEX IF EXISTS jobs_lane_integration;
  DROP INDEX IF EXISTS jobs_lane_kind;
  DROP INDEX IF EXISTS jobs_kind_state_lead;
  DROP INDEX IF EXISTS executions_integration;
  CREATE INDEX IF NOT EXISTS jobs_lane_integration ON jobs (integration_id, run_at, id) WHERE state = 'queued';
  CREATE INDEX IF NOT EXISTS jobs_lane_kind ON jobs (kind, run_at, id) WHERE state = 'queued';
  CREATE INDEX IF NOT EXISTS jobs_running_lease ON jobs (lease_until) WHERE state = 'running';
  CREATE INDEX IF NOT EXISTS jobs_integration_state ON jobs (integration_id, state, kind, attempts) WHERE state <> 'done';
  CREATE INDEX IF NOT EXISTS jobs_kind_state_lead ON jobs (kind, state, lead_id) WHERE state <> 'done';
  `,
];

/** Brings a file up to {@link SCHEMA_VERSION}; refuses a file a newer runtime wrote. */
export function migrate(db: SqliteDatabase): void {
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

/** The statements the store runs, prepared once per connection. */
export function prepare(db: SqliteDatabase) {
  return {
    insertLead: db.prepare(
      `INSERT INTO leads (integration_id, offer, wm, source, stage, reason, data, phone_e164, email_lc, created_at, updated_at)
       VALUES (@integration_id, @offer, @wm, @source, @stage, @reason, @data, @phone_e164, @email_lc, @created_at, @updated_at)`,
    ),
    setSearchKeys: db.prepare('UPDATE leads SET phone_e164 = @phone_e164, email_lc = @email_lc WHERE id = @id'),
    getLead: db.prepare('SELECT * FROM leads WHERE id = ?'),
    findIntakeKey: db.prepare('SELECT * FROM intake_keys WHERE source = @source AND kind = @kind AND value = @value'),
    insertIntakeKey: db.prepare(
      `INSERT INTO intake_keys (source, kind, value, body_hash, lead_id) VALUES (@source, @kind, @value, @body_hash, @lead_id)`,
    ),
    setIntakeAnswer: db.prepare('UPDATE intake_keys SET status = @status, answer = @answer WHERE lead_id = @lead_id'),
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
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = @worker, lease_until = @lease_until,
         updated_at = @updated_at
       WHERE id IN (
         SELECT id FROM jobs
         WHERE state = 'queued' AND run_at <= @now AND kind IN (SELECT value FROM json_each(@kinds))
           AND coalesce(integration_id, '') || ' ' || kind NOT IN (SELECT value FROM json_each(@held))
         ORDER BY run_at, id
         LIMIT @limit)
       RETURNING *`,
    ),
    // a claim by shares: the due ids of each lane, oldest first, then one update over the ones chosen
    dueOfIntegration: db.prepare(
      `SELECT id, run_at FROM jobs
       WHERE state = 'queued' AND integration_id IS @integration AND run_at <= @now
         AND kind IN (SELECT value FROM json_each(@kinds)) AND kind NOT IN (SELECT value FROM json_each(@held))
       ORDER BY run_at, id LIMIT @limit`,
    ),
    duePostbacks: db.prepare(
      `SELECT id, run_at FROM jobs
       WHERE state = 'queued' AND kind = 'postback.out' AND run_at <= @now
         AND coalesce(integration_id, '') || ' postback.out' NOT IN (SELECT value FROM json_each(@held))
       ORDER BY run_at, id LIMIT @limit`,
    ),
    // the integrations with queued jobs, one index seek each (a skip scan), however long their queues
    queuedLanes: db.prepare(
      `WITH RECURSIVE lanes(id) AS (
         SELECT (SELECT min(integration_id) FROM jobs WHERE state = 'queued')
         UNION ALL
         SELECT (SELECT min(integration_id) FROM jobs WHERE state = 'queued' AND integration_id > lanes.id) FROM lanes WHERE id IS NOT NULL)
       SELECT id FROM lanes WHERE id IS NOT NULL`,
    ),
    // the ids were read as queued in this same transaction; a state test here would lead the planner off the primary key
    claimIds: db.prepare(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = @worker, lease_until = @lease_until,
         updated_at = @updated_at
       WHERE id IN (SELECT value FROM json_each(@ids))
       RETURNING *`,
    ),
    completeJob: db.prepare(
      `UPDATE jobs SET state = 'done', worker = NULL, lease_until = NULL, payload = coalesce(@payload, payload), updated_at = @updated_at WHERE id = @id`,
    ),
    retryJob: db.prepare(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, run_at = @run_at, last_error = @error, payload = coalesce(@payload, payload),
         updated_at = @updated_at WHERE id = @id`,
    ),
    failJob: db.prepare(
      `UPDATE jobs SET state = 'failed', worker = NULL, lease_until = NULL, last_error = @error, payload = coalesce(@payload, payload), updated_at = @updated_at
       WHERE id = @id`,
    ),
    // only the owner writes progress: a worker whose lease ran out (and the job taken by another) writes nothing
    saveJobProgress: db.prepare(
      `UPDATE jobs SET payload = @payload, updated_at = @updated_at WHERE id = @id AND state = 'running' AND worker = @worker`,
    ),
    deferJob: db.prepare(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, attempts = max(attempts - 1, 0), run_at = @run_at,
         payload = coalesce(@payload, payload), updated_at = @updated_at
       WHERE id = @id AND state = 'running' AND worker = @worker`,
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
    requeueRunning: db.prepare(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, updated_at = @updated_at WHERE state = 'running'`,
    ),
    // a lease ending exactly now is over: the claim's owner had until then
    requeueExpired: db.prepare(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, updated_at = @updated_at
       WHERE state = 'running' AND (lease_until IS NULL OR lease_until <= @now)`,
    ),
    // min() of ISO times: the earlier one, so a released job keeps its place in the queue
    releaseJobs: db.prepare(
      `UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, attempts = max(attempts - 1, 0), run_at = min(run_at, @now),
         updated_at = @updated_at
       WHERE state = 'running' AND worker = @worker AND id IN (SELECT value FROM json_each(@ids))`,
    ),
    renewLeases: db.prepare(
      `UPDATE jobs SET lease_until = @lease_until
       WHERE state = 'running' AND worker = @worker AND id IN (SELECT value FROM json_each(@ids))`,
    ),
    jobsOfLead: db.prepare('SELECT * FROM jobs WHERE lead_id = ? ORDER BY id'),
    insertExecution: db.prepare(
      `INSERT INTO executions (flow_id, flow_version, integration_id, event, lead_id, state, test, error, response,
         "trigger", steps, started_at, duration_ms)
       VALUES (@flow_id, @flow_version, @integration_id, @event, @lead_id, @state, @test, @error, @response,
         @trigger, @steps, @started_at, @duration_ms)`,
    ),
    getExecution: db.prepare('SELECT * FROM executions WHERE id = ?'),
    // the oldest original of one field's value in the window: one index range, first row
    findDuplicate: db
      .prepare(
        `SELECT lead_id FROM duplicate_keys WHERE offer = @offer AND field = @field AND value = @value AND created_at >= @since
       ORDER BY created_at, lead_id LIMIT 1`,
      )
      .pluck(),
    insertDuplicateKey: db.prepare(
      'INSERT INTO duplicate_keys (offer, field, value, created_at, lead_id) VALUES (@offer, @field, @value, @created_at, @lead_id)',
    ),
    storeId: db.prepare(`SELECT value FROM store_meta WHERE key = 'store_id'`).pluck(),
    // retention: executions of a lead still in `new` are kept (it may be retried from them)
    pruneStartedBefore: db.prepare(
      `DELETE FROM executions WHERE id IN (
         SELECT e.id FROM executions e LEFT JOIN leads l ON l.id = e.lead_id
         WHERE e.started_at < @before AND (l.stage IS NULL OR l.stage <> 'new')
         ORDER BY e.started_at LIMIT @limit)`,
    ),
    // the id of an integration's Nth newest execution: everything below it is past the count
    nthNewestExecution: db
      .prepare('SELECT id FROM executions WHERE integration_id = @integration_id ORDER BY id DESC LIMIT 1 OFFSET @offset')
      .pluck(),
    pruneBelowId: db.prepare(
      `DELETE FROM executions WHERE id IN (
         SELECT e.id FROM executions e LEFT JOIN leads l ON l.id = e.lead_id
         WHERE e.integration_id = @integration_id AND e.id < @below AND (l.stage IS NULL OR l.stage <> 'new')
         ORDER BY e.id LIMIT @limit)`,
    ),
    insertAudit: db.prepare(
      `INSERT INTO audit (at, actor_id, actor_name, actor_role, action, resource_type, resource_id, before, after, note)
       VALUES (@at, @actor_id, @actor_name, @actor_role, @action, @resource_type, @resource_id, @before, @after, @note)`,
    ),
  };
}
