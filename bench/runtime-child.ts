/**
 * The runtime under test, in a process of its own so that its CPU and peak RSS are its own.
 * It starts exactly as `runtime/main.ts` does (same configuration from the environment, same
 * composition root) and adds, for the bench only, an IPC channel to the parent (the harness, `bench/harness.ts`):
 * nothing here is part of the product.
 *
 * Environment: the runtime's own (`PORT`, `LEADFLOW_DATA`, `LOG_LEVEL`, `LEADFLOW_WORKERS`,
 * `LEADFLOW_DATABASE_URL` and `LEADFLOW_DATABASE_POOL`: on PostgreSQL, `seed`, `stream` aside, the reads
 * below go through `bench/pg-probe.ts`, and `seed`, `commits` and `LEADFLOW_BENCH_SYNCHRONOUS` are
 * refused, being SQLite's) plus
 * `BENCH_QUEUE=off` to listen without starting the job queue (intake measured alone: leads are
 * stored with their delivery job, nothing takes the jobs), and `LEADFLOW_BENCH_SYNCHRONOUS`
 * (`FULL`, `NORMAL`) to set SQLite's `synchronous` on the store's handle after it opened: `FULL`
 * puts the fsync back inside COMMIT, on the runtime's thread (the store's own sync after it then
 * finds nothing left to flush), so one run can show what syncing the WAL off the thread gained; the
 * runtime itself always opens with NORMAL and syncs the WAL off the thread.
 *
 * IPC requests `{ id, cmd, ...args }`, answered `{ id, result }` or `{ id, error }`:
 * - `seed { count, integrationId, offer, stage, spanHours, failedEvery, executionsPerLead }` — bulk insert of stored leads (and their done
 *   delivery jobs, and the dashboard's counters of them) in one transaction through the store's own
 *   database handle, then `executionsPerLead` execution records of each with their links
 *   (bench/seed-executions.ts, transactions of 50,000), then a checkpoint; created 90 days ago, or over
 *   the last `spanHours`; answers the counts, the time taken and the database file's size;
 * - `progress { afterId }` — leads with a greater id, counted by stage;
 * - `backlog { afterId, integrationId }` — of those, the integration's still `new` and those it
 *   refused (`cancel`, `trash`): what the bench polls while it waits for a delivery to finish, read
 *   from the integration's stage index so a poll costs the backlog, not every lead measured;
 * - `deliveries { afterId }` — for those leads in `wait`: intake→wait times and execution durations;
 * - `stream { integrationId, stage, batch }` — pages through the leads with `leadBatch`, the status
 *   check's own read, and says how long it took;
 * - `claims` — how often the job queue claimed, and how many jobs;
 * - `commits` — the store's group-commit counters (`SqliteLeadStore.commitStats`) and its `synchronous`;
 * - `maxLeadId`, `stop`.
 */
import type { Server } from 'node:http';
import { statSync } from 'node:fs';
import { once } from 'node:events';
import { pino } from 'pino';
import { readConfig } from '../runtime/config.ts';
import { createRuntime } from '../runtime/runtime.ts';
import type { SqliteLeadStore } from '../runtime/store/sqlite.ts';
import type { Stage } from '../core/domain/lead.ts';
import { pgProbe, type Backlog } from './pg-probe.ts';
import { seedExecutions } from './seed-executions.ts';

const settings = readConfig();
const runtime = await createRuntime({
  dataDir: settings.dataDir,
  databaseUrl: settings.databaseUrl,
  databasePool: settings.databasePool,
  publicUrl: settings.publicUrl,
  workers: settings.workers,
  logger: pino({ level: settings.logLevel }),
  allowPrivateTargets: settings.allowPrivateTargets,
  // the parent sets LEADFLOW_ADMIN_PASSWORD and logs in with it, as a user of `npm start` would
  adminPassword: settings.adminPassword,
});
const store = runtime.leads as SqliteLeadStore;
const probe = settings.databaseUrl ? pgProbe(settings.databaseUrl) : undefined;
/** The SQLite store's handle, for the commands that are SQLite's alone. */
function sqlite(): NonNullable<SqliteLeadStore['db']> {
  if (!store.db) throw new Error('this bench command needs the embedded (SQLite) store, not PostgreSQL');
  return store.db;
}
const synchronous = process.env.LEADFLOW_BENCH_SYNCHRONOUS;
if (synchronous) {
  const db = sqlite();
  if (!['FULL', 'NORMAL'].includes(synchronous)) throw new Error(`LEADFLOW_BENCH_SYNCHRONOUS: FULL or NORMAL, not "${synchronous}"`);
  db.pragma(`synchronous = ${synchronous}`);
}

