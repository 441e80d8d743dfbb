/**
 * The lead store's SQLite schema: its numbered migrations (the statements the store runs on it are
 * in sqlite-statements.ts). Kept apart from the store's logic so a schema change reads as one diff.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';

/** `PRAGMA user_version` this code writes; each entry of {@link MIGRATIONS} moves the file up by one. */
export const SCHEMA_VERSION = 18;

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
  // 16 → 17: a run is no longer linked in execution_leads to its own lead (executions.lead_id
  // names it; sqlite-execution-leads.ts reads both). The older rows' own links stay, harmless to a
  // read that takes the union; nothing to change in the file. The version is raised so a runtime
  // from before refuses the file instead of listing a lead's runs without those of its own.
  `
  -- no change to the schema: see above
  `,
  // 17 → 18: the eid indexes hold only the leads a target has named: a new lead (no eid yet) writes
  // no entry in them, and its eid, when it comes, one insert instead of a move out of the NULL
  // group. Every lookup is `eid = ?`, which a partial index on `eid IS NOT NULL` serves as before.
  `
  DROP INDEX IF EXISTS leads_integration_eid;
  CREATE INDEX IF NOT EXISTS leads_integration_eid ON leads (integration_id, eid) WHERE eid IS NOT NULL;
  DROP INDEX IF EXISTS leads_eid;
  CREATE INDEX IF NOT EXISTS leads_eid ON leads (eid) WHERE eid IS NOT NULL;
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
