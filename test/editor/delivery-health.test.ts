/**
 * The integration page's delivery line, in a real browser against the real runtime: how many
 * deliveries run at once (editable, saved to the integration) and the circuit breaker's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';

let world: EditorWorld;

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("the integration's delivery line", () => {
  it('shows the breaker closed and the default of 4 deliveries at once, and saves a new number', async () => {
    const { page, baseUrl, runtime } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const line = page.getByTestId('delivery-health');
    await line.waitFor();
    expect(await page.getByTestId('breaker-state').textContent()).toBe('breaker closed');
    expect(await line.textContent()).toContain('target answering');
    const input = page.getByLabel('Deliveries at once');
    expect(await input.inputValue()).toBe('4');

    await input.fill('2');
    await input.blur();
    await expect.poll(async () => (await runtime.integrations.get('acme')).concurrency, { timeout: 10_000 }).toBe(2);
    expect(await input.inputValue()).toBe('2');
  }, 60_000);

  it('pauses the integration’s deliveries and resumes them, saved to the integration', async () => {
    const { page, baseUrl, runtime } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const state = page.getByTestId('queue-state');
    await state.waitFor();
    expect(await state.textContent()).toBe('deliveries going');
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Pause deliveries' }).click();
    await expect.poll(async () => (await runtime.integrations.get('acme')).paused, { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => state.textContent(), { timeout: 10_000 }).toBe('deliveries paused');
    await page.getByRole('button', { name: 'Resume deliveries' }).click();
    await expect.poll(async () => (await runtime.integrations.get('acme')).paused, { timeout: 10_000 }).toBe(false);
    await expect.poll(async () => state.textContent(), { timeout: 10_000 }).toBe('deliveries going');
    expect(asked).toEqual([
      expect.stringMatching(/^Pause the deliveries of “Acme CRM”\?/),
      expect.stringMatching(/^Resume the deliveries of “Acme CRM”\?/),
    ]);
  }, 60_000);
});