// counts the queue's claims (the store object is the queue's own, so wrapping it here sees them)
const claims = { calls: 0, jobs: 0 };
const claimJobs = runtime.jobs.claimJobs.bind(runtime.jobs);
runtime.jobs.claimJobs = async (...args) => {
  const jobs = await claimJobs(...args);
  claims.calls++;
  claims.jobs += jobs.length;
  return jobs;
};

let ownServer: Server | undefined;
let url: string;
if (process.env.BENCH_QUEUE === 'off') {
  ownServer = runtime.app.listen(settings.port, '127.0.0.1');
  await once(ownServer, 'listening');
  url = `http://127.0.0.1:${settings.port}`;
} else {
  url = await runtime.listen(settings.port, '127.0.0.1');
}

/** The seeded lead's phone, already in E.164 (its search key too). */
function seedPhone(i: number): string {
  return `+4915${String(10_000_000 + i).padStart(9, '0')}`;
}

/** A realistic stored lead body: what `insertLead` keeps in `data`. */
function seedData(i: number, offer: string): string {
  return JSON.stringify({
    offer,
    wm: `wm${i % 500}`,
    flow: `s${i % 40}`,
    name: `Seeded Lead ${i}`,
    phone: seedPhone(i),
    phoneE164: seedPhone(i),
    email: `lead${i}@example.org`,
    country: i % 3 ? 'DE' : 'AT',
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    ua: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36',
    subid: `click-${i.toString(36)}`,
    sub1: 'campaign-7',
    utm_source: 'fb',
  });
}

const STAGES_MIX: Stage[] = ['wait', 'wait', 'approve', 'approve', 'approve', 'cancel', 'trash', 'hold'];

