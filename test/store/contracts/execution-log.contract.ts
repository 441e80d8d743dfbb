/**
 * The contract every {@link ExecutionLog} keeps: an execution reads back whole (steps, HTTP
 * exchanges, error, response), linked to every lead it touched; the log's filters newest first,
 * paged with `before`; retention in small batches that never removes a run of a lead still new.
 *
 * @example
 * defineExecutionLogContract('SQLite', async () => {
 *   const records = openSqliteLeadStore(file);
 *   return { store: records, leads: records, close: () => records.close() };
 * });
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionLog, LeadStore, NewExecution } from '../../../runtime/store/types.ts';
import { subjects, type Factory } from './subject.ts';

/** An execution log under test, with the lead store of the same backend (runs link to leads). */
export interface ExecutionLogSubject {
  store: ExecutionLog;
  leads: LeadStore;
  /** Closes this subject and opens the same data again (a restart). */
  reopen(): Promise<ExecutionLogSubject>;
  close(): Promise<void>;
}

const DAY = 86_400_000;

const full = (leadId: number | undefined, flowId = 'crm-send'): NewExecution => ({
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

/** A small run of an integration, started `daysAgo` days ago. */
const run = (integrationId: string, daysAgo: number, leadId?: number, more: Partial<NewExecution> = {}): NewExecution => ({
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
  ...more,
});

export function defineExecutionLogContract(name: string, factory: Factory<ExecutionLogSubject>): void {
  const opened = subjects(factory);

  describe(`${name}: the execution log contract`, () => {
    it('an execution reads back with its steps, their HTTP exchanges and its error', async () => {
      const { store, leads } = await opened.open();
      const lead = await leads.insertLead({ offer: 'tea' }, 'crm', []);
      const recorded = full(lead.id);
      const id = await store.insertExecution(recorded);
      expect(await store.getExecution(id)).toEqual({ ...recorded, id });
      expect(await store.getExecution(id + 1000)).toBeUndefined();
    });

    it('a step recorded by reference (`inputFrom`) reads back with its input filled in: the output it names, or the trigger', async () => {
      const { store } = await opened.open();
      const recorded = run('crm', 0, undefined, {
        trigger: { lead: { id: 7 } },
        steps: [
          {
            nodeId: 'lead',
            type: 'lead-in',
            state: 'ok',
            port: 'out',
            inputFrom: '$trigger',
            output: { id: 7 },
            startedAt: 't',
            durationMs: 0,
            attempts: 1,
            http: [],
            logs: [],
          },
          {
            nodeId: 'send',
            type: 'http-request',
            state: 'ok',
            port: 'out',
            inputFrom: 'lead',
            output: { ok: true },
            startedAt: 't',
            durationMs: 1,
            attempts: 1,
            http: [],
            logs: [],
          },
        ],
      });
      const read = (await store.getExecution(await store.insertExecution(recorded)))!;
      expect(read.steps.map((step) => [step.nodeId, step.input, 'inputFrom' in step])).toEqual([
        ['lead', { lead: { id: 7 } }, false],
        ['send', { id: 7 }, false],
      ]);
      expect((await store.listExecutions({}))[0].steps[1].input).toEqual({ id: 7 });
    });

    it('a test run without a lead keeps test set and no lead id; what it lacks is absent', async () => {
      const { store } = await opened.open();
      const id = await store.insertExecution({
        ...full(undefined),
        test: true,
        state: 'success',
        error: undefined,
        response: { status: 200, body: { url: 'https://x' } },
      });
      const read = (await store.getExecution(id))!;
      expect(read.test).toBe(true);
      expect(read.response).toEqual({ status: 200, body: { url: 'https://x' } });
      for (const key of ['leadId', 'error', 'leadIds']) expect(key in read, key).toBe(false);
    });

    it('links a run to its own lead and to every lead it touched, found through each of them', async () => {
      const { store, leads } = await opened.open();
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => leads.insertLead({ offer: 'tea' }, 'crm', [])));
      const batch = await store.insertExecution(run('crm', 0, undefined, { event: 'status.processing', leadIds: [a.id, b.id] }));
      const own = await store.insertExecution(run('crm', 0, c.id, { leadIds: [c.id, a.id] }));
      expect((await store.getExecution(batch))?.leadIds?.sort()).toEqual([a.id, b.id].sort());
      expect((await store.listExecutions({ leadId: a.id })).map((e) => e.id)).toEqual([own, batch]);
      expect((await store.listExecutions({ leadId: b.id })).map((e) => e.id)).toEqual([batch]);
      expect((await store.listExecutions({ leadId: c.id }))[0].leadIds?.sort()).toEqual([a.id, c.id].sort());
    });

    it("lists a lead's or a flow's runs newest first, paged by before", async () => {
      const { store, leads } = await opened.open();
      const a = await leads.insertLead({ offer: 'tea' }, 'crm', []);
      const b = await leads.insertLead({ offer: 'tea' }, 'crm', []);
      const a1 = await store.insertExecution(full(a.id));
      await store.insertExecution(full(b.id, 'crm-status'));
      const a2 = await store.insertExecution(full(a.id));
      const a3 = await store.insertExecution(full(a.id, 'crm-status'));
      expect((await store.listExecutions({ leadId: a.id })).map((e) => e.id)).toEqual([a3, a2, a1]);
      expect((await store.listExecutions({ leadId: a.id, before: a3, limit: 1 })).map((e) => e.id)).toEqual([a2]);
      expect((await store.listExecutions({ flowId: 'crm-send' })).map((e) => e.id)).toEqual([a2, a1]);
      expect(await store.listExecutions({ integrationId: 'elsewhere' })).toEqual([]);
    });

    it('filters by integration, event, states and start time together', async () => {
      const { store } = await opened.open();
      const ok = await store.insertExecution(run('crm', 2));
      const failed = await store.insertExecution(run('crm', 1, undefined, { state: 'error' }));
      const other = await store.insertExecution(run('net', 1, undefined, { state: 'error', event: 'lead.update' }));
      const ids = async (q: Parameters<ExecutionLog['listExecutions']>[0]) => (await store.listExecutions(q)).map((e) => e.id);
      expect(await ids({ integrationId: 'crm' })).toEqual([failed, ok]);
      expect(await ids({ states: ['error'] })).toEqual([other, failed]);
      expect(await ids({ integrationId: 'crm', states: ['error', 'success'] })).toEqual([failed, ok]);
      expect(await ids({ event: 'lead.update' })).toEqual([other]);
      expect(await ids({ startedFrom: new Date(Date.now() - 1.5 * DAY).toISOString() })).toEqual([other, failed]);
      expect(await ids({ startedTo: new Date(Date.now() - 1.5 * DAY).toISOString() })).toEqual([ok]);
    });

    it('gives 50 executions by default and never more than 500', async () => {
      const { store } = await opened.open();
      await Promise.all(Array.from({ length: 510 }, () => store.insertExecution(run('crm', 0))));
      expect(await store.listExecutions({})).toHaveLength(50);
      expect(await store.listExecutions({ limit: 10_000 })).toHaveLength(500);
    });

    describe('retention', () => {
      it('removes the runs started before a time, oldest first, at most `limit` per call', async () => {
        const { store } = await opened.open();
        const old = [];
        for (let i = 0; i < 5; i++) old.push(await store.insertExecution(run('crm', 60 - i)));
        const fresh = await store.insertExecution(run('crm', 1));
        const cut = { startedBefore: new Date(Date.now() - 30 * DAY) };
        expect(await store.pruneExecutions(cut, 2)).toBe(2);
        expect(await store.getExecution(old[0])).toBeUndefined();
        expect(await store.getExecution(old[1])).toBeUndefined();
        expect(await store.getExecution(old[2])).toBeDefined();
        expect(await store.pruneExecutions(cut, 2)).toBe(2);
        expect(await store.pruneExecutions(cut, 2)).toBe(1);
        expect(await store.pruneExecutions(cut, 2)).toBe(0);
        expect(await store.getExecution(fresh)).toBeDefined();
      });

      it("keeps an integration's newest N, the other integrations' runs untouched", async () => {
        const { store } = await opened.open();
        const crm = [];
        for (let i = 0; i < 6; i++) crm.push(await store.insertExecution(run('crm', 0)));
        const net = [await store.insertExecution(run('net', 0)), await store.insertExecution(run('net', 0))];
        expect(await store.pruneExecutions({ integrationId: 'crm', keepNewest: 2 }, 10)).toBe(4);
        expect((await store.listExecutions({ integrationId: 'crm' })).map((e) => e.id)).toEqual(crm.slice(-2).reverse());
        expect((await store.listExecutions({ integrationId: 'net' })).map((e) => e.id)).toEqual(net.reverse());
      });

      it('never removes a run of a lead still in new, and removes it once the lead moved on', async () => {
        const { store, leads } = await opened.open();
        const lead = await leads.insertLead({ offer: 'tea' }, 'crm', []);
        const kept = await store.insertExecution(run('crm', 90, lead.id));
        const cut = { startedBefore: new Date(Date.now() - 30 * DAY) };
        expect(await store.pruneExecutions(cut, 10)).toBe(0);
        expect(await store.pruneExecutions({ integrationId: 'crm', keepNewest: 0 }, 10)).toBe(0);
        await leads.updateLead(
          lead.id,
          { stage: 'wait', history: { at: new Date().toISOString(), from: 'new', stage: 'wait', source: 'delivery' } },
          [],
        );
        expect(await store.pruneExecutions(cut, 10)).toBe(1);
        expect(await store.getExecution(kept)).toBeUndefined();
        expect(await store.listExecutions({ leadId: lead.id })).toEqual([]);
      });

      it('counts test runs like any other', async () => {
        const { store } = await opened.open();
        await store.insertExecution(run('crm', 40, undefined, { test: true }));
        expect(await store.pruneExecutions({ startedBefore: new Date(Date.now() - 30 * DAY) }, 10)).toBe(1);
      });
    });

    it('keeps the log across a restart', async () => {
      const first = await opened.open();
      const lead = await first.leads.insertLead({ offer: 'tea' }, 'crm', []);
      const id = await first.store.insertExecution(full(lead.id));
      const again = await opened.reopen(first);
      expect(await again.store.getExecution(id)).toEqual({ ...full(lead.id), id });
    });
  });
}
