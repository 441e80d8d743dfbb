/**
 * The execution log's retention on real stores: records older than the window go and newer ones
 * stay, each integration keeps its newest N, executions of a lead still in `new` are kept, each
 * write removes one small batch, and the running runtime prunes in the background.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../runtime/config.ts';
import { ExecutionRetention, DEFAULT_RETENTION } from '../../runtime/services/execution-retention.ts';
import { openStores, type Stores } from '../../runtime/store/index.ts';
import type { NewExecution } from '../../runtime/store/types.ts';
import type { Integration } from '../../core/domain/config.ts';
import { removeDataDir, startRuntime, waitFor } from '../support/harness.ts';

let dir: string;
let stores: Stores;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-retention-'));
  stores = await openStores(dir, Buffer.alloc(32, 7));
  for (const id of ['crm', 'net']) await stores.config.putIntegration(integration(id));
});

afterEach(async () => {
  await stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

function integration(id: string): Integration {
  return { id, name: id, enabled: true, settings: {}, secrets: {}, offers: [], flows: {}, postbackToken: `token-${id}` };
}

function execution(integrationId: string, daysAgo: number, leadId?: number): NewExecution {
  return {
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
  };
}

const retention = (policy: Partial<typeof DEFAULT_RETENTION>) =>
  new ExecutionRetention(stores.executions, stores.config, { ...DEFAULT_RETENTION, ...policy });

const exists = async (id: number) => (await stores.executions.getExecution(id)) !== undefined;

describe('the execution log retention', () => {
  it('removes the records older than its days and keeps the newer ones', async () => {
    const old = [];
    for (let i = 0; i < 7; i++) old.push(await stores.executions.insertExecution(execution('crm', 40 + i)));
    const fresh = [
      await stores.executions.insertExecution(execution('crm', 29)),
      await stores.executions.insertExecution(execution('net', 1)),
    ];
    expect(await retention({ days: 30, batch: 2 }).prune()).toBe(7);
    for (const id of old) expect(await exists(id)).toBe(false);
    for (const id of fresh) expect(await exists(id)).toBe(true);
  });

  it("keeps each integration's newest N, the other integrations' records untouched", async () => {
    const crm = [];
    for (let i = 0; i < 6; i++) crm.push(await stores.executions.insertExecution(execution('crm', 0)));
    const net = [
      await stores.executions.insertExecution(execution('net', 0)),
      await stores.executions.insertExecution(execution('net', 0)),
    ];
    expect(await retention({ days: 0, perIntegration: 2, batch: 3 }).prune()).toBe(4);
    const left = (await stores.executions.listExecutions({ integrationId: 'crm' })).map((e) => e.id);
    expect(left).toEqual(crm.slice(-2).reverse());
    for (const id of net) expect(await exists(id)).toBe(true);
  });

  it('keeps the executions of a lead still in new, whatever their age, and removes them once it moved on', async () => {
    const lead = await stores.leads.insertLead({ offer: 'tea', phone: '+4915112345678' }, 'crm', []);
    const kept = await stores.executions.insertExecution(execution('crm', 90, lead.id));
    expect(await retention({ days: 30 }).prune()).toBe(0);
    expect(await exists(kept)).toBe(true);
    await stores.leads.updateLead(
      lead.id,
      { stage: 'wait', history: { at: new Date().toISOString(), from: 'new', stage: 'wait', source: 'delivery' } },
      [],
    );
    expect(await retention({ days: 30 }).prune()).toBe(1);
    expect(await exists(kept)).toBe(false);
  });

  it('removes at most one batch per write', async () => {
    for (let i = 0; i < 5; i++) await stores.executions.insertExecution(execution('crm', 60));
    const cut = { startedBefore: new Date(Date.now() - 30 * DAY) };
    expect(await stores.executions.pruneExecutions(cut, 2)).toBe(2);
    expect(await stores.executions.pruneExecutions(cut, 2)).toBe(2);
    expect(await stores.executions.pruneExecutions(cut, 2)).toBe(1);
    expect(await stores.executions.pruneExecutions(cut, 2)).toBe(0);
  });
});

describe('the retention settings', () => {
  it('default to 30 days and no count, and are read from the environment', () => {
    expect(readConfig({}).executionRetention).toEqual({ days: 30, perIntegration: undefined });
    expect(
      readConfig({ LEADFLOW_EXECUTION_RETENTION_DAYS: '7', LEADFLOW_EXECUTION_RETENTION_PER_INTEGRATION: '1000' }).executionRetention,
    ).toEqual({ days: 7, perIntegration: 1000 });
    expect(() => readConfig({ LEADFLOW_EXECUTION_RETENTION_PER_INTEGRATION: '0' })).toThrow(/LEADFLOW_EXECUTION_RETENTION_PER_INTEGRATION/);
    expect(() => readConfig({ LEADFLOW_EXECUTION_RETENTION_DAYS: 'soon' })).toThrow(/LEADFLOW_EXECUTION_RETENTION_DAYS/);
  });

  it('make the running runtime prune in the background, and stop with it', async () => {
    const t = await startRuntime({ executionRetention: { days: 1, everyMs: 50 } });
    try {
      const old = await t.runtime.executions.insertExecution(execution('crm', 5));
      const recent = await t.runtime.executions.insertExecution(execution('crm', 0));
      await waitFor(async () => (await t.runtime.executions.getExecution(old)) === undefined, 'the old record pruned');
      expect(await t.runtime.executions.getExecution(recent)).toBeDefined();
    } finally {
      await t.close();
      removeDataDir(t.dataDir);
    }
  });
});
