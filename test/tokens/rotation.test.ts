/**
 * Rotating refresh tokens against a CRM whose refresh tokens are single-use and whose access
 * tokens live 2 s: the runtime refreshes one at a time, keeps every new refresh token in the
 * integration's encrypted secrets before using it, and goes on with the latest after a restart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, waitFor, waitForSettled, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';
import { CONFIG_FILE } from '../../runtime/store/index.ts';
import { FIRST_REFRESH_TOKEN, setUpOAuthIntegration, startOAuthTarget } from './oauth-target.ts';

const cleanups = cleanUpAfterEach();

async function postLeads(t: TestRuntime, count: number, everyMs: number, from = 0): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 0; n < count; n++) {
    const answer = await t.api('POST', '/api/leads', { offer: 'tea', name: `Lead ${from + n}`, phone: '+4915123456789', country: 'DE' });
    expect(answer.status).toBe(202);
    ids.push(answer.body.id);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return ids;
}

async function allInWait(t: TestRuntime, ids: number[]): Promise<boolean> {
  const { body } = await t.api('GET', '/api/leads?limit=1000');
  const waiting = new Set(body.leads.filter((l: { stage: string }) => l.stage === 'wait').map((l: { id: number }) => l.id));
  return ids.every((id) => waiting.has(id));
}

describe('single-use refresh tokens', () => {
  it('100 leads over 20 s: no 401 reaches a delivery, no rotation is lost, and a restart goes on with the latest refresh token', async () => {
    const target = await startOAuthTarget();
    cleanups.push(() => target.close());
    let t = await startRuntime();
    const dataDir = t.dataDir;
    cleanups.push(() => removeDataDir(dataDir));
    cleanups.push(() => t.close());
    await setUpOAuthIntegration(t.api, target.url);

    const ids = await postLeads(t, 100, 200);
    await waitFor(() => allInWait(t, ids), 'every lead delivered', 30_000);
    // each execution, searched for tokens below, is stored after its lead's stage
    for (const id of ids) await waitForSettled(t, id, 'wait');

    // the access token lives 2 s: it was refreshed many times, each time with the token answered last
    expect(target.rotations.length).toBeGreaterThanOrEqual(8);
    expect(target.refused).toEqual([]);
    expect(target.unauthorized).toBe(0);
    expect(new Set(target.leads)).toEqual(new Set(ids));
    for (const [n, rotation] of target.rotations.entries()) {
      expect(rotation.spent).toBe(n === 0 ? FIRST_REFRESH_TOKEN : target.rotations[n - 1].issued);
    }

    // the latest one is stored, sealed: the file never holds it in clear
    const stored = await t.runtime.config.getIntegration('crm');
    expect(stored?.secrets.refresh_token).toBe(target.current);
    const file = readFileSync(path.join(dataDir, CONFIG_FILE), 'utf8');
    for (const rotation of target.rotations) expect(file).not.toContain(rotation.issued);

    // each renewal is audited as the runtime's own change, without the value
    const audit = await t.api('GET', '/api/audit?action=integration.secret-renew&limit=500');
    expect(audit.status).toBe(200);
    const renewals = audit.body.entries.filter((e: { action: string }) => e.action === 'integration.secret-renew');
    expect(renewals.length).toBe(target.rotations.length);
    expect(renewals.every((e: { actor?: unknown; resourceId: string }) => e.actor === undefined && e.resourceId === 'crm')).toBe(true);
    const logged = JSON.stringify(audit.body);
    for (const rotation of target.rotations) expect(logged).not.toContain(rotation.issued);

    // no execution record shows a refresh token or an access token
    const executions = await t.api('GET', '/api/executions?integration=crm&limit=200');
    const recorded = JSON.stringify(executions.body);
    expect(recorded).toContain('[secret]');
    for (const rotation of target.rotations) {
      expect(recorded).not.toContain(rotation.issued);
      expect(recorded).not.toContain(rotation.spent);
    }
    expect(recorded).not.toMatch(/at-\d+-[a-z0-9]+/);

    // a restart over the same folder refreshes with the latest token, not the configured first one
    await t.close();
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // the access token has expired meanwhile
    const before = target.rotations.length;
    t = await startRuntime({ dataDir });
    const more = await postLeads(t, 10, 100, 100);
    await waitFor(() => allInWait(t, more), 'the leads after the restart delivered', 20_000);
    expect(target.rotations.length).toBeGreaterThan(before);
    expect(target.rotations[before].spent).toBe(target.rotations[before - 1].issued);
    expect(target.refused).toEqual([]);
    expect(target.unauthorized).toBe(0);
  }, 90_000);
});
