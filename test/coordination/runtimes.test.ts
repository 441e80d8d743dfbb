import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { PgTargetLimits } from '../../runtime/store/pg/target-limits.ts';
import { PgSharedTokens } from '../../runtime/store/pg/shared-tokens.ts';
import { secretKeyOf, tokenSeal } from '../../runtime/store/secret-box.ts';
import { readFlow, removeDataDir, setUpDemoIntegration, startRuntime, type TestRuntime } from '../support/harness.ts';
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

/** The demo send flow with an Auth Token login before its request (the token goes in as a Bearer header). */
function sendWithLogin() {
  const flow = readFlow('flows/demo/demo-crm-send.json') as { id: string; nodes: object[]; edges: { source: string; target: string }[] };
  const auth = {
    id: 'auth',
    type: 'auth-token',
    position: { x: 0, y: 200 },
    params: {
      url: '{{integration.settings.base_url}}/login',
      json: { key: '{{secrets.api_key}}' },
      tokenPath: 'body.token',
      expiresPath: '',
    },
  };
  const edges = flow.edges.flatMap((edge) =>
    edge.source === 'sign' && edge.target === 'send'
      ? [
          { ...edge, target: 'auth' },
          { ...edge, id: 'e-auth', source: 'auth' },
        ]
      : [edge],
  );
  return { ...flow, id: 'send-with-login', nodes: [...flow.nodes, auth], edges };
}

describe('two runtimes given the PostgreSQL shared tokens of one database', () => {
  let database: SharedDatabase;
  let target: CountingTarget;
  let runtimes: TestRuntime[];
  let logins = 0;
  beforeAll(async () => {
    database = await sharedDatabase(2);
    // the login takes a while, so the deliveries of both runtimes find no token at once
    target = await startCountingTarget(150, (request) =>
      request.url === '/login'
        ? { body: { token: `tok-${++logins}-${randomBytes(4).toString('hex')}` } }
        : { body: { status: 'ok', order_id: `E-${Math.random().toString(36).slice(2, 8)}` } },
    );
    const key = secretKeyOf(randomBytes(32), 'the test key');
    runtimes = [];
    for (const pool of database.pools) runtimes.push(await startRuntime({ sharedTokens: new PgSharedTokens(pool, tokenSeal(key)) }));
    for (const t of runtimes) {
      await setUpDemoIntegration(t, target.url);
      expect((await t.api('POST', '/api/flows', sendWithLogin())).status).toBeLessThan(300);
      const routed = await t.api('PATCH', '/api/integrations/crm', {
        flows: { 'lead.new': 'send-with-login', 'postback.in': 'demo-crm-postback' },
      });
      expect(routed.status, JSON.stringify(routed.body)).toBe(200);
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

  it("a burst of leads on both logs in once, and every delivery of both sends that login's token", async () => {
    for (let n = 0; n < 8; n++) {
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
    const orders = () => target.arrivals.filter((arrival) => arrival.path === '/api/orders');
    await expect.poll(() => orders().length, { timeout: 15_000 }).toBe(16);
    expect(logins).toBe(1);
    expect(new Set(orders().map((order) => order.authorization))).toEqual(new Set([expect.stringMatching(/^Bearer tok-1-/)]));
  });
});
