/**
 * The renewal service and its lease on their own: one renewal at a time, the stored value handed
 * to the next, a value that could not be stored kept until it is, a dead holder's lease taken at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretNotStored } from '../../core/node/contract.ts';
import { FileLeases } from '../../runtime/store/file-lease.ts';
import { openLowdbConfigStore } from '../../runtime/store/lowdb.ts';
import { KeptSecrets } from '../../runtime/services/kept-secrets.ts';
import type { AuditRecord } from '../../runtime/services/audit.ts';
import { removeDataDir } from '../support/harness.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDataDir(dir);
});
function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-kept-'));
  dirs.push(dir);
  return dir;
}

async function configWithIntegration(dir: string) {
  const config = await openLowdbConfigStore(dir, { id: 'k1', key: Buffer.alloc(32, 7), source: 'the test' });
  await config.putIntegration({
    id: 'crm',
    name: 'CRM',
    enabled: false,
    settings: {},
    secrets: { refresh_token: 'rt-1' },
    offers: [],
    flows: {},
    postbackToken: 'pbt',
  });
  return config;
}

describe('kept secrets', () => {
  it('renewals of one secret run one after another, each given the value the one before stored', async () => {
    const dir = folder();
    const config = await configWithIntegration(dir);
    const audits: AuditRecord[] = [];
    const kept = new KeptSecrets(config, new FileLeases(path.join(dir, 'leases')), { record: async (e) => void audits.push(e) });
    const keeper = kept.forIntegration('crm');
    let running = 0;
    let most = 0;
    const seen: Array<string | undefined> = [];
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        keeper.renew('refresh_token', async (current) => {
          most = Math.max(most, ++running);
          seen.push(current);
          await new Promise((resolve) => setTimeout(resolve, 10));
          running--;
          return { keep: `rt-${n + 2}`, result: n };
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
    expect(seen).toEqual(['rt-1', 'rt-2', 'rt-3', 'rt-4', 'rt-5']);
    expect((await config.getIntegration('crm'))?.secrets.refresh_token).toBe('rt-6');
    expect(audits).toHaveLength(5);
    expect(audits[0]).toMatchObject({ action: 'integration.secret-renew', resourceId: 'crm' });
    // the runtime's own change: no actor
    expect(audits[0]).not.toHaveProperty('actor');
    expect(JSON.stringify(audits)).not.toMatch(/rt-\d/);
    // a released lease leaves no file behind
    expect(readdirSync(path.join(dir, 'leases'))).toEqual([]);
  });

  it('a value that could not be stored is kept in memory, stored by the next renewal and handed to it', async () => {
    const dir = folder();
    const config = await configWithIntegration(dir);
    let failing = true;
    const flaky = {
      getIntegration: (id: string) => config.getIntegration(id),
      setIntegrationSecret: async (id: string, name: string, value: string) => {
        if (failing) throw new Error('disk full');
        return config.setIntegrationSecret(id, name, value);
      },
    };
    const keeper = new KeptSecrets(flaky, new FileLeases(path.join(dir, 'leases')), { record: async () => {} }).forIntegration('crm');
    await expect(keeper.renew('refresh_token', async () => ({ keep: 'rt-2', result: 'at-1' }))).rejects.toBeInstanceOf(SecretNotStored);
    failing = false;
    let given: string | undefined;
    await keeper.renew('refresh_token', async (current) => {
      given = current;
      // stored before this renewal runs
      expect((await config.getIntegration('crm'))?.secrets.refresh_token).toBe('rt-2');
      return { keep: 'rt-3', result: 'at-2' };
    });
    expect(given).toBe('rt-2');
    expect((await config.getIntegration('crm'))?.secrets.refresh_token).toBe('rt-3');
  });

  it('an edit saved from a copy read before a renewal keeps the renewed token, and applies its own secret changes', async () => {
    const config = await configWithIntegration(folder());
    const edited = (await config.getIntegration('crm'))!;
    await config.setIntegrationSecret('crm', 'refresh_token', 'rt-2');
    await config.putIntegration({ ...edited, name: 'CRM renamed', secrets: { ...edited.secrets, api_key: 'k-1' } }, { api_key: 'k-1' });
    expect(await config.getIntegration('crm')).toMatchObject({ name: 'CRM renamed', secrets: { refresh_token: 'rt-2', api_key: 'k-1' } });
  });

  it("a lease whose holder died is taken at once; a live holder's is waited for", async () => {
    const dir = folder();
    const leases = new FileLeases(dir);
    const release = await leases.acquire('crm/refresh_token', 60_000);
    const [file] = readdirSync(dir);
    let taken = false;
    const second = leases.acquire('crm/refresh_token', 60_000).then((r) => ((taken = true), r));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(taken).toBe(false);
    await release();
    await (
      await second
    )();

    // a process that exited: its pid runs no more
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(dir, file), JSON.stringify({ holder: `${dead}:x`, until: Date.now() + 60_000 }));
    const started = Date.now();
    await (
      await leases.acquire('crm/refresh_token', 60_000)
    )();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
