/**
 * The one helper module integration tests start things with: the real runtime on 127.0.0.1 port
 * 0 over a temporary data folder, mock targets and trackers as real HTTP servers on 127.0.0.1,
 * and `waitFor`, which polls a condition until a deadline instead of sleeping.
 */
import { afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../runtime/runtime.ts';
import { readConfig } from '../../runtime/config.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A request a mock server received. */
export interface Received {
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived (ms since 1970). */
  at: number;
}

/** What a mock target answers; `hang` never answers. */
export type Answer = { status?: number; headers?: Record<string, string>; body?: string | object } | 'hang';

export interface MockServer {
  url: string;
  port: number;
  received: Received[];
  /** Changes what it answers from now on. */
  answer(handler: (request: Received) => Answer): void;
  /** Stops listening (the target is "down"); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A mock target on 127.0.0.1. `port` 0 picks a free one; give a port to bring a target up where
 * a stopped one was.
 */
export async function startMockServer(
  handler: (request: Received) => Answer = () => ({ body: { ok: true } }),
  port = 0,
): Promise<MockServer> {
  const received: Received[] = [];
  let current = handler;
  let server: Server | undefined;
  let boundPort = port;
  const listen = async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const seen: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        received.push(seen);
        const reply = current(seen);
        if (reply === 'hang') return;
        const json = typeof reply.body === 'object';
        res.writeHead(reply.status ?? 200, { ...(json ? { 'content-type': 'application/json' } : {}), ...reply.headers });
        res.end(json ? JSON.stringify(reply.body) : (reply.body ?? ''));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(boundPort, '127.0.0.1', resolve);
    });
    boundPort = (server.address() as AddressInfo).port;
  };
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${boundPort}`;
    },
    get port() {
      return boundPort;
    },
    received,
    answer(next) {
      current = next;
    },
    async stop() {
      if (!server) return;
      const closing = server;
      server = undefined;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    start: listen,
  };
}

export interface TestRuntime {
  runtime: Runtime;
  url: string;
  dataDir: string;
  /**
   * The intake key of the test source (a network source for every offer and any `wm`), made the
   * way a user makes one. `api` sends it with every `POST /api/leads` that brings no key of its own.
   */
  intakeKey: string;
  /**
   * Calls the runtime's API as the admin logged in at start; answers the status and the parsed JSON
   * body. A lead posted without an
   * `X-Api-Key` header or `api_key` query parameter gets {@link intakeKey}; pass
   * `{ 'x-api-key': '' }` to post one with no key at all.
   */
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  /** The admin's session cookie (`leadflow_session=…`), for calls made without `api`. */
  cookie: string;
  /** Creates a user of that role (as the admin) and logs in as them: answers their `api`. */
  as(name: string, role: 'admin' | 'integrator' | 'viewer'): Promise<TestRuntime['api']>;
  close(): Promise<void>;
}

/** The admin every test runtime starts with, set the way `LEADFLOW_ADMIN_PASSWORD` sets it. */
export const TEST_ADMIN = { name: 'admin', password: 'test-admin-password-7f3a' };

/** Logs in with `POST /api/session` the way the editor does; answers the session cookie. */
export async function logIn(url: string, name: string, password: string): Promise<string> {
  const response = await fetch(url + '/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (response.status !== 200) throw new Error(`logging in as ${name} failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('leadflow_session='));
  if (!cookie) throw new Error('logging in set no session cookie');
  return cookie.split(';')[0];
}

/**
 * An API caller that sends a session cookie on every call, and `intakeKey` with every `POST
 * /api/leads` that brings no key of its own (`{ 'x-api-key': '' }` posts one with no key at all).
 */
