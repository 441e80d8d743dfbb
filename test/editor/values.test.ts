/**
 * Values an integrator can see before and after a run, in a real browser against the real runtime:
 * a template field previews what it gives for the sample lead (or why it cannot yet), JSON Build's
 * body is a JSON editor with template completion, and a Code node's script opens in a large editor
 * with completion for helpers and the lead, its test-run error marked on its line, and a result
 * from before an edit labelled as such.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { ARTIFACTS, buildEditor, node, startEditorWorld, waitForNodeCount, type EditorWorld } from './browser.ts';

let world: EditorWorld;

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

const flow: Omit<FlowDoc, 'version'> = {
  id: 'acme-values',
  name: 'Acme: values',
  event: 'lead.new',
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 120 }, params: {} },
    { id: 'order', type: 'json-build', position: { x: 260, y: 120 }, params: { body: { name: '{{lead.name}}' } } },
    { id: 'prepare', type: 'code', label: 'Prepare', position: { x: 520, y: 120 }, params: { script: 'return input;' } },
    {
      id: 'send',
      type: 'http-request',
      label: 'Send order',
      position: { x: 780, y: 120 },
      params: { method: 'POST', url: '{{integration.settings.base_url}}/orders', body: 'input' },
    },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
    { id: 'e2', source: 'order', sourceHandle: 'out', target: 'prepare', targetHandle: 'in' },
    { id: 'e3', source: 'prepare', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
  ],
};

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  await world.runtime.flows.save(flow as FlowDoc, 'anna');
}, 120_000);

afterAll(async () => {
  await world?.close();
});

async function openFlow(): Promise<void> {
  const { page, baseUrl } = world;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${baseUrl}/#/flows/${flow.id}`);
  await page.getByTestId('flow-title').filter({ hasText: flow.name }).waitFor();
  await waitForNodeCount(page, 4);
}

const shot = (name: string) => world.page.screenshot({ path: path.join(ARTIFACTS, name) });

describe('values you can see', () => {
  it('previews a template field for the sample lead as it is typed, and says why a value cannot be known yet', async () => {
    const { page, target } = world;
    await openFlow();
    await node(page, 'send').click();
    const field = page.locator('[data-param="url"]');
    const url = field.locator('input');
    const preview = field.getByTestId('template-preview');

    await url.fill('{{integration.settings.base_url}}/orders?phone={{lead.phone | digits}}');
    await eventually(() => preview.textContent()).toBe(`→ ${target.url}/orders?phone=4915123456781`);
    await shot('values-template-preview.png');

    await url.fill('{{integration.settings.base_url}}/orders?phone={{lead.phon}}');
    await eventually(() => preview.textContent()).toBe('⚠ lead has no “phon” (did you mean phone?)');

    await url.fill('{{nodes.prepare.url}}');
    await eventually(() => preview.textContent()).toBe('⏱ known when the run reaches Prepare');

    // a URL that cannot be one is a problem of the field before any run
    await url.fill('htp:/x');
    await eventually(() => field.locator('.lf-field__error').textContent()).toContain('is not a full URL');

    await url.fill('{{integration.settings.base_url}}/orders');
    await eventually(() => preview.textContent()).toBe(`→ ${target.url}/orders`);

    // a secret previews masked, in a header row as anywhere
    await page.locator('[data-param="headers"] .lf-link-btn', { hasText: 'Add row' }).click();
    await page.getByLabel('Headers row 1 name').fill('Authorization');
    await page.getByLabel('Headers row 1 value').fill('Bearer {{secrets.api_key}}');
    await eventually(() => page.locator('[data-param="headers"]').getByTestId('template-preview').textContent()).toBe('→ Bearer ••••••');
    await shot('values-secret-masked.png');

    // the unconnected http_error exit is a warning in the flow's problems
    await page.getByTestId('tab-flow').click();
    // named by the node's title and the field in words, never an id or a field path; the line selects the node
    const warnings = page.getByTestId('flow-warnings');
    await eventually(() => warnings.textContent()).toContain('Send order: exit “http_error” is not connected');
    expect(await warnings.textContent()).not.toMatch(/\bsend\b|outputs\./);
    await warnings.getByRole('button', { name: /Send order/ }).click();
    await eventually(() => node(page, 'send').getAttribute('class')).toContain('selected');
    // the node's panel lists its own warning, in the same words
    await eventually(() => page.getByTestId('node-warnings').textContent()).toContain('exit “http_error” is not connected');
    expect(await page.getByTestId('node-warnings').textContent()).not.toContain('outputs.');
    await shot('values-node-warning.png');
    // showing the node moved the view: fitted again, as the next test opens the flow where it is
    await page.getByRole('button', { name: 'Fit view' }).click();
  }, 60_000);

  it("edits JSON Build's body in a JSON editor that completes templates inside strings and marks JSON errors", async () => {
    const { page } = world;
    await openFlow();
    await node(page, 'order').click();
    const editor = page.locator('[data-param="body"] .cm-content');
    await editor.waitFor();
    await editor.fill('{"phone": ""}');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type('{{lead.ph');
    const list = page.locator('.cm-tooltip-autocomplete');
    await eventually(() => list.textContent()).toContain('phone');
    await shot('values-json-completion.png');
    await page.keyboard.press('Enter');
    await eventually(async () => JSON.parse(await editor.innerText())).toEqual({ phone: '{{lead.phone}}' });
    // the body as the run would build it for the sample lead
    await eventually(() => page.getByTestId('json-preview').locator('pre').textContent()).toContain('"phone": "+49 151 2345 6781"');
    await shot('values-json-preview.png');

    await editor.fill('{"phone": "{{lead.phone}}",, }');
    await page.locator('[data-param="body"] .cm-lint-marker-error').first().waitFor();
    await eventually(() => page.locator('[data-param="body"] .lf-field__error').textContent()).toContain('Not valid JSON yet');
    await editor.fill('{"phone": "{{lead.phone}}"}');
    await eventually(() => page.locator('[data-param="body"] .lf-field__error').count()).toBe(0);
  }, 60_000);

  it("opens a Code node's script in a large editor with completion, marks a test run's error on its line, and labels it stale after an edit", async () => {
    const { page } = world;
    await openFlow();
    await node(page, 'prepare').click();
    await page.getByTestId('code-open-large').click();
    const workbench = page.getByTestId('code-workbench');
    const box = await workbench.boundingBox();
    expect(box?.width).toBeGreaterThanOrEqual(900);
    expect(box?.height).toBeGreaterThanOrEqual(600);

    const editor = workbench.locator('.cm-content');
    await editor.fill('const phone = lead.phone;\n');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('helpers.hm');
    const list = page.locator('.cm-tooltip-autocomplete');
    await eventually(() => list.textContent()).toContain('hmac');
    await eventually(() => list.textContent()).toContain('(algorithm, key, text, encoding = "hex")');
    await shot('values-code-helpers-1440.png');
    await page.keyboard.press('Escape');
    for (let i = 0; i < 'helpers.hm'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('lead.cou');
    await eventually(() => list.textContent()).toContain('country');
    await page.keyboard.press('Escape');

    await editor.fill('const phone = lead.phone;\n// the next line throws\nconst n = input.nothing.length;\nreturn { phone, n };');
    await page.getByTestId('code-close-large').click();
    await workbench.waitFor({ state: 'detached' });

    await page.getByTestId('tab-test').click();
    await page.getByTestId('run-test').click();
    await page.getByTestId('run-summary').waitFor();
    await node(page, 'prepare').click();
    const script = page.locator('[data-param="script"]');
    await script.locator('.cm-line').nth(2).locator('.cm-lintRange-error').waitFor();
    await eventually(() => script.getByTestId('script-run').textContent()).toContain('line 3');
    expect(await script.getByTestId('script-stale').count()).toBe(0);

    await script.locator('.cm-line').nth(3).click();
    await page.keyboard.press('End');
    await page.keyboard.type(' // edited');
    await eventually(() => script.getByTestId('script-stale').textContent()).toBe('from an earlier version of the script');

    await page.getByTestId('code-open-large').click();
    await eventually(() => workbench.getByTestId('script-stale').textContent()).toBe('from an earlier version of the script');
    await workbench.locator('.cm-line').nth(2).locator('.cm-lintRange-error').waitFor();
    await shot('values-code-workbench-1440.png');
    await page.setViewportSize({ width: 1280, height: 720 });
    const small = await workbench.boundingBox();
    expect(small?.width).toBeGreaterThanOrEqual(900);
    expect(small?.height).toBeGreaterThanOrEqual(600);
    await shot('values-code-workbench-1280.png');
    await page.keyboard.press('Escape');
    await node(page, 'send').click();
    await shot('values-panel-1280.png');
  }, 90_000);
});
