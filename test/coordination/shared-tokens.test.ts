import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { InProcessTokens } from '../../runtime/engine/shared-tokens.ts';
import { PgSharedTokens } from '../../runtime/store/pg/shared-tokens.ts';
import { secretKeyOf, tokenSeal } from '../../runtime/store/secret-box.ts';
import type { SharedTokens } from '../../runtime/store/coordination.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { sharedDatabase, startCountingTarget, type CountingTarget, type SharedDatabase } from './support.ts';
import { testPool } from '../support/postgres.ts';

let agent: Agent;
let registry: NodeRegistry;
let target: CountingTarget;
let issued = 0;
let lifetimeSeconds = 3600;

beforeAll(async () => {
  agent = createAgent();
  registry = await loadNodeRegistry();
  // the login takes a while, so the runs that find no token pile up behind it
  target = await startCountingTarget(150, (request) => {
    if (request.url === '/login') return { body: { access: `tok-${++issued}-${randomBytes(4).toString('hex')}`, ttl: lifetimeSeconds } };
    return { body: { ok: true } };
  });
});
afterAll(async () => {
  await agent.close();
  await target.stop();
});

const PASSWORD = 'pw-4f1c-secret';

function integration(id: string): Integration {
  return {
    id,
    name: id,
    enabled: true,
    settings: { base_url: target.url },
    secrets: { user: 'aff', pass: PASSWORD },
    offers: [],
    flows: {},
    postbackToken: 'x',
  };
}

const lead: Lead = { id: 1, offer: 'o', phone: '+491', integration: 'crm', stage: 'new', created_at: '', updated_at: '' };
const services: RunServices = { leads: { update: async () => ({ lead, stageChanged: true }) }, postbacks: { send: async () => {} } };

/** The Auth Token flow as process `process` runs it: its orders name the process, so the target tells them apart. */
function flow(process: string): FlowDoc {
  const doc: FlowDoc = {
    id: 'f',
    name: 'f',
    event: 'lead.new',
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      {
        id: 'auth',
        type: 'auth-token',
        position: { x: 1, y: 0 },
        params: {
          url: '{{integration.settings.base_url}}/login',
          json: { user: '{{secrets.user}}', pass: '{{secrets.pass}}' },
          tokenPath: 'body.access',
          expiresPath: 'body.ttl',
          refreshEarlySeconds: 0,
        },
      },
      {
        id: 'send',
        type: 'http-request',
        position: { x: 2, y: 0 },
        params: { method: 'GET', url: `{{integration.settings.base_url}}/orders?process=${process}`, body: 'none' },
      },
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'auth', targetHandle: 'in' },
      { id: 'e2', source: 'auth', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
    ],
  };
  const checked = validateFlow(doc, registry);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return doc;
}

/** `runs` deliveries on each executor at once; answers the Authorization headers the target got from each. */
async function burst(executors: Executor[], integrationId: string, runs: number): Promise<string[][]> {
  const from = target.arrivals.length;
  await Promise.all(
    executors.flatMap((executor, index) =>
      Array.from({ length: runs }, async () => {
        const request = {
          flow: flow(`p${index}`),
          event: 'lead.new' as const,
          integration: integration(integrationId),
          lead,
          trigger: lead,
        };
        const result = await executor.run(request, services);
        expect(result.error).toBeUndefined();
      }),
    ),
  );
  const arrived = target.arrivals.slice(from);
  return executors.map((_, index) => arrived.filter((a) => a.path === `/orders?process=p${index}`).map((a) => a.authorization ?? ''));
}

const logins = () => target.arrivals.filter((arrival) => arrival.path === '/login').length;

