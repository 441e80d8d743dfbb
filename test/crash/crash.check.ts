/**
 * The crash test (`npm run test:crash`, run by CI after `npm test`): the runtime as a child
 * process, 2,000 leads posted at once, the process killed mid-burst — `kill -9`, then SIGTERM —
 * and restarted on the same data folder; once the queue drained, what the callers were answered,
 * what the store holds and what an idempotent target received must agree. Each delivery makes two
 * calls, a first one that is not idempotent (the lead's person) and the keyed order: a restart
 * continues a delivery after the call that succeeded, so no first call is made twice for a lead
 * unless it was in flight at the kill.
 *
 * Its own vitest config (vitest.config.ts beside it): `npm test` does not run it, and its report
 * does not replace the one CI counts `npm test`'s tests from.
 */
import path from 'node:path';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { LEADS_FILE } from '../../runtime/store/index.ts';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';
import type { Lead } from '../../core/domain/lead.ts';
import type { Job } from '../../core/domain/job.ts';
import { hourKey } from '../../core/domain/dashboard.ts';
import { logIn, removeDataDir, TEST_ADMIN, waitFor, cleanUpAfterEach } from '../support/harness.ts';
import {
  ENTRIES,
  firstCallsRepeated,
  prepareDataDir,
  repeatsOf,
  spawnRuntime,
  startIdempotentTarget,
  type ChildRuntime,
  type FirstCall,
} from './fixture.ts';

const LEADS = 2_000;
/** Connections the callers post over (undici's pool bounds them). */
const CONNECTIONS = 32;
/** The kill comes once this many callers have their answer: mid-burst. */
const KILL_AFTER = 700;
/** How long the target takes to answer, so that deliveries are in flight at the kill. */
const TARGET_DELAY_MS = 200;
const GRACE_MS = 10_000;

const cleanups = cleanUpAfterEach();

function started(runtime: ChildRuntime): ChildRuntime {
  cleanups.push(async () => {
    if (runtime.child.exitCode === null && runtime.child.signalCode === null) {
      runtime.child.kill('SIGKILL');
      await runtime.exited;
    }
  });
  return runtime;
}

interface Outcome {
  n: number;
  status: number;
  id?: number;
}

