import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LeadInput } from '../../core/domain/lead.ts';
import { openSqliteLeadStore, SCHEMA_VERSION, type SqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { NewExecution } from '../../runtime/store/types.ts';

let dir: string;
let file: string;
let store: SqliteLeadStore;
const opened: SqliteLeadStore[] = [];

function open(): SqliteLeadStore {
  const s = openSqliteLeadStore(file);
  opened.push(s);
  return s;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-sqlite-'));
  file = path.join(dir, 'leads.sqlite');
  store = open();
});

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const order: LeadInput = {
  offer: 'slim-tea',
  wm: 'wm7',
  flow: 's12',
  name: 'Anna Schmidt',
  phone: '+4915112345678',
  country: 'de',
  ip: '203.0.113.9',
  subid: 'click-abc',
  sub3: 'x',
  utm_source: 'fb',
  meta: { landing: 'v2', quiz: { answers: [1, 3] }, vip: true },
  goods: [
    { product: 'tea-30', count: 2, price: 39.5 },
    { product: 'cup', count: 1 },
  ],
};

describe('leads', () => {
  it('a stored lead reads back with every input field, its goods and meta, in stage new', async () => {
    const stored = await store.insertLead(order, 'crm', []);
    const read = await store.getLead(stored.id);

    expect(read).toEqual({
      ...order,
      id: stored.id,
      integration: 'crm',
      stage: 'new',
      created_at: stored.created_at,
      updated_at: stored.created_at,
    });
    expect(new Date(read!.created_at).toISOString()).toBe(read!.created_at);
  });

  it('what a lead does not have is absent, not null', async () => {
    const lead = await store.insertLead({ offer: 'slim-tea' }, 'crm', []);
    const read = (await store.getLead(lead.id))!;

    for (const key of ['eid', 'status', 'reason', 'statusComment', 'payout', 'wm', 'goods', 'meta']) {
      expect(key in read, key).toBe(false);
    }
  });

  it('an unknown id reads as undefined', async () => {
    expect(await store.getLead(404)).toBeUndefined();
  });

  it('a new lead and its delivery job are written together, the job carrying the lead and integration', async () => {
    const lead = await store.insertLead(order, 'crm', [{ kind: 'lead.new', payload: { attempt: 'first' } }]);
    const jobs = await store.jobsOfLead(lead.id);

    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      kind: 'lead.new',
      leadId: lead.id,
      integrationId: 'crm',
      payload: { attempt: 'first' },
      state: 'queued',
      attempts: 0,
    });
  });

  it('a lead whose job cannot be written is not stored either', async () => {
    await expect(store.insertLead(order, 'crm', [{ kind: 'postback.out', leadId: 999 }])).rejects.toThrow();
    expect(await store.listLeads({})).toEqual([]);
  });

  it('findLeadByEid finds a lead by the target id within its integration only', async () => {
    const a = await store.insertLead(order, 'crm', []);
    const b = await store.insertLead(order, 'other', []);
    await store.updateLead(a.id, { eid: 'T-1' }, []);
    await store.updateLead(b.id, { eid: 'T-2' }, []);

    expect((await store.findLeadByEid('crm', 'T-1'))?.id).toBe(a.id);
    expect(await store.findLeadByEid('crm', 'T-2')).toBeUndefined();
    expect(await store.findLeadByEid('other', 'T-1')).toBeUndefined();
  });

  it('listLeads pages newest first with before and limit', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await store.insertLead(order, 'crm', [])).id);
    const newestFirst = [...ids].reverse();

    const first = await store.listLeads({ limit: 3 });
    const second = await store.listLeads({ limit: 3, before: first.at(-1)!.id });
    const last = await store.listLeads({ limit: 3, before: second.at(-1)!.id });

    expect(first.map((l) => l.id)).toEqual(newestFirst.slice(0, 3));
    expect(second.map((l) => l.id)).toEqual(newestFirst.slice(3, 6));
    expect(last.map((l) => l.id)).toEqual(newestFirst.slice(6));
  });

  it('listLeads gives 50 leads by default and never more than 500', async () => {
    const insert = store.db.prepare(
      `INSERT INTO leads (integration_id, offer, stage, data, created_at, updated_at)
       VALUES ('crm', 'o', 'new', '{"offer":"o"}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')`,
    );
    store.db.transaction(() => {
      for (let i = 0; i < 520; i++) insert.run();
    })();

    expect(await store.listLeads({})).toHaveLength(50);
    expect(await store.listLeads({ limit: 10_000 })).toHaveLength(500);
  });

  it('listLeads filters by stage, integration and offer together', async () => {
    const waitingAtCrm = await store.insertLead(order, 'crm', []);
    await store.updateLead(waitingAtCrm.id, { stage: 'wait' }, []);
    await store.insertLead(order, 'crm', []);
    const waitingElsewhere = await store.insertLead(order, 'other', []);
    await store.updateLead(waitingElsewhere.id, { stage: 'wait' }, []);
    const otherOffer = await store.insertLead({ ...order, offer: 'hair-oil' }, 'crm', []);
    await store.updateLead(otherOffer.id, { stage: 'wait' }, []);

    const ids = async (q: Parameters<SqliteLeadStore['listLeads']>[0]) => (await store.listLeads(q)).map((l) => l.id);

    expect(await ids({ stage: 'wait', integrationId: 'crm', offer: 'slim-tea' })).toEqual([waitingAtCrm.id]);
    expect(await ids({ stage: 'wait', integrationId: 'crm' })).toEqual([otherOffer.id, waitingAtCrm.id]);
    expect(await ids({ stage: 'wait' })).toHaveLength(3);
    expect(await ids({ offer: 'hair-oil' })).toEqual([otherOffer.id]);
  });
});

