/**
 * An integration's URLs are checked against the outbound policy when it is saved: every setting
 * whose value is an `http(s)://` URL and every `allowedHosts` entry that names a host literally.
 * Strings only: nothing here connects anywhere (the one URL on 127.0.0.1 is a port nobody
 * listens on, and saving never connects).
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

async function runtime(options: { allowPrivateTargets?: boolean; dataDir?: string } = {}): Promise<TestRuntime> {
  const t = await startRuntime(options);
  cleanups.push(
    () => removeDataDir(t.dataDir),
    () => t.close(),
  );
  return t;
}

const integration = (settings: Record<string, string>, more: Record<string, unknown> = {}) => ({
  id: 'crm',
  name: 'CRM',
  settings,
  ...more,
});

describe("an integration's URLs under a policy refusing private targets", () => {
  it('refuses a base_url pointing at the metadata address, a private address or loopback, naming the field, and stores nothing', async () => {
    const t = await runtime({ allowPrivateTargets: false });
    for (const [url, said] of [
      ['http://169.254.169.254/', '169.254.169.254 is a link-local/metadata address'],
      ['http://10.0.0.1/', '10.0.0.1 is a private address'],
      ['http://127.0.0.1:9', '127.0.0.1 is a loopback address'],
      ['HTTP://[::1]:9/api', '::1 is a loopback address'],
      ['http://localhost:9', 'localhost'],
    ]) {
      const saved = await t.api('POST', '/api/integrations', integration({ base_url: url }));
      expect(saved.status, url).toBe(400);
      expect(saved.body, url).toMatchObject({ error: 'invalid_field', field: 'settings.base_url' });
      expect(saved.body.message, url).toContain(said);
    }
    expect((await t.api('GET', '/api/integrations/crm')).status).toBe(404);
    // a name is not resolved when saved: it is checked, resolved, when a connection is opened
    expect((await t.api('POST', '/api/integrations', integration({ base_url: 'https://crm.example.com/api' }))).status).toBe(201);
  });

  it('checks every setting whose value is an http(s) URL, not only base_url, and leaves other values alone', async () => {
    const t = await runtime({ allowPrivateTargets: false });
    const saved = await t.api(
      'POST',
      '/api/integrations',
      integration({ base_url: 'https://crm.example.com', login_url: ' https://10.1.2.3/login', note: '10.0.0.1 is our old CRM' }),
    );
    expect(saved.status).toBe(400);
    expect(saved.body).toMatchObject({ error: 'invalid_field', field: 'settings.login_url' });
    const plain = await t.api(
      'POST',
      '/api/integrations',
      integration({ base_url: 'https://crm.example.com', note: '10.0.0.1 is our old CRM' }),
    );
    expect(plain.status).toBe(201);
  });

  it('refuses an update that points base_url at a refused address and keeps what was stored', async () => {
    const t = await runtime({ allowPrivateTargets: false });
    expect((await t.api('POST', '/api/integrations', integration({ base_url: 'https://crm.example.com' }))).status).toBe(201);
    for (const method of ['PATCH', 'PUT']) {
      const changed = await t.api(method, '/api/integrations/crm', { settings: { base_url: 'http://192.168.1.20:8080/' } });
      expect(changed.status, method).toBe(400);
      expect(changed.body, method).toMatchObject({ error: 'invalid_field', field: 'settings.base_url' });
    }
    expect((await t.api('GET', '/api/integrations/crm')).body.settings).toEqual({ base_url: 'https://crm.example.com' });
  });

  it('refuses allowedHosts entries that are refused addresses, naming the entry', async () => {
    const t = await runtime({ allowPrivateTargets: false });
    expect((await t.api('POST', '/api/integrations', integration({ base_url: 'https://crm.example.com' }))).status).toBe(201);
    for (const [hosts, field] of [
      [['crm.example.com', '10.0.0.1:8080'], 'allowedHosts[1]'],
      [['[fd00:ec2::254]'], 'allowedHosts[0]'],
      [['127.0.0.1'], 'allowedHosts[0]'],
      [['api.example.com', 'localhost:3000'], 'allowedHosts[1]'],
      [['*.localhost'], 'allowedHosts[0]'],
    ] as const) {
      const changed = await t.api('PATCH', '/api/integrations/crm', { allowedHosts: hosts });
      expect(changed.status, hosts.join()).toBe(400);
      expect(changed.body, hosts.join()).toMatchObject({ error: 'invalid_field', field });
    }
    const named = await t.api('PATCH', '/api/integrations/crm', {
      allowedHosts: ['crm.example.com', '*.example.net', 'api.example.com:8443'],
    });
    expect(named.status).toBe(200);
    expect(named.body.allowedHosts).toEqual(['crm.example.com', '*.example.net', 'api.example.com:8443']);
  });

  it('refuses an integration made from a template with a refused base_url, leaving none of its flows behind', async () => {
    const t = await runtime({ allowPrivateTargets: false });
    const flowsBefore = (await t.api('GET', '/api/flows')).body;
    const made = await t.api('POST', '/api/integrations/from-template', {
      template: 'classic-crm',
      id: 'crm',
      name: 'CRM',
      settings: { base_url: 'http://169.254.169.254/latest' },
      secrets: {},
    });
    expect(made.status).toBe(400);
    expect(made.body).toMatchObject({ error: 'invalid_field', field: 'settings.base_url' });
    expect((await t.api('GET', '/api/flows')).body).toEqual(flowsBefore);
  });

  it('does not re-check what a write leaves out: an integration saved under a laxer policy can still be renamed or switched off', async () => {
    const lax = await startRuntime();
    cleanups.push(() => removeDataDir(lax.dataDir));
    expect((await lax.api('POST', '/api/integrations', integration({ base_url: 'http://127.0.0.1:9' }))).status).toBe(201);
    await lax.close();
    const t = await runtime({ allowPrivateTargets: false, dataDir: lax.dataDir });
    const renamed = await t.api('PATCH', '/api/integrations/crm', { name: 'Old CRM', enabled: false });
    expect(renamed.status).toBe(200);
    // but saving the settings again is saving the URL again
    const resaved = await t.api('PATCH', '/api/integrations/crm', { settings: { base_url: 'http://127.0.0.1:9' } });
    expect(resaved.body).toMatchObject({ error: 'invalid_field', field: 'settings.base_url' });
  });
});

describe("an integration's URLs under the test harness's policy (private targets allowed)", () => {
  it('accepts private and loopback URLs but still refuses the metadata address, in settings and allowedHosts', async () => {
    const t = await runtime();
    const local = await t.api('POST', '/api/integrations', integration({ base_url: 'http://127.0.0.1:9', backup_url: 'http://10.0.0.1/' }));
    expect(local.status).toBe(201);
    for (const url of [
      'http://169.254.169.254/',
      'http://[::ffff:169.254.169.254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
    ]) {
      const changed = await t.api('PATCH', '/api/integrations/crm', { settings: { base_url: url } });
      expect(changed.status, url).toBe(400);
      expect(changed.body, url).toMatchObject({ error: 'invalid_field', field: 'settings.base_url' });
      expect(changed.body.message, url).toContain('link-local/metadata address');
    }
    const hosts = await t.api('PATCH', '/api/integrations/crm', { allowedHosts: ['127.0.0.1:9', '169.254.169.254'] });
    expect(hosts.body).toMatchObject({ error: 'invalid_field', field: 'allowedHosts[1]' });
    expect((await t.api('PATCH', '/api/integrations/crm', { allowedHosts: ['127.0.0.1:9', '10.0.0.1'] })).status).toBe(200);
    expect((await t.api('GET', '/api/integrations/crm')).body.settings.base_url).toBe('http://127.0.0.1:9');
  });
});
