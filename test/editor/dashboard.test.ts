/**
 * The dashboard and bulk resend in a real browser against the real runtime, over a store seeded
 * with two thousand leads of mixed fates: the counts shown are the store's, the chart draws, a new
 * lead changes the numbers without a reload, and resending the failed leads shows its progress,
 * can be followed to the end and says what it did.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGES, type Stage } from '../../core/domain/lead.ts';
import type { JobQueue, LeadStore } from '../../runtime/store/types.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const FATES: Stage[] = ['new', 'wait', 'wait', 'hold', 'approve', 'approve', 'cancel', 'trash'];
const SEEDED = 2000;
/** Of the leads left in `new`, these have a delivery that failed for good. */
const FAILED = 120;

async function seed(store: LeadStore, jobs: JobQueue): Promise<void> {
  const at = () => new Date().toISOString();
  for (let start = 0; start < SEEDED; start += 250) {
    await Promise.all(
      Array.from({ length: 250 }, async (_, k) => {
        const n = start + k;
        const stage = FATES[n % FATES.length];
        const lead = await store.insertLead({ offer: 'tea', name: `Lead ${n}`, phone: `+4915123${String(n).padStart(5, '0')}` }, 'acme', [
          { kind: 'lead.new' },
        ]);
        if (stage === 'new') return;
        const path: Stage[] = stage === 'wait' ? ['wait'] : ['wait', stage];
        let from: Stage = 'new';
        for (const next of path) {
          await store.updateLead(lead.id, { stage: next, history: { at: at(), from, stage: next, source: 'status-check' } }, []);
          from = next;
        }
      }),
    );
  }
  // the integration is off, so the queue holds its jobs: these fail as a target's refusals would
  const claimed = await jobs.claimJobs(['lead.new'], SEEDED, new Date(), [], { worker: 'seed', leaseMs: 60_000 });
  const ofNew = [];
  for (const job of claimed) {
    const lead = job.leadId === undefined ? undefined : await store.getLead(job.leadId);
    if (lead?.stage === 'new' && ofNew.length < FAILED) ofNew.push(job);
    else await jobs.completeJob(job.id);
  }
  for (const job of ofNew) await jobs.failJob(job.id, 'HTTP 503: the target refused', undefined);
}

async function storeCount(store: LeadStore, stage: Stage): Promise<number> {
  let count = 0;
  let before: number | undefined;
  for (;;) {
    const page = await store.listLeads({ stage, before, limit: 500 });
    count += page.length;
    if (page.length < 500) return count;
    before = page[page.length - 1].id;
  }
}

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld({ runtime: { bulkPace: { batch: 10, pauseMs: 60 } } });
  await seed(world.runtime.leads, world.runtime.jobs);
}, 180_000);

afterAll(async () => {
  await world?.close();
});

const shots = async (name: string) => {
  const { page } = world;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
};

describe('the dashboard', () => {
  it("shows the store's counts by stage, draws the chart, and a new lead changes the count without a reload", async () => {
    const { page, baseUrl, runtime } = world;
    await page.goto(`${baseUrl}/#/`);
    await page.getByTestId('nav-dashboard').click();
    for (const stage of STAGES) {
      const expected = String(await storeCount(runtime.leads, stage));
      await expect.poll(() => page.getByTestId(`stage-count-${stage}`).innerText(), { timeout: 10_000 }).toBe(expected);
    }
    await expect.poll(() => page.getByTestId('tile-total').innerText()).toContain(String(SEEDED));
    await expect.poll(() => page.getByTestId('tile-failed').innerText()).toContain(String(FAILED));
    // approve / (approve + cancel + trash) = 2 / 4 of the fates
    await expect.poll(() => page.getByTestId('tile-approval').innerText()).toContain('50 %');

    // the chart is a canvas uPlot drew on: some of its pixels are not blank
    const canvas = page.getByTestId('dashboard-chart').locator('canvas');
    await expect.poll(() => canvas.count()).toBe(1);
    const inked = await canvas.evaluate((element) => {
      const c = element as HTMLCanvasElement;
      const pixels = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let count = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count++;
      return count;
    });
    expect(inked).toBeGreaterThan(100);
    await expect.poll(() => page.getByTestId('dashboard-live').innerText()).toContain('live');
    await shots('dashboard');

    // a marker a reload would wipe
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const newBefore = Number(await page.getByTestId('stage-count-new').innerText());
    // Acme is off (no flow yet), so the intake would refuse a post: the lead goes into the store as the intake stores one
    await runtime.leads.insertLead({ offer: 'tea', name: 'Late lead', phone: '+49 151 99999999' }, 'acme', [{ kind: 'lead.new' }]);
    await expect.poll(() => page.getByTestId('stage-count-new').innerText(), { timeout: 10_000 }).toBe(String(newBefore + 1));
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

    await page.getByTestId('range-7d').click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/dashboard?range=7d');
    await expect.poll(() => page.getByTestId('tile-total').innerText()).toContain(String(SEEDED + 1));
  });

  it('resends the failed leads of an integration after saying what will happen, with progress and a summary', async () => {
    const { page, baseUrl, runtime } = world;
    await page.goto(`${baseUrl}/#/dashboard?integration=acme`);
    await expect.poll(() => page.getByTestId('bulk-resend').innerText(), { timeout: 10_000 }).toBe(`Resend ${FAILED} failed leads`);
    let question = '';
    page.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await page.getByTestId('bulk-resend').click();
    const progress = page.getByTestId('work-progress');
    await expect.poll(() => progress.getAttribute('data-state')).toBe('running');
    expect(question).toContain(`Resend the ${FAILED} failed leads of integration “acme”?`);
    expect(question).toContain('sent to the target again');
    await expect.poll(() => page.getByRole('progressbar').getAttribute('aria-valuenow')).not.toBe('0');
    await shots('bulk-resend-progress');
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 20_000 }).toBe('done');
    await expect.poll(() => page.getByTestId('work-counts').innerText()).toContain(`${FAILED} resent`);
    expect(await page.getByTestId('work-counts').innerText()).toContain(`of ${FAILED} found`);
    await shots('bulk-resend-summary');
    expect((await runtime.jobs.deliveryCounts('acme')).failed).toBe(0);
    const audit = await runtime.audit.list({ resourceType: 'lead' });
    expect(audit[0]).toMatchObject({ action: 'lead.resend-bulk', actor: expect.objectContaining({ name: 'admin' }) });
  });
});