export function apiCaller(url: string, cookie: string | undefined, intakeKey?: string): TestRuntime['api'] {
  return async (method, route, body, given = {}) => {
    const posting = method.toUpperCase() === 'POST' && /^\/api\/leads\/?(\?|$)/.test(route);
    const ownKey = Object.keys(given).some((h) => h.toLowerCase() === 'x-api-key') || /[?&]api_key=/.test(route);
    let headers = posting && !ownKey && intakeKey ? { ...given, 'x-api-key': intakeKey } : given;
    // an empty key header means "no key": fetch would send it empty, which is not the same thing
    headers = Object.fromEntries(Object.entries(headers).filter(([h, v]) => !(h.toLowerCase() === 'x-api-key' && v === '')));
    const response = await fetch(url + route, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/**
 * Private targets allowed, set the way a user sets it: every mock target and tracker listens on
 * 127.0.0.1, which the outbound policy refuses by default. Tests of the policy pass
 * `allowPrivateTargets: false`.
 */
const ALLOW_PRIVATE_TARGETS = readConfig({ LEADFLOW_ALLOW_PRIVATE_TARGETS: 'true' }).allowPrivateTargets;

/** The source the harness posts test leads with. */
export const TEST_SOURCE = 'test-network';

/**
 * Starts the real runtime on 127.0.0.1:0 over a fresh data folder (or the one given, for restarts),
 * with a network source allowed every offer and webmaster (see {@link TestRuntime.intakeKey}).
 */
export async function startRuntime(options: Partial<RuntimeOptions> = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'leadflow-test-'));
  const runtime = await createRuntime({
    logger: pino({ level: 'silent' }),
    allowPrivateTargets: ALLOW_PRIVATE_TARGETS,
    pollMs: 50,
    retry: { baseMs: 100, maxMs: 1000, maxAttempts: 20 },
    // scaled down like the retries: a test whose target was down a while (five failures in a row
    // under a loaded machine) must not wait the default 30 s for the first probe once it is back
    breaker: { halfOpenAfterMs: 500 },
    adminPassword: TEST_ADMIN.password,
    ...options,
    dataDir,
  });
  const url = await runtime.listen(0, '127.0.0.1');
  // a restart over the same folder finds the source: it gets a new key, as after a rotation
  const intakeKey = (await runtime.config.getSource(TEST_SOURCE))
    ? (await runtime.sources.rotate(TEST_SOURCE)).key
    : (await runtime.sources.create({ id: TEST_SOURCE, name: 'Test network', kind: 'network', offers: '*' })).key;
  const cookie = await logIn(url, TEST_ADMIN.name, options.adminPassword ?? TEST_ADMIN.password);
  const api = apiCaller(url, cookie, intakeKey);
  return {
    runtime,
    url,
    dataDir,
    intakeKey,
    api,
    cookie,
    async as(name, role) {
      const password = `password-of-${name}-1234`;
      const created = await api('POST', '/api/users', { name, password, role });
      if (created.status !== 201) throw new Error(`creating ${name} failed: ${created.status} ${JSON.stringify(created.body)}`);
      return apiCaller(url, await logIn(url, name, password), intakeKey);
    },
    async close() {
      await runtime.close();
    },
  };
}

/** Removes a data folder a test made. */
export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A lead's page once its stage is `stage` and its delivery (each `lead.new` job) is no longer
 * queued or running. A delivery sets the stage mid-run and stores its execution when the run
 * ends, before its job is done: wait for this, not the stage alone, before reading the lead's
 * executions.
 */
export async function waitForSettled(t: Pick<TestRuntime, 'api'>, id: number, stage: string, timeoutMs = 10_000): Promise<any> {
  return waitFor(
    async () => {
      const page = (await t.api('GET', `/api/leads/${id}`)).body;
      const busy = (page.deliveries as { kind: string; state: string }[]).some(
        (job) => job.kind === 'lead.new' && (job.state === 'queued' || job.state === 'running'),
      );
      return page.lead.stage === stage && !busy && page;
    },
    `lead ${id} at ${stage}, its delivery ended`,
    timeoutMs,
  );
}

/** A flow file of the repository, parsed. */
export function readFlow(relative: string): Record<string, unknown> & { id: string } {
  return JSON.parse(readFileSync(path.join(ROOT, relative), 'utf8'));
}

export const DEMO_KEY = 'test-key-91b2';
export const DEMO_SECRET = 'test-secret-5d0c';

/**
 * Sets up the demo CRM integration (the shipped `flows/demo` flows) against a target URL, with
 * an offer and a webmaster whose tracker is `trackerUrl`.
 */
export async function setUpDemoIntegration(t: TestRuntime, targetUrl: string, trackerUrl?: string): Promise<{ token: string }> {
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  ok(await t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json')));
  ok(await t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-postback.json')));
  ok(await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '101', 'crm_offer_id-de': '201' } }));
  ok(
    await t.api('PUT', '/api/webmasters/wm1', { postbackUrl: trackerUrl ? `${trackerUrl}/pb?click={subid}&stage={stage}&lead={id}` : '' }),
  );
  const created = ok(
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: targetUrl },
      secrets: { api_key: DEMO_KEY, api_secret: DEMO_SECRET },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', 'postback.in': 'demo-crm-postback' },
    }),
  );
  const token = new URL((created.body as { postbackUrl: string }).postbackUrl).searchParams.get('token') as string;
  return { token };
}

/** What {@link setUpFromTemplate} needs: the template's answers, as a sandbox target gives them. */
export interface TemplateSetup {
  template: string;
  /** The integration's id. */
  id: string;
  settings: Record<string, string>;
  secrets: Record<string, string>;
  offerParameters: Record<string, string>;
  /** Where the webmaster `wm1`'s outgoing postbacks go (`{trackerUrl}/pb?click={subid}&stage={stage}&lead={id}`). */
  trackerUrl?: string;
}

/**
 * Sets up an integration the way a new user would: an offer `offer-<id>` with the template's
 * offer parameters, the webmaster `wm1`, and `POST /api/integrations/from-template`. Answers
 * what that call answered (the integration, `missing`, `postbackUrlWithTail`).
 */
export async function setUpFromTemplate(t: TestRuntime, setup: TemplateSetup): Promise<any> {
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  const offer = `offer-${setup.id}`;
  ok(await t.api('POST', '/api/offers', { id: offer, name: `Offer of ${setup.id}`, parameters: setup.offerParameters }));
  ok(
    await t.api('PUT', '/api/webmasters/wm1', {
      postbackUrl: setup.trackerUrl ? `${setup.trackerUrl}/pb?click={subid}&stage={stage}&lead={id}` : '',
    }),
  );
  const created = ok(
    await t.api('POST', '/api/integrations/from-template', {
      template: setup.template,
      id: setup.id,
      name: `${setup.template} (sandbox)`,
      settings: setup.settings,
      secrets: setup.secrets,
      offers: [offer],
    }),
  );
  return created.body;
}

/**
 * The file's cleanups, run after each of its tests, the last pushed first (a runtime closes before
 * the target it talks to stops): `const cleanups = cleanUpAfterEach();` then `cleanups.push(...)`.
 */
export function cleanUpAfterEach(): (() => Promise<void> | void)[] {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}
