/**
 * Status checks among runtime processes: two runtimes whose checks take turns through one
 * PostgreSQL database's leases (each on its own embedded store otherwise) run a scheduled check
 * once per tick between them, the survivor takes the ticks over when one stops, and a "Check now"
 * while the other runs the check is refused, not run twice.
 */
import { describe, expect, it } from 'vitest';
import { PgCheckLeases } from '../../runtime/store/pg/check-leases.ts';
import { LOG_MIGRATIONS } from '../../runtime/store/pg/schema-log.ts';
import { freshDatabase, testPool } from '../support/postgres.ts';
import { cleanUpAfterEach, removeDataDir, startMockServer, startRuntime, waitFor, type TestRuntime } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, sourceHandle: 'out', target, targetHandle: 'in' });

/** A date-range check asking the CRM for one window's changes: one request per run. */
const rangeFlow = (schedule: string) => ({
  id: 'range',
  name: 'range',
  event: 'status.range',
  nodes: [
    node('check', 'status-check', 0, { schedule, format: 'epoch', windowMinutes: 60, overlapMinutes: 5 }),
    node('ask', 'http-request', 1, {
      method: 'GET',
      url: '{{integration.settings.base_url}}/changes?from={{batch.from}}',
      timeoutMs: 1500,
    }),
    node('more', 'next-page', 2, { more: '{{input.body.next_page}}' }),
  ],
  edges: [edge('check', 'ask'), edge('ask', 'more')],
});

/** The CRM both runtimes ask, each under its own path (`/a/changes`, `/b/changes`); `hang` keeps `a` waiting. */
async function startCrm() {
  const state = { hang: false };
  const server = await startMockServer((r) => (state.hang && r.path.startsWith('/a/') ? 'hang' : { body: { items: [], next_page: null } }));
  cleanups.push(() => server.stop());
  const calls = (who?: 'a' | 'b') => server.received.filter((r) => r.path.endsWith('/changes') && (!who || r.path.startsWith(`/${who}/`)));
  return { server, state, calls };
}

/** Two runtimes whose status checks share one database's leases, each with the CRM's integration and a range check on `schedule`. */
async function twoRuntimes(
  crmUrl: string,
  schedule: string,
): Promise<Record<'a' | 'b', TestRuntime> & { stop(t: TestRuntime): Promise<void> }> {
  const stopped = new Set<TestRuntime>();
  const stop = async (t: TestRuntime) => {
    if (stopped.has(t)) return;
    stopped.add(t);
    await t.close();
  };
  const database = await freshDatabase();
  const pools = [0, 1].map(() => testPool({ connectionString: database.url, max: 2 }));
  cleanups.push(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await database.drop();
  });
  // until the migration runner is merged: each step's SQL in order
  for (const step of LOG_MIGRATIONS) await pools[0].query(step.sql);
  const runtimes: Partial<Record<'a' | 'b', TestRuntime>> = {};
  for (const [i, who] of (['a', 'b'] as const).entries()) {
    const t = await startRuntime({ checkTurns: { leases: new PgCheckLeases(pools[i]), holder: who, leaseMs: 1500 } });
    cleanups.push(
      () => stop(t),
      () => removeDataDir(t.dataDir),
    );
    const flow = await t.api('POST', '/api/flows', rangeFlow(schedule));
    expect(flow.status).toBeLessThan(300);
    const integration = await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: `${crmUrl}/${who}` },
      secrets: {},
      offers: [],
      flows: { 'status.range': 'range' },
    });
    expect(integration.status, JSON.stringify(integration.body)).toBeLessThan(300);
    runtimes[who] = t;
  }
  return { ...(runtimes as Record<'a' | 'b', TestRuntime>), stop };
}

describe('status checks among runtime processes on one database', () => {
  it('run a scheduled check once per tick between them, and the survivor takes the ticks over when one stops', async () => {
    const crm = await startCrm();
    const { a, stop } = await twoRuntimes(crm.server.url, '1s');
    await waitFor(() => crm.calls().length >= 1, 'the first tick of the check', 10_000);

    // watched for six seconds: each one-second tick runs once, in one runtime or the other, so
    // at most one call per second (and one for a tick begun before the watch, one late under
    // load); both runtimes running every tick would be twice as many
    const from = Date.now();
    await waitFor(() => Date.now() - from >= 6000, 'six seconds of ticks', 10_000);
    const watched = crm.calls().filter((r) => r.at > from).length;
    expect(watched).toBeGreaterThanOrEqual(3);
    expect(watched).toBeLessThanOrEqual(8);

    await stop(a);
    const closed = Date.now();
    const fromB = crm.calls('b').filter((r) => r.at > closed).length;
    await waitFor(() => crm.calls('b').filter((r) => r.at > closed).length >= fromB + 2, 'b to run the next ticks', 10_000);
    expect(crm.calls('a').filter((r) => r.at > closed)).toEqual([]);
  });

  it('refuse a Check now in one runtime while the other runs the check, and run it once that one is done', async () => {
    const crm = await startCrm();
    const { a, b } = await twoRuntimes(crm.server.url, '1h');
    crm.state.hang = true;

    const inA = a.api('POST', '/api/integrations/crm/checks/status.range');
    await waitFor(() => crm.calls('a').length === 1, 'a to ask the CRM');
    const refused = await b.api('POST', '/api/integrations/crm/checks/status.range');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/another runtime process/);
    expect(crm.calls('b')).toEqual([]);

    expect((await inA).status).toBe(200);
    crm.state.hang = false;
    const ran = await b.api('POST', '/api/integrations/crm/checks/status.range');
    expect(ran.status).toBe(200);
    expect(crm.calls('b')).toHaveLength(1);
  });
});
