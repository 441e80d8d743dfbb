/**
 * The PostgreSQL execution log, audit log and checkpoints on a real server (the test setup's
 * embedded PostgreSQL, a fresh database per test), through their public methods only: what the
 * contract suites (test/store/contracts/, run by postgres.contract.test.ts) do not already say.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_MIGRATIONS } from '../../runtime/store/pg/schema-log.ts';
import { PgExecutionLog } from '../../runtime/store/pg/execution-log.ts';
import { PgAuditStore } from '../../runtime/store/pg/audit.ts';
import type { NewAuditEntry, NewExecution } from '../../runtime/store/types.ts';
import { freshDatabase, testPool } from '../support/postgres.ts';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let pool: pg.Pool;
let log: PgExecutionLog;

/** Until the migration runner (runtime/store/pg/migrate.ts) is merged: each step's SQL in order. */
async function migrate(target: pg.Pool): Promise<void> {
  for (const step of [...LOG_MIGRATIONS].sort((a, b) => a.version - b.version)) await target.query(step.sql);
}

/**
 * Until the leads module's PostgreSQL store is merged, a stand-in for its `leads (id, stage)`
 * table, which retention reads by name; the contract suite will insert and move leads through
 * the lead store instead.
 */
const leads = {
  async create(): Promise<void> {
    await pool.query('CREATE TABLE leads (id bigint PRIMARY KEY, stage text NOT NULL)');
  },
  async put(id: number, stage: string): Promise<void> {
    await pool.query('INSERT INTO leads (id, stage) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET stage = excluded.stage', [id, stage]);
  },
};

beforeEach(async () => {
  database = await freshDatabase();
  pool = testPool({ connectionString: database.url, max: 4 });
  await migrate(pool);
  await leads.create();
  log = new PgExecutionLog(pool);
});

afterEach(async () => {
  await pool.end();
  await database.drop();
});

const DAY = 86_400_000;

const execution = (leadId: number | undefined, flowId = 'crm-send'): NewExecution => ({
  flowId,
  flowVersion: 3,
  integrationId: 'crm',
  event: 'lead.new',
  leadId,
  state: 'error',
  test: false,
  error: { code: 'http_error', message: 'HTTP 502', nodeId: 'http', retryable: true },
  trigger: { lead: { id: leadId, phone: '+49…' } },
  steps: [
    {
      nodeId: 'lead',
      type: 'lead-in',
      state: 'ok',
      port: 'out',
      output: { id: leadId },
      startedAt: '2025-03-01T10:00:00.000Z',
      durationMs: 0.1,
      attempts: 1,
      http: [],
      logs: [],
    },
    {
      nodeId: 'http',
      type: 'http-request',
      state: 'error',
      input: { body: { phone: '+49…' } },
      error: { code: 'http_error', message: 'HTTP 502' },
      startedAt: '2025-03-01T10:00:00.001Z',
      durationMs: 5.2,
      attempts: 2,
      http: [
        {
          request: { method: 'POST', url: 'http://127.0.0.1:1/orders', headers: { 'x-api-key': '***' }, body: '{"phone":"+49…"}' },
          response: { status: 502, headers: { 'content-type': 'text/plain' }, body: 'bad gateway' },
          outcome: 'answer',
          durationMs: 5.1,
        },
      ],
      logs: ['retrying'],
    },
  ],
  startedAt: '2025-03-01T10:00:00.000Z',
  durationMs: 5.4,
});

/** A plain run of an integration, started `daysAgo` days ago. */
const run = (integrationId: string, daysAgo: number, leadId?: number): NewExecution => ({
  flowId: 'send',
  flowVersion: 1,
  integrationId,
  event: leadId === undefined ? 'postback.in' : 'lead.new',
  leadId,
  state: 'success',
  test: false,
  steps: [],
  startedAt: new Date(Date.now() - daysAgo * DAY).toISOString(),
  durationMs: 3,
});

const ids = (list: { id: number }[]) => list.map((e) => e.id);

describe('the execution log on PostgreSQL', () => {
  it("keeps a target's answer exactly as it came, a NUL character and key order included", async () => {
    const body = 'head\u0000tail';
    const id = await log.insertExecution({ ...execution(1), response: { status: 200, body: { z: body, a: 1 } } });
    const read = (await log.getExecution(id))!;
    expect(read.response).toEqual({ status: 200, body: { z: body, a: 1 } });
    expect(Object.keys(read.response!.body as object)).toEqual(['z', 'a']);
  });

  it('refuses a start or a date filter that is not a time, naming the field', async () => {
    await expect(log.insertExecution({ ...run('crm', 0), startedAt: 'yesterday' })).rejects.toThrow(/startedAt/);
    await expect(log.listExecutions({ startedFrom: 'soon' })).rejects.toThrow(/startedFrom/);
    await expect(log.listExecutions({ startedTo: '' })).rejects.toThrow(/startedTo/);
  });

  it('gives runs recorded through two pools at once distinct ids, all listed', async () => {
    const other = testPool({ connectionString: database.url, max: 4 });
    try {
      const second = new PgExecutionLog(other);
      const made = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? log : second).insertExecution(run('crm', 0, 5))));
      expect(new Set(made).size).toBe(20);
      expect(ids(await second.listExecutions({ leadId: 5 })).sort((a, b) => a - b)).toEqual([...made].sort((a, b) => a - b));
    } finally {
      await other.end();
    }
  });
});

describe('the execution log retention on PostgreSQL', () => {
  it("removes a pruned run's lead links with it", async () => {
    const batch = await log.insertExecution({ ...run('crm', 60), leadIds: [1, 2] });
    const kept = await log.insertExecution({ ...run('crm', 0), leadIds: [2, 3] });
    expect(await log.pruneExecutions({ startedBefore: new Date(Date.now() - DAY) }, 10)).toBe(1);
    expect(await log.listExecutions({ leadId: 1 })).toEqual([]);
    expect(ids(await log.listExecutions({ leadId: 2 }))).toEqual([kept]);
    expect(batch).toBeLessThan(kept);
  });
});

describe('the audit log on PostgreSQL', () => {
  const entry = (over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
    at: '2026-12-01T10:00:00.000Z',
    actor: { id: 'u-1', name: 'Ann', role: 'admin' },
    action: 'flow.save',
    resourceType: 'flow',
    resourceId: 'send',
    ...over,
  });

  it('refuses an entry whose time is not a time, naming the field', async () => {
    await expect(new PgAuditStore(pool).appendAudit(entry({ at: 'now' }))).rejects.toThrow(/\bat\b/);
  });
});

describe('the log schema', () => {
  it('is migration versions 10 to 19, each once, in order', () => {
    const versions = LOG_MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    expect(versions.every((v) => v >= 10 && v <= 19)).toBe(true);
    expect(LOG_MIGRATIONS.every((m) => m.name.length > 0 && m.sql.trim().length > 0)).toBe(true);
  });
});
