import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { TokenCache } from '../../runtime/engine/token-cache.ts';
import type { FlowDoc, FlowNode } from '../../core/domain/flow.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { startMockServer, type MockServer } from '../support/harness.ts';

let agent: Agent;
let registry: NodeRegistry;
let target: MockServer;
let issued = 0;
let lifetime = 3600;
let loginAnswer: 'ok' | 'refuse' | 'down' = 'ok';

beforeAll(async () => {
  agent = createAgent();
  registry = await loadNodeRegistry();
  target = await startMockServer((r) => {
    if (r.path === '/login') {
      if (loginAnswer === 'down') return { status: 503, body: { error: 'maintenance' } };
      const body = JSON.parse(r.body || '{}') as { user?: string; pass?: string };
      if (loginAnswer === 'refuse' || body.pass !== 'pw-secret-1') return { status: 401, body: { error: 'bad credentials' } };
      issued++;
      return { body: { data: { access: `tok-${issued}-abcdef` }, ttl: lifetime } };
    }
    return { body: { seen: r.headers.authorization ?? null } };
  });
});
afterAll(async () => {
  await agent.close();
  await target.stop();
});

function integration(id = 'fin', password = 'pw-secret-1'): Integration {
  return {
    id,
    name: id,
    enabled: true,
    settings: { base_url: target.url },
    secrets: { user: 'aff', pass: password },
    offers: [],
    flows: {},
    postbackToken: 'x',
  };
}

const lead: Lead = { id: 1, offer: 'o', phone: '+491', integration: 'fin', stage: 'new', created_at: '', updated_at: '' };
const services: RunServices = { leads: { update: async () => ({ lead, stageChanged: true }) }, postbacks: { send: async () => {} } };

function flow(
  auth: Record<string, unknown> = {},
  extra: Omit<FlowNode, 'position'>[] = [],
  edges: [string, string, string?][] = [],
): FlowDoc {
  const nodes: Omit<FlowNode, 'position'>[] = [
    { id: 'lead', type: 'lead-in', params: {} },
    {
      id: 'auth',
      type: 'auth-token',
      params: {
        url: '{{integration.settings.base_url}}/login',
        json: { user: '{{secrets.user}}', pass: '{{secrets.pass}}' },
        tokenPath: 'body.data.access',
        expiresPath: 'body.ttl',
        ...auth,
      },
    },
    { id: 'send', type: 'http-request', params: { method: 'GET', url: '{{integration.settings.base_url}}/orders', body: 'none' } },
    ...extra,
  ];
  const doc: FlowDoc = {
    id: 'f',
    name: 'f',
    event: 'lead.new',
    version: 1,
    nodes: nodes.map((n, i) => ({ position: { x: i, y: 0 }, ...n })),
    edges: [['lead', 'auth'], ['auth', 'send'], ...edges].map(([source, to, port], i) => ({
      id: `e${i}`,
      source,
      sourceHandle: port ?? 'out',
      target: to,
      targetHandle: 'in',
    })),
  };
  const checked = validateFlow(doc, registry);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return doc;
}

function logins(): number {
  return target.received.filter((r) => r.path === '/login').length;
}

