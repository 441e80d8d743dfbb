/**
 * The home page in a real browser against the real runtime: the login page and the home page load
 * neither the script parser (acorn) nor the flow validation (Ajv) — those chunks come with the
 * canvas; a data folder with nothing in it asks for an offer and an integration from a template;
 * the demo, seeded as `npm start` seeds it, asks for a test lead, sends one from the home page and
 * shows it among today's leads. Events are named in words on the flows list and the Help page.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';
import { TEST_ADMIN } from '../support/harness.ts';
import { DEMO_CREDENTIALS, seedDemo, seedDemoSource } from '../../runtime/seed.ts';
import { startDemoCrm, type DemoCrm } from '../../runtime/sandboxes/demo-crm.ts';

let world: EditorWorld;
let sandbox: DemoCrm | undefined;

const eventually = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });

/** The chunks only the canvas needs: the script parser, the flow validation, React Flow, CodeMirror. */
const CANVAS_ONLY = /\/assets\/(acorn|validate|Canvas|CodeEditor)-[\w-]{8}\.js$/;

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
}, 240_000);

afterAll(async () => {
  await world?.close();
  await sandbox?.close();
});

async function screenshots(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1440.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('the home page', () => {
  it('comes after logging in, and neither it nor the login page loads the parser or the validation', async () => {
    const { page, baseUrl, context } = world;
    await context.clearCookies();
    const requested: string[] = [];
    const record = (request: { url(): string }) => requested.push(request.url());
    page.on('request', record);
    try {
      await page.goto(`${baseUrl}/#/`);
      await page.getByTestId('login-page').waitFor();
      await page.getByTestId('login-name').fill(TEST_ADMIN.name);
      await page.getByTestId('login-password').fill(TEST_ADMIN.password);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('home-page').waitFor();
      await page.getByTestId('next-step').waitFor();
    } finally {
      page.off('request', record);
    }
    expect(requested.some((url) => /\/assets\/index-[\w-]{8}\.js$/.test(url))).toBe(true);
    expect(requested.filter((url) => CANVAS_ONLY.test(url))).toEqual([]);

    // the canvas brings them when a flow is opened
    const later: string[] = [];
    page.on('request', (request) => later.push(request.url()));
    await page.goto(`${baseUrl}/#/flows`);
    await page.getByTestId('new-flow').click();
    await page.locator('#new-flow-name').fill('Opened for the chunks');
    await page.getByTestId('create-flow').click();
    await page.getByTestId('flow-title').waitFor();
    await eventually(async () => later.filter((url) => /\/assets\/(acorn|validate)-/.test(url)).length).toBe(2);
    page.removeAllListeners('request');
  });

  it('of an empty data folder says to add an offer, then an integration from a template', async () => {
    const { page, baseUrl, runtime } = world;
    // the world's integration, offer, source and flows removed: nothing left but the admin
    await runtime.integrations.remove('acme');
    await runtime.offers.remove('tea');
    await runtime.sources.remove('test-network');
    for (const flow of await runtime.config.listFlows()) await runtime.flows.remove(flow.id);
    await page.goto(`${baseUrl}/#/`);
    const next = page.getByTestId('next-step');
    await eventually(() => next.getAttribute('data-step')).toBe('offer');
    expect(await next.getByTestId('step-offer').textContent()).toBe('Add an offer');
    const more = next.getByTestId('more-steps');
    expect(await more.textContent()).toContain('New integration from a template');
    expect(await more.textContent()).toContain('Add a webmaster and his postback URL');
    expect(await page.getByTestId('home-integrations').textContent()).toContain('None yet.');
    expect(await page.getByTestId('home-leads').textContent()).toContain('None since midnight.');
    expect(await page.getByTestId('home-failures').textContent()).toContain('No failed deliveries');
    await screenshots(page, 'home-empty');

    // the template step opens the dialog at once
    await more.getByTestId('step-template').click();
    await page.getByTestId('from-template').waitFor();
  });

  it('of a running demo sends a test lead and shows it among today’s leads, with the integration on', async () => {
    const { page, baseUrl, runtime } = world;
    sandbox = await startDemoCrm(0, { ...DEMO_CREDENTIALS, stepMs: 60_000 });
    expect(await seedDemo(runtime, sandbox.url)).toBe(true);
    await seedDemoSource(runtime, undefined);
    await page.goto(`${baseUrl}/#/`);
    const next = page.getByTestId('next-step');
    await eventually(() => next.getAttribute('data-step')).toBe('demo-lead');
    expect(await page.getByTestId('home-integrations').textContent()).toContain('1 on, 0 off');

    await next.getByTestId('step-demo-lead').click();
    const sent = page.getByTestId('demo-lead-sent');
    await sent.waitFor();
    expect(await sent.textContent()).toMatch(/Test lead #\d+ accepted/);
    const id = Number((await sent.textContent())?.match(/#(\d+)/)?.[1]);
    await eventually(async () => (await runtime.leads.getLead(id))?.stage).toBe('wait');
    expect(sandbox.orders.size).toBe(1);

    // its link opens the lead
    await sent.getByTestId('demo-lead-link').click();
    await page.waitForURL(new RegExp(`#/leads/${id}$`));

    await page.goto(`${baseUrl}/#/`);
    // the page shows the cached overview at once and reads it again: under a full run's load the
    // second read and its render have taken more than 10 s
    await eventually(() => page.locator('[data-stage-count="wait"]').textContent(), 30_000).toContain('1');
    // with a lead today the demo lead is no longer the next step: the user's own integration is
    await eventually(() => next.getAttribute('data-step')).toBe('offer');
    await screenshots(page, 'home-running');
    // a delivery, two page loads and screenshots at two sizes: more than the default 30 s under a full run's load
  }, 60_000);

  it('names events in words in the flows list and the Help page', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/flows`);
    const send = page.locator('[data-event="lead.new"]').first();
    await eventually(() => send.textContent()).toBe('When a new lead arrives');
    expect(await page.locator('[data-event="postback.in"]').first().textContent()).toBe('When the target sends a status postback');

    await page.getByTestId('nav-help').click();
    await page.getByTestId('help-page').waitFor();
    expect(await page.getByTestId('help-events').textContent()).toContain('When the status is checked');
    await screenshots(page, 'help');
  });
});
