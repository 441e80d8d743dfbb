/**
 * A new integrator's whole path, in a real browser with only the editor, from an empty data folder
 * (nothing but the admin): the login page, the home page saying what to do, an offer with a
 * German value, a webmaster whose postback URL is tried against a local tracker, a source with its
 * intake key, an integration from the classic CRM template against its sandbox, a test run that
 * stops before sending (the sandbox gets nothing), the flow published with a message, the
 * integration switched on, and a test lead sent from the Sources screen that reaches `wait` with
 * one order at the sandbox. Then a target built from scratch: a blank integration, a new flow from
 * its page, an HTTP Request from the palette with its URL typed in the panel, a dry test, Publish.
 * The test calls no API but to read state for its assertions; each step is timed (logged only).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../runtime/sandboxes/index.ts';
import { startClassicCrm, type ClassicCrm } from '../../runtime/sandboxes/classic-crm.ts';
import { TEST_ADMIN, startMockServer } from '../support/harness.ts';
import { ARTIFACTS, buildEditor, connect, dragFromPalette, node, startEditorWorld, waitForNodeCount, type EditorWorld } from './browser.ts';

let world: EditorWorld;
let crm: ClassicCrm;
let tracker: Awaited<ReturnType<typeof startMockServer>>;

const eventually = <T>(read: () => Promise<T> | T, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld({ empty: true });
  // the template's sandbox (what SANDBOXES['classic-crm'] starts), kept whole to count its orders; its statuses never move here
  crm = await startClassicCrm(0, { apiKey: SANDBOX_CREDENTIALS['classic-crm'].apiKey, stepMs: 600_000 });
  tracker = await startMockServer(() => ({ status: 200, body: 'OK tracked' }));
}, 240_000);

afterAll(async () => {
  await tracker?.stop();
  await crm?.close();
  await world?.close();
});

/** Step timings, in order, logged once the path is walked. */
const timings: [string, number][] = [];

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } catch (error) {
    // the screen as it was when the step failed, to see why
    await world.page.screenshot({ path: path.join(ARTIFACTS, 'integrator-path-failed.png'), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    timings.push([name, Math.round(performance.now() - started)]);
  }
}

function logTimings(title: string): void {
  const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`${title}:\n${timings.map(([name, ms]) => `  ${name}: ${ms} ms`).join('\n')}\n  total: ${total} ms`);
  timings.length = 0;
}

/**
 * The screen at 1440×900 (whole page), and for the main screens at 1280×720 too. The notices of
 * earlier steps are dismissed first: at the test's pace they pile up over the screen, as they
 * would not for a person.
 */
