/**
 * Three runtime processes on one PostgreSQL database, each serving HTTP and working the queue, as
 * a network runs them behind a load balancer: the crash test's child processes (test/crash), real
 * signals and a real `kill -9`, against one idempotent mock target that records when each request
 * arrived. What one process saves, the others use within a second; the queue, the status checks'
 * turns and the target's limits are shared, so a process that dies mid-burst loses no lead, and no
 * tick or limit is doubled by there being three.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import type { LeadListAnswer } from '../../core/api.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { CHECK_LEASE_MS } from '../../runtime/services/check-turns.ts';
import { apiCaller, cleanUpAfterEach, logIn, removeDataDir, TEST_ADMIN, waitFor, type TestRuntime } from '../support/harness.ts';
import { freshDatabase } from '../support/postgres.ts';
import {
  deliveryFlow,
  ENTRIES,
  repeatsOf,
  spawnRuntime,
  startIdempotentTarget,
  type ChildRuntime,
  type Delivery,
  type IdempotentTarget,
} from '../crash/fixture.ts';

const LEADS = 2_000;
/** Connections the callers post over, to each process (undici's pool bounds them). */
const CONNECTIONS_EACH = 10;
/** The kill comes once this many callers have their answer: mid-burst. */
const KILL_AFTER = 700;
/** How long the target takes to answer an order, so that deliveries are in flight at the kill. */
const TARGET_DELAY_MS = 100;
/** The target's rate limit (requests per second, every process's together). */
const RATE = 100;
/** Its deliveries at once, every process's together: binds at a burst's start, before the rate does. */
const CONCURRENCY = 48;
/** The status check's schedule: every even second, the same instants in every process. */
const CHECK_SCHEDULE = '*/2 * * * * *';
const CHECK_EVERY_MS = 2_000;
/**
 * The rate limit is kept where a request takes its slot (by the database's clock); the target sees
 * the request a trip later, and trips differ — one process's event loop busy with intake a moment
 * longer than another's — by up to ~150 ms on a loaded machine (measured here: 107 in the busiest
 * second at 100/s, and never more than 100 in any 900 ms). At 100 requests a second that spread
 * lets up to 15 % more into one second at the target; a limit not shared (three times the rate) or
 * counted in fixed windows (twice it across an edge) is far beyond that.
 */
const RATE_TOLERANCE = Math.ceil(RATE * 0.15);

const cleanups = cleanUpAfterEach();

/** The date-range status check: asks the target about the window since the last one, every tick. */
function statusFlow() {
  return {
    id: 'procs-status',
    name: 'Processes test: status check',
    event: 'status.range',
    version: 1,
    nodes: [
      {
        id: 'check',
        type: 'status-check',
        position: { x: 0, y: 0 },
        params: { schedule: CHECK_SCHEDULE, windowMinutes: 1, overlapMinutes: 0, lookbackDays: 0, format: 'iso' },
      },
      {
        id: 'ask',
        type: 'http-request',
        position: { x: 240, y: 0 },
        params: { method: 'GET', url: '{{integration.settings.base_url}}/status?from={{batch.from}}&to={{batch.to}}' },
      },
    ],
    edges: [{ id: 'e1', source: 'check', sourceHandle: 'out', target: 'ask', targetHandle: 'in' }],
  };
}

interface Cluster {
  processes: ChildRuntime[];
  /** An admin's API caller on process `i`. */
  api(i: number): Promise<TestRuntime['api']>;
  /** Starts process `i` again over its data folder, after it died. */
  restart(i: number): Promise<ChildRuntime>;
}

function watched(runtime: ChildRuntime): ChildRuntime {
  cleanups.push(async () => {
    if (runtime.child.exitCode === null && runtime.child.signalCode === null) {
      runtime.child.kill('SIGKILL');
      await runtime.exited;
    }
  });
  return runtime;
}

/**
 * `count` runtime processes on one fresh database, all with the one secret key: the first alone
 * (it migrates the schema and makes the admin), then the others at once.
 */
