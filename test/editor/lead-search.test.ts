/**
 * Finding a lead among thousands, as an operator does: a store seeded with a few thousand leads of
 * mixed fates, a lead found by its phone typed as a national number, its failed delivery red on
 * the list, its page and its run, the HTTP answer that failed it on the execution, then resent
 * (with its confirmation) once the target accepts, until it reaches `wait`; a lead a postback
 * moved, whose page lists the postback's run; and the failed leads of a filter resent in bulk from
 * the Leads page, with its progress and summary.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Stage } from '../../core/domain/lead.ts';
import { readFlow } from '../support/harness.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 100 });

/** Whether the CRM takes every lead now (its key fixed on its side). */
let accepting = false;

/** The CRM: a phone ending in 8 gets an answer without an order id (no verdict: the delivery fails) until it accepts; any other an order. */
const answer = (request: { body: string }, n: number) => {
  const order = JSON.parse(request.body || '{}') as { phone?: string };
  if (order.phone?.endsWith('8') && !accepting) return { status: 200, body: { status: 'error', message: 'wrong api key' } };
  return { status: 200, body: { status: 'ok', order_id: `T-${n}` } };
};

const SEEDED = 3000;
const FATES: Stage[] = ['new', 'wait', 'approve', 'cancel', 'trash', 'hold'];

/** Leads of every fate through the store's own API, a batch at a time (each batch one commit). */
async function seed(): Promise<void> {
  const store = world.runtime.leads;
  const jobs = world.runtime.jobs;
  for (let start = 0; start < SEEDED; start += 500) {
    const batch = Array.from({ length: 500 }, (_, k) => start + k);
    await Promise.all(
      batch.map(async (i) => {
        const fate = FATES[i % FATES.length];
        const phone = `+4917${String(10_000_000 + i)}`;
        const later = new Date(Date.now() + 86_400_000);
        const lead = await store.insertLead(
          { offer: 'tea', name: `Seeded ${i}`, phone, phoneE164: phone, country: 'de' },
          'acme',
          fate === 'new' ? [{ kind: 'lead.new', runAt: later }] : [],
        );
        if (fate !== 'new') await store.updateLead(lead.id, { stage: fate, eid: `S-${i}` }, []);
        else if (i % 12 === 0) {
          const [job] = await jobs.jobsOfLead(lead.id);
          await jobs.failJob(job.id, 'http_error: HTTP 401 from the target', undefined);
        }
      }),
    );
  }
}

async function postLead(lead: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${world.baseUrl}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': world.intakeKey },
    body: JSON.stringify(lead),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: number }).id;
}

async function leadPage(id: number): Promise<{
  lead: { stage: string; eid?: string };
  delivery?: { state: string };
  deliveries: { kind: string; state: string }[];
}> {
  const res = await fetch(`${world.baseUrl}/api/leads/${id}`, { headers: { cookie: world.cookie } });
  return res.json() as never;
}

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld({ answer });
  await world.runtime.flows.save(readFlow('flows/demo/demo-crm-send.json') as unknown as FlowDoc, 'anna');
  await world.runtime.flows.save(readFlow('flows/demo/demo-crm-postback.json') as unknown as FlowDoc, 'anna');
  await world.runtime.integrations.update('acme', {
    flows: { 'lead.new': 'demo-crm-send', 'postback.in': 'demo-crm-postback' },
    secrets: { api_key: 'k-123-secret', api_secret: 's-456-secret' },
    enabled: true,
  });
  await seed();
}, 240_000);

afterAll(async () => {
  await world?.close();
});

