/**
 * Two runtimes on one PostgreSQL configuration store (each with its own data folder for the
 * leads): what one saves, the other uses within a second, with no restart — the flow a lead
 * runs, the status checks scheduled for an integration.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgConfigStore } from '../../runtime/store/pg/config.ts';
import { CONFIG_MIGRATIONS } from '../../runtime/store/pg/schema-config.ts';
import { secretKeyOf } from '../../runtime/store/secret-box.ts';
import {
  cleanUpAfterEach,
  readFlow,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
} from '../support/harness.ts';
import { freshDatabase, testPool } from '../support/postgres.ts';

const cleanups = cleanUpAfterEach();

type DemoFlow = { nodes: { id: string; params: Record<string, unknown> }[] };
const key = secretKeyOf(randomBytes(32), 'the test key');

/** Until the migration runner is merged: the configuration steps in order. */
async function migrateConfig(pool: pg.Pool): Promise<void> {
  for (const step of CONFIG_MIGRATIONS) await pool.query(step.sql);
}

/** Two runtimes whose configuration is one database: `one` and `two`. */
async function twoRuntimes() {
  const db = await freshDatabase();
  cleanups.push(() => db.drop());
  const stores: PgConfigStore[] = [];
  for (let i = 0; i < 2; i++) {
    const pool = testPool({ connectionString: db.url, max: 5 });
    cleanups.push(() => pool.end());
    if (i === 0) await migrateConfig(pool);
    const store = await PgConfigStore.open(pool, key);
    cleanups.push(() => store.close());
    stores.push(store);
  }
  const one = await startRuntime({ configStore: stores[0] });
  cleanups.push(
    () => removeDataDir(one.dataDir),
    () => one.close(),
  );
  const two = await startRuntime({ configStore: stores[1] });
  cleanups.push(
    () => removeDataDir(two.dataDir),
    () => two.close(),
  );
  await Promise.all(stores.map((store) => store.listening()));
  return { one, two };
}

describe('two runtimes on one PostgreSQL configuration', () => {
  it('a flow saved through one runtime is the one the other runs within a second, with no restart', async () => {
    const target = await startMockServer((request) => ({ body: { order_id: `ext-${request.path}`, status: 'ok' } }));
    cleanups.push(() => target.stop());
    const { one, two } = await twoRuntimes();
    await setUpDemoIntegration(one, target.url);
    const post = async () => {
      const posted = await two.api('POST', '/api/leads', {
        offer: 'tea',
        wm: 'wm1',
        name: 'Anna',
        phone: '+49 151 2345678',
        country: 'de',
      });
      expect(posted.status).toBe(202);
      return posted.body.id as number;
    };

    // the integration, its offer and its flow were made through the first runtime; the second delivers with them
    const first = await post();
    await waitFor(async () => (await two.api('GET', `/api/leads/${first}`)).body.lead.stage === 'wait', 'the first lead delivered');
    expect(target.received.map((r) => r.path)).toEqual(['/api/orders']);
    // the body's fields reach the target in the order the flow's author wrote them (those left empty left out)
    const written = Object.keys((readFlow('flows/demo/demo-crm-send.json') as unknown as DemoFlow).nodes[1].params.body as object);
    const sent = Object.keys(JSON.parse(target.received[0].body));
    expect(sent).toEqual(written.filter((field) => sent.includes(field)));
    expect(sent.length).toBeGreaterThan(4);

    const flow = readFlow('flows/demo/demo-crm-send.json') as unknown as DemoFlow;
    const send = flow.nodes.find((n) => n.id === 'send')!;
    send.params.url = '{{integration.settings.base_url}}/api/v2/orders';
    const saved = await one.api('PUT', '/api/flows/demo-crm-send', flow);
    expect(saved.status).toBe(200);
    const savedAt = Date.now();
    await waitFor(async () => (await two.runtime.flows.load('demo-crm-send')).version === 2, 'the second runtime running version 2', 1000);
    expect(Date.now() - savedAt).toBeLessThan(1000);

    const second = await post();
    await waitFor(async () => (await two.api('GET', `/api/leads/${second}`)).body.lead.stage === 'wait', 'the second lead delivered');
    expect(target.received.map((r) => r.path)).toEqual(['/api/orders', '/api/v2/orders']);
  });

  it("an integration's status check added through one runtime is scheduled by the other within a second, and dropped when it is switched off", async () => {
    const target = await startMockServer(() => ({ body: { order_id: 'x', status: 'ok' } }));
    cleanups.push(() => target.stop());
    const { one, two } = await twoRuntimes();
    await setUpDemoIntegration(one, target.url);
    expect(two.runtime.checks.schedules('crm')).toEqual([]);

    expect((await one.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-status.json'))).status).toBe(201);
    const changed = await one.api('PATCH', '/api/integrations/crm', {
      flows: { 'lead.new': 'demo-crm-send', 'postback.in': 'demo-crm-postback', 'status.processing': 'demo-crm-status' },
    });
    expect(changed.status).toBe(200);
    await waitFor(
      () => two.runtime.checks.schedules('crm').some((s) => s.event === 'status.processing' && s.next),
      'the check scheduled on two',
      1000,
    );

    expect((await one.api('PATCH', '/api/integrations/crm', { enabled: false })).status).toBe(200);
    await waitFor(() => two.runtime.checks.schedules('crm').every((s) => !s.schedule), 'the check dropped on two', 1000);
  });
});