describe('updateLead', () => {
  it('changes the lead, appends its history entry and queues the jobs it causes, in one write', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    const at = '2025-03-01T10:00:00.000Z';

    const updated = await store.updateLead(
      lead.id,
      {
        eid: 'T-77',
        stage: 'approve',
        status: 'confirmed (2)',
        statusComment: 'called, paid',
        payout: 12.5,
        history: { at, from: 'new', stage: 'approve', source: 'postback', status: 'confirmed (2)', payout: 12.5 },
      },
      [{ kind: 'postback.out', key: `pb:${lead.id}:approve`, payload: { stage: 'approve' } }],
    );

    expect(updated).toMatchObject({ eid: 'T-77', stage: 'approve', status: 'confirmed (2)', statusComment: 'called, paid', payout: 12.5 });
    expect(await store.getLead(lead.id)).toEqual(updated);
    expect(await store.history(lead.id)).toEqual([
      { at, from: 'new', stage: 'approve', source: 'postback', status: 'confirmed (2)', payout: 12.5 },
    ]);
    expect(await store.jobsOfLead(lead.id)).toMatchObject([
      { kind: 'postback.out', leadId: lead.id, integrationId: 'crm', key: `pb:${lead.id}:approve`, state: 'queued' },
    ]);
  });

  it('writes nothing when one of its jobs cannot be written: stage, history and jobs stay as they were', async () => {
    const lead = await store.insertLead(order, 'crm', []);

    await expect(
      store.updateLead(
        lead.id,
        { stage: 'cancel', reason: 'duplicate', history: { at: lead.created_at, from: 'new', stage: 'cancel', source: 'delivery' } },
        [
          { kind: 'postback.out', key: 'fine' },
          { kind: 'postback.out', leadId: 999 },
        ],
      ),
    ).rejects.toThrow();

    expect(await store.getLead(lead.id)).toEqual(lead);
    expect(await store.history(lead.id)).toEqual([]);
    expect(await store.jobsOfLead(lead.id)).toEqual([]);
  });

  it('keeps the stored value of every field the change leaves out', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    await store.updateLead(lead.id, { eid: 'T-1', stage: 'wait', status: 'accepted' }, []);

    const updated = await store.updateLead(lead.id, { statusComment: 'no answer' }, []);

    expect(updated).toMatchObject({ eid: 'T-1', stage: 'wait', status: 'accepted', statusComment: 'no answer' });
  });

  it('of an unknown lead is an error', async () => {
    await expect(store.updateLead(404, { stage: 'wait' }, [])).rejects.toThrow(/404/);
  });

  it('history lists the changes oldest first', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    await store.updateLead(lead.id, { stage: 'wait', history: { at: 't1', from: 'new', stage: 'wait', source: 'delivery' } }, []);
    await store.updateLead(
      lead.id,
      { stage: 'approve', history: { at: 't2', from: 'wait', stage: 'approve', source: 'status-check' } },
      [],
    );

    expect((await store.history(lead.id)).map((h) => h.stage)).toEqual(['wait', 'approve']);
  });
});

