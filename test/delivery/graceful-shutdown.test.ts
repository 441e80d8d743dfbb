/**
 * SIGTERM to `npm start`'s process (runtime/main.ts, a child process here): the requests it
 * received are answered and their leads stored once, a delivery hanging at the target is aborted
 * after the grace period and queued again, and the process exits 0.
 */
import path from 'node:path';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { LEADS_FILE } from '../../runtime/store/index.ts';
import { openSqliteLeadStore } from '../../runtime/store/sqlite.ts';
import { logIn, removeDataDir, TEST_ADMIN, waitFor, cleanUpAfterEach } from '../support/harness.ts';
import { ENTRIES, prepareDataDir, spawnRuntime, startIdempotentTarget, type ChildRuntime } from '../crash/fixture.ts';

const GRACE_MS = 1_500;
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

describe('SIGTERM', () => {
  it('answers every request received, aborts a hanging delivery after the grace period and queues it again, and exits 0', async () => {
    const target = await startIdempotentTarget(5);
    cleanups.push(() => target.close());
    // the flow's own timeout is far beyond the grace period: only the shutdown's abort ends the wait
    const { dataDir, intakeKey } = await prepareDataDir(target.url, 60_000);
    cleanups.push(() => removeDataDir(dataDir));
    const env = { LEADFLOW_SHUTDOWN_GRACE_MS: String(GRACE_MS) };
    const first = started(await spawnRuntime(ENTRIES.main, dataDir, env));
    const pool = new Pool(first.url, { connections: 16 });
    cleanups.push(() => pool.destroy());
    const post = async (name: string) => {
      const answer = await pool.request({
        path: '/api/leads',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': intakeKey },
        body: JSON.stringify({ offer: 'tea', name, phone: '+4915123456789', country: 'DE' }),
      });
      const text = await answer.body.text();
      return { status: answer.statusCode, body: text ? JSON.parse(text) : undefined, at: Date.now() };
    };

    target.hang('Hanging Lead');
    const hanging = await post('Hanging Lead');
    expect(hanging.status).toBe(202);
    await waitFor(() => target.deliveries.some((d) => d.leadId === hanging.body.id), 'the hanging delivery to reach the target');

    // a burst of leads; SIGTERM once a hundred are answered, the others still in flight
    let answered = 0;
    const outcomes = Array.from({ length: 400 }, (_, n) =>
      post(`Lead ${n}`)
        .catch((error: Error & { code?: string }) => ({ status: 0, body: undefined, at: Date.now(), error: error.code }))
        .finally(() => answered++),
    );
    await waitFor(() => answered >= 100, 'a hundred answers', 30_000);
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    const tookMs = Date.now() - signalled;
    const answers = await Promise.all(outcomes);

    expect(exit).toEqual({ code: 0, signal: null });
    // the hanging delivery held the stop for the grace period, not for its 60 s timeout
    expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS);
    expect(tookMs).toBeLessThan(GRACE_MS + 3_000);
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted.filter((a) => a.at > signalled).length).toBeGreaterThan(0);
    // a request is either answered or never read: 202, a 503 refusal, or a connection the server never took
    expect(answers.every((a) => a.status === 202 || a.status === 503 || a.status === 0)).toBe(true);

    const store = openSqliteLeadStore(path.join(dataDir, LEADS_FILE));
    try {
      const stored = await store.listLeads({ limit: 1000 });
      const burst = stored.filter((lead) => lead.name?.startsWith('Lead '));
      // every lead stored is one a caller got its id for, once
      expect(burst.map((lead) => lead.id).sort((a, b) => a - b)).toEqual(
        accepted.map((a) => a.body.id).sort((a: number, b: number) => a - b),
      );
      expect(new Set(burst.map((lead) => lead.name)).size).toBe(burst.length);
      for (const lead of burst) expect(await store.jobsOfLead(lead.id)).toMatchObject([{ kind: 'lead.new' }]);

      // the aborted delivery: queued again, due, its attempt not counted, the lead still new
      const lead = await store.getLead(hanging.body.id);
      expect(lead).toMatchObject({ stage: 'new' });
      expect(await store.history(hanging.body.id)).toEqual([]);
      const [job] = await store.jobsOfLead(hanging.body.id);
      expect(job).toMatchObject({ kind: 'lead.new', state: 'queued', attempts: 0 });
      expect(Date.parse(job.runAt)).toBeLessThanOrEqual(Date.now());
      const [execution] = await store.listExecutions({ leadId: hanging.body.id });
      expect(execution).toMatchObject({ state: 'error', error: { code: 'interrupted', nodeId: 'send', retryable: true } });
      expect(execution.error?.message).toMatch(/interrupted by shutdown/);
    } finally {
      await store.close();
    }

    // restarted, it delivers the lead again with the same key, and the target answers the id it gave
    target.release();
    const second = started(await spawnRuntime(ENTRIES.main, dataDir, env));
    const api = await logIn(second.url, TEST_ADMIN.name, TEST_ADMIN.password);
    const view = await waitFor(
      async () => {
        const r = await fetch(`${second.url}/api/leads/${hanging.body.id}`, { headers: { cookie: api } });
        const body = (await r.json()) as { lead: { stage: string; eid?: string }; deliveries: Array<{ state: string; attempts: number }> };
        // the stage is written mid-run, the job is marked done when the run ends: wait for both
        return body.lead.stage === 'wait' && body.deliveries[0]?.state === 'done' && body;
      },
      'the released delivery to be made after the restart',
      15_000,
    );
    const sent = target.deliveries.filter((d) => d.leadId === hanging.body.id);
    expect(sent).toHaveLength(2);
    expect(sent[1].key).toBe(sent[0].key);
    expect(view.lead.eid).toBe(sent[0].answeredId);
    expect(view.deliveries).toEqual([expect.objectContaining({ state: 'done', attempts: 1 })]);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
