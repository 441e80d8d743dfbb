/**
 * What the crash test, the shutdown test and the multi-process test (test/postgres) share: an idempotent mock target, the delivery flow
 * sending it each lead's stable key, a data folder set up for them, and the runtime as a child
 * process (real signals, a real `kill -9`).
 *
 * The target takes two calls per lead, as CRMs that want the person before the deal do: a first,
 * not idempotent (`POST /persons`: each call makes a person), which the two-call flow makes before
 * the keyed order; the one-call flow sends only the order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ROOT, startRuntime, TEST_ADMIN } from '../support/harness.ts';

/**
 * The flow's `Idempotency-Key`: the lead's stable delivery key, the same on every attempt.
 *
 * The lead's stable key for this event (store id, lead id, event: the same on every retry and
 * restart), which the target dedupes by.
 */
export const DELIVERY_KEY_TEMPLATE = '{{lead.delivery_key}}';

/** One request the target took, in arrival order. */
export interface Delivery {
  key: string;
  /** Our lead id, from the body's `order_ref`. */
  leadId: number;
  /** The id the target answered (the original one for a repeated key). */
  answeredId: string;
  /** When it arrived (the target's clock, ms): what a rate limit is measured by. */
  at: number;
  /** The path it was sent to. */
  path: string;
  /** Whether the target answered it (false: still held, or its caller gone first). */
  answered: boolean;
  /** When its connection closed before the target answered (the target's clock, ms): its caller gave up or died. */
  droppedAt?: number;
}

/** One `GET` the target took (a status check's question), in arrival order. */
export interface Question {
  url: string;
  at: number;
}

/** One first call (`POST /persons`) the target took, in arrival order. */
export interface FirstCall {
  leadId: number;
  /** Whether the target had answered it (false: still in flight, or its caller gone). */
  answered: boolean;
}

export interface IdempotentTarget {
  url: string;
  deliveries: Delivery[];
  /** The first calls of the two-call flow: not idempotent, every one kept. */
  firstCalls: FirstCall[];
  /** The `GET`s it took (status checks), answered at once with no orders. */
  questions: Question[];
  /** Requests received and not answered yet. */
  readonly inFlight: number;
  /** The most orders it held unanswered at one time: what a concurrency limit is measured by. */
  readonly mostOrdersInFlight: number;
  /** Deliveries of leads of this name are held without an answer, until `release`. */
  hang(name: string): void;
  /** Holds no more deliveries (those held stay unanswered: their caller gave up on them). */
  release(): void;
  close(): Promise<void>;
}

/**
 * A target that records every delivery with its `Idempotency-Key` and arrival time and answers a
 * repeat of a key with the id it gave the first time, as an idempotent API would; each answer
 * after `delayMs`. A `GET` (a status check's question) is recorded and answered at once.
 */