async function screenshots(page: Page, name: string, main = false): Promise<void> {
  // by the DOM: a notice may leave by itself while it is being clicked
  await page.evaluate(() =>
    document.querySelectorAll<HTMLButtonElement>('[data-testid="notice"] button[aria-label="Dismiss"]').forEach((b) => b.click()),
  );
  await page.screenshot({ path: path.join(ARTIFACTS, `integrator-path-${name}-1440.png`), fullPage: true });
  if (!main) return;
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(ARTIFACTS, `integrator-path-${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('a new integrator with only the editor', () => {
  it('goes from an empty data folder to a live classic-CRM integration whose test lead reaches wait', async () => {
    const { page, baseUrl, runtime } = world;
    const { apiKey } = SANDBOX_CREDENTIALS['classic-crm'];

    await step('log in, land on the home page', async () => {
      await page.goto(`${baseUrl}/`);
      await page.getByTestId('login-page').waitFor();
      await screenshots(page, 'login', true);
      await page.getByTestId('login-name').fill(TEST_ADMIN.name);
      await page.getByTestId('login-password').fill(TEST_ADMIN.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('home-page').waitFor();
      await eventually(() => page.getByTestId('next-step').getAttribute('data-step')).toBe('offer');
      expect(await page.getByTestId('step-offer').textContent()).toBe('Add an offer');
      await screenshots(page, 'home-empty', true);
    });

    await step('create an offer with the template’s parameters and a German price', async () => {
      await page.getByTestId('step-offer').click();
      // with no offers yet, the form is open already
      await page.getByTestId('new-offer-form').waitFor();
      await page.getByTestId('offer-new-name').fill('Slimming tea');
      expect(await page.getByTestId('offer-new-id').inputValue()).toBe('slimming-tea');
      await page.getByTestId('create-offer').click();
      await page.getByTestId('offer-page').waitFor();
      await page.getByTestId('add-parameter').click();
      await page.getByLabel('Parameter 1 name').fill('crm_product_id');
      await page.getByLabel('crm_product_id: default').fill('TEA-30');
      await page.getByTestId('add-parameter').click();
      await page.getByLabel('Parameter 2 name').fill('crm_price');
      await page.getByLabel('crm_price: default').fill('39');
      await page.getByTestId('add-country').selectOption('de');
      await page.getByLabel('crm_price: Germany').fill('49');
      await page.getByTestId('save-offer').click();
      await eventually(async () => (await runtime.offers.get('slimming-tea'))?.parameters).toEqual({
        crm_product_id: 'TEA-30',
        crm_price: '39',
        'crm_price-de': '49',
      });
      await screenshots(page, 'offer', true);
    });

    await step('create a webmaster, try his postback URL, give him a source with a key', async () => {
      await page.getByTestId('nav-sources').click();
      await page.getByTestId('webmasters-section').waitFor();
      await page.getByTestId('new-webmaster').click();
      const form = page.getByTestId('webmaster-form');
      await form.getByTestId('webmaster-id').fill('wm7');
      await form.getByTestId('webmaster-name').fill('Webmaster 7');
      await form.getByTestId('postback-url').fill(`${tracker.url}/pb?click={subid}&status={stage}`);
      await form.getByTestId('save-webmaster').click();
      const card = page.locator('[data-webmaster-id="wm7"]');
      await card.waitFor();
      await card.getByTestId('send-test-postback').click();
      const answer = card.getByTestId('tracker-answer');
      await eventually(() => answer.getAttribute('data-ok')).toBe('true');
      expect(await answer.getByTestId('tracker-answer-body').textContent()).toBe('OK tracked');
      expect(tracker.received).toHaveLength(1);
      expect(tracker.received[0].url).toMatch(/^\/pb\?click=leadflow-test-click&status=\w+$/);
      await screenshots(page, 'webmaster', true);

      await page.getByTestId('new-source').click();
      await page.getByTestId('source-id').fill('wm7-direct');
      await page.getByTestId('source-name').fill('Webmaster 7 direct');
      await page.getByTestId('kind-webmaster').check();
      await page.getByTestId('source-webmaster').fill('wm7');
      await page.locator('[data-testid="source-offers"] [data-offer-id="slimming-tea"] input').check();
      await page.getByTestId('create-source').click();
      const key = await page.getByTestId('issued-key-value').inputValue();
      expect(key).toMatch(/^lfk_/);
      await screenshots(page, 'source-key');
      await page.getByTestId('key-done').click();
      expect(await page.content()).not.toContain(key);
      expect((await runtime.sources.get('wm7-direct')).keys).toHaveLength(1);
    });

    await step('set up an integration from the classic CRM template, see its checklist', async () => {
      await page.getByTestId('nav-home').click();
      await eventually(() => page.getByTestId('next-step').getAttribute('data-step')).toBe('template');
      await page.getByTestId('step-template').click();
      await page.getByTestId('template-list').locator('[data-template-id="classic-crm"]').click();
      const form = page.getByTestId('template-form');
      await page.locator('#from-template-name').fill('Shop CRM');
      await eventually(() => page.getByTestId('from-template-id').textContent()).toBe('shop-crm');
      await page.getByLabel('CRM API address').fill(crm.url);
      await page.getByLabel('API key').fill(apiKey);
      await form.locator('[data-offer-id="slimming-tea"] input').check();
      await eventually(() => form.locator('[data-offer-id="slimming-tea"]').textContent()).toContain('has its parameters');
      // nothing is missing, so it would go live at once: kept off to be tested first
      await page.getByTestId('switch-on-at-once').uncheck();
      await screenshots(page, 'template-form', true);
      await page.getByTestId('create-from-template').click();
      await page.getByTestId('from-template-result').waitFor();
      await eventually(() => page.getByTestId('created-state').textContent()).toBe('off');
      expect((await runtime.integrations.get('shop-crm')).enabled).toBe(false);
      await screenshots(page, 'template-created');
      await page.getByTestId('open-created').click();
      await page.getByTestId('integration-detail').waitFor();
      await page.getByTestId('readiness-complete').waitFor();
      expect(await page.content()).not.toContain(apiKey);
      await screenshots(page, 'integration', true);
    });

    await step('test the lead.new flow: it stops before sending, the key masked', async () => {
      await page.getByTestId('event-flows').locator('tr[data-event="lead.new"] a', { hasText: 'open' }).click();
      await eventually(() => page.evaluate(() => location.hash)).toBe('#/flows/shop-crm-send');
      await page.getByTestId('flow-title').waitFor();
      await page.getByTestId('open-test').click();
      await eventually(() => page.locator('#test-integration').inputValue()).toBe('shop-crm');
      expect(await page.getByTestId('send-for-real').isChecked()).toBe(false);
      await page.getByTestId('run-test').click();
      await eventually(() => page.getByTestId('run-end').textContent()).toBe('stopped before sending');
      const wouldSend = page.getByTestId('run-summary').getByTestId('would-send');
      await eventually(() => wouldSend.textContent()).toContain(`POST ${crm.url}/api/orders`);
      expect(await wouldSend.textContent()).toContain('[secret]');
      expect(await wouldSend.textContent()).toContain('"product_id": "TEA-30"');
      expect(await wouldSend.textContent()).not.toContain(apiKey);
      expect(crm.orders.size).toBe(0);
      await screenshots(page, 'test-run', true);
    });

    await step('publish the flow with a message, switch the integration on', async () => {
      // a template's flows are live (v1) as made: Publish needs a change, here a shorter timeout through the panel
      await node(page, 'send').click();
      await page.locator('[data-param="timeoutMs"] input').fill('10000');
      await page.getByTestId('dirty').waitFor();
      await page.getByTestId('publish').click();
      await page.locator('#publish-message').fill('a 10 s timeout: the CRM answers fast or not at all');
      await screenshots(page, 'publish');
      await page.getByTestId('publish-confirm').click();
      await page.getByTestId('notice').filter({ hasText: 'Published as version 2' }).waitFor();
      const live = await runtime.flows.load('shop-crm-send');
      expect([live.version, live.nodes.find((n) => n.id === 'send')?.params.timeoutMs]).toEqual([2, 10000]);
      await page.getByTestId('tab-versions').click();
      await eventually(() => page.getByTestId('versions').locator('[data-version="2"]').textContent()).toContain('a 10 s timeout');
      await screenshots(page, 'versions');

      await page.goto(`${baseUrl}/#/integrations/shop-crm`);
      await page.getByTestId('integration-detail').waitFor();
      await page.locator('.lf-switch').click();
      await eventually(() => page.getByTestId('enabled').isChecked()).toBe(true);
      expect((await runtime.integrations.get('shop-crm')).enabled).toBe(true);
    });

    await step('send a test lead from the Sources screen, follow it to wait from the Leads screen', async () => {
      await page.getByTestId('nav-sources').click();
      const row = page.locator('[data-source-id="wm7-direct"]');
      await row.getByTestId('send-test-lead').click();
      const sent = row.getByTestId('test-lead-sent');
      await sent.waitFor();
      const id = Number((await sent.textContent())?.match(/#(\d+)/)?.[1]);
      expect(id).toBeGreaterThan(0);
      await screenshots(page, 'test-lead-sent');

      await page.getByTestId('nav-leads').click();
      const listed = page.locator(`[data-lead-id="${id}"]`);
      await listed.waitFor();
      await eventually(async () => {
        await page.reload();
        return listed.locator('[data-stage]').first().getAttribute('data-stage');
      }, 20_000).toBe('wait');
      await screenshots(page, 'leads', true);
      await listed.getByRole('link', { name: `#${id}` }).click();
      await page.getByTestId('lead-page').waitFor();
      expect(await page.getByTestId('lead-status').locator('[data-stage]').getAttribute('data-stage')).toBe('wait');
      expect(crm.orders.size).toBe(1);
      const [order] = crm.orders.values();
      expect(order).toMatchObject({ country: 'DE', goods: [{ product_id: 'TEA-30', count: 1, price: 49 }] });
      expect((await runtime.leads.getLead(id))?.eid).toBe(String(order.order_id));
      // and the webmaster's tracker was told, after the test postback
      await eventually(() => tracker.received.map((r) => r.url)).toEqual([
        expect.stringMatching(/^\/pb\?click=leadflow-test-click&status=\w+$/),
        '/pb?click=leadflow-test-click&status=wait',
      ]);
      await screenshots(page, 'lead', true);
    });

    await step('back home: the state of things', async () => {
      await page.getByTestId('nav-home').click();
      await eventually(() => page.getByTestId('next-step').getAttribute('data-step')).toBe('leads');
      await eventually(() => page.locator('[data-stage-count="wait"]').textContent()).toContain('1');
      expect(await page.getByTestId('home-integrations').textContent()).toContain('1 on, 0 off');
      await screenshots(page, 'home-running', true);
    });

    logTimings('integrator path (template)');
  }, 180_000);

  it('builds a target from scratch: a blank integration, a new flow, an HTTP Request from the palette, a dry test, Publish', async () => {
    const { page, baseUrl, target } = world;

    await step('an offer of its own, and a blank integration with it ticked', async () => {
      // a test run needs a lead of an offer routed to the integration (the first one's is the classic CRM's)
      await page.goto(`${baseUrl}/#/offers`);
      await page.getByTestId('new-offer').click();
      await page.getByTestId('offer-new-name').fill('Night cream');
      await page.getByTestId('create-offer').click();
      await page.getByTestId('offer-page').waitFor();

      await page.getByRole('link', { name: 'Integrations', exact: true }).click();
      await page.getByRole('button', { name: '+ Blank integration' }).click();
      await page.locator('#new-integration-name').fill('Scratch target');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.getByTestId('integration-detail').waitFor();
      expect(await page.evaluate(() => location.hash)).toBe('#/integrations/scratch-target');
      await page.getByRole('checkbox', { name: 'Night cream night-cream' }).click();
      await eventually(async () => (await world.runtime.integrations.get('scratch-target')).offers).toEqual(['night-cream']);
      await screenshots(page, 'scratch-integration');
    });

    await step('a new flow for new leads from its page', async () => {
      const flows = page.getByTestId('event-flows');
      await flows.locator('#another-event').selectOption({ label: 'When a new lead arrives' });
      await flows.getByTestId('new-flow-for-event').click();
      await eventually(() => page.evaluate(() => location.hash)).toMatch(/^#\/flows\/scratch-target-/);
      await waitForNodeCount(page, 1);
    });

    await step('an HTTP Request from the palette, its URL set in the panel', async () => {
      await dragFromPalette(page, 'http-request', { x: 700, y: 300 });
      await waitForNodeCount(page, 2);
      await connect(page, 'lead_in', 'out', 'http_request');
      await node(page, 'http_request').click();
      await page.locator('[data-param="url"] input').fill(`${target.url}/orders`);
      await eventually(() => page.getByTestId('problems').textContent()).toBe('valid');
      await screenshots(page, 'scratch-flow', true);
    });

    await step('a dry test: the request shown, nothing sent', async () => {
      await page.getByTestId('open-test').click();
      await page.getByTestId('run-test').click();
      await eventually(() => page.getByTestId('run-end').textContent()).toBe('stopped before sending');
      await eventually(() => page.getByTestId('run-summary').getByTestId('would-send').textContent()).toContain(`${target.url}/orders`);
      expect(target.requests).toHaveLength(0);
      await screenshots(page, 'scratch-test-run');
    });

    await step('publish it', async () => {
      await page.getByTestId('publish').click();
      await page.locator('#publish-message').fill('first version: posts the lead to the target');
      await page.getByTestId('publish-confirm').click();
      // the integration page's "+ New flow" made a draft: this first publish is version 1, and binds it to new leads
      await page.getByTestId('notice').filter({ hasText: 'Published as version 1' }).waitFor();
      const id = decodeURIComponent((await page.evaluate(() => location.hash)).replace('#/flows/', ''));
      expect((await world.runtime.integrations.get('scratch-target')).flows['lead.new']).toBe(id);
      const live = await world.runtime.flows.load(id);
      expect([live.version, live.nodes.map((n) => n.type)]).toEqual([1, ['lead-in', 'http-request']]);
      await screenshots(page, 'scratch-published');
    });

    logTimings('integrator path (from scratch)');
  }, 120_000);
});