/** What every backend keeps within one process: one login under load. */
function defineSharedTokensContract(name: string, open: () => Promise<{ tokens: SharedTokens; close(): Promise<void> }>) {
  describe(`${name}: shared tokens in one process`, () => {
    let opened: { tokens: SharedTokens; close(): Promise<void> };
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened.close();
    });

    it('twenty deliveries that find no token at once log in once and all send its token', async () => {
      const executor = new Executor({ registry, agent, tokens: opened.tokens });
      const before = logins();
      const [sent] = await burst([executor], `one-${name}`, 20);
      expect(logins() - before).toBe(1);
      expect(sent).toHaveLength(20);
      expect(new Set(sent).size).toBe(1);
      expect(sent[0]).toMatch(/^Bearer tok-\d+-/);
    });

    it('a value is answered until its time is up, then no more', async () => {
      const shared = opened.tokens.scope('ttl');
      await shared.set('k', { token: 'v' }, 300);
      expect(await shared.get('k')).toEqual({ token: 'v' });
      expect(await opened.tokens.scope('other').get('k')).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await shared.get('k')).toBeUndefined();
    });
  });
}

defineSharedTokensContract('in-process', async () => ({ tokens: new InProcessTokens(), close: async () => {} }));

const KEY = secretKeyOf(randomBytes(32), 'the test key');

defineSharedTokensContract('PostgreSQL', async () => {
  const database = await sharedDatabase(1);
  const tokens = new PgSharedTokens(database.pools[0], tokenSeal(KEY));
  return {
    tokens,
    async close() {
      await tokens.close();
      await database.close();
    },
  };
});

describe('PostgreSQL: an Auth Token login shared by two processes on one database', () => {
  let database: SharedDatabase;
  let executors: Executor[];
  beforeAll(async () => {
    database = await sharedDatabase(2);
    executors = database.pools.map((pool) => new Executor({ registry, agent, tokens: new PgSharedTokens(pool, tokenSeal(KEY)) }));
  });
  afterAll(async () => {
    await database.close();
  });

  it('a burst on both processes logs in once, and both send the token it got', async () => {
    const before = logins();
    const [first, second] = await burst(executors, 'crm', 15);
    expect(logins() - before).toBe(1);
    expect(first).toHaveLength(15);
    expect(second).toHaveLength(15);
    expect(new Set([...first, ...second]).size).toBe(1);
  });

  it('the table holds the token sealed: neither the token, the password nor the cache key in clear', async () => {
    const token = target.arrivals
      .filter((a) => a.path.startsWith('/orders'))
      .at(-1)!
      .authorization!.replace('Bearer ', '');
    const { rows } = await database.admin.query('SELECT * FROM node_tokens');
    expect(rows.length).toBeGreaterThan(0);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(token);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('auth-token');
    for (const row of rows) expect(row.value).toMatch(/^enc:v1:/);
  });

  it('once the token expired, the next burst on both logs in once more and both send the new token', async () => {
    lifetimeSeconds = 1;
    try {
      await burst(executors, 'short', 1);
      const before = logins();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const [first, second] = await burst(executors, 'short', 10);
      expect(logins() - before).toBe(1);
      expect(new Set([...first, ...second]).size).toBe(1);
    } finally {
      lifetimeSeconds = 3600;
    }
  });

  it('logins of several keys at once never drain the pool: a pool of one client serves three together', async () => {
    const small = testPool({ connectionString: database.url, max: 1 });
    try {
      const shared = new PgSharedTokens(small, tokenSeal(KEY)).scope('small');
      const kept = await Promise.all(
        ['a', 'b', 'c'].map((key) =>
          shared.alone(key, async () => {
            await new Promise((resolve) => setTimeout(resolve, 100));
            await shared.set(key, `value-${key}`, 60_000);
            return shared.get(key);
          }),
        ),
      );
      expect(kept).toEqual(['value-a', 'value-b', 'value-c']);
    } finally {
      await small.end();
    }
  });

  it('a process that dies in the middle of a login holds up the others no longer than its connection lives', async () => {
    const shared = executors.map((_, index) => new PgSharedTokens(database.pools[index], tokenSeal(KEY)).scope('crash'));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    // the first process takes the lock and does not come back (a process killed mid-login)
    let stuck!: () => void;
    const dying = shared[0].alone('token', async () => {
      entered();
      await new Promise<void>((resolve) => (stuck = resolve));
    });
    await inside;
    const waiting = shared[1].alone('token', async () => 'logged in');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows } = await database.admin.query<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()",
    );
    expect(rows).toHaveLength(1);
    await database.admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await expect(waiting).resolves.toBe('logged in');
    // what the dead one was doing ends after all: its lock went with its connection, and so does its client
    stuck();
    await dying;
  });
});
