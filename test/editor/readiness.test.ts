/**
 * The editor's side of readiness, in a real browser against the real runtime, with the fixture
 * the runtime's test uses: the integration's page lists exactly its gaps and the switch is
 * refused; once they are filled in through the API the checklist is empty and the switch works.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, buildEditor, startEditorWorld, type EditorWorld } from './browser.ts';
import { EXPECTED_GAPS, INTEGRATION, fillReadinessGaps, plantReadinessFixture } from '../support/readiness-fixture.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>, timeout = 10_000) => expect.poll(read, { timeout, interval: 50 });

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  await plantReadinessFixture(world.baseUrl, world.runtime.config);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('the integration’s checklist', () => {
  it('shows exactly the gaps the runtime refuses the switch for, and none once they are filled in', async () => {
    const { page, baseUrl, runtime } = world;
    await page.goto(`${baseUrl}/#/integrations/${INTEGRATION.id}`);
    await page.getByTestId('integration-detail').waitFor();
    const checklist = page.getByTestId('readiness');
    const listed = () =>
      checklist
        .locator('[data-gap]')
        .evaluateAll((items) =>
          items.map((i) => ({ field: i.getAttribute('data-gap'), text: i.querySelector('.lf-fix__text')?.textContent })),
        );
    const expected = EXPECTED_GAPS.map((gap) => ({
      field: gap.field,
      text: gap.kind === 'flow-problem' ? `${gap.message} Open the flow` : gap.message,
    }));
    await eventually(listed).toEqual(expected);

    await page.locator('.lf-switch').click();
    await page.getByTestId('readiness-refused').waitFor();
    await eventually(() => page.getByTestId('enabled').isChecked()).toBe(false);
    // refused, the page still lists the same gaps: those the runtime answered
    await eventually(listed).toEqual(expected);
    expect((await runtime.integrations.get(INTEGRATION.id)).enabled).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'readiness-refused.png'), fullPage: true });

    await fillReadinessGaps(baseUrl);
    await page.reload();
    await page.getByTestId('readiness-complete').waitFor();
    expect(await checklist.locator('[data-gap]').count()).toBe(0);
    await page.locator('.lf-switch').click();
    await eventually(() => page.getByTestId('enabled').isChecked()).toBe(true);
    expect((await runtime.integrations.get(INTEGRATION.id)).enabled).toBe(true);
    // on and ready, there is nothing to check
    await eventually(() => page.getByTestId('readiness').count()).toBe(0);
  }, 60_000);
});
