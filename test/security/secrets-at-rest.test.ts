/**
 * Secrets at rest: integration secrets sealed in `config.json` under `LEADFLOW_SECRET_KEY` or the
 * data folder's key file, the folder and its files private, the key rotatable, a wrong key refused
 * at start-up.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Integration } from '../../core/domain/config.ts';
import { readConfig } from '../../runtime/config.ts';
import { startRuntime } from '../support/harness.ts';
import { openStores } from '../../runtime/store/index.ts';
import {
  KEY_FILE,
  generateSecretKey,
  loadSecretKey,
  openSecret,
  parseSecretKey,
  rotateSecretKey,
  sealSecret,
  secretKeyOf,
} from '../../runtime/store/secret-box.ts';

const CANARY = 'CANARY key/7f+3a9';

const integration: Integration = {
  id: 'crm',
  name: 'CRM',
  enabled: false,
  settings: { base_url: 'http://127.0.0.1:9' },
  secrets: { api_key: CANARY, other: 'second-value-1234' },
  offers: [],
  flows: {},
  postbackToken: 'token-0123456789abcdef',
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leadflow-secrets-'));
  dirs.push(dir);
  return path.join(dir, 'data');
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

async function withStores<T>(dir: string, key: Buffer | undefined, use: (s: Awaited<ReturnType<typeof openStores>>) => Promise<T>) {
  const stores = await openStores(dir, key);
  try {
    return await use(stores);
  } finally {
    await stores.close();
  }
}

describe('the secret key', () => {
  it('is read from LEADFLOW_SECRET_KEY as base64 or hex of 32 bytes', () => {
    const bytes = Buffer.alloc(32, 7);
    expect(readConfig({ LEADFLOW_SECRET_KEY: bytes.toString('base64') }).secretKey).toEqual(bytes);
    expect(readConfig({ LEADFLOW_SECRET_KEY: bytes.toString('hex') }).secretKey).toEqual(bytes);
    expect(readConfig({ LEADFLOW_SECRET_KEY: bytes.toString('base64url') }).secretKey).toEqual(bytes);
    expect(readConfig({}).secretKey).toBeUndefined();
  });

  it('that is malformed stops the start-up with an error naming the variable', () => {
    for (const bad of ['short', Buffer.alloc(16).toString('base64'), 'z'.repeat(64), Buffer.alloc(33).toString('hex')]) {
      expect(() => readConfig({ LEADFLOW_SECRET_KEY: bad })).toThrow(/LEADFLOW_SECRET_KEY must be 32 bytes written as base64.*or hex/);
    }
  });

  it('when unset, is a key file generated in the data folder with mode 0600 and reused after a restart', async () => {
    const dir = dataDir();
    const first = await withStores(dir, undefined, async ({ config }) => {
      await config.putIntegration(integration);
      return fs.readFileSync(path.join(dir, KEY_FILE), 'utf8');
    });
    expect(mode(path.join(dir, KEY_FILE))).toBe(0o600);
    expect(parseSecretKey(first, 'the key file')).toHaveLength(32);
    await withStores(dir, undefined, async ({ config }) => expect(await config.getIntegration('crm')).toEqual(integration));
    expect(fs.readFileSync(path.join(dir, KEY_FILE), 'utf8')).toBe(first);
  });

  it('from the environment seals the secrets and leaves no key file behind', async () => {
    const dir = dataDir();
    const key = Buffer.alloc(32, 1);
    await withStores(dir, key, ({ config }) => config.putIntegration(integration));
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(false);
    const sealed = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).integrations[0].secrets.api_key;
    expect(sealed.startsWith(`enc:v1:${secretKeyOf(key, 'test').id}:`)).toBe(true);
    await withStores(dir, key, async ({ config }) => expect((await config.getIntegration('crm'))?.secrets).toEqual(integration.secrets));
  });

  it('that is not the one the secrets were sealed with fails loudly at start-up, naming both key ids', async () => {
    const dir = dataDir();
    const right = secretKeyOf(Buffer.alloc(32, 1), 'right');
    const wrong = secretKeyOf(Buffer.alloc(32, 2), 'wrong');
    await withStores(dir, right.key, ({ config }) => config.putIntegration(integration));

    await expect(openStores(dir, wrong.key)).rejects.toThrow(
      new RegExp(
        `"api_key" of integration "crm" was sealed with key ${right.id}, but the key in use \\(LEADFLOW_SECRET_KEY\\) is ${wrong.id}`,
      ),
    );
    // without the variable, a key file is made: another key again, refused the same way
    await expect(openStores(dir, undefined)).rejects.toThrow(/was sealed with key/);
    // and the file is left as it was
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(file.integrations[0].secrets.api_key).toMatch(new RegExp(`^enc:v1:${right.id}:`));
  });
});

describe('a runtime', () => {
  it('restarted with another LEADFLOW_SECRET_KEY than its secrets were sealed with refuses to start; with the right one it starts', async () => {
    const dir = dataDir();
    const saved = process.env.LEADFLOW_SECRET_KEY;
    try {
      process.env.LEADFLOW_SECRET_KEY = Buffer.alloc(32, 8).toString('base64');
      const first = await startRuntime({ dataDir: dir });
      const created = await first.api('POST', '/api/integrations', { id: 'crm', name: 'CRM', secrets: { api_key: CANARY } });
      expect(created.body.secrets).toEqual({ api_key: { set: true } });
      await first.close();
      expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).not.toContain('CANARY');

      process.env.LEADFLOW_SECRET_KEY = Buffer.alloc(32, 9).toString('hex');
      await expect(startRuntime({ dataDir: dir })).rejects.toThrow(
        /"api_key" of integration "crm" was sealed with key [0-9a-f]{8}, but the key in use/,
      );

      process.env.LEADFLOW_SECRET_KEY = Buffer.alloc(32, 8).toString('hex');
      const again = await startRuntime({ dataDir: dir });
      expect((await again.runtime.config.getIntegration('crm'))?.secrets).toEqual({ api_key: CANARY });
      await again.close();
    } finally {
      if (saved === undefined) delete process.env.LEADFLOW_SECRET_KEY;
      else process.env.LEADFLOW_SECRET_KEY = saved;
    }
  });
});

describe('sealed values', () => {
  const key = secretKeyOf(Buffer.alloc(32, 3), 'test');

  it('differ for the same secret each time (a random IV per value) and open to the secret', () => {
    const a = sealSecret(key, CANARY, 'crm', 'api_key');
    const b = sealSecret(key, CANARY, 'crm', 'api_key');
    expect(a).not.toBe(b);
    expect(openSecret(key, a, 'crm', 'api_key')).toBe(CANARY);
  });

  it('changed on disk, or moved to another integration or name, do not open', () => {
    const sealed = sealSecret(key, CANARY, 'crm', 'api_key');
    const body = Buffer.from(sealed.split(':')[3], 'base64url');
    body[body.length - 1] ^= 1;
    const tampered = `enc:v1:${key.id}:${body.toString('base64url')}`;
    expect(() => openSecret(key, tampered, 'crm', 'api_key')).toThrow(/does not open with key/);
    expect(() => openSecret(key, sealed, 'other', 'api_key')).toThrow(/does not open with key/);
    expect(() => openSecret(key, sealed, 'crm', 'other')).toThrow(/does not open with key/);
  });
});

describe('the data folder', () => {
  it('is 0700 and config.json, the key file and the SQLite files are 0600', async () => {
    const dir = dataDir();
    await withStores(dir, undefined, async ({ config, leads }) => {
      await config.putIntegration(integration);
      await leads.insertLead({ offer: 'tea', wm: 'wm1' }, 'crm', [{ kind: 'lead.new' }]);
      expect(mode(dir)).toBe(0o700);
      for (const name of fs.readdirSync(dir)) expect([name, mode(path.join(dir, name))]).toEqual([name, 0o600]);
      expect(fs.readdirSync(dir)).toEqual(expect.arrayContaining(['config.json', 'leads.sqlite', KEY_FILE]));
    });
  });

  it('that was open to others is closed at start-up', async () => {
    const dir = dataDir();
    await withStores(dir, undefined, ({ config }) => config.putIntegration(integration));
    fs.chmodSync(dir, 0o755);
    for (const name of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, name), 0o644);
    await withStores(dir, undefined, async () => {
      expect(mode(dir)).toBe(0o700);
      for (const name of fs.readdirSync(dir)) expect([name, mode(path.join(dir, name))]).toEqual([name, 0o600]);
    });
  });

  it('with a config.json from before sealing has its secrets sealed at start-up', async () => {
    const dir = dataDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ offers: [], integrations: [integration], webmasters: [], flows: [] }));
    await withStores(dir, undefined, async ({ config }) => expect(await config.getIntegration('crm')).toEqual(integration));
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).not.toContain('CANARY');
  });
});

describe('rotating the key', () => {
  it('re-seals every secret under the new key and replaces the key file; the old key opens nothing', async () => {
    const dir = dataDir();
    await withStores(dir, undefined, ({ config }) => config.putIntegration(integration));
    const old = await loadSecretKey(dir, undefined);
    const next = secretKeyOf(parseSecretKey(generateSecretKey(), 'new'), 'new');

    expect(await rotateSecretKey(dir, old, next, { writeKeyFile: true })).toBe(next.id);

    const file = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    for (const value of Object.values(file.integrations[0].secrets as Record<string, string>)) expect(value).toMatch(`enc:v1:${next.id}:`);
    expect(mode(path.join(dir, 'config.json'))).toBe(0o600);
    expect(parseSecretKey(fs.readFileSync(path.join(dir, KEY_FILE), 'utf8'), 'key file')).toEqual(next.key);
    await withStores(dir, undefined, async ({ config }) => expect(await config.getIntegration('crm')).toEqual(integration));
    await expect(openStores(dir, old.key)).rejects.toThrow(/was sealed with key/);
  });

  it('re-seals the checkpoints of deliveries not done yet, so a retry continues where it stopped under the new key', async () => {
    const dir = dataDir();
    const checkpoint = {
      flowId: 'f',
      flowVersion: 1,
      nodeId: 'order',
      outputs: { session: { headers: { 'set-cookie': 'sid=CANARY-77' } } },
    };
    const jobId = await withStores(dir, undefined, async ({ config, leads, jobs, seal }) => {
      await config.putIntegration(integration);
      await leads.insertLead({ offer: 'tea' }, 'crm', [{ kind: 'lead.new' }]);
      const [job] = await jobs.claimJobs(['lead.new'], 10, new Date(Date.now() + 1000), [], { worker: 'w', leaseMs: 60_000 });
      expect(await jobs.saveJobProgress('w', job.id, { resume: seal.seal(checkpoint, job.id) })).toBe(true);
      return job.id;
    });
    const old = await loadSecretKey(dir, undefined);
    const next = secretKeyOf(parseSecretKey(generateSecretKey(), 'new'), 'new');

    await rotateSecretKey(dir, old, next, { writeKeyFile: true });

    await withStores(dir, undefined, async ({ jobs, seal }) => {
      const [job] = await jobs.jobsOfLead(1);
      expect(job.id).toBe(jobId);
      const resume = job.payload.resume as string;
      expect(resume).toMatch(`enc:v1:${next.id}:`);
      expect(seal.open(resume, jobId)).toEqual(checkpoint);
    });
  });

  it('from the command line, with the key from the environment, re-seals under the key given', async () => {
    const dir = dataDir();
    const old = Buffer.alloc(32, 5);
    const next = Buffer.alloc(32, 6);
    await withStores(dir, old, ({ config }) => config.putIntegration(integration));

    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'runtime/cli.ts', 'rotate-secret-key', '--new-key', next.toString('hex')],
      {
        env: { ...process.env, LEADFLOW_DATA: dir, LEADFLOW_SECRET_KEY: old.toString('base64') },
        encoding: 'utf8',
      },
    );

    expect(out).toContain(`sealed under key ${secretKeyOf(next, 'x').id} now`);
    expect(out).not.toContain(next.toString('hex'));
    await withStores(dir, next, async ({ config }) => expect(await config.getIntegration('crm')).toEqual(integration));
    await expect(openStores(dir, old)).rejects.toThrow(/was sealed with key/);
  });
});
