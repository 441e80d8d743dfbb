/**
 * The lead store's statement catalogue: the prepared statements the store and its pieces run on the
 * schema of sqlite-schema.ts, prepared once per connection. Kept apart from the migrations so each
 * reads as one list.
 */
import type { Database as SqliteDatabase } from 'better-sqlite3';

/** The lead columns a change may set; a column left out (NULL parameter) keeps its value. */
export const LEAD_CHANGE_COLUMNS = ['eid', 'stage', 'status', 'status_code', 'reason', 'status_comment', 'payout'] as const;

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