describe('Auth Token', () => {
  it('logs in once and sends the cached token as a Bearer header until it expires', async () => {
    const executor = new Executor({ registry, agent });
    const before = logins();
    const first = await executor.run({ flow: flow(), event: 'lead.new', integration: integration(), lead, trigger: lead }, services);
    const second = await executor.run({ flow: flow(), event: 'lead.new', integration: integration(), lead, trigger: lead }, services);
    expect(first.error).toBeUndefined();
    expect(logins() - before).toBe(1);
    const seen = target.received
      .filter((r) => r.path === '/orders')
      .slice(-2)
      .map((r) => r.headers.authorization);
    expect(seen[0]).toMatch(/^Bearer tok-\d+-abcdef$/);
    expect(seen[1]).toBe(seen[0]);
    // the token is a secret in every record: neither the output nor the request shows it
    const text = JSON.stringify([first.execution, second.execution]);
    expect(text).not.toContain('-abcdef');
    expect(text).toContain('[secret]');
  });

  it('logs in again once the token is about to expire', async () => {
    const executor = new Executor({ registry, agent });
    lifetime = 2; // two seconds, refreshed 1 s early: kept for one second
    try {
      const before = logins();
      const params = { refreshEarlySeconds: 1 };
      await executor.run({ flow: flow(params), event: 'lead.new', integration: integration('short'), lead, trigger: lead }, services);
      await executor.run({ flow: flow(params), event: 'lead.new', integration: integration('short'), lead, trigger: lead }, services);
      expect(logins() - before).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await executor.run({ flow: flow(params), event: 'lead.new', integration: integration('short'), lead, trigger: lead }, services);
      expect(logins() - before).toBe(2);
    } finally {
      lifetime = 3600;
    }
  });

  it('keeps tokens apart per integration and per credentials', async () => {
    const executor = new Executor({ registry, agent });
    const before = logins();
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('a'), lead, trigger: lead }, services);
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('b'), lead, trigger: lead }, services);
    expect(logins() - before).toBe(2);
    // a changed password is a new login, even for the same integration
    const changed = await executor.run(
      { flow: flow(), event: 'lead.new', integration: integration('a', 'pw-wrong'), lead, trigger: lead },
      services,
    );
    expect(logins() - before).toBe(3);
    expect(changed.error).toMatchObject({ code: 'login_failed', nodeId: 'auth', retryable: false });
  });

  it('a refresh node after a 401 logs in anew; a clear node forgets the token', async () => {
    const executor = new Executor({ registry, agent });
    const before = logins();
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('r'), lead, trigger: lead }, services);
    await executor.run(
      { flow: flow({ mode: 'refresh' }), event: 'lead.new', integration: integration('r'), lead, trigger: lead },
      services,
    );
    expect(logins() - before).toBe(2);
    const clear = flow({ mode: 'clear', url: '' });
    await executor.run({ flow: clear, event: 'lead.new', integration: integration('r'), lead, trigger: lead }, services);
    await executor.run({ flow: flow(), event: 'lead.new', integration: integration('r'), lead, trigger: lead }, services);
    expect(logins() - before).toBe(3);
  });

  it('a refused login takes the failed exit; a login server in trouble stops the flow for a retry', async () => {
    const executor = new Executor({ registry, agent });
    loginAnswer = 'refuse';
    try {
      const refused = await executor.run(
        {
          flow: flow(
            {},
            [{ id: 'note', type: 'respond', params: { status: 401, body: { error: '{{input.error}}' } } }],
            [['auth', 'note', 'failed']],
          ),
          event: 'lead.new',
          integration: integration('x'),
          lead,
          trigger: lead,
        },
        services,
      );
      expect(refused.error).toBeUndefined();
      expect(refused.response).toEqual({ status: 401, body: { error: 'login refused: HTTP 401' } });
      loginAnswer = 'down';
      const down = await executor.run({ flow: flow(), event: 'lead.new', integration: integration('y'), lead, trigger: lead }, services);
      expect(down.error).toMatchObject({ code: 'http_error', nodeId: 'auth', retryable: true });
    } finally {
      loginAnswer = 'ok';
    }
  });
});

/** An OAuth 2 token endpoint: client credentials by Basic or form fields, refresh tokens that rotate on every use. */
function oauthServer() {
  let issued = 0;
  const live = new Set(['rt-first-000']);
  const server = startMockServer((r) => {
    if (r.path !== '/oauth/token') return { body: { seen: r.headers.authorization ?? null } };
    const form = new URLSearchParams(r.body);
    const basic = /^Basic (.+)$/.exec(String(r.headers.authorization ?? ''));
    const [id, secret] = basic
      ? Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent)
      : [form.get('client_id'), form.get('client_secret')];
    if (id !== 'client-7' || secret !== 'cs-secret-9') return { status: 401, body: { error: 'invalid_client' } };
    issued++;
    if (form.get('grant_type') === 'client_credentials')
      return { body: { access_token: `at-${issued}-xyz123`, token_type: 'Bearer', expires_in: 3600 } };
    if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const used = form.get('refresh_token') ?? '';
    if (!live.delete(used)) return { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token used or unknown' } };
    const next = `rt-next-${issued}00`;
    live.add(next);
    return { body: { access_token: `at-${issued}-xyz123`, token_type: 'bearer', expires_in: 2, refresh_token: next } };
  });
  return server;
}

function oauthIntegration(id: string, url: string): Integration {
  return {
    ...integration(id),
    settings: { base_url: url },
    secrets: { client_id: 'client-7', client_secret: 'cs-secret-9', refresh_token: 'rt-first-000' },
  };
}

const oauthParams = (grant: string, extra: Record<string, unknown> = {}) => ({
  grant,
  url: '{{integration.settings.base_url}}/oauth/token',
  clientId: '{{secrets.client_id}}',
  clientSecret: '{{secrets.client_secret}}',
  refreshToken: '{{secrets.refresh_token}}',
  json: {},
  ...extra,
});

