/**
 * The integration page's delivery line, in a real browser against the real runtime: how many
 * deliveries run at once (editable, saved to the integration), the circuit breaker's state in
 * words, and a switched-off integration said as such.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';
import { breakerInWords } from '../../editor/src/integrations/breaker-words.ts';

let world: EditorWorld;

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("the integration's delivery line", () => {
  it('names the breaker in words: the target answering normally, or failing and paused for how long after how many failures', () => {
    expect(breakerInWords({ state: 'closed', since: '2026-12-01T12:00:00.000Z', consecutiveFailures: 0, threshold: 5 }).title).toBe(
      'Target answering normally',
    );
    const open = breakerInWords({
      state: 'open',
      since: '2026-12-01T12:00:00.000Z',
      consecutiveFailures: 5,
      threshold: 5,
      nextProbeAt: '2026-12-01T12:00:30.000Z',
    });
    expect(open.title).toBe('Target failing: paused for 30 s after 5 failures');
    expect(breakerInWords({ state: 'half-open', since: '2026-12-01T12:00:30.000Z', consecutiveFailures: 5, threshold: 5 }).title).toBe(
      'Target failing: trying one delivery',
    );
  });

  it('shows the breaker closed and the default of 4 deliveries at once, and saves a new number', async () => {
    const { page, baseUrl, runtime } = world;
    await page.goto(`${baseUrl}/#/integrations/acme`);
    const line = page.getByTestId('delivery-health');
    await line.waitFor();
    expect(await page.getByTestId('breaker-state').getAttribute('data-state')).toBe('closed');
    expect(await page.getByTestId('breaker-state').textContent()).toBe('Target answering normally');
    const input = page.getByLabel('Deliveries at once');
    expect(await input.inputValue()).toBe('4');

    await input.fill('2');
    await input.blur();
    await expect.poll(async () => (await runtime.integrations.get('acme')).concurrency, { timeout: 10_000 }).toBe(2);
    expect(await input.inputValue()).toBe('2');
  }, 60_000);

  it('pauses the integration’s deliveries and resumes them, saved to the integration', async () => {
    const { page, baseUrl, runtime } = world;
    // switched on (with a flow for new leads), so its deliveries go
    await runtime.flows.save(
      {
        id: 'acme-send',
        name: 'Acme: send',
        event: 'lead.new',
        nodes: [{ id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} }],
        edges: [],
      },
      'admin',
    );
    await runtime.integrations.update('acme', { flows: { 'lead.new': 'acme-send' }, enabled: true });
    await page.goto(`${baseUrl}/#/integrations/acme`);
    await page.reload();
    const state = page.getByTestId('queue-state');
    await expect.poll(async () => state.textContent(), { timeout: 10_000 }).toBe('deliveries going');
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

  it('says plainly that a switched-off integration takes no leads, instead of deliveries going', async () => {
    const { page, baseUrl, runtime } = world;
    await runtime.integrations.update('acme', { enabled: false });
    await page.goto(`${baseUrl}/#/integrations/acme`);
    await page.reload();
    const state = page.getByTestId('queue-state');
    await expect.poll(async () => state.textContent(), { timeout: 10_000 }).toBe('Switched off: it takes no leads; queued deliveries wait');
    expect(await page.getByTestId('delivery-health').textContent()).not.toContain('deliveries going');
    expect(await page.getByTestId('breaker-state').textContent()).toBe('Target answering normally');
    await page.getByTestId('delivery-health').screenshot({ path: path.join(ARTIFACTS, 'delivery-health-off-1440.png') });
  }, 60_000);
});