async function startCluster(count: number): Promise<Cluster> {
  const db = await freshDatabase();
  cleanups.push(() => db.drop());
  const env = {
    LEADFLOW_DATABASE_URL: db.url,
    LEADFLOW_SECRET_KEY: randomBytes(32).toString('base64'),
    LEADFLOW_SHUTDOWN_GRACE_MS: '5000',
    LOG_LEVEL: 'warn',
  };
  // each its own data folder (what a process keeps to itself); the stores are the database's
  const dataDirs = Array.from({ length: count }, () => mkdtempSync(path.join(tmpdir(), 'leadflow-procs-')));
  for (const dir of dataDirs) cleanups.push(() => removeDataDir(dir));
  const start = (i: number) => spawnRuntime(ENTRIES.crash, dataDirs[i], env).then(watched);
  const processes = [await start(0)];
  processes.push(...(await Promise.all(dataDirs.slice(1).map((_, i) => start(i + 1)))));
  return {
    processes,
    async api(i) {
      const url = processes[i].url;
      return apiCaller(url, await logIn(url, TEST_ADMIN.name, TEST_ADMIN.password));
    },
    async restart(i) {
      processes[i] = await start(i);
      return processes[i];
    },
  };
}

/**
 * Sets up, through `api` (one process's), the offer `tea` delivered by integration `crm` to the
 * target with the crash test's keyed flow, the date-range status check, and a network source;
 * answers the source's intake key.
 */
async function setUpIntegration(api: TestRuntime['api'], targetUrl: string, limits: { rateLimit?: number; concurrency: number }) {
  const ok = <T extends { status: number; body: unknown }>(r: T): T => {
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  ok(await api('POST', '/api/flows', deliveryFlow(10_000)));
  ok(await api('POST', '/api/flows', statusFlow()));
  ok(await api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} }));
  ok(
    await api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      ...limits,
      settings: { base_url: targetUrl },
      secrets: {},
      offers: ['tea'],
      flows: { 'lead.new': 'crash-send', 'status.range': 'procs-status' },
    }),
  );
  const source = ok(await api('POST', '/api/sources', { id: 'procs-network', name: 'Network', kind: 'network', offers: '*' }));
  return (source.body as { key: string }).key;
}

/**
 * Every lead in the store, through the API, newest first, page by page with the list's cursor (not
 * `before`: leads taken in by three processes at once are not in id order by their time).
 */
