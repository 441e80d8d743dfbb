/**
 * Who gets in: every management route, enumerated from the Express router itself (so a route added
 * later cannot be forgotten), refuses an anonymous call and a viewer's write; CSRF (cross-site and
 * form or text bodies) is refused; logins are rate-limited; sessions are server-side and survive a
 * restart; viewers never see postback tokens.
 */
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Express } from 'express';
import { createRuntime } from '../../runtime/runtime.ts';
import { isPublicRoute } from '../../runtime/http/auth.ts';
import {
  TEST_ADMIN,
  apiCaller,
  logIn,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  type MockServer,
  type TestRuntime,
} from '../support/harness.ts';

interface Route {
  method: string;
  path: string;
}

/** Every route the app has, read from its router's stack (nested routers included). */
function routesOf(app: Express): Route[] {
  const routes: Route[] = [];
  type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths)
          for (const [method, on] of Object.entries(layer.route.methods))
            if (on) routes.push({ method: method === '_all' ? 'ALL' : method.toUpperCase(), path: p });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes;
}

/** A concrete URL for a route's pattern. */
const concrete = (pattern: string) =>
  pattern
    .replace(':version', '1')
    .replace(':event', 'status.processing')
    .replace(/:[a-zA-Z]+/g, 'crm');

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

async function call(url: string, route: Route, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url + concrete(route.path), {
    method: route.method,
    headers: SAFE.has(route.method) ? headers : { 'content-type': 'application/json', ...headers },
    body: SAFE.has(route.method) ? undefined : '{}',
  });
  await response.arrayBuffer();
  return response.status;
}

let t: TestRuntime;
let target: MockServer;
let token: string;
let management: Route[];

beforeAll(async () => {
  t = await startRuntime();
  target = await startMockServer();
  ({ token } = await setUpDemoIntegration(t, target.url));
  management = routesOf(t.runtime.app).filter((r) => r.path.startsWith('/api/') && !isPublicRoute(r.method, r.path));
  // a route for every method under /api would be checked as GET and as POST
  management = management.flatMap((r) =>
    r.method === 'ALL'
      ? [
          { ...r, method: 'GET' },
          { ...r, method: 'POST' },
        ]
      : [r],
  );
});

afterAll(async () => {
  await t.close();
  await target.stop();
  removeDataDir(t.dataDir);
});

describe('the router itself lists the routes checked', () => {
  it('finds the management API, the session routes and the public machine routes', () => {
    const all = routesOf(t.runtime.app).map((r) => `${r.method} ${r.path}`);
    expect(management.length).toBeGreaterThan(30);
    expect(all).toEqual(
      expect.arrayContaining([
        'POST /api/leads',
        'POST /api/session',
        'GET /api/users',
        'PATCH /api/users/:id',
        'ALL /postback/:integration',
      ]),
    );
  });
});