describe('finding a lead among thousands', () => {
  it('finds a lead by phone, shows its failed delivery red with the answer that failed it, and a postback’s run on the lead it moved', async () => {
    const { page, baseUrl } = world;
    const failing = await postLead({ offer: 'tea', name: 'Greta Wolf', phone: '+49 151 5550008', country: 'de' });
    const approved = await postLead({ offer: 'tea', name: 'Jonas Berg', phone: '+49 151 5550001', country: 'de' });
    await eventually(async () => (await leadPage(failing)).delivery?.state).toBe('failed');
    await eventually(async () => (await leadPage(approved)).lead.stage).toBe('wait');
    // its delivery's execution is stored after the stage: before the postback's, which the lead's page lists first
    await eventually(async () => (await leadPage(approved)).deliveries.find((job) => job.kind === 'lead.new')?.state).toBe('done');
    const { eid } = (await leadPage(approved)).lead;
    const token = (await world.runtime.integrations.get('acme')).postbackToken;
    const postback = await fetch(`${baseUrl}/postback/acme?token=${token}&order_id=${eid}&status=confirmed`);
    expect(postback.status).toBe(200);
    await eventually(async () => (await leadPage(approved)).lead.stage).toBe('approve');

    // the phone as a person reads it off a call-centre screen: national, with spaces
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${baseUrl}/#/leads`);
    await page.getByTestId('leads').waitFor();
    await page.getByTestId('lead-search').fill('0151 555 0008');
    await page.getByTestId('lead-search-go').click();
    await eventually(() => page.locator('[data-testid="leads"] tbody tr').count()).toBe(1);
    const row = page.locator(`tr[data-lead-id="${failing}"]`);
    await expect(row.textContent()).resolves.toContain('failed');
    // and why, on the list already: no verdict in the target's answer
    await expect(row.getByTestId('lead-delivery-error').textContent()).resolves.toMatch(/eid/);
    expect(page.url()).toContain('q=0151+555+0008');
    // times to the second, with the zone
    expect(await row.locator('td').nth(1).textContent()).toMatch(/\d{1,2}:\d{2}:\d{2}.*(UTC|GMT|[A-Z]{3,4})/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-found.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-found-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });

    // its page: the delivery failed with the reason, the run failed
    await row.click();
    await page.getByTestId('lead-page').waitFor();
    await expect(page.getByTestId('lead-delivery').textContent()).resolves.toContain('failed');
    const run = page.locator('[data-testid="executions"] tr[data-state="error"]').first();
    await expect(run.textContent()).resolves.toContain('failed');
    expect(await page.locator('[data-testid="executions"]').textContent()).not.toContain('success');
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-failed-lead.png'), fullPage: true });

    // the execution: the target's answer that failed it
    await run.locator('a').first().click();
    await page.getByTestId('failing-answer').waitFor();
    await expect(page.getByTestId('failing-status').textContent()).resolves.toBe('HTTP 200');
    await expect(page.getByTestId('failing-body').textContent()).resolves.toContain('wrong api key');
    await expect(page.getByTestId('execution-error').textContent()).resolves.toMatch(/required|missing|no_verdict|eid/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-failed-execution.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-failed-execution-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });

    // the target fixed on its side: back on the lead's page, Resend (it asks first), and the lead reaches wait
    accepting = true;
    await page.goBack();
    await page.getByTestId('lead-page').waitFor();
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByTestId('deliver-again').click();
    await eventually(() => page.locator('[data-testid="lead-page"] .lf-page__head [data-stage]').getAttribute('data-stage')).toBe('wait');
    expect(asked).toEqual([
      expect.stringMatching(new RegExp(`^Resend lead #${failing} to Acme CRM\\?[\\s\\S]*sent to the target again\\.$`)),
    ]);
    await eventually(() => page.getByTestId('lead-delivery').textContent()).toContain('delivered');
    expect(await page.getByTestId('deliver-again').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-resent-lead.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-resent-lead-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    accepting = false;

    // the lead the postback moved: found by the CRM's id, its page lists the postback's run
    await page.goto(`${baseUrl}/#/leads?q=${eid}`);
    await page.locator(`tr[data-lead-id="${approved}"]`).click();
    await page.getByTestId('lead-page').waitFor();
    const runs = page.locator('[data-testid="executions"] tbody tr');
    await eventually(() => runs.count()).toBe(2);
    await expect(runs.first().textContent()).resolves.toContain('When the target sends a status postback');
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-postback-run.png'), fullPage: true });

    // the log's failed runs only: the failed delivery, naming its lead
    await page.goto(`${baseUrl}/#/log?errors=1`);
    await page.getByTestId('executions').waitFor();
    const failedRuns = page.locator('[data-testid="executions"] tbody tr');
    await eventually(() => failedRuns.count()).toBe(1);
    await expect(failedRuns.first().getByTestId('run-leads').textContent()).resolves.toBe(`#${failing}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-log-errors.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-log-errors-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });

    // the integration's delivery health: its failed deliveries red, counted as the store has them
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const failedPill = page.getByTestId('deliveries-failed');
    await failedPill.waitFor();
    const failedCount = (await world.runtime.jobs.deliveryCounts('acme')).failed;
    await expect(failedPill.textContent()).resolves.toBe(`${failedCount} failed`);
    await failedPill.click();
    await page.getByTestId('leads').waitFor();
    expect(page.url()).toContain('delivery=failed');

    // the whole list pages by cursor: "Load more" adds the next page
    await page.goto(`${baseUrl}/#/leads?stage=approve`);
    await eventually(() => page.locator('[data-testid="leads"] tbody tr').count()).toBe(50);
    await page.getByTestId('load-more').click();
    await eventually(() => page.locator('[data-testid="leads"] tbody tr').count()).toBe(100);
  }, 120_000);

  it('resends the failed leads of the Leads page’s filter in bulk: it asks first, shows the progress and a summary, and they reach wait', async () => {
    const { page, baseUrl } = world;
    accepting = false;
    const failing = [];
    for (const n of [1, 2, 3])
      failing.push(await postLead({ offer: 'tea', name: `Bulk ${n}`, phone: `+49 151 555100${n}8`, country: 'de' }));
    for (const id of failing) await eventually(async () => (await leadPage(id)).delivery?.state).toBe('failed');
    accepting = true;

    // the leads posted through the test network whose delivery failed: exactly the three
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${baseUrl}/#/leads?source=test-network&delivery=failed`);
    await eventually(() =>
      page.locator('[data-testid="leads"] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-lead-id')))),
    ).toEqual([...failing].reverse());
    const resend = page.getByTestId('leads-bulk-resend');
    await eventually(() => resend.textContent()).toBe('Resend the 3 failed leads of this filter');
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-bulk-resend.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-bulk-resend-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });

    // the dashboard counts them failed and names the newest with the reason its delivery failed
    await page.goto(`${baseUrl}/#/dashboard?integration=acme`);
    const failedTile = page.getByTestId('tile-failed');
    await eventually(() => failedTile.innerText()).toMatch(new RegExp(`latest: lead #${failing[2]}, .*eid`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'lead-search-dashboard-failed.png') });
    await page.goBack();
    await eventually(() => resend.textContent()).toBe('Resend the 3 failed leads of this filter');

    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await resend.click();
    const work = page.getByTestId('work-progress');
    await eventually(() => work.getAttribute('data-state')).toBe('done');
    expect(asked).toEqual([expect.stringMatching(/^Resend the 3 failed leads of this filter\?[\s\S]*sent to the target again\./)]);
    expect(await work.getByTestId('work-counts').innerText()).toMatch(/^3 resent\s+0 failed\s+of 3 found$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-bulk-resend-done.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'leads-bulk-resend-done-1280.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
    for (const id of failing) await eventually(async () => (await leadPage(id)).lead.stage).toBe('wait');

    // the list read again: none of the filter's leads is failed any more, and the button is gone
    await work.getByTestId('work-close').click();
    await page.getByTestId('lead-search-go').click();
    await eventually(() => page.getByTestId('leads-empty').count()).toBe(1);
    expect(await resend.count()).toBe(0);
  }, 120_000);
});
