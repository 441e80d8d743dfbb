/**
 * The audit screen in a real browser against the real runtime: the changes made so far, newest
 * first with who made them, a row opened to its change field by field (a secret shown as set and
 * changed, never its value), and a filter kept in the address.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;
const anna = { id: 'anna', name: 'Anna Admin', role: 'admin' as const };

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  // as the integration routes pass the signed-in user
  await world.runtime.integrations.update('acme', { name: 'Acme CRM (live)', secrets: { api_key: 'k-456-rotated-secret' } }, anna);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('the audit screen', () => {
  it('lists the changes with who made them and opens one before and after, without secret values', async () => {
    const { page, baseUrl } = world;
    await page.goto(`${baseUrl}/#/`);
    await page.getByTestId('nav-audit').click();
    const rows = page.locator('[data-testid="audit-entries"] tbody tr[data-audit-id]');
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action'))))
      .toEqual(['integration.update', 'source.create', 'integration.create', 'offer.create', 'user.create']);
    await expect.poll(() => rows.first().innerText()).toContain('Anna Admin');
    await expect.poll(() => rows.nth(1).innerText()).toContain('system');

    await rows.first().click();
    const diff = page.getByTestId('audit-diff');
    await expect
      .poll(() => diff.locator('tr[data-changed="true"]').allInnerTexts())
      .toEqual([
        expect.stringMatching(/^name\s+Acme CRM\s+Acme CRM \(live\)$/),
        expect.stringMatching(/^secrets\.api_key\s+set\s+set \(changed\)$/),
      ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'audit.png') });
    const text = await page.locator('body').innerText();
    expect(text).not.toContain('k-456-rotated-secret');
    expect(text).not.toContain('k-123-secret');

    await page.getByTestId('filter-resource-type').selectOption('offer');
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/audit?resourceType=offer');
    await expect.poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')))).toEqual(['offer.create']);
  });
});
