import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgTargetLimits } from '../../runtime/store/pg/target-limits.ts';
import { removeDataDir, setUpDemoIntegration, startRuntime, type TestRuntime } from '../support/harness.ts';
import { mostWithin, sharedDatabase, startCountingTarget, type CountingTarget, type SharedDatabase } from './support.ts';

/** As in target-limits.test.ts: a second less the spare for the trip to the target on a busy machine. */
const WINDOW_MS = 800;

describe('two runtimes given the PostgreSQL target limits of one database', () => {
  let database: SharedDatabase;
  let target: CountingTarget;
  let runtimes: TestRuntime[];
  beforeAll(async () => {
    database = await sharedDatabase(2);
    target = await startCountingTarget(100, () => ({ body: { status: 'ok', order_id: `E-${Math.random().toString(36).slice(2, 8)}` } }));
    runtimes = [];
    for (const pool of database.pools) runtimes.push(await startRuntime({ targetLimits: new PgTargetLimits(pool) }));
    for (const t of runtimes) {
      await setUpDemoIntegration(t, target.url);
      expect((await t.api('PATCH', '/api/integrations/crm', { concurrency: 2, rateLimit: 10 })).status).toBe(200);
    }
  });
  afterAll(async () => {
    for (const t of runtimes) {
      await t.close();
      removeDataDir(t.dataDir);
    }
    await target.stop();
    await database.close();
  });

  it("their deliveries together keep the integration's concurrency and rate at the target", async () => {
    for (let n = 0; n < 12; n++) {
      for (const t of runtimes) {
        const posted = await t.api('POST', '/api/leads', {
          offer: 'tea',
          name: `Buyer ${n}`,
          phone: '+49 151 2345670',
          country: 'DE',
          wm: 'wm1',
        });
        expect(posted.status).toBe(202);
      }
    }
    await expect.poll(() => target.arrivals.length, { timeout: 15_000 }).toBe(24);
    // each runtime alone would run 2 at once and send 10 a second: together, 4 and 20
    expect(target.mostAtOnce).toBe(2);
    expect(mostWithin(target.arrivals, WINDOW_MS)).toBeLessThanOrEqual(10);
    for (const t of runtimes) {
      const stages = async () => (await t.api('GET', '/api/leads?limit=50')).body.leads.map((lead: { stage: string }) => lead.stage);
      await expect.poll(stages, { timeout: 5000 }).toEqual(Array(12).fill('wait'));
    }
  });
});
