/**
 * The operations dashboard: its counts are the store's, counted lead by lead through the public
 * API after a mixed seed; its chart buckets the range by hour; its stream sends a fresh summary
 * after a new lead, over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { STAGES, type Stage } from '../../core/domain/lead.ts';
import { approvalRate, rangeHours } from '../../core/domain/dashboard.ts';
import {
  cleanUpAfterEach,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type TestRuntime,
} from '../support/harness.ts';
import { readEvents } from './sse.ts';

const cleanups = cleanUpAfterEach();

/** The demo CRM against a target that accepts every lead but those named "down…", which it refuses with a 503. */
async function world() {
  let orders = 0;
  const target = await startMockServer((request) => {
    const body = String(request.body ?? '');
    return body.includes('down') ? { status: 503, body: 'down' } : { body: { status: 'ok', order_id: `E-${++orders}` } };
  });
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await setUpDemoIntegration(t, target.url);
  expect((await t.api('PATCH', '/api/integrations/crm', { maxAttempts: 1 })).status).toBe(200);
  return { t, target };
}

const lead = (name: string, n: number) => ({
  offer: 'tea',
  name,
  phone: `+49 151 2345${String(n).padStart(3, '0')}`,
  ip: '10.1.2.3',
  wm: 'wm1',
});

/** Leads of every fate: delivered (wait), failed (new), approved, cancelled, trashed and held by hand. */
async function seedMixed(t: TestRuntime): Promise<void> {
  const ids: number[] = [];
  for (let n = 0; n < 24; n++) {
    const posted = await t.api('POST', '/api/leads', lead(n % 6 === 5 ? `down ${n}` : `Lead ${n}`, n));
    expect(posted.status).toBe(202);
    ids.push(posted.body.id);
  }
  await waitFor(
    async () => {
      for (const id of ids) {
        const view = (await t.api('GET', `/api/leads/${id}`)).body;
        if (view.lead.stage === 'new' && view.delivery?.state !== 'failed') return false;
        // a job is marked done after its run set the stage: the queue is read below
        if (view.deliveries.some((job: { state: string }) => job.state === 'queued' || job.state === 'running')) return false;
      }
      return true;
    },
    'every delivery to come to an end',
    15_000,
  );
  const byHand: Stage[] = ['approve', 'approve', 'approve', 'cancel', 'trash', 'hold', 'approve', 'cancel'];
  let at = 0;
  for (const id of ids) {
    if (at >= byHand.length) break;
    if ((await t.api('GET', `/api/leads/${id}`)).body.lead.stage !== 'wait') continue;
    const set = await t.api('POST', `/api/leads/${id}/stage`, { stage: byHand[at++], comment: 'seeded' });
    expect(set.status).toBe(200);
  }
}

/** Every lead of a stage, counted page by page through `GET /api/leads`. */
async function countThroughApi(t: TestRuntime, stage: Stage, integration?: string): Promise<number> {
  let count = 0;
  let before: number | undefined;
  for (;;) {
    const query = new URLSearchParams({
      stage,
      limit: '500',
      ...(integration ? { integration } : {}),
      ...(before ? { before: String(before) } : {}),
    });
    const page = (await t.api('GET', `/api/leads?${query}`)).body.leads as { id: number }[];
    count += page.length;
    if (page.length < 500) return count;
    before = page[page.length - 1].id;
  }
}

describe('the dashboard', () => {
  it("counts leads by stage as the store holds them, overall and for the integration, with the approval rate by the kernel's rule", async () => {
    const { t } = await world();
    await seedMixed(t);
    for (const query of ['', '?integration=crm']) {
      const summary = (await t.api('GET', `/api/dashboard${query}`)).body;
      for (const stage of STAGES) expect(summary.stages[stage], stage).toBe(await countThroughApi(t, stage, summary.integration));
      expect(summary.total).toBe(24);
      expect(summary.approvalRate).toBe(approvalRate(summary.stages));
      expect(summary.stages.approve).toBe(4);
      // the failed deliveries are the new leads the target refused
      // with the newest of them and why it failed (out of attempts after the target's 503)
      const [newest] = (await t.api('GET', '/api/leads?delivery=failed&limit=1')).body.leads;
      expect(summary.delivery).toEqual({
        failed: summary.stages.new,
        retrying: 0,
        latest: { lead: newest.id, integration: 'crm', error: newest.deliveryError },
      });
      expect(newest.deliveryError).toMatch(/503/);
      expect(summary.delivery.failed).toBe(4);
      // the chart's hours add up to the same counts
      for (const stage of STAGES)
        expect(summary.chart.stages[stage].reduce((a: number, b: number) => a + b, 0)).toBe(summary.stages[stage]);
      expect(summary.breakersOpen).toEqual([]);
      expect(summary.queue).toEqual({ queued: 0, running: 0 });
      // every lead that left new/wait got its first status within the test
      expect(summary.firstStatus).toEqual([{ integration: 'crm', medianSeconds: expect.any(Number), leads: 8 }]);
    }
  });

  it('buckets a range by hour, oldest first, ending with the current hour', async () => {
    const now = new Date('2026-12-01T16:42:05Z');
    expect(rangeHours('24h', now)).toHaveLength(24);
    expect(rangeHours('24h', now)[0]).toBe('2026-11-30T17');
    expect(rangeHours('24h', now).at(-1)).toBe('2026-12-01T16');
    expect(rangeHours('7d', now)).toHaveLength(168);
    expect(rangeHours('30d', now)).toHaveLength(720);
    expect(rangeHours('30d', now)[0]).toBe('2026-11-01T17');

    const { t } = await world();
    await t.api('POST', '/api/leads', lead('Lead 1', 1));
    for (const range of ['24h', '7d', '30d'] as const) {
      const summary = (await t.api('GET', `/api/dashboard?range=${range}`)).body;
      expect(summary.chart.hours).toHaveLength(rangeHours(range, new Date()).length);
      expect(summary.chart.hours.at(-1)).toBe(`${new Date().toISOString().slice(0, 13)}:00:00.000Z`);
      expect(summary.total).toBe(1);
    }
    const bad = await t.api('GET', '/api/dashboard?range=1y');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('range');
    expect((await t.api('GET', '/api/dashboard?integration=nope')).body.field).toBe('integration');
  });

  it('sends a fresh summary on its stream after a new lead, and asks for a login', async () => {
    const { t } = await world();
    const stream = await readEvents(`${t.url}/api/dashboard/stream?integration=crm`, t.cookie);
    cleanups.push(() => stream.close());
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const first = await stream.next((e) => e.event === 'summary');
    expect(first.data.total).toBe(0);
    await t.api('POST', '/api/leads', lead('Lead 1', 1));
    const fresh = await stream.next((e) => e.event === 'summary' && e.data.total === 1);
    expect(fresh.data.integration).toBe('crm');

    const anonymous = await fetch(`${t.url}/api/dashboard/stream`);
    expect(anonymous.status).toBe(401);
  });
});