describe('every management route needs a session', () => {
  it('refuses an anonymous call with 401, whatever the method', async () => {
    const answered: string[] = [];
    for (const route of management) {
      const status = await call(t.url, route);
      if (status !== 401) answered.push(`${route.method} ${route.path} → ${status}`);
    }
    expect(answered).toEqual([]);
  });

  it('refuses them anonymously however the path is spelled: upper case and a trailing slash route the same', async () => {
    const answered: string[] = [];
    for (const route of management) {
      for (const path of [route.path.toUpperCase().replace(/:[A-Z]+/g, (p) => p.toLowerCase()), `${route.path}/`]) {
        const status = await call(t.url, { ...route, path });
        if (status !== 401) answered.push(`${route.method} ${path} → ${status}`);
      }
    }
    expect(answered).toEqual([]);
  });

  it('refuses a cookie that is not a session’s', async () => {
    const status = await call(t.url, { method: 'GET', path: '/api/leads' }, { cookie: 'leadflow_session=made-up' });
    expect(status).toBe(401);
  });

  it('leaves the intake, the postbacks, the health check and the login routes public', async () => {
    expect((await fetch(`${t.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${t.url}/api/session`)).status).toBe(401);
    const lead = await fetch(`${t.url}/api/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': t.intakeKey },
      body: JSON.stringify({ offer: 'tea', phone: '+49 151 1234567', wm: 'wm1' }),
    });
    // no session, only the intake key the source was given
    expect(lead.status).not.toBe(401);
    expect((await fetch(`${t.url}/postback/crm?token=${token}&order_id=nope&status=x`)).status).not.toBe(401);
  });
});

describe('roles', () => {
  it('a viewer reads, but every state-changing route answers 403', async () => {
    const viewer = await t.as('vera', 'viewer');
    expect((await viewer('GET', '/api/leads')).status).toBe(200);
    expect((await viewer('GET', '/api/flows')).status).toBe(200);
    const cookie = await logIn(t.url, 'vera', 'password-of-vera-1234');
    const allowed: string[] = [];
    for (const route of management.filter((r) => !SAFE.has(r.method))) {
      const status = await call(t.url, route, { cookie });
      if (status !== 403) allowed.push(`${route.method} ${route.path} → ${status}`);
    }
    expect(allowed).toEqual([]);
  });

  it('a viewer cannot run a test run (Code nodes included) nor re-run an execution', async () => {
    const viewer = await t.as('victor', 'viewer');
    const before = target.received.length;
    const run = await viewer('POST', '/api/flows/demo-crm-send/test', { integration: 'crm', lead: { phone: '+49 151 1234567' } });
    expect(run.status).toBe(403);
    expect(target.received.length).toBe(before);
  });

  it('a viewer never sees a postback token, an admin does', async () => {
    const viewer = await t.as('valerie', 'viewer');
    const list = await viewer('GET', '/api/integrations');
    const one = await viewer('GET', '/api/integrations/crm');
    expect(list.status).toBe(200);
    expect(one.body.postbackUrl).toMatch(/\/postback\/crm\?token=\(hidden\)$/);
    for (const answer of [list, one, await viewer('GET', '/api/integrations/crm/checks')])
      expect(JSON.stringify(answer.body)).not.toContain(token);
    expect(JSON.stringify((await t.api('GET', '/api/integrations/crm')).body)).toContain(token);
  });

  it('an integrator does everything but manage users', async () => {
    const integrator = await t.as('ivan', 'integrator');
    expect((await integrator('PUT', '/api/offers/coffee', { id: 'coffee', name: 'Coffee' })).status).toBeLessThan(300);
    expect((await integrator('GET', '/api/users')).status).toBe(403);
    expect((await integrator('POST', '/api/users', { name: 'eve', password: 'long-password-1', role: 'admin' })).status).toBe(403);
    const users = (await t.api('GET', '/api/users')).body.users as Array<{ id: string; name: string }>;
    const ivan = users.find((u) => u.name === 'ivan');
    expect((await integrator('PATCH', `/api/users/${ivan?.id}`, { role: 'admin' })).status).toBe(403);
  });

  it('a new role applies at once, and the users API never answers a password hash', async () => {
    const someone = await t.as('olga', 'integrator');
    const users = await t.api('GET', '/api/users');
    expect(JSON.stringify(users.body)).not.toMatch(/scrypt|passwordHash/);
    const olga = (users.body.users as Array<{ id: string; name: string }>).find((u) => u.name === 'olga');
    expect((await t.api('PATCH', `/api/users/${olga?.id}`, { role: 'viewer' })).status).toBe(200);
    expect((await someone('DELETE', '/api/flows/demo-crm-send')).status).toBe(403);
    expect((await someone('GET', '/api/session')).body.user).toMatchObject({ name: 'olga', role: 'viewer' });
  });

  it('a version is signed with the logged-in user, not a header', async () => {
    const flow = (await t.api('GET', '/api/flows/demo-crm-postback')).body;
    const saved = await t.api('PUT', '/api/flows/demo-crm-postback', flow, { 'x-leadflow-user': 'mallory' });
    expect(saved.status).toBe(200);
    const versions = (await t.api('GET', '/api/flows/demo-crm-postback/versions')).body.versions;
    expect(versions.at(-1)).toMatchObject({ savedBy: 'admin' });
  });
});

describe('CSRF: an Origin check plus JSON-only bodies', () => {
  it('a cross-site form POST is refused, even with the admin’s cookie, and changes nothing', async () => {
    const before = (await t.api('GET', '/api/offers')).body.offers.length;
    const response = await fetch(`${t.url}/api/offers`, {
      method: 'POST',
      headers: {
        cookie: t.cookie,
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'id=evil&name=Evil',
    });
    expect(response.status).toBe(403);
    expect((await t.api('GET', '/api/offers')).body.offers.length).toBe(before);
  });

  it('a cross-site JSON call is refused too, by Origin alone or by Sec-Fetch-Site alone', async () => {
    const byOrigin = await t.api('DELETE', '/api/flows/demo-crm-send', undefined, { origin: 'https://attacker.test' });
    expect(byOrigin.status).toBe(403);
    const bySite = await t.api('PUT', '/api/offers/x', { id: 'x', name: 'X' }, { 'sec-fetch-site': 'same-site' });
    expect(bySite.status).toBe(403);
    expect((await t.api('GET', '/api/flows/demo-crm-send')).status).toBe(200);
  });

  it('a same-origin call from the editor passes', async () => {
    const host = new URL(t.url).host;
    const answer = await t.api(
      'PUT',
      '/api/offers/same',
      { id: 'same', name: 'Same' },
      { origin: t.url, 'sec-fetch-site': 'same-origin', host },
    );
    expect(answer.status).toBeLessThan(300);
  });

  it('form-encoded, multipart and text bodies get 415 on state-changing management routes', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const response = await fetch(`${t.url}/api/offers`, {
        method: 'POST',
        headers: { cookie: t.cookie, 'content-type': type },
        body: type.startsWith('text') ? '{"id":"t","name":"T"}' : 'id=t&name=T',
      });
      expect(response.status, type).toBe(415);
    }
    const login = await fetch(`${t.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `name=admin&password=${TEST_ADMIN.password}`,
    });
    expect(login.status).toBe(415);
  });
});