async function seed(args: {
  count: number;
  integrationId: string;
  offer: string;
  stage?: Stage;
  spanHours?: number;
  /** Every Nth lead stays `new` with its delivery failed (the lead search's delivery filter). */
  failedEvery?: number;
  /** Execution records written for each seeded lead, with their links (none when absent). */
  executionsPerLead?: number;
}): Promise<{ count: number; executions: number; ms: number; dbBytes: number }> {
  const db = sqlite();
  // a group commit left open in this turn (the job queue's poll claims jobs in one) would take the
  // seed in and refuse the checkpoint below ("database table is locked"): start on a turn of our own
  while (db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
  const started = performance.now();
  const insertLead = db.prepare(
    `INSERT INTO leads (integration_id, offer, wm, stage, eid, status, data, phone_e164, email_lc, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertJob = db.prepare(
    `INSERT INTO jobs (kind, lead_id, integration_id, payload, state, attempts, run_at, created_at, updated_at)
     VALUES ('lead.new', ?, ?, '{}', ?, 1, ?, ?, ?)`,
  );
  const base = args.spanHours ? Date.now() - args.spanHours * 3_600_000 : Date.now() - 90 * 86_400_000;
  const step = args.spanHours ? (args.spanHours * 3_600_000) / args.count : 5;
  const after = db.prepare('SELECT coalesce(max(id), 0) FROM leads').pluck().get() as number;
  db.transaction(() => {
    for (let i = 0; i < args.count; i++) {
      const at = new Date(base + i * step).toISOString();
      const failed = args.failedEvery !== undefined && i % args.failedEvery === 0;
      const stage = failed ? 'new' : (args.stage ?? STAGES_MIX[i % STAGES_MIX.length]);
      const { lastInsertRowid } = insertLead.run(
        args.integrationId,
        args.offer,
        `wm${i % 500}`,
        stage,
        failed ? null : `E${i}`,
        failed ? null : stage,
        seedData(i, args.offer),
        seedPhone(i),
        `lead${i}@example.org`,
        at,
        at,
      );
      insertJob.run(lastInsertRowid, args.integrationId, failed ? 'failed' : 'done', at, at, at);
    }
    // the counters the store keeps in each lead write (sqlite-dashboard.ts), for the leads seeded
    // past it; their first status an hour after intake
    db.prepare(
      `INSERT INTO lead_stage_hours (hour, integration_id, offer, stage, count)
       SELECT substr(created_at, 1, 13), integration_id, offer, stage, count(*) FROM leads WHERE id > ? GROUP BY 1, 2, 3, 4
       ON CONFLICT (hour, stage, integration_id, offer) DO UPDATE SET count = count + excluded.count`,
    ).run(after);
    db.prepare(
      `INSERT OR IGNORE INTO lead_first_status (lead_id, integration_id, at, seconds)
       SELECT id, integration_id, created_at, 3600 FROM leads WHERE id > ? AND stage NOT IN ('new', 'wait')`,
    ).run(after);
  })();
  const executions = await seedExecutions(db, { afterLeadId: after, perLead: args.executionsPerLead ?? 0, now: Date.now() });
  // a store that grew over months has its WAL checkpointed long since: do it now, or the first
  // commit after the seed pays for copying the whole seed into the database file
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { count: args.count, executions, ms: Math.round(performance.now() - started), dbBytes: statSync(db.name).size };
}

// The probes below read the measured leads by id range alone (NOT INDEXED: the rowid, no other
// index). Left to itself SQLite, which has no statistics here, takes the stage index and walks every
// stored lead (a million in the full growth run) on each poll, on the runtime's own event loop.

function progress(afterId: number): Record<string, number> {
  const db = sqlite();
  const rows = db.prepare('SELECT stage, count(*) AS n FROM leads NOT INDEXED WHERE id > ? GROUP BY stage').all(afterId) as {
    stage: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}

/** The stages a finished delivery must not leave a lead in. */
const REFUSED = ['cancel', 'trash'];

function backlog(afterId: number, integrationId: string): Backlog {
  // (integration_id, stage, id): each count is a range of the index, not a walk of the table
  const count = sqlite()
    .prepare('SELECT count(*) FROM leads INDEXED BY leads_integration_stage WHERE integration_id = ? AND stage = ? AND id > ?')
    .pluck();
  return {
    queued: count.get(integrationId, 'new', afterId) as number,
    refused: REFUSED.reduce((sum, stage) => sum + (count.get(integrationId, stage, afterId) as number), 0),
  };
}

function deliveries(afterId: number) {
  const db = sqlite();
  const leads = db.prepare(`SELECT created_at, updated_at FROM leads NOT INDEXED WHERE id > ? AND stage = 'wait'`).all(afterId) as {
    created_at: string;
    updated_at: string;
  }[];
  const created = leads.map((l) => Date.parse(l.created_at));
  const waited = leads.map((l) => Date.parse(l.updated_at));
  // the measured leads' executions through executions_lead (lead_id > afterId), never the seeded ones
  const executions = db.prepare('SELECT duration_ms FROM executions WHERE lead_id > ?').pluck().all(afterId) as number[];
  return {
    count: leads.length,
    firstCreated: created.reduce((a, b) => Math.min(a, b), Infinity),
    lastWait: waited.reduce((a, b) => Math.max(a, b), 0),
    intakeToWaitMs: leads.map((_, i) => waited[i] - created[i]),
    executionMs: executions,
  };
}

/** Reads the leads the way the status check does (`leadBatch`: keyset pages on integration, stage, id). */
async function stream(args: { integrationId: string; stage: Stage; batch: number }) {
  const started = performance.now();
  const pageMs: number[] = [];
  let afterId: number | undefined;
  let leads = 0;
  let pages = 0;
  for (;;) {
    const t0 = performance.now();
    const page = await runtime.leads.leadBatch({ integrationId: args.integrationId, stage: args.stage, afterId, limit: args.batch });
    pageMs.push(performance.now() - t0);
    if (page.length === 0) break;
    leads += page.length;
    pages++;
    afterId = page[page.length - 1].id;
    // a status check hands each batch to a flow run; let the event loop breathe between batches
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { leads, pages, ms: performance.now() - started, pageMs, heapUsed: process.memoryUsage().heapUsed };
}

async function handle(message: { cmd: string; [key: string]: unknown }): Promise<unknown> {
  switch (message.cmd) {
    case 'seed':
      return seed(message as never);
    case 'progress':
      return probe ? probe.progress(Number(message.afterId)) : progress(Number(message.afterId));
    case 'backlog':
      return probe
        ? probe.backlog(Number(message.afterId), String(message.integrationId))
        : backlog(Number(message.afterId), String(message.integrationId));
    case 'deliveries':
      return probe ? probe.deliveries(Number(message.afterId)) : deliveries(Number(message.afterId));
    case 'stream':
      return stream(message as never);
    case 'claims':
      return { ...claims };
    case 'commits':
      // 2 is FULL, 1 NORMAL
      return { ...store.commitStats(), synchronous: sqlite().pragma('synchronous', { simple: true }) };
    case 'maxLeadId':
      return probe ? probe.maxLeadId() : ((sqlite().prepare('SELECT coalesce(max(id), 0) FROM leads').pluck().get() as number) ?? 0);
    case 'stop':
      if (ownServer) {
        ownServer.closeAllConnections();
        await new Promise((resolve) => ownServer?.close(resolve));
      }
      await runtime.close();
      await probe?.close();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

process.on('message', (message: { id: number; cmd: string }) => {
  handle(message).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: url });
