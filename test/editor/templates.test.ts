/**
 * "New integration from template" in the editor, in a real browser against the real runtime and
 * the AlterCPA sandbox target: the templates listed, the form drawn from the template, what is
 * missing listed and fixed on the integration's page (its checklist is the server's readiness),
 * the integration switched on, and a lead delivered to the sandbox with the network's id.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOXES, SANDBOX_CREDENTIALS, type SandboxTarget } from '../../runtime/sandboxes/index.ts';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;
let altercpa: SandboxTarget;

const eventually = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  altercpa = await SANDBOXES.altercpa.start(0, { stepMs: 60_000 });
  // one offer with the network's offer id, one without ("tea", from the shared world)
  await world.runtime.offers.put({ id: 'cream', name: 'Night cream', parameters: { altercpa_offer: '25' }, goals: [], products: [] });
}, 120_000);

afterAll(async () => {
  await altercpa?.close();
  await world?.close();
});

describe('new integration from template', () => {
  it('creates an AlterCPA integration with a setting left empty, lists what is missing, fixes it and switches it on', async () => {
    const { page, baseUrl, runtime } = world;
    const { user, key } = SANDBOX_CREDENTIALS.altercpa;

    await page.goto(`${baseUrl}/#/integrations`);
    await page.getByTestId('new-from-template').click();
    const list = page.getByTestId('template-list');
    await eventually(() => list.locator('[data-template-id]').count()).toBe(6);
    for (const id of ['altercpa', 'affiliate-network', 'classic-crm', 'financial-network', 'financial-crm', 'fulfilment-crm'])
      await list.locator(`[data-template-id="${id}"]`).waitFor();
    await eventually(() => list.locator('[data-template-id="altercpa"]').textContent()).toContain('Profile page');
    await page.screenshot({ path: path.join(ARTIFACTS, 'templates-list.png') });

    await list.locator('[data-template-id="altercpa"]').click();
    const form = page.getByTestId('template-form');
    await eventually(() => page.getByTestId('template-description').textContent()).toContain('user ID and API key');
    // the sandbox apart from the description, which is for the integrator
    expect(await page.getByTestId('template-description').textContent()).not.toMatch(/sandbox|LEADFLOW_/i);
    expect(await page.getByTestId('template-sandbox').textContent()).toBe('Try it against the local sandbox: http://127.0.0.1:3002');
    await page.locator('#from-template-name').fill('Sandbox network');
    await eventually(() => page.getByTestId('from-template-id').textContent()).toBe('sandbox-network');
    // the form is drawn from the template: labels, help, a password field for the key
    await eventually(() => form.locator('[data-field="user_id"]').textContent()).toContain('the number before the dash');
    expect(await page.getByLabel('API key').getAttribute('type')).toBe('password');
    await page.getByLabel('Network address').fill(altercpa.url);
    // the user ID is left empty
    await page.getByLabel('API key').fill(key);
    await form.locator('[data-offer-id="tea"] input').check();
    await form.locator('[data-offer-id="cream"] input').check();
    await eventually(() => form.locator('[data-offer-id="tea"]').textContent()).toContain('lacks Offer ID in the network');
    await eventually(() => form.locator('[data-offer-id="cream"]').textContent()).toContain('has its parameters');
    await page.screenshot({ path: path.join(ARTIFACTS, 'templates-form.png') });

    await page.getByTestId('create-from-template').click();
    const result = page.getByTestId('from-template-result');
    await result.waitFor();
    await eventually(() => page.getByTestId('created-state').textContent()).toBe('off');
    const missing = page.getByTestId('missing');
    await eventually(() =>
      missing.locator('[data-missing]').evaluateAll((items) => items.map((i) => i.getAttribute('data-missing'))),
    ).toEqual(['settings.user_id', 'offer.tea']);
    await eventually(() => missing.textContent()).toContain('User ID');
    await eventually(() => missing.textContent()).toContain('Slimming tea: Offer ID in the network (altercpa_offer)');
    expect(await page.getByTestId('postback-with-tail').count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    await page.screenshot({ path: path.join(ARTIFACTS, 'templates-created.png') });

    const created = await runtime.integrations.get('sandbox-network');
    expect(created).toMatchObject({
      name: 'Sandbox network',
      enabled: false,
      settings: { base_url: altercpa.url },
      secrets: { api_key: key },
      offers: ['tea', 'cream'],
      flows: { 'lead.new': 'sandbox-network-send', 'status.processing': 'sandbox-network-status' },
    });

    // the integration's page: the checklist (the server's readiness), and the switch refused while the user ID is missing
    await page.getByTestId('open-created').click();
    const detail = page.getByTestId('integration-detail');
    await detail.waitFor();
    const checklist = page.getByTestId('readiness');
    await eventually(() => checklist.locator('[data-gap]').evaluateAll((items) => items.map((i) => i.getAttribute('data-gap')))).toEqual([
      'settings.user_id',
      'offers.tea.parameters.altercpa_offer',
    ]);
    await page.locator('.lf-switch').click();
    await page.getByTestId('readiness-refused').waitFor();
    await eventually(() => page.getByTestId('readiness').textContent()).toContain('the setting “user_id”, which is not set here');
    await eventually(() => page.getByTestId('enabled').isChecked()).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'templates-checklist.png') });

    await checklist.getByLabel('Value of the setting user_id').fill(user);
    await checklist.locator('[data-gap="settings.user_id"]').getByRole('button', { name: 'Save' }).click();
    await eventually(() => checklist.locator('[data-gap="settings.user_id"]').count()).toBe(0);
    // the Settings section below shows it too
    await eventually(() =>
      detail.locator('input[aria-label$="value"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value)),
    ).toContain(user);
    await checklist.getByLabel('Value of altercpa_offer for Slimming tea').fill('25');
    await checklist.locator('[data-gap="offers.tea.parameters.altercpa_offer"]').getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('readiness-complete').waitFor();
    expect((await runtime.integrations.get('sandbox-network')).settings).toMatchObject({ base_url: altercpa.url, user_id: user });
    expect((await runtime.offers.get('tea')).parameters).toMatchObject({ altercpa_offer: '25', crm_offer_id: '101' });

    await page.locator('.lf-switch').click();
    await eventually(() => page.getByTestId('enabled').isChecked()).toBe(true);
    expect((await runtime.integrations.get('sandbox-network')).enabled).toBe(true);
    expect(await page.content()).not.toContain(key);
    await page.screenshot({ path: path.join(ARTIFACTS, 'templates-switched-on.png'), fullPage: true });

    // it works: a lead goes to the sandbox network and comes back with the network's order id
    const posted = await fetch(`${baseUrl}/api/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': world.intakeKey },
      body: JSON.stringify({ offer: 'tea', wm: 'wm1', name: 'Anna Schmidt', phone: '+49 151 1000000', ip: '10.20.30.40', country: 'de' }),
    });
    expect(posted.status).toBeLessThan(300);
    const { id } = (await posted.json()) as { id: number };
    await eventually(async () => {
      const view = (await (await fetch(`${baseUrl}/api/leads/${id}`, { headers: { cookie: world.cookie } })).json()) as {
        lead: { stage: string; eid?: string; integrationId?: string };
      };
      return view.lead;
    }, 15_000).toMatchObject({ stage: 'wait', eid: expect.stringMatching(/^\d+$/) });
  }, 90_000);

  it('shows a postback template’s ready postback URL with its tail of macros, with a Copy button', async () => {
    const { page, baseUrl, context } = world;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    await page.goto(`${baseUrl}/#/integrations`);
    await page.getByTestId('new-from-template').click();
    await page.getByTestId('template-list').locator('[data-template-id="financial-network"]').click();
    await page.locator('#from-template-name').fill('Fin network');
    await page.getByTestId('create-from-template').click();
    await page.getByTestId('from-template-result').waitFor();
    const url = await page.getByTestId('postback-with-tail').inputValue();
    expect(url).toMatch(
      /\/postback\/fin-network\?token=[\w-]+&click_id=\{click_id\}&lead_id=\{lead_id\}&status=\{status\}&payout=\{payout\}$/,
    );
    await eventually(() =>
      page
        .getByTestId('missing')
        .locator('[data-missing]')
        .evaluateAll((items) => items.map((i) => i.getAttribute('data-missing'))),
    ).toEqual(['settings.base_url', 'secrets.api_key']);
    await page.getByTestId('from-template-result').getByRole('button', { name: 'Copy' }).click();
    await eventually(() => page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await page.screenshot({ path: path.join(ARTIFACTS, 'templates-postback-url.png') });

    // the integration's page shows the same URL (its token masked until shown)
    await page.getByTestId('open-created').click();
    await page.getByTestId('postback-url-show').click();
    await eventually(() => page.getByLabel('Postback URL with macros').inputValue()).toBe(url);
  }, 60_000);
});
