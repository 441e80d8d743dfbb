/**
 * `leadflow run --integration <id>` runs as the data folder's integration and keeps what its target
 * renews: a single-use refresh token the run spends is replaced, in the integration's encrypted
 * secrets, by the one the target answered, so the next run (or the runtime) goes on with it. An
 * integration given by flags has nowhere to keep it, and the run says so without showing it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, removeDataDir, ROOT } from '../support/harness.ts';
import { openStores } from '../../runtime/store/index.ts';
import { CLIENT, FIRST_REFRESH_TOKEN, oauthDeliveryFlow, prepareOAuthDataDir, startOAuthTarget } from '../tokens/oauth-target.ts';

const cleanups = cleanUpAfterEach();
const exec = promisify(execFile);
const BIN = path.join(ROOT, 'bin/leadflow.js');

async function leadflow(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('leadflow run keeps what the target renews', () => {
  it('a stored integration: the rotated refresh token is stored sealed, and the next run refreshes with it', async () => {
    const target = await startOAuthTarget();
    cleanups.push(() => target.close());
    const { dataDir } = await prepareOAuthDataDir(target.url);
    cleanups.push(() => removeDataDir(dataDir));
    const files = mkdtempSync(path.join(tmpdir(), 'leadflow-cli-renew-'));
    cleanups.push(() => removeDataDir(files));
    const flow = path.join(files, 'flow.json');
    const lead = path.join(files, 'lead.json');
    writeFileSync(flow, JSON.stringify(oauthDeliveryFlow));
    writeFileSync(lead, JSON.stringify({ offer: 'tea', name: 'Anna', phone: '+49 151 2345678' }));
    const env = { LEADFLOW_DATA: dataDir };

    const first = await leadflow(env, 'run', flow, '--lead', lead, '--integration', 'crm');
    expect(first.code, first.stderr).toBe(0);
    expect(target.rotations).toHaveLength(1);
    const renewed = target.current;
    expect(renewed).not.toBe(FIRST_REFRESH_TOKEN);
    // stored in the integration's secrets, sealed: the file holds no token in clear
    expect(readFileSync(path.join(dataDir, 'config.json'), 'utf8')).not.toContain(renewed);
    const stores = await openStores(dataDir);
    expect((await stores.config.getIntegration('crm'))?.secrets).toMatchObject({ refresh_token: renewed, client_id: CLIENT.id });
    await stores.close();
    // never printed
    expect(first.stdout + first.stderr).not.toContain(renewed);

    // the next run (a new process, its token cache empty) refreshes with the stored token
    const second = await leadflow(env, 'run', flow, '--lead', lead, '--integration', 'crm');
    expect(second.code, second.stderr).toBe(0);
    expect(target.rotations.map((r) => r.spent)).toEqual([FIRST_REFRESH_TOKEN, renewed]);
    expect(target.refused).toEqual([]);
    expect(target.unauthorized).toBe(0);
  }, 60_000);

  it('an integration given by flags: the run uses the renewal and says it was kept nowhere, without its value', async () => {
    const target = await startOAuthTarget();
    cleanups.push(() => target.close());
    const files = mkdtempSync(path.join(tmpdir(), 'leadflow-cli-renew-'));
    cleanups.push(() => removeDataDir(files));
    const flow = path.join(files, 'flow.json');
    const lead = path.join(files, 'lead.json');
    writeFileSync(flow, JSON.stringify(oauthDeliveryFlow));
    writeFileSync(lead, JSON.stringify({ offer: 'tea', name: 'Anna', phone: '+49 151 2345678' }));
    const run = await leadflow(
      {},
      'run',
      flow,
      '--lead',
      lead,
      '--set',
      `base_url=${target.url}`,
      '--secret',
      `client_id=${CLIENT.id}`,
      '--secret',
      `client_secret=${CLIENT.secret}`,
      '--secret',
      `refresh_token=${FIRST_REFRESH_TOKEN}`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(target.rotations).toHaveLength(1);
    expect(run.stderr).toContain('the target renewed the secret "refresh_token"; it is kept nowhere');
    expect(run.stdout + run.stderr).not.toContain(target.current);
  }, 30_000);

  it('an --integration that is neither a file nor a stored integration is refused, naming it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'leadflow-cli-renew-'));
    cleanups.push(() => removeDataDir(dataDir));
    const run = await leadflow(
      { LEADFLOW_DATA: dataDir },
      'run',
      'flows/demo/demo-crm-send.json',
      '--lead',
      'x.json',
      '--integration',
      'nope',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--integration nope: no such file');
  });
});
