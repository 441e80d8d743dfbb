/**
 * Drafts and publishing in a real browser: edits are kept on the server as the user's draft (found
 * again after a reload and in another browser), the runtime keeps the live version until "Publish",
 * which lists the problems of an invalid flow and takes a message; versions are compared in the
 * Versions panel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { TEST_ADMIN } from '../support/harness.ts';
import { ARTIFACTS, buildEditor, launchBrowser, node, startEditorWorld, waitForNodeCount, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const ORDERS = '{{integration.settings.base_url}}/orders';
const V2 = '{{integration.settings.base_url}}/v2/orders';

const flow = (url: string) =>
  ({
    id: 'acme-drafts',
    name: 'Acme: drafts',
    event: 'lead.new',
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} },
      { id: 'send', type: 'http-request', position: { x: 260, y: 100 }, params: { method: 'POST', url, body: 'none' } },
    ],
    edges: [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' }],
  }) as unknown as FlowDoc;

/** The admin's draft as the server holds it (null when none). */
async function serverDraft(): Promise<{ doc: FlowDoc } | null> {
  const answer = await fetch(`${world.baseUrl}/api/flows/acme-drafts/draft`, { headers: { cookie: world.cookie } });
  return answer.status === 404 ? null : ((await answer.json()) as { doc: FlowDoc });
}
const draftUrl = async () => (await serverDraft())?.doc.nodes.find((n) => n.id === 'send')?.params.url ?? null;

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1280.png`) });
  await page.setViewportSize({ width: 1440, height: 900 });
}

const urlField = (page: Page) => page.locator('[data-param="url"] input, [data-param="url"] textarea').first();

describe('drafts and publishing in the editor', () => {
  it('keeps an edit as a draft on the server, found again after a reload and in another browser, while leads run the live version', async () => {
    const { page, baseUrl, runtime } = world;
    await runtime.flows.save(flow(ORDERS), 'anna');
    await page.goto(`${baseUrl}/#/flows/acme-drafts`);
    await waitForNodeCount(page, 2);

    await node(page, 'send').click();
    await urlField(page).fill(V2);
    await eventually(() => page.getByTestId('draft-state').getAttribute('data-state')).toBe('saved');
    await eventually(() => page.getByTestId('draft-state').textContent()).toContain('draft saved');
    await eventually(() => page.getByTestId('dirty').textContent()).toContain('unpublished');
    expect(await draftUrl()).toBe(V2);
    // the runtime still runs version 1
    expect((await runtime.flows.load('acme-drafts')).nodes[1].params.url).toBe(ORDERS);

    await page.reload();
    await page.getByTestId('draft-banner').waitFor();
    await eventually(() => page.getByTestId('draft-banner').textContent()).toContain('You have unpublished changes from');
    await node(page, 'send').click();
    await eventually(() => urlField(page).inputValue()).toBe(V2);
    await shoot(page, 'drafts-reopened');

    // another browser, the same user: the draft is on the server, not in the first browser
    const profile = mkdtempSync(path.join(tmpdir(), 'leadflow-chromium-2-'));
    const other = await launchBrowser(profile);
    try {
      await other.request.post(`${baseUrl}/api/session`, { data: { name: TEST_ADMIN.name, password: TEST_ADMIN.password } });
      const second = other.pages()[0] ?? (await other.newPage());
      await second.goto(`${baseUrl}/#/flows/acme-drafts`);
      await second.getByTestId('draft-banner').waitFor();
      await node(second, 'send').click();
      await eventually(() => urlField(second).inputValue()).toBe(V2);
    } finally {
      await other.close();
      rmSync(profile, { recursive: true, force: true });
    }

    await page.getByTestId('draft-keep').click();
    await eventually(() => page.getByTestId('draft-banner').count()).toBe(0);
  }, 90_000);

  it('refuses to publish a flow with problems, listing them, then publishes it with a message', async () => {
    const { page, runtime } = world;
    await node(page, 'send').click();
    await urlField(page).fill('');
    await eventually(() => page.getByTestId('problems').textContent()).toContain('problem');
    await eventually(() => draftUrl()).toBe('');

    await page.getByTestId('publish').click();
    const dialog = page.getByTestId('publish-dialog');
    await eventually(() => dialog.textContent()).toContain('can’t go live yet');
    await eventually(() => dialog.getByTestId('flow-issues').textContent()).toContain('HTTP Request: URL is required');
    expect(await dialog.getByTestId('publish-confirm').isDisabled()).toBe(true);
    await shoot(page, 'drafts-publish-refused');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await runtime.flows.load('acme-drafts')).version).toBe(1);

    await node(page, 'send').click();
    await urlField(page).fill(V2);
    await eventually(() => page.getByTestId('problems').textContent()).toBe('valid');
    await page.getByTestId('publish').click();
    await page.locator('#publish-message').fill('orders go to the v2 API');
    await shoot(page, 'drafts-publish');
    await page.getByTestId('publish-confirm').click();
    await page.getByTestId('notice').filter({ hasText: 'Published as version 2' }).waitFor();

    await eventually(() => page.getByTestId('flow-title').locator('..').textContent()).toContain('v2');
    await eventually(() => page.getByTestId('dirty').count()).toBe(0);
    const live = await runtime.flows.load('acme-drafts');
    expect([live.version, live.nodes[1].params.url]).toEqual([2, V2]);
    expect(await serverDraft()).toBeNull();
  }, 60_000);

  it('shows each version with its message and author, and the changes between any two', async () => {
    const { page } = world;
    await page.getByTestId('tab-versions').click();
    const versions = page.getByTestId('versions');
    await eventually(() => versions.locator('[data-version]').count()).toBe(2);
    await eventually(() => versions.locator('[data-version="2"]').textContent()).toContain('orders go to the v2 API');
    await eventually(() => versions.locator('[data-version="2"]').textContent()).toContain('admin');
    await eventually(() => versions.locator('[data-version="1"]').textContent()).toContain('anna');

    await page.getByLabel('Compare from').selectOption('1');
    await page.getByLabel('Compare with').selectOption('2');
    await page.getByTestId('compare').click();
    const diff = page.getByTestId('diff');
    await eventually(() => diff.textContent()).toContain('v1 → v2 (live)');
    await eventually(() => diff.locator('[data-node="send"][data-field="url"]').textContent()).toContain('/v2/orders');
    await eventually(() => diff.locator('[data-node="send"][data-field="url"] del').textContent()).toBe(ORDERS);

    // an edit not published yet is compared as "your draft"
    await node(page, 'lead').click();
    await page.getByTestId('tab-flow').click();
    await page.locator('#flow-name').fill('Acme: drafts, renamed');
    await page.getByTestId('tab-versions').click();
    await page.getByLabel('Compare from').selectOption('2');
    await page.getByLabel('Compare with').selectOption('draft');
    await page.getByTestId('compare').click();
    await eventually(() => diff.textContent()).toContain('v2 (live) → your draft');
    await eventually(() => diff.textContent()).toContain('Acme: drafts, renamed');
    await eventually(() => page.getByTestId('draft-state').getAttribute('data-state')).toBe('saved');
    await shoot(page, 'drafts-versions-diff');
  }, 60_000);

  it('a new flow, or an imported one with problems, is a draft, listed as never published until it is', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/flows`);
    await page.getByTestId('new-flow').click();
    await page.locator('#new-flow-name').fill('Acme: half built');
    await page.getByTestId('create-flow').click();
    await page.getByTestId('flow-title').filter({ hasText: 'Acme: half built' }).waitFor();
    await eventually(() => page.getByTestId('flow-title').locator('..').textContent()).toContain('draft, never published');

    await page.goto(`${baseUrl}/#/flows`);
    const row = page.locator('[data-flow-id="acme-half-built"]');
    await eventually(() => row.getByTestId('flow-version').textContent()).toContain('draft, never published');
    await eventually(() => page.locator('[data-flow-id="acme-drafts"]').getByTestId('flow-version').textContent()).toContain('your draft');
    await shoot(page, 'drafts-flow-list');

    // a flow file with a problem comes in as a draft to fix, not as a refusal
    const file = { ...flow(''), id: 'acme-imported', name: 'Acme: imported' };
    await page
      .getByTestId('import-file')
      .setInputFiles({ name: 'imported.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
    await page.getByTestId('notice').filter({ hasText: 'Imported “Acme: imported” as a draft: fix its 1 problem, then publish' }).waitFor();
    await page.getByTestId('flow-title').filter({ hasText: 'Acme: imported' }).waitFor();
    await eventually(() => page.getByTestId('problems').textContent()).toBe('1 problem');
  }, 60_000);
});
