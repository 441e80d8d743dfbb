/**
 * The operator's actions through the API, each recorded in the audit log with who did it and
 * its effect visible: resend a lead, retry a run from its failed node or re-run it on the current
 * version (a lead past new only when confirmed, its stage unchanged), set a stage by hand with a
 * comment, pause and resume an integration's deliveries. (Bulk resend: bulk-resend.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  cleanUpAfterEach,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type TestRuntime,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** The demo CRM, one attempt per delivery, against a target that refuses until `up()`. */
async function world() {
  let up = false;
  let orders = 0;
  const target = await startMockServer(() => (up ? { body: { status: 'ok', order_id: `E-${++orders}` } } : { status: 503, body: 'down' }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  expect((await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 1 })).status).toBe(200);
  return { t, target, up: () => (up = true) };
}

let phones = 0;
const post = async (t: TestRuntime) => {
  const posted = await t.api('POST', '/api/leads', {
    offer: 'tea',
    name: 'Lead',
    phone: `+49 151 234567${String(++phones).padStart(2, '0')}`,
    ip: '10.1.2.3',
  });
  expect(posted.status).toBe(202);
  return posted.body.id as number;
};
const view = async (t: TestRuntime, id: number) => (await t.api('GET', `/api/leads/${id}`)).body;
const auditOf = async (t: TestRuntime, type: string, id: number | string) =>
  (await t.api('GET', `/api/audit?resourceType=${type}&resourceId=${id}`)).body.entries as any[];

describe("the operator's actions", () => {
  it('resending a failed lead queues it again, is audited with who did it, and the lead reaches wait', async () => {
    const { t, up } = await world();
    const id = await post(t);
    await waitFor(async () => (await view(t, id)).delivery?.state === 'failed', 'the delivery to fail');
    up();
    const ops = await t.as('olga', 'integrator');
    expect((await ops('POST', `/api/leads/${id}/resend`)).status).toBe(202);
    await waitFor(async () => (await view(t, id)).lead.stage === 'wait', 'the resent lead to reach wait');
    expect(await auditOf(t, 'lead', id)).toEqual([
      expect.objectContaining({ action: 'lead.resend', actor: expect.objectContaining({ name: 'olga' }) }),
    ]);
  });

  it('retries a failed run from its failed node, re-runs on the current version only when confirmed past new, both audited', async () => {
    const { t, up } = await world();
    const id = await post(t);
    await waitFor(async () => (await view(t, id)).delivery?.state === 'failed', 'the delivery to fail');
    const failed = (await t.api('GET', `/api/executions?lead=${id}`)).body.executions[0];
    expect(failed.state).toBe('error');
    up();
    const retried = await t.api('POST', `/api/executions/${failed.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.execution.state).toBe('success');
    expect((await view(t, id)).lead.stage).toBe('wait');
    expect(await auditOf(t, 'execution', failed.id)).toEqual([
      expect.objectContaining({ action: 'execution.retry', after: expect.objectContaining({ execution: retried.body.execution.id }) }),
    ]);

    // the lead is past new now: a re-run sends it again, so it must be confirmed, and its stage stays
    const refused = await t.api('POST', `/api/executions/${failed.id}/rerun`);
    expect(refused.status).toBe(409);
    expect(refused.body.field).toBe('confirm');
    expect(refused.body.message).toContain(`lead ${id} is in stage wait, not new`);
    const rerun = await t.api('POST', `/api/executions/${failed.id}/rerun`, { confirm: true });
    expect(rerun.status).toBe(200);
    expect(rerun.body.lead).toMatchObject({ stageBefore: 'wait', stageAfter: 'wait', changed: false });
    expect((await auditOf(t, 'execution', failed.id)).map((e) => e.action)).toEqual(['execution.rerun', 'execution.retry']);
  });

  it('sets a stage by hand with a comment: in the history, the audit log and the dashboard', async () => {
    const { t, up } = await world();
    up();
    const id = await post(t);
    await waitFor(async () => (await view(t, id)).lead.stage === 'wait', 'the delivery');
    const set = await t.api('POST', `/api/leads/${id}/stage`, { stage: 'approve', comment: 'confirmed by phone' });
    expect(set.status).toBe(200);
    expect((await view(t, id)).history.at(-1)).toMatchObject({
      from: 'wait',
      stage: 'approve',
      source: 'manual',
      comment: 'confirmed by phone',
    });
    expect(await auditOf(t, 'lead', id)).toEqual([
      expect.objectContaining({ action: 'lead.stage', actor: expect.objectContaining({ name: 'admin' }) }),
    ]);
    const summary = (await t.api('GET', '/api/dashboard?integration=crm')).body;
    expect(summary.stages).toMatchObject({ wait: 0, approve: 1 });
    expect(summary.approvalRate).toBe(1);
  });

  it('pauses and resumes deliveries: audited, shown on the dashboard, and a lead posted meanwhile waits then goes', async () => {
    const { t, up } = await world();
    up();
    const paused = await t.api('POST', '/api/integrations/crm/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toBe(true);
    const id = await post(t);
    await waitFor(async () => (await t.api('GET', '/api/dashboard')).body.queue.queued === 1, 'the lead to wait in the queue');
    expect((await t.api('GET', '/api/dashboard')).body.paused).toEqual(['crm']);
    expect((await view(t, id)).lead.stage).toBe('new');

    expect((await t.api('POST', '/api/integrations/crm/resume')).body.paused).toBe(false);
    await waitFor(async () => (await view(t, id)).lead.stage === 'wait', 'the held lead to be delivered');
    expect((await t.api('GET', '/api/dashboard')).body.paused).toEqual([]);
    const changes = (await auditOf(t, 'integration', 'crm')).filter((e) => e.after?.paused !== e.before?.paused);
    expect(changes.slice(0, 2).map((e) => e.after.paused)).toEqual([false, true]);
  });
});
