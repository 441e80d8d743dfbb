/**
 * The runtime's side of readiness, through the HTTP API of a started runtime: an integration with
 * gaps carries them in every answer, is refused when switched on with all of them in the error,
 * and switches on once they are filled in. The editor's browser test uses the same fixture.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, type TestRuntime } from '../support/harness.ts';
import { EXPECTED_GAPS, INTEGRATION, fillReadinessGaps, plantReadinessFixture } from '../support/readiness-fixture.ts';

let t: TestRuntime;

beforeAll(async () => {
  t = await startRuntime();
  await plantReadinessFixture(t.url, t.runtime.config);
});

afterAll(async () => {
  await t?.close();
  if (t) removeDataDir(t.dataDir);
});

describe('switching an integration on', () => {
  it('shows every gap in the integration’s answers', async () => {
    const one = await t.api('GET', `/api/integrations/${INTEGRATION.id}`);
    expect(one.status).toBe(200);
    expect(one.body.readiness).toEqual({ ready: false, gaps: EXPECTED_GAPS });
    const all = await t.api('GET', '/api/integrations');
    expect(all.body.integrations.find((i: { id: string }) => i.id === INTEGRATION.id).readiness).toEqual({
      ready: false,
      gaps: EXPECTED_GAPS,
    });
    const renamed = await t.api('PATCH', `/api/integrations/${INTEGRATION.id}`, { name: 'Herbal CRM (new)' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.readiness.gaps).toEqual(EXPECTED_GAPS);
  });

  it('is refused while there is a gap, naming the first one and listing them all, and stores nothing of the write', async () => {
    const refused = await t.api('PATCH', `/api/integrations/${INTEGRATION.id}`, { enabled: true, settings: { base_url: '' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_field', field: 'settings.base_url' });
    expect(refused.body.message).toContain(EXPECTED_GAPS[0].message);
    expect(refused.body.details).toEqual(EXPECTED_GAPS);
    const after = await t.api('GET', `/api/integrations/${INTEGRATION.id}`);
    expect(after.body).toMatchObject({ enabled: false, settings: INTEGRATION.settings });
  });

  it('switches on once every gap is filled in, and its answers say it is ready', async () => {
    await fillReadinessGaps(t.url);
    expect((await t.api('GET', `/api/integrations/${INTEGRATION.id}`)).body.readiness).toEqual({ ready: true, gaps: [] });
    const on = await t.api('PATCH', `/api/integrations/${INTEGRATION.id}`, { enabled: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, readiness: { ready: true, gaps: [] } });
  });

  it('refuses a write that would leave an integration on with a gap', async () => {
    const refused = await t.api('PATCH', `/api/integrations/${INTEGRATION.id}`, { secrets: { api_key: '  ' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ field: 'secrets.api_key', details: [{ kind: 'secret', name: 'api_key' }] });
    expect((await t.api('GET', `/api/integrations/${INTEGRATION.id}`)).body.enabled).toBe(true);
  });
});