async function allLeads(api: TestRuntime['api']): Promise<Lead[]> {
  const leads: Lead[] = [];
  for (let cursor: string | undefined; ;) {
    const page = await api('GET', `/api/leads?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (page.status !== 200) throw new Error(`listing the leads failed: ${page.status} ${JSON.stringify(page.body)}`);
    const { leads: items, next } = page.body as LeadListAnswer;
    leads.push(...(items as Lead[]));
    if (!next) return leads;
    cursor = next;
  }
}

/** The most requests of `times` (ms) in any window of `windowMs`. */
function mostInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** The status check's questions per tick: a question's tick is the last one at or before its window's end (when its run began). */
function questionsPerTick(target: IdempotentTarget): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const question of target.questions) {
    // read raw: the ISO time's `+00:00` is a plus, not a space as a form would have it
    const to = Date.parse(decodeURIComponent(/[?&]to=([^&]*)/.exec(question.url)?.[1] ?? ''));
    if (Number.isNaN(to)) throw new Error(`a status question without its window's end: ${question.url}`);
    const tick = Math.floor(to / CHECK_EVERY_MS) * CHECK_EVERY_MS;
    ticks.set(tick, (ticks.get(tick) ?? 0) + 1);
  }
  return ticks;
}

interface Outcome {
  n: number;
  status: number;
  id?: number;
}

describe('three runtime processes on one PostgreSQL database', () => {
  it('after kill -9 of one mid-burst and its restart, every lead answered 2xx is delivered, repeats are only deliveries in flight at the kill with the same key, no status check runs twice in a tick, and the target never sees more than its rate or concurrency', async () => {
    const target = await startIdempotentTarget(TARGET_DELAY_MS);
    cleanups.push(() => target.close());
    const cluster = await startCluster(3);
    const intakeKey = await setUpIntegration(await cluster.api(0), target.url, { rateLimit: RATE, concurrency: CONCURRENCY });

    // round robin over the three, each behind its own bounded pool of connections
    const pools = cluster.processes.map((p) => new Pool(p.url, { connections: CONNECTIONS_EACH }));
    cleanups.push(() => Promise.all(pools.map((pool) => pool.destroy())).then(() => undefined));
    let answered = 0;
    const outcomes = Array.from({ length: LEADS }, async (_, n): Promise<Outcome> => {
      try {
        const answer = await pools[n % pools.length].request({
          path: '/api/leads',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': intakeKey },
          body: JSON.stringify({ offer: 'tea', name: `procs-${n}`, phone: '+4915123456789', country: 'DE' }),
        });
        const text = await answer.body.text();
        return { n, status: answer.statusCode, id: answer.statusCode === 202 ? (JSON.parse(text) as { id: number }).id : undefined };
      } catch {
        return { n, status: 0 };
      } finally {
        answered++;
      }
    });
    await waitFor(() => answered >= KILL_AFTER, `${KILL_AFTER} answers`, 60_000);
    const victim = cluster.processes[1];
    const killedAt = Date.now();
    const orderedBeforeKill = new Set(target.deliveries.map((d) => d.leadId));
    const inFlightAtKill = target.inFlight;
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const diedAt = Date.now();
    const settled = await Promise.all(outcomes);
    await cluster.restart(1);

    const api = await cluster.api(0);
    await waitFor(
      async () => (await api('GET', '/api/leads?stage=new&limit=1')).body.leads?.length === 0,
      'the queue to drain after the kill',
      90_000,
    );
    const drainedAt = Date.now();
    const leads = await allLeads(api);
    // a tick after the kill was checked: at once, or — when the dead process held the check's
    // lease at the kill — once its lease ran out and another process took the check over
    await waitFor(
      () => [...questionsPerTick(target).keys()].some((tick) => tick > killedAt),
      'a status check after the kill',
      CHECK_LEASE_MS + 10_000,
    );

    const answered2xx = settled.filter((o) => o.status === 202);
    const byLead = new Map<number, Delivery[]>();
    for (const d of target.deliveries) byLead.set(d.leadId, [...(byLead.get(d.leadId) ?? []), d]);
    const repeated = [...byLead].filter(([, sent]) => sent.length > 1);
    const arrivals = [...target.deliveries.map((d) => d.at), ...target.questions.map((q) => q.at)];
    const ticks = questionsPerTick(target);
    console.log(
      `three processes: leads posted ${LEADS}, 2xx ${answered2xx.length}, no answer ${settled.filter((o) => o.status === 0).length}, ` +
        `stored ${leads.length}, delivered ${byLead.size} (${orderedBeforeKill.size} before the kill), repeats ${repeatsOf(target.deliveries)}, ` +
        `in flight at the target at the kill ${inFlightAtKill}, repeats first read after the kill ${repeated.filter(([id]) => !orderedBeforeKill.has(id)).length}; drained ${((drainedAt - killedAt) / 1000).toFixed(1)} s after the kill; ` +
        `most requests in 1 s ${mostInWindow(arrivals, 1000)} (limit ${RATE} + ${RATE_TOLERANCE}), in 900 ms ${mostInWindow(arrivals, 900)}; ` +
        `most orders at once ${target.mostOrdersInFlight} (limit ${CONCURRENCY}); status questions ${target.questions.length} over ${ticks.size} ticks`,
    );

    // the kill came mid-burst: some callers were answered before it, some never
    expect(answered2xx.length).toBeGreaterThanOrEqual(KILL_AFTER / 2);
    expect(answered2xx.length).toBeLessThan(LEADS);
    // every lead a caller got a 2xx for was delivered, and every lead stored is delivered and moved on
    const stored = new Map(leads.map((lead) => [lead.id, lead]));
    for (const o of answered2xx) {
      expect(stored.get(o.id!), `lead ${o.id} (caller ${o.n}) answered 202`).toMatchObject({ name: `procs-${o.n}`, stage: 'wait' });
      expect(byLead.has(o.id!), `lead ${o.id} answered 202 was delivered`).toBe(true);
    }
    for (const lead of leads) {
      expect(byLead.has(lead.id), `stored lead ${lead.id} was delivered`).toBe(true);
      expect(lead.stage, `lead ${lead.id}`).toBe('wait');
    }
    expect(new Set(leads.map((lead) => lead.name)).size, "each caller's lead stored once").toBe(leads.length);
    for (const id of byLead.keys()) expect(stored.has(id), `delivered lead ${id} is stored`).toBe(true);
    // a repeat is a delivery the dead process had in flight: sent before the kill, sent again once after it, with the same key.
    // "Sent before the kill" is what the target saw before it, or a request the dead process had
    // written whose bytes the target read only after the kill and whose connection then closed at
    // the death, unanswered (the kill's moment is taken here, in the target's own process, so a
    // request already on the wire may still be read after it)
    const diedWith = (d: Delivery) => d.droppedAt !== undefined && d.droppedAt >= killedAt && d.droppedAt <= diedAt + 1_000;
    for (const [id, sent] of repeated) {
      expect(
        orderedBeforeKill.has(id) || diedWith(sent[0]),
        `lead ${id} sent twice: first before the kill (${JSON.stringify(sent[0])}, kill at ${killedAt}, death seen at ${diedAt})`,
      ).toBe(true);
      expect(sent, `lead ${id}'s deliveries`).toHaveLength(2);
      expect(sent[1].at, `lead ${id} sent again after the kill`).toBeGreaterThanOrEqual(killedAt);
      expect(new Set(sent.map((d) => d.key)).size, `the keys lead ${id} was sent with`).toBe(1);
    }
    // no more than the target's deliveries at once: what can be between sending and recording
    expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY);

    // the status check ran in ticks before and after the kill, each tick once across the three
    expect([...ticks].filter(([, count]) => count > 1)).toEqual([]);
    expect(ticks.size).toBeGreaterThanOrEqual(3);

    // the target's limits held across the three, measured where it counts: at the target
    expect(mostInWindow(arrivals, 1000)).toBeLessThanOrEqual(RATE + RATE_TOLERANCE);
    expect(target.mostOrdersInFlight).toBeLessThanOrEqual(CONCURRENCY);
  }, 180_000);

  it('a flow changed through process 2 is the one every process runs within a second, process 3 first among them, with no restart', async () => {
    const target = await startIdempotentTarget(5);
    cleanups.push(() => target.close());
    const cluster = await startCluster(3);
    const intakeKey = await setUpIntegration(await cluster.api(0), target.url, { concurrency: 8 });
    const post = async (i: number, name: string) => {
      const posted = await apiCaller(cluster.processes[i].url, undefined, intakeKey)('POST', '/api/leads', {
        offer: 'tea',
        name,
        phone: '+4915123456789',
        country: 'DE',
      });
      expect(posted.status, `lead ${name} posted to process ${i + 1}`).toBe(202);
      return posted.body.id as number;
    };
    const deliveredTo = async (ids: number[]) => {
      await waitFor(() => ids.every((id) => target.deliveries.some((d) => d.leadId === id)), `leads ${ids.join(', ')} delivered`, 10_000);
      return ids.map((id) => target.deliveries.find((d) => d.leadId === id)!.path);
    };

    // every process has run version 1 (and keeps it) before the change
    const before = await Promise.all([0, 1, 2, 0, 1, 2].map((i, n) => post(i, `before-${n}`)));
    expect(await deliveredTo(before)).toEqual(Array(6).fill('/orders'));

    const changed = deliveryFlow(10_000);
    (changed.nodes.find((node) => node.id === 'send')!.params as { url: string }).url = '{{integration.settings.base_url}}/orders-v2';
    const saved = await (await cluster.api(1))('PUT', '/api/flows/crash-send', changed);
    expect(saved.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const next = await post(2, 'after-on-3');
    expect(await deliveredTo([next])).toEqual(['/orders-v2']);
    const after = await Promise.all([0, 1, 2, 0, 1, 2].map((i, n) => post(i, `after-${n}`)));
    expect(await deliveredTo(after)).toEqual(Array(6).fill('/orders-v2'));
  }, 120_000);
});