export async function startIdempotentTarget(delayMs = 20): Promise<IdempotentTarget> {
  const deliveries: Delivery[] = [];
  const firstCalls: FirstCall[] = [];
  const questions: Question[] = [];
  const ids = new Map<string, string>();
  const hanging = new Set<string>();
  let inFlight = 0;
  let ordersInFlight = 0;
  let mostOrdersInFlight = 0;
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    inFlight++;
    res.once('close', () => inFlight--);
    if (req.method === 'GET') {
      questions.push({ url: req.url ?? '', at });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ orders: [] }));
      return;
    }
    if (req.url !== '/persons') {
      mostOrdersInFlight = Math.max(mostOrdersInFlight, ++ordersInFlight);
      res.once('close', () => ordersInFlight--);
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { order_ref?: unknown; name?: unknown };
      const leadId = Number(body.order_ref);
      if (req.url === '/persons') {
        const call: FirstCall = { leadId, answered: false };
        firstCalls.push(call);
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ person: `P-${leadId}-${firstCalls.length}` }));
          call.answered = true;
        }, delayMs);
        return;
      }
      const answeredId = ids.get(key) ?? `T-${ids.size + 1}`;
      ids.set(key, answeredId);
      const delivery: Delivery = { key, leadId, answeredId, at, path: req.url ?? '', answered: false };
      deliveries.push(delivery);
      res.once('close', () => {
        if (!delivery.answered) delivery.droppedAt = Date.now();
      });
      if (hanging.has(String(body.name))) return;
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: answeredId }));
        delivery.answered = true;
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    firstCalls,
    questions,
    get inFlight() {
      return inFlight;
    },
    get mostOrdersInFlight() {
      return mostOrdersInFlight;
    },
    hang(name) {
      hanging.add(name);
    },
    release() {
      hanging.clear();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The leads whose first call (`POST /persons`) the target took more than once. */
export function firstCallsRepeated(calls: FirstCall[]): number[] {
  const seen = new Map<number, number>();
  for (const call of calls) seen.set(call.leadId, (seen.get(call.leadId) ?? 0) + 1);
  return [...seen].filter(([, count]) => count > 1).map(([leadId]) => leadId);
}

/** Repeated keys: each delivery past the first of its key. */
export function repeatsOf(deliveries: Delivery[]): number {
  return deliveries.length - new Set(deliveries.map((d) => d.key)).size;
}

/**
 * The `lead.new` flow: POST the lead with its key, keep the target's id, move the lead to wait;
 * with `twoCalls`, it first makes the lead's person (`POST /persons`, no key), and the order names it.
 */
export function deliveryFlow(timeoutMs: number, options: { twoCalls?: boolean } = {}) {
  const person = {
    id: 'person',
    type: 'http-request',
    position: { x: 100, y: 100 },
    params: {
      method: 'POST',
      url: '{{integration.settings.base_url}}/persons',
      body: 'json',
      json: { order_ref: '{{lead.id}}' },
      timeoutMs,
    },
  };
  return {
    id: 'crash-send',
    name: 'Crash test: send a lead',
    event: 'lead.new',
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      ...(options.twoCalls ? [person] : []),
      {
        id: 'order',
        type: 'json-build',
        position: { x: 200, y: 0 },
        params: {
          body: {
            order_ref: '{{lead.id}}',
            name: '{{lead.name}}',
            ...(options.twoCalls ? { person: '{{nodes.person.body.person}}' } : {}),
          },
        },
      },
      {
        id: 'send',
        type: 'http-request',
        position: { x: 400, y: 0 },
        params: {
          method: 'POST',
          url: '{{integration.settings.base_url}}/orders',
          headers: [{ key: 'Idempotency-Key', value: DELIVERY_KEY_TEMPLATE }],
          body: 'input',
          timeoutMs,
        },
      },
      {
        id: 'answer',
        type: 'extract',
        position: { x: 600, y: 0 },
        params: { fields: [{ key: 'eid', value: 'body.id' }], required: 'eid' },
      },
      { id: 'accepted', type: 'update-lead', position: { x: 800, y: 0 }, params: { stage: 'wait', setEid: '{{input.eid}}' } },
    ],
    edges: [
      ...(options.twoCalls
        ? [
            { id: 'e0', source: 'lead', sourceHandle: 'out', target: 'person', targetHandle: 'in' },
            { id: 'e1', source: 'person', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
          ]
        : [{ id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' }]),
      { id: 'e2', source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
      { id: 'e3', source: 'send', sourceHandle: 'out', target: 'answer', targetHandle: 'in' },
      { id: 'e4', source: 'answer', sourceHandle: 'out', target: 'accepted', targetHandle: 'in' },
    ],
  };
}

/**
 * A data folder with an offer `tea` routed to integration `crm` (the flow above, toward
 * `targetUrl`) and the harness's network source, set up by the runtime itself in this process,
 * then closed. Answers the folder and the source's intake key.
 */
export async function prepareDataDir(
  targetUrl: string,
  timeoutMs = 30_000,
  options: { twoCalls?: boolean } = {},
): Promise<{ dataDir: string; intakeKey: string }> {
  const t = await startRuntime();
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(await t.api('POST', '/api/flows', deliveryFlow(timeoutMs, options)));
  ok(await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} }));
  ok(
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      // many deliveries at once (the default is 4), so that many are in flight when the kill comes
      concurrency: 32,
      settings: { base_url: targetUrl },
      secrets: {},
      offers: ['tea'],
      flows: { 'lead.new': 'crash-send' },
    }),
  );
  await t.close();
  return { dataDir: t.dataDir, intakeKey: t.intakeKey };
}

export interface ChildRuntime {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the ms from `signal` to the exit. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
}

/** The crash test's own entry (short leases); `main` is `npm start`'s. */
export const ENTRIES = {
  crash: path.join(ROOT, 'test/crash/runtime-process.ts'),
  main: path.join(ROOT, 'runtime/main.ts'),
};

/**
 * Starts `entry` under tsx over `dataDir` on 127.0.0.1, a free port, and resolves once it
 * listens. Both entries announce `leadflow on <url>` in their log.
 */
export async function spawnRuntime(entry: string, dataDir: string, env: Record<string, string> = {}): Promise<ChildRuntime> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      LEADFLOW_DATA: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LEADFLOW_SANDBOX_PORT: 'off',
      LEADFLOW_ALLOW_PRIVATE_TARGETS: 'true',
      LEADFLOW_ADMIN_PASSWORD: TEST_ADMIN.password,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the runtime did not start within 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const found = /leadflow on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then(() => reject(new Error(`the runtime exited before listening:\n${output}`)));
  });
  return { url, child, exited, output: () => output };
}