interface Report {
  posted: number;
  answered2xx: number;
  refused503: number;
  noAnswer: number;
  stored: number;
  delivered: number;
  repeats: number;
  /** Requests the target had received and not answered when the signal went. */
  inFlightAtTarget: number;
  /** Deliveries the target had received when the signal went. */
  deliveredBeforeKill: number;
  /**
   * Deliveries the store held as running once the process was gone (claimed, not finished): after
   * a `kill -9`, the only ones a restart can repeat; after SIGTERM, none.
   */
  runningAtKill: number;
  /** The leads whose delivery the store held as running once the process was gone. */
  runningLeadsAtKill: Set<number>;
  /** The leads whose order (the second call) the target had received when the signal went. */
  orderedBeforeKill: Set<number>;
  /** The leads whose first call the target had received and not answered when the signal went. */
  firstInFlightAtKill: Set<number>;
  firstCalls: FirstCall[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  exitMs: number;
  /** What the checks below compare. */
  outcomes: Outcome[];
  leads: Lead[];
  jobs: Map<number, Job[]>;
  deliveries: Awaited<ReturnType<typeof startIdempotentTarget>>['deliveries'];
}

/** Posts the burst, sends `signal` mid-burst, restarts, waits for the queue to drain, and gathers what happened. */
async function burstAndKill(signal: 'SIGKILL' | 'SIGTERM'): Promise<Report> {
  const target = await startIdempotentTarget(TARGET_DELAY_MS);
  cleanups.push(() => target.close());
  const { dataDir, intakeKey } = await prepareDataDir(target.url, 10_000, { twoCalls: true });
  cleanups.push(() => removeDataDir(dataDir));
  const env = { LEADFLOW_SHUTDOWN_GRACE_MS: String(GRACE_MS), LOG_LEVEL: 'warn' };
  const first = started(await spawnRuntime(ENTRIES.crash, dataDir, env));

  const pool = new Pool(first.url, { connections: CONNECTIONS });
  cleanups.push(() => pool.destroy());
  let answered = 0;
  const outcomes = Array.from({ length: LEADS }, async (_, n): Promise<Outcome> => {
    try {
      const answer = await pool.request({
        path: '/api/leads',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': intakeKey },
        body: JSON.stringify({ offer: 'tea', name: `crash-${n}`, phone: '+4915123456789', country: 'DE' }),
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
  const inFlightAtTarget = target.inFlight;
  const deliveredBeforeKill = target.deliveries.length;
  const orderedBeforeKill = new Set(target.deliveries.map((d) => d.leadId));
  const firstInFlightAtKill = new Set(target.firstCalls.filter((call) => !call.answered).map((call) => call.leadId));
  const signalled = Date.now();
  first.child.kill(signal);
  const exit = await first.exited;
  const exitMs = Date.now() - signalled;
  const settled = await Promise.all(outcomes);

  // right after the kill, before anything takes them back: the deliveries left running
  const file = path.join(dataDir, LEADS_FILE);
  const dead = openSqliteLeadStore(file);
  const hour = hourKey(new Date().toISOString());
  const { running } = (await dead.dashboardCounts({ fromHour: hour, toHour: hour })).queue;
  // a running delivery is a job of a lead still new
  const runningLeadsAtKill = new Set<number>();
  for (let before: number | undefined; ;) {
    const page = await dead.listLeads({ stage: 'new', limit: 500, before });
    for (const lead of page) if ((await dead.jobsOfLead(lead.id)).some((job) => job.state === 'running')) runningLeadsAtKill.add(lead.id);
    if (page.length < 500) break;
    before = page.at(-1)!.id;
  }
  await dead.close();

  const second = started(await spawnRuntime(ENTRIES.crash, dataDir, env));
  const cookie = await logIn(second.url, TEST_ADMIN.name, TEST_ADMIN.password);
  await waitFor(
    async () => {
      const r = await fetch(`${second.url}/api/leads?stage=new&limit=1`, { headers: { cookie } });
      const body = (await r.json()) as { leads?: unknown[] } | unknown[];
      const leads = Array.isArray(body) ? body : (body.leads ?? []);
      return r.status === 200 && leads.length === 0;
    },
    'the queue to drain after the restart',
    90_000,
  );
  second.child.kill('SIGTERM');
  expect(await second.exited).toEqual({ code: 0, signal: null });

  const store = openSqliteLeadStore(file);
  try {
    const leads: Lead[] = [];
    for (let before: number | undefined; ;) {
      const page = await store.listLeads({ limit: 500, before });
      leads.push(...page);
      if (page.length < 500) break;
      before = page[page.length - 1].id;
    }
    const jobs = new Map<number, Job[]>();
    for (const lead of leads) jobs.set(lead.id, await store.jobsOfLead(lead.id));
    return {
      posted: LEADS,
      answered2xx: settled.filter((o) => o.status === 202).length,
      refused503: settled.filter((o) => o.status === 503).length,
      noAnswer: settled.filter((o) => o.status === 0).length,
      stored: leads.length,
      delivered: new Set(target.deliveries.map((d) => d.leadId)).size,
      repeats: repeatsOf(target.deliveries),
      inFlightAtTarget,
      deliveredBeforeKill,
      runningAtKill: running,
      runningLeadsAtKill,
      orderedBeforeKill,
      firstInFlightAtKill,
      firstCalls: target.firstCalls,
      exit,
      exitMs,
      outcomes: settled,
      leads,
      jobs,
      deliveries: target.deliveries,
    };
  } finally {
    await store.close();
  }
}

function summary(signal: string, r: Report): string {
  return (
    `crash test (${signal}): leads posted ${r.posted}, 2xx ${r.answered2xx}, 503 ${r.refused503}, no answer ${r.noAnswer}, ` +
    `stored ${r.stored}, delivered ${r.delivered} (${r.deliveredBeforeKill} before the kill), repeats ${r.repeats}, ` +
    `in flight at the target at the kill ${r.inFlightAtTarget}, left running in the store ${r.runningAtKill}, ` +
    `first calls ${r.firstCalls.length} (repeated for ${firstCallsRepeated(r.firstCalls).length} leads, ` +
    `${firstCallsRepeated(r.firstCalls).filter((id) => r.firstInFlightAtKill.has(id)).length} of them in flight at the kill), exit ${r.exit.code ?? r.exit.signal} after ${r.exitMs} ms`
  );
}

/** What holds after either kind of stop. */
function expectNothingLost(r: Report): void {
  const stored = new Map(r.leads.map((lead) => [lead.id, lead]));
  const delivered = new Map<number, Set<string>>();
  for (const d of r.deliveries) delivered.set(d.leadId, (delivered.get(d.leadId) ?? new Set()).add(d.key));

  // every lead a caller got a 2xx for is stored and was delivered
  for (const o of r.outcomes.filter((o) => o.status === 202)) {
    expect(stored.get(o.id as number), `lead ${o.id} (caller ${o.n}) answered 202`).toMatchObject({ name: `crash-${o.n}`, stage: 'wait' });
    expect(delivered.has(o.id as number), `lead ${o.id} answered 202 was delivered`).toBe(true);
  }
  // no lead half-stored: each one stored has its delivery job, done, and reached the target
  for (const lead of r.leads) {
    expect(r.jobs.get(lead.id), `the jobs of lead ${lead.id}`).toMatchObject([{ kind: 'lead.new', state: 'done' }]);
    expect(lead.stage, `lead ${lead.id}`).toBe('wait');
    expect(delivered.has(lead.id), `lead ${lead.id} was delivered`).toBe(true);
  }
  // each caller's lead stored once, and nothing reached the target that is not a stored lead
  expect(new Set(r.leads.map((lead) => lead.name)).size).toBe(r.leads.length);
  for (const id of delivered.keys()) expect(stored.has(id), `delivered lead ${id} is stored`).toBe(true);
  // a lead sent twice was sent with the same key both times
  for (const [id, keys] of delivered) expect(keys.size, `the keys lead ${id} was sent with`).toBe(1);
  // every lead's person was made, and the order named the one made for it
  const firstOf = new Set(r.firstCalls.map((call) => call.leadId));
  for (const lead of r.leads) expect(firstOf.has(lead.id), `lead ${lead.id} had its first call`).toBe(true);
}

/**
 * After a kill, a lead's first call is made again only where the kill came while its delivery ran
 * before its checkpoint: the delivery was running, its order had not gone out (the checkpoint is
 * kept before the order is sent), and it is repeated at most once.
 */
function expectFirstCallsKept(r: Report): void {
  const repeated = firstCallsRepeated(r.firstCalls);
  for (const id of repeated) {
    expect(r.runningLeadsAtKill.has(id), `lead ${id}'s first call was repeated: its delivery was running at the kill`).toBe(true);
    expect(r.orderedBeforeKill.has(id), `lead ${id}'s first call was repeated: its order had not gone out`).toBe(false);
    expect(
      r.firstCalls.filter((call) => call.leadId === id),
      `lead ${id}'s first calls`,
    ).toHaveLength(2);
  }
  expect(repeated.length).toBeLessThanOrEqual(r.runningAtKill);
}

describe('the crash test', () => {
  it('after kill -9 mid-burst and a restart, every lead answered 2xx is delivered, repeats carry the same key and are no more than the deliveries running at the kill, and nothing is half-stored', async () => {
    const r = await burstAndKill('SIGKILL');
    console.log(summary('kill -9', r));
    expect(r.exit.signal).toBe('SIGKILL');
    expect(r.answered2xx).toBeGreaterThanOrEqual(KILL_AFTER / 2);
    expect(r.answered2xx).toBeLessThan(LEADS);
    expectNothingLost(r);
    expect(r.repeats).toBeLessThanOrEqual(r.runningAtKill);
    expectFirstCallsKept(r);
  }, 180_000);

  it('after SIGTERM mid-burst, every request received was answered, nothing is repeated, and the process exits 0 within the grace period', async () => {
    const r = await burstAndKill('SIGTERM');
    console.log(summary('SIGTERM', r));
    expect(r.exit).toEqual({ code: 0, signal: null });
    expect(r.exitMs).toBeLessThan(GRACE_MS + 3_000);
    expect(r.answered2xx).toBeLessThan(LEADS);
    expectNothingLost(r);
    // a lead stored is a request received: its caller has its answer
    const answeredIds = new Set(r.outcomes.filter((o) => o.status === 202).map((o) => o.id));
    expect(r.leads.filter((lead) => !answeredIds.has(lead.id)).map((lead) => lead.id)).toEqual([]);
    expect(r.outcomes.every((o) => [202, 503, 0].includes(o.status))).toBe(true);
    expect(r.runningAtKill).toBe(0);
    expect(r.repeats).toBe(0);
    expect(firstCallsRepeated(r.firstCalls)).toEqual([]);
  }, 180_000);
});