describe('jobs', () => {
  const at = (iso: string) => new Date(iso);

  it('enqueueing the same key twice keeps one job', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    const job = { kind: 'postback.out' as const, leadId: lead.id, key: `pb:${lead.id}:approve`, payload: { n: 1 } };

    await store.enqueue([job]);
    await store.enqueue([{ ...job, payload: { n: 2 } }]);
    await store.updateLead(lead.id, { stage: 'approve' }, [{ ...job, payload: { n: 3 } }]);

    const jobs = await store.jobsOfLead(lead.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].payload).toEqual({ n: 1 });
  });

  it('a key stays taken after its job is done, so the postback is not sent again', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    await store.enqueue([{ kind: 'postback.out', leadId: lead.id, key: 'k' }]);
    const [claimed] = await store.claimJobs(['postback.out'], 10, new Date());
    await store.completeJob(claimed.id);

    await store.enqueue([{ kind: 'postback.out', leadId: lead.id, key: 'k' }]);

    expect(await store.jobsOfLead(lead.id)).toMatchObject([{ id: claimed.id, state: 'done' }]);
  });

  it('jobs without a key are all kept', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    await store.enqueue([
      { kind: 'lead.update', leadId: lead.id },
      { kind: 'lead.update', leadId: lead.id },
    ]);

    expect(await store.jobsOfLead(lead.id)).toHaveLength(2);
  });

  it('claimJobs takes only due jobs of the kinds asked, oldest run_at first, counting the attempt', async () => {
    await store.enqueue([
      { kind: 'lead.new', payload: { name: 'later' }, runAt: at('2025-01-01T10:02:00.000Z') },
      { kind: 'lead.new', payload: { name: 'future' }, runAt: at('2025-01-01T11:00:00.000Z') },
      { kind: 'postback.out', payload: { name: 'other kind' }, runAt: at('2025-01-01T10:00:00.000Z') },
      { kind: 'lead.new', payload: { name: 'first' }, runAt: at('2025-01-01T10:01:00.000Z') },
      { kind: 'lead.update', payload: { name: 'exactly now' }, runAt: at('2025-01-01T10:30:00.000Z') },
    ]);

    const claimed = await store.claimJobs(['lead.new', 'lead.update'], 10, at('2025-01-01T10:30:00.000Z'));

    expect(claimed.map((j) => j.payload.name)).toEqual(['first', 'later', 'exactly now']);
    expect(claimed.every((j) => j.state === 'running' && j.attempts === 1)).toBe(true);
  });

  it('claimJobs never hands out the same job twice', async () => {
    await store.enqueue(Array.from({ length: 5 }, (_, i) => ({ kind: 'lead.new' as const, payload: { i } })));
    const now = new Date(Date.now() + 1000);

    const first = await store.claimJobs(['lead.new'], 3, now);
    const second = await store.claimJobs(['lead.new'], 3, now);
    const third = await store.claimJobs(['lead.new'], 3, now);

    expect(first).toHaveLength(3);
    expect(second).toHaveLength(2);
    expect(third).toEqual([]);
    expect(new Set([...first, ...second].map((j) => j.id)).size).toBe(5);
  });

  it('two stores on one file never claim the same job', async () => {
    const other = open();
    await store.enqueue(Array.from({ length: 6 }, () => ({ kind: 'lead.new' as const })));
    const now = new Date(Date.now() + 1000);

    const a = await store.claimJobs(['lead.new'], 4, now);
    const b = await other.claimJobs(['lead.new'], 4, now);

    expect(a).toHaveLength(4);
    expect(b).toHaveLength(2);
    expect(a.some((j) => b.some((k) => k.id === j.id))).toBe(false);
  });

  it('failJob with a retry time puts the job back in the queue with its error, due at that time', async () => {
    await store.enqueue([{ kind: 'lead.new' }]);
    const [job] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000));
    const retryAt = new Date(Date.now() + 60_000);

    await store.failJob(job.id, 'ECONNRESET', retryAt);

    expect(await store.claimJobs(['lead.new'], 1, new Date(retryAt.getTime() - 1))).toEqual([]);
    const [again] = await store.claimJobs(['lead.new'], 1, retryAt);
    expect(again).toMatchObject({ id: job.id, lastError: 'ECONNRESET', runAt: retryAt.toISOString(), attempts: 2 });
  });

  it('failJob without a retry time fails the job for good', async () => {
    const lead = await store.insertLead(order, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000));

    await store.failJob(job.id, 'rejected: bad phone', undefined);

    expect(await store.jobsOfLead(lead.id)).toMatchObject([{ id: job.id, state: 'failed', lastError: 'rejected: bad phone', attempts: 1 }]);
    expect(await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 3_600_000))).toEqual([]);
  });

  it('completeJob marks the job done and it is not claimed again', async () => {
    const lead = await store.insertLead(order, 'crm', [{ kind: 'lead.new' }]);
    const [job] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000));

    await store.completeJob(job.id);
    await store.requeueRunning();

    expect(await store.jobsOfLead(lead.id)).toMatchObject([{ state: 'done' }]);
    expect(await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000))).toEqual([]);
  });

  it('requeueRunning puts jobs a stopped process left running back in the queue', async () => {
    await store.enqueue([{ kind: 'lead.new' }, { kind: 'lead.new' }, { kind: 'postback.out' }]);
    const now = new Date(Date.now() + 1000);
    const taken = await store.claimJobs(['lead.new'], 10, now);

    expect(await store.requeueRunning()).toBe(2);

    const retaken = await store.claimJobs(['lead.new'], 10, now);
    expect(retaken.map((j) => j.id)).toEqual(taken.map((j) => j.id));
    expect(retaken.every((j) => j.attempts === 2)).toBe(true);
  });
});