describe('Auth Token with OAuth 2', () => {
  it('client credentials: asks the token endpoint once with Basic, sends the access token, and keeps it until expires_in runs out', async () => {
    const server = await oauthServer();
    try {
      const executor = new Executor({ registry, agent });
      const run = () =>
        executor.run(
          {
            flow: flow({ ...oauthParams('client_credentials', { scope: 'leads.write' }) }),
            event: 'lead.new',
            integration: oauthIntegration('cc', server.url),
            lead,
            trigger: lead,
          },
          services,
        );
      const first = await run();
      await run();
      expect(first.error).toBeUndefined();
      const asked = server.received.filter((r) => r.path === '/oauth/token');
      expect(asked).toHaveLength(1);
      expect(Object.fromEntries(new URLSearchParams(asked[0].body))).toEqual({ grant_type: 'client_credentials', scope: 'leads.write' });
      expect(asked[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(asked[0].headers.authorization).toBe(`Basic ${Buffer.from('client-7:cs-secret-9').toString('base64')}`);
      // the orders request carried the token, and no record shows it or the client secret
      expect(server.received.filter((r) => r.path === '/orders').map((r) => r.headers.authorization)).toEqual([
        'Bearer at-1-xyz123',
        'Bearer at-1-xyz123',
      ]);
      expect(JSON.stringify(first.execution)).not.toMatch(/xyz123|cs-secret-9/);
    } finally {
      await server.stop();
    }
  });

  it('client credentials in the form body, when the server wants client_secret_post', async () => {
    const server = await oauthServer();
    try {
      const executor = new Executor({ registry, agent });
      const result = await executor.run(
        {
          flow: flow(oauthParams('client_credentials', { clientAuth: 'body' })),
          event: 'lead.new',
          integration: oauthIntegration('post', server.url),
          lead,
          trigger: lead,
        },
        services,
      );
      expect(result.error).toBeUndefined();
      const [asked] = server.received;
      expect(asked.headers.authorization).toBeUndefined();
      expect(Object.fromEntries(new URLSearchParams(asked.body))).toEqual({
        grant_type: 'client_credentials',
        client_id: 'client-7',
        client_secret: 'cs-secret-9',
      });
    } finally {
      await server.stop();
    }
  });

  it('refresh token: refreshes before the token expires and sends the rotated refresh token next time', async () => {
    const server = await oauthServer();
    try {
      const executor = new Executor({ registry, agent });
      const run = () =>
        executor.run(
          {
            flow: flow(oauthParams('refresh_token', { refreshEarlySeconds: 1 })),
            event: 'lead.new',
            integration: oauthIntegration('rt', server.url),
            lead,
            trigger: lead,
          },
          services,
        );
      const first = await run();
      expect(first.error).toBeUndefined();
      await run(); // within the token's life: from the cache
      await new Promise((resolve) => setTimeout(resolve, 1100)); // expires_in 2, refreshed 1 s early
      const third = await run();
      expect(third.error).toBeUndefined();
      const used = server.received.filter((r) => r.path === '/oauth/token').map((r) => new URLSearchParams(r.body).get('refresh_token'));
      // the server rotated the first token: the second refresh used the one it answered
      expect(used).toEqual(['rt-first-000', 'rt-next-100']);
      expect(JSON.stringify(third.execution)).not.toMatch(/rt-next|rt-first|xyz123/);
    } finally {
      await server.stop();
    }
  });

  it('a refused refresh token takes the failed exit with the error the server named', async () => {
    const server = await oauthServer();
    try {
      const executor = new Executor({ registry, agent });
      const gone = {
        ...oauthIntegration('gone', server.url),
        secrets: { client_id: 'client-7', client_secret: 'cs-secret-9', refresh_token: 'rt-revoked-0' },
      };
      const result = await executor.run(
        { flow: flow(oauthParams('refresh_token')), event: 'lead.new', integration: gone, lead, trigger: lead },
        services,
      );
      expect(result.error).toMatchObject({ code: 'login_failed', retryable: false });
      expect(result.error?.message).toBe('token request refused: HTTP 400 (invalid_grant: refresh token used or unknown)');
    } finally {
      await server.stop();
    }
  });
});

describe('the token cache', () => {
  it('scopes keys per integration, forgets expired values and drops the least recently used past its bound', () => {
    let now = 1000;
    const cache = new TokenCache(2, () => now);
    const a = cache.scope('a');
    const b = cache.scope('b');
    a.set('token', 'A', 100);
    expect(b.get('token')).toBeUndefined();
    expect(a.get('token')).toBe('A');
    now += 100;
    expect(a.get('token')).toBeUndefined();
    a.set('x', 1, 1000);
    b.set('y', 2, 1000);
    a.get('x');
    b.set('z', 3, 1000);
    expect(cache.size).toBe(2);
    expect(b.get('y')).toBeUndefined();
    expect(a.get('x')).toBe(1);
  });
});