describe('sessions', () => {
  it('the cookie is HttpOnly, SameSite=Lax, and Secure when a trusted proxy says the call came over TLS', async () => {
    const plain = await fetch(`${t.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TEST_ADMIN),
    });
    const cookie = plain.headers.getSetCookie()[0];
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);

    const proxied = await startRuntime({ trustProxy: 'loopback' });
    try {
      const tls = await fetch(`${proxied.url}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify(TEST_ADMIN),
      });
      expect(tls.headers.getSetCookie()[0]).toMatch(/; Secure/);
    } finally {
      await proxied.close();
      removeDataDir(proxied.dataDir);
    }
  });

  it('logging out ends the session on the server', async () => {
    const cookie = await logIn(t.url, TEST_ADMIN.name, TEST_ADMIN.password);
    const api = apiCaller(t.url, cookie);
    expect((await api('GET', '/api/session')).status).toBe(200);
    expect((await api('DELETE', '/api/session')).status).toBe(204);
    expect((await api('GET', '/api/leads')).status).toBe(401);
  });

  it('a disabled user cannot log in and their open sessions end', async () => {
    const dora = await t.as('dora', 'integrator');
    expect((await dora('GET', '/api/flows')).status).toBe(200);
    const id = ((await t.api('GET', '/api/users')).body.users as Array<{ id: string; name: string }>).find((u) => u.name === 'dora')?.id;
    expect((await t.api('PATCH', `/api/users/${id}`, { disabled: true })).status).toBe(200);
    expect((await dora('GET', '/api/flows')).status).toBe(401);
    await expect(logIn(t.url, 'dora', 'password-of-dora-1234')).rejects.toThrow(/401/);
  });

  it('a password reset ends the user’s sessions, and the new password works', async () => {
    const rita = await t.as('rita', 'integrator');
    const id = ((await t.api('GET', '/api/users')).body.users as Array<{ id: string; name: string }>).find((u) => u.name === 'rita')?.id;
    expect((await t.api('PATCH', `/api/users/${id}`, { password: 'a-brand-new-password' })).status).toBe(200);
    expect((await rita('GET', '/api/flows')).status).toBe(401);
    await expect(logIn(t.url, 'rita', 'a-brand-new-password')).resolves.toMatch(/^leadflow_session=/);
  });

  it('an admin cannot disable themselves', async () => {
    const me = (await t.api('GET', '/api/session')).body.user;
    expect((await t.api('PATCH', `/api/users/${me.id}`, { disabled: true })).status).toBe(409);
  });

  it('sessions survive a restart of the runtime, and the store holds only a hash of their id', async () => {
    const first = await startRuntime();
    const cookie = first.cookie;
    await first.close();
    const second = await startRuntime({ dataDir: first.dataDir });
    try {
      expect((await apiCaller(second.url, cookie)('GET', '/api/session')).body.user).toMatchObject({ name: 'admin', role: 'admin' });
      const id = decodeURIComponent(cookie.split('=')[1]);
      expect(readFileSync(path.join(first.dataDir, 'config.json'), 'utf8')).not.toContain(id);
    } finally {
      await second.close();
      removeDataDir(first.dataDir);
    }
  });
});

