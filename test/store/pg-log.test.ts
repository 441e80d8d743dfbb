/**
 * The PostgreSQL execution log, audit log and checkpoints on a real server (the test setup's
 * embedded PostgreSQL, a fresh database per test), through their public methods only, so these
 * cases can move into the shared contract suites of ExecutionLog, AuditStore and CheckpointStore.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_MIGRATIONS } from '../../runtime/store/pg/schema-log.ts';
import { PgExecutionLog } from '../../runtime/store/pg/execution-log.ts';
import { PgAuditStore } from '../../runtime/store/pg/audit.ts';
import { PgCheckpointStore } from '../../runtime/store/pg/checkpoints.ts';
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
const exists = async (id: number) => (await log.getExecution(id)) !== undefined;

describe('the execution log on PostgreSQL', () => {
  it('an execution reads back with its steps, their HTTP exchanges and its error', async () => {
    const recorded = execution(7);
    const id = await log.insertExecution(recorded);
    expect(typeof id).toBe('number');
    expect(await log.getExecution(id)).toEqual({ ...recorded, id });
    expect(await log.getExecution(id + 1)).toBeUndefined();
  });

  it('a test run without a lead keeps test set and no lead id', async () => {
    const id = await log.insertExecution({
      ...execution(undefined),
      test: true,
      state: 'success',
      error: undefined,
      response: { status: 200, body: { url: 'https://x' } },
    });
    const read = (await log.getExecution(id))!;
    expect(read.test).toBe(true);
    expect(read.response).toEqual({ status: 200, body: { url: 'https://x' } });
    expect('leadId' in read).toBe(false);
    expect('error' in read).toBe(false);
    expect('leadIds' in read).toBe(false);
  });

  it("keeps a target's answer exactly as it came, a NUL character and key order included", async () => {
    const body = 'head\u0000tail';
    const id = await log.insertExecution({ ...execution(1), response: { status: 200, body: { z: body, a: 1 } } });
    const read = (await log.getExecution(id))!;
    expect(read.response).toEqual({ status: 200, body: { z: body, a: 1 } });
    expect(Object.keys(read.response!.body as object)).toEqual(['z', 'a']);
  });

  it("fills in a step's input recorded as the trigger's or an earlier step's output", async () => {
    const base = execution(3);
    const id = await log.insertExecution({
      ...base,
      steps: [
        { ...base.steps[0], input: undefined, inputFrom: '$trigger' },
        { ...base.steps[1], input: undefined, inputFrom: 'lead' },
      ],
    });
    const [first, second] = (await log.getExecution(id))!.steps;
    expect(first.input).toEqual(base.trigger);
    expect(second.input).toEqual(base.steps[0].output);
    expect('inputFrom' in first).toBe(false);
  });

  it('links a run to every lead it touched, listed under each, and a run of its own lead reads back as recorded', async () => {
    const batch = await log.insertExecution({ ...run('crm', 0), event: 'status.processing', leadIds: [12, 10, 11, 10, 0] });
    const own = await log.insertExecution(run('crm', 0, 10));
    const postback = await log.insertExecution({ ...run('crm', 0, 11), leadIds: [11] });

    expect((await log.getExecution(batch))!.leadIds).toEqual([10, 11, 12]);
    expect('leadIds' in (await log.getExecution(own))!).toBe(false);
    expect('leadIds' in (await log.getExecution(postback))!).toBe(false);
    expect(ids(await log.listExecutions({ leadId: 10 }))).toEqual([own, batch]);
    expect(ids(await log.listExecutions({ leadId: 11 }))).toEqual([postback, batch]);
    expect(ids(await log.listExecutions({ leadId: 12 }))).toEqual([batch]);
    expect(await log.listExecutions({ leadId: 0 })).toEqual([]);
    expect((await log.listExecutions({ leadId: 12 }))[0].leadIds).toEqual([10, 11, 12]);
  });

  it("lists a lead's or a flow's runs newest first, paged by before", async () => {
    const a1 = await log.insertExecution(execution(1));
    await log.insertExecution(execution(2, 'crm-status'));
    const a2 = await log.insertExecution(execution(1));
    const a3 = await log.insertExecution(execution(1, 'crm-status'));

    expect(ids(await log.listExecutions({ leadId: 1 }))).toEqual([a3, a2, a1]);
    expect(ids(await log.listExecutions({ leadId: 1, before: a3, limit: 1 }))).toEqual([a2]);
    expect(ids(await log.listExecutions({ flowId: 'crm-send' }))).toEqual([a2, a1]);
    expect(await log.listExecutions({ integrationId: 'elsewhere' })).toEqual([]);
  });

  it('filters by integration, event, outcome and start time, each alone and together', async () => {
    const at = (iso: string, over: Partial<NewExecution>) => log.insertExecution({ ...run('crm', 0), startedAt: iso, ...over });
    const e1 = await at('2026-11-01T10:00:00.000Z', { event: 'lead.new', state: 'success' });
    const e2 = await at('2026-11-02T10:00:00.000Z', { event: 'lead.new', state: 'error' });
    const e3 = await at('2026-11-03T10:00:00.000Z', { event: 'status.processing', state: 'error' });
    const e4 = await at('2026-11-04T10:00:00.000Z', { event: 'lead.new', state: 'waiting', integrationId: 'net' });

    expect(ids(await log.listExecutions({ integrationId: 'crm' }))).toEqual([e3, e2, e1]);
    expect(ids(await log.listExecutions({ event: 'lead.new' }))).toEqual([e4, e2, e1]);
    expect(ids(await log.listExecutions({ states: ['error'] }))).toEqual([e3, e2]);
    expect(ids(await log.listExecutions({ states: ['error', 'waiting'] }))).toEqual([e4, e3, e2]);
    expect(ids(await log.listExecutions({ states: [] }))).toEqual([]);
    expect(ids(await log.listExecutions({ startedFrom: '2026-11-02T10:00:00.000Z', startedTo: '2026-11-04T10:00:00.000Z' }))).toEqual([
      e3,
      e2,
    ]);
    expect(ids(await log.listExecutions({ integrationId: 'crm', event: 'lead.new', states: ['error'] }))).toEqual([e2]);
    expect(ids(await log.listExecutions({ integrationId: 'crm', startedFrom: '2026-11-02T00:00:00Z', limit: 1 }))).toEqual([e3]);
  });

  it('answers 50 runs by default and at most 500', async () => {
    for (let i = 0; i < 55; i++) await log.insertExecution(run('crm', 0));
    expect(await log.listExecutions({})).toHaveLength(50);
    expect(await log.listExecutions({ limit: 52 })).toHaveLength(52);
    expect(await log.listExecutions({ limit: 10_000 })).toHaveLength(55);
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
  it('removes the records started before the cut, oldest first, one batch per call, and keeps the newer ones', async () => {
    const old = [];
    for (let i = 0; i < 5; i++) old.push(await log.insertExecution(run('crm', 60 - i)));
    const fresh = await log.insertExecution(run('crm', 1));
    const cut = { startedBefore: new Date(Date.now() - 30 * DAY) };
    expect(await log.pruneExecutions(cut, 2)).toBe(2);
    expect(await exists(old[0])).toBe(false);
    expect(await exists(old[2])).toBe(true);
    expect(await log.pruneExecutions(cut, 2)).toBe(2);
    expect(await log.pruneExecutions(cut, 2)).toBe(1);
    expect(await log.pruneExecutions(cut, 2)).toBe(0);
    expect(await exists(fresh)).toBe(true);
    expect(await log.pruneExecutions(cut, 0)).toBe(0);
  });

  it("keeps each integration's newest N, the other integrations' records untouched", async () => {
    const crm = [];
    for (let i = 0; i < 6; i++) crm.push(await log.insertExecution(run('crm', 0)));
    const net = [await log.insertExecution(run('net', 0)), await log.insertExecution(run('net', 0))];
    expect(await log.pruneExecutions({ integrationId: 'crm', keepNewest: 2 }, 3)).toBe(3);
    expect(await log.pruneExecutions({ integrationId: 'crm', keepNewest: 2 }, 3)).toBe(1);
    expect(await log.pruneExecutions({ integrationId: 'crm', keepNewest: 2 }, 3)).toBe(0);
    expect(ids(await log.listExecutions({ integrationId: 'crm' }))).toEqual(crm.slice(-2).reverse());
    for (const id of net) expect(await exists(id)).toBe(true);
    expect(await log.pruneExecutions({ integrationId: 'net', keepNewest: 5 }, 10)).toBe(0);
    expect(await log.pruneExecutions({ integrationId: 'net', keepNewest: -1 }, 10)).toBe(0);
  });

  it('keeps the executions of a lead still in new, whatever their age, and removes them once it moved on', async () => {
    await leads.put(41, 'new');
    const kept = await log.insertExecution(run('crm', 90, 41));
    const cut = { startedBefore: new Date(Date.now() - 30 * DAY) };
    expect(await log.pruneExecutions(cut, 10)).toBe(0);
    expect(await log.pruneExecutions({ integrationId: 'crm', keepNewest: 0 }, 10)).toBe(0);
    expect(await exists(kept)).toBe(true);

    await leads.put(41, 'wait');
    expect(await log.pruneExecutions(cut, 10)).toBe(1);
    expect(await exists(kept)).toBe(false);
  });

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

  it('reads entries back newest first as they were appended, absent parts absent', async () => {
    const audit = new PgAuditStore(pool);
    const first = await audit.appendAudit(
      entry({ before: { name: 'a' }, after: { name: 'b', secrets: { key: { set: true } } }, note: 'v2' }),
    );
    const second = await audit.appendAudit(
      entry({ actor: undefined, action: 'integration.enable', resourceType: 'integration', resourceId: 'crm' }),
    );
    expect(second).toBeGreaterThan(first);

    expect(await audit.listAudit({})).toEqual([
      { id: second, at: '2026-12-01T10:00:00.000Z', action: 'integration.enable', resourceType: 'integration', resourceId: 'crm' },
      {
        id: first,
        at: '2026-12-01T10:00:00.000Z',
        actor: { id: 'u-1', name: 'Ann', role: 'admin' },
        action: 'flow.save',
        resourceType: 'flow',
        resourceId: 'send',
        before: { name: 'a' },
        after: { name: 'b', secrets: { key: { set: true } } },
        note: 'v2',
      },
    ]);
  });

  it('filters by actor (system: no actor), by resource, and pages backwards by id', async () => {
    const audit = new PgAuditStore(pool);
    const a = await audit.appendAudit(entry());
    const b = await audit.appendAudit(entry({ actor: { id: 'u-2', name: 'Bo', role: 'integrator' }, resourceId: 'other' }));
    const c = await audit.appendAudit(entry({ actor: undefined, resourceType: 'integration', resourceId: 'crm' }));
    const d = await audit.appendAudit(entry());

    expect(ids(await audit.listAudit({ actor: 'u-1' }))).toEqual([d, a]);
    expect(ids(await audit.listAudit({ actor: 'system' }))).toEqual([c]);
    expect(ids(await audit.listAudit({ actor: 'system', resourceType: 'flow' }))).toEqual([]);
    expect(ids(await audit.listAudit({ resourceType: 'flow', resourceId: 'send' }))).toEqual([d, a]);
    expect(ids(await audit.listAudit({ resourceType: 'flow' }))).toEqual([d, b, a]);
    expect(ids(await audit.listAudit({ before: d, limit: 2 }))).toEqual([c, b]);
    expect(ids(await audit.listAudit({ actor: 'nobody' }))).toEqual([]);
  });

  it('refuses an entry whose time is not a time, naming the field', async () => {
    await expect(new PgAuditStore(pool).appendAudit(entry({ at: 'now' }))).rejects.toThrow(/\bat\b/);
  });
});

describe('the status-check checkpoints on PostgreSQL', () => {
  it('answers nothing for a key never set, the last value set, and the same to another process', async () => {
    const checkpoints = new PgCheckpointStore(pool);
    expect(await checkpoints.getCheckpoint('range:crm')).toBeUndefined();
    await checkpoints.setCheckpoint('range:crm', '2026-12-01T10:00:00.000Z');
    await checkpoints.setCheckpoint('range:crm', '2026-12-01T10:05:00.000Z');
    await checkpoints.setCheckpoint('range:net', 'page 4');

    const other = testPool({ connectionString: database.url, max: 1 });
    try {
      const seen = new PgCheckpointStore(other);
      expect(await seen.getCheckpoint('range:crm')).toBe('2026-12-01T10:05:00.000Z');
      expect(await seen.getCheckpoint('range:net')).toBe('page 4');
    } finally {
      await other.end();
    }
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
