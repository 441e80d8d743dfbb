/**
 * The editor's side of logging in, in a real browser: without a session it shows the login page,
 * a wrong password says so, the right one opens the editor with the user's name and Log out in the
 * top bar; an admin's Users screen creates a user, changes a role and disables them; Log out goes
 * back to the login page and the API refuses the old session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEditor, startEditorWorld, type EditorWorld } from '../editor/browser.ts';
import { TEST_ADMIN, apiCaller, logIn } from '../support/harness.ts';

let world: EditorWorld;

beforeAll(async () => {
  await buildEditor();
  world = await startEditorWorld();
  // this test logs in through the page itself
  await world.context.clearCookies();
}, 240_000);

afterAll(async () => {
  await world?.close();
});

describe('logging in to the editor', () => {
  it('shows the login page without a session, logs in, manages users and logs out', async () => {
    const { page, baseUrl } = world;
    await page.goto(baseUrl + '/#/leads');
    await page.getByTestId('login-page').waitFor();

    await page.getByTestId('login-name').fill(TEST_ADMIN.name);
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/wrong name or password/);

    await page.getByTestId('login-password').fill(TEST_ADMIN.password);
    await page.getByTestId('login-submit').click();
    // back where it was going, logged in
    await page.getByTestId('leads-page').waitFor();
    await expect.poll(() => page.getByTestId('session-user').textContent()).toContain('admin');
    const cookie = (await world.context.cookies()).find((c) => c.name === 'leadflow_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-page').waitFor();
    await page.getByTestId('new-user-name').fill('paula');
    await page.getByTestId('new-user-password').fill('paula-password-1');
    await page.getByTestId('new-user-role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByTestId('user-paula').waitFor();
    await page.getByLabel('Role of paula').selectOption('integrator');
    await expect.poll(async () => (await world.runtime.config.listUsers()).find((u) => u.name === 'paula')?.role).toBe('integrator');
    const paula = apiCaller(baseUrl, await logIn(baseUrl, 'paula', 'paula-password-1'));
    expect((await paula('GET', '/api/flows')).status).toBe(200);
    await page.getByTestId('user-paula').getByRole('button', { name: 'Disable' }).click();
    await expect.poll(async () => (await paula('GET', '/api/flows')).status).toBe(401);

    const session = `leadflow_session=${cookie?.value}`;
    await page.getByTestId('log-out').click();
    await page.getByTestId('login-page').waitFor();
    expect((await apiCaller(baseUrl, session)('GET', '/api/flows')).status).toBe(401);
  }, 60_000);
});