describe('executions', () => {
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

  it('an execution reads back with its steps, their HTTP exchanges and its error', async () => {
    const lead = await store.insertLead(order, 'crm', []);
    const recorded = execution(lead.id);

    const id = await store.insertExecution(recorded);

    expect(await store.getExecution(id)).toEqual({ ...recorded, id });
  });

  it('a test run without a lead keeps test set and no lead id', async () => {
    const id = await store.insertExecution({
      ...execution(undefined),
      test: true,
      state: 'success',
      error: undefined,
      response: { status: 200, body: { url: 'https://x' } },
    });
    const read = (await store.getExecution(id))!;

    expect(read.test).toBe(true);
    expect(read.response).toEqual({ status: 200, body: { url: 'https://x' } });
    expect('leadId' in read).toBe(false);
    expect('error' in read).toBe(false);
  });

  it("listExecutions gives a lead's or a flow's runs newest first, paged by before", async () => {
    const a = await store.insertLead(order, 'crm', []);
    const b = await store.insertLead(order, 'crm', []);
    const a1 = await store.insertExecution(execution(a.id));
    await store.insertExecution(execution(b.id, 'crm-status'));
    const a2 = await store.insertExecution(execution(a.id));
    const a3 = await store.insertExecution(execution(a.id, 'crm-status'));

    expect((await store.listExecutions({ leadId: a.id })).map((e) => e.id)).toEqual([a3, a2, a1]);
    expect((await store.listExecutions({ leadId: a.id, before: a3, limit: 1 })).map((e) => e.id)).toEqual([a2]);
    expect((await store.listExecutions({ flowId: 'crm-send' })).map((e) => e.id)).toEqual([a2, a1]);
    expect(await store.listExecutions({ integrationId: 'elsewhere' })).toEqual([]);
  });
});

describe('the file', () => {
  it('keeps leads, history, jobs and executions across a restart', async () => {
    const lead = await store.insertLead(order, 'crm', [{ kind: 'lead.new' }]);
    const updated = await store.updateLead(
      lead.id,
      { stage: 'wait', eid: 'T-9', history: { at: 't', from: 'new', stage: 'wait', source: 'delivery' } },
      [],
    );
    const [running] = await store.claimJobs(['lead.new'], 1, new Date(Date.now() + 1000));
    const executionId = await store.insertExecution({
      flowId: 'f',
      flowVersion: 1,
      integrationId: 'crm',
      event: 'lead.new',
      leadId: lead.id,
      state: 'success',
      test: false,
      steps: [],
      startedAt: 't',
      durationMs: 1,
    });
    await store.close();

    const reopened = open();

    expect(await reopened.getLead(lead.id)).toEqual(updated);
    expect(await reopened.findLeadByEid('crm', 'T-9')).toEqual(updated);
    expect(await reopened.history(lead.id)).toHaveLength(1);
    expect(await reopened.jobsOfLead(lead.id)).toMatchObject([{ id: running.id, state: 'running' }]);
    expect(await reopened.requeueRunning()).toBe(1);
    expect((await reopened.getExecution(executionId))?.flowId).toBe('f');
    expect((await reopened.insertLead(order, 'crm', [])).id).toBeGreaterThan(lead.id);
  });

  it('is opened in WAL mode with foreign keys on and its schema version recorded', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('written by a newer runtime is refused rather than misread', async () => {
    await store.close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    expect(() => openSqliteLeadStore(file)).toThrow(/newer/);
  });
});