describe('login rate limits', () => {
  it('an account with too many failed logins must wait, even with the right password; others may log in', async () => {
    const limited = await startRuntime({ loginLimits: { perAccount: 3, perAddress: 100 } });
    try {
      await limited.as('nina', 'viewer');
      const tryAs = (name: string, password: string) =>
        fetch(`${limited.url}/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, password }),
        });
      for (let i = 0; i < 3; i++) expect((await tryAs('nina', 'wrong-password')).status).toBe(401);
      const refused = await tryAs('nina', 'password-of-nina-1234');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await tryAs(TEST_ADMIN.name, TEST_ADMIN.password)).status).toBe(200);
    } finally {
      await limited.close();
      removeDataDir(limited.dataDir);
    }
  });

  it('an address with too many failed logins must wait, whatever name it tries', async () => {
    const limited = await startRuntime({ loginLimits: { perAccount: 100, perAddress: 3 } });
    try {
      const tryAs = (name: string, password: string) =>
        fetch(`${limited.url}/api/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, password }),
        });
      for (const name of ['a', 'b', 'c']) expect((await tryAs(name, 'guess-guess-guess')).status).toBe(401);
      expect((await tryAs(TEST_ADMIN.name, TEST_ADMIN.password)).status).toBe(429);
    } finally {
      await limited.close();
      removeDataDir(limited.dataDir);
    }
  });
});

describe('the first admin', () => {
  it('a generated password is printed once on the console, works, and is written nowhere else', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'leadflow-admin-'));
    const printed: string[] = [];
    const logged: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    );
    const start = () => createRuntime({ dataDir, logger, announce: (text) => printed.push(text) });
    try {
      const runtime = await start();
      expect(printed).toHaveLength(1);
      const password = /password (\S+)/.exec(printed[0])?.[1] as string;
      expect(password.length).toBeGreaterThanOrEqual(20);
      const url = await runtime.listen(0, '127.0.0.1');
      await expect(logIn(url, 'admin', password)).resolves.toMatch(/^leadflow_session=/);
      await runtime.close();

      const again = await start();
      await again.close();
      expect(printed).toHaveLength(1);
      expect(logged.join('')).not.toContain(password);
      for (const file of readdirSync(dataDir))
        expect(readFileSync(path.join(dataDir, file)).toString('latin1'), file).not.toContain(password);
    } finally {
      removeDataDir(dataDir);
    }
  });

  it('LEADFLOW_ADMIN_PASSWORD sets it, and nothing is printed', async () => {
    const printed: string[] = [];
    const given = await startRuntime({ adminPassword: 'from-the-environment-42', announce: (text) => printed.push(text) });
    try {
      expect(printed).toEqual([]);
      await expect(logIn(given.url, 'admin', 'from-the-environment-42')).resolves.toMatch(/^leadflow_session=/);
    } finally {
      await given.close();
      removeDataDir(given.dataDir);
    }
  });
});
