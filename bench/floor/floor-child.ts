/**
 * The hand-written floor: the work of the bench's leadflow flows done by hand with no engine, in a
 * process of its own like the runtime under test (`bench/runtime-child.ts`), so that its CPU and
 * peak RSS are its own. node:http, the store in `floor-store.ts` (leadflow's SQLite settings, the WAL
 * synced per commit off the thread), an undici Agent set as leadflow's HTTP node sets its own (keep-alive, 128 connections
 * per origin), HMAC-SHA256 from node:crypto.
 *
 * `FLOOR_MODE=sync` — `POST /api/leads` is the `lead.register` flow
 * (`flows/examples/register-autologin.json`): check the key and the lead, store it, build
 * `{ email, phone digits, country upper }`, sign it, POST it to `FLOOR_TARGET/register`, take
 * `user_id` and `login` from the answer, store the stage `wait` with the external id, its history
 * entry and an execution record, answer 201 `{ id, autologin }`.
 *
 * `FLOOR_MODE=async` — `POST /api/leads` stores the lead with a durable job row in the same write
 * and answers 202 `{ id, stage: 'new' }`; a worker loop claims queued jobs (a lease each, at most 32
 * deliveries at once like the bench's integration), does the demo CRM send flow
 * (`flows/demo/demo-crm-send.json`: build the order, HMAC it into `X-Signature`, POST to
 * `FLOOR_TARGET/api/orders` with the API key and an Idempotency-Key, `status: ok` → `wait` with
 * `order_id`) and stores stage, history, execution and the job's end in one write.
 *
 * Environment: `PORT`, `FLOOR_DATA` (a folder), `FLOOR_TARGET` (the mock target's URL),
 * `FLOOR_COMMIT` (`group`, the default, or `request`), `FLOOR_STORE` (`floor`, the default:
 * `floor-store.ts`; or `leadflow`, group commit only: leadflow's own store, `leadflow-store.ts`),
 * `FLOOR_INTAKE_KEY`. IPC requests
 * `{ id, cmd, ...args }` as the runtime child's: `progress { afterId }`, `backlog { afterId }` (one integration: `integrationId` is not read), `deliveries { afterId }`,
 * `maxLeadId`, `commits`, `tables` (the store's table names), `stop`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { Agent, request } from 'undici';
import { FloorStore, type CommitMode, type StoredLead } from './floor-store.ts';
import { LeadflowFloorStore } from './leadflow-store.ts';

const mode = process.env.FLOOR_MODE;
if (mode !== 'sync' && mode !== 'async') throw new Error(`FLOOR_MODE: sync or async, not "${mode}"`);
const commit = (process.env.FLOOR_COMMIT || 'group') as CommitMode;
if (commit !== 'group' && commit !== 'request') throw new Error(`FLOOR_COMMIT: group or request, not "${commit}"`);
const target = process.env.FLOOR_TARGET ?? '';
const keyHash = createHash('sha256')
  .update(process.env.FLOOR_INTAKE_KEY ?? '')
  .digest();
const storeKind = process.env.FLOOR_STORE || 'floor';
if (storeKind !== 'floor' && storeKind !== 'leadflow') throw new Error(`FLOOR_STORE: floor or leadflow, not "${storeKind}"`);
if (storeKind === 'leadflow' && commit !== 'group') throw new Error('FLOOR_STORE=leadflow: group commit only (its store’s)');
const storeFile = path.join(process.env.FLOOR_DATA ?? '.', 'floor.db');
// leadflow's store names the bench's integration and flow the floor stands in for (bench/scenarios/)
const store =
  storeKind === 'leadflow'
    ? new LeadflowFloorStore(storeFile, mode === 'sync' ? 'broker' : 'crm', mode === 'sync' ? 'register' : 'demo-crm-send')
    : new FloorStore(storeFile, commit);
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });

/** The target's credentials, as the bench's integration has them (`bench/scenarios/send-integration.ts`). */
const API_KEY = 'bench-key-91b2';
const API_SECRET = 'bench-secret-5d0c';
/** The offer's CRM ids (the bench's `tea` offer parameters), by country with a default. */
const CRM_OFFER_ID: Record<string, string> = { de: '201', '': '101' };
const CONCURRENCY = 32;
const LEASE_MS = 60_000;

interface CheckedLead {
  offer: string;
  wm?: string;
  name?: string;
  phone: string;
  email?: string;
  country?: string;
  ip?: string;
  subid?: string;
  [field: string]: unknown;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function check(raw: unknown): CheckedLead {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Refusal(400, 'body', 'a JSON object');
  const lead = raw as Record<string, unknown>;
  for (const field of ['offer', 'phone']) {
    if (typeof lead[field] !== 'string' || !lead[field]) throw new Refusal(422, field, `${field}: a non-empty string`);
  }
  for (const field of ['wm', 'name', 'email', 'country', 'ip', 'subid']) {
    if (lead[field] !== undefined && typeof lead[field] !== 'string') throw new Refusal(422, field, `${field}: a string`);
  }
  const digits = (lead.phone as string).replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) throw new Refusal(422, 'phone', 'phone: 7 to 15 digits');
  return { ...(lead as CheckedLead), phone: `+${digits}` };
}

function authorised(req: IncomingMessage): boolean {
  const key = req.headers['x-api-key'];
  if (typeof key !== 'string') return false;
  return timingSafeEqual(createHash('sha256').update(key).digest(), keyHash);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Refusal(400, 'body', 'not JSON');
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** POSTs a signed JSON body; answers the status and the parsed answer. */
async function post(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const text = JSON.stringify(body);
  const signature = createHmac('sha256', API_SECRET).update(text).digest('hex');
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'x-signature': signature, ...headers },
    body: text,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return { status: response.statusCode, body: await response.body.json() };
}

/** `lead.register`: the caller waits for the target's answer. */
async function register(lead: CheckedLead): Promise<{ status: number; body: unknown }> {
  const stored = await store.insertLead(
    { offer: lead.offer, wm: lead.wm, source: 'bench', data: lead, phone: lead.phone, email: lead.email?.toLowerCase() },
    false,
  );
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const body = { email: lead.email, phone: lead.phone.slice(1), country: lead.country?.toUpperCase() };
  const sent = await post(`${target}/register`, body, {});
  const got = sent.body as { user_id?: string; login?: string };
  const ok = sent.status < 300 && typeof got.user_id === 'string';
  await store.delivered(
    {
      leadId: stored.id,
      stage: ok ? 'wait' : 'new',
      eid: got.user_id,
      startedAt,
      durationMs: performance.now() - t0,
      record: { request: { url: `${target}/register`, body }, response: sent },
    },
    'lead.register',
  );
  if (!ok) return { status: 502, body: { id: stored.id, error: 'delivery_failed', message: `the target answered ${sent.status}` } };
  return { status: 201, body: { id: stored.id, autologin: got.login } };
}

/** The demo CRM send flow for one claimed job. */
async function deliver(jobId: number, stored: StoredLead): Promise<void> {
  const lead = stored.fields as CheckedLead;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const order = {
    offer_id: CRM_OFFER_ID[lead.country?.toLowerCase() ?? ''] ?? CRM_OFFER_ID[''],
    name: lead.name,
    phone: lead.phone.slice(1),
    country: lead.country?.toUpperCase(),
    ip: lead.ip,
    click_id: lead.subid,
    order_ref: String(stored.id),
    created: stored.created_at.slice(0, 19).replace('T', ' '),
  };
  let stage = 'new';
  let eid: string | undefined;
  let reason: string | undefined;
  let response: unknown;
  try {
    const sent = await post(`${target}/api/orders`, order, { 'x-api-key': API_KEY, 'idempotency-key': `lead-${stored.id}` });
    response = sent;
    const got = sent.body as { status?: string; order_id?: string; error?: string };
    if (sent.status >= 400 && sent.status < 500) [stage, reason] = ['cancel', got.error ?? 'refused by the CRM'];
    else if (sent.status < 300 && typeof got.order_id === 'string' && got.status === 'ok') [stage, eid] = ['wait', got.order_id];
  } catch (error) {
    response = { error: String(error) };
  }
  await store.delivered(
    { leadId: stored.id, stage, eid, reason, startedAt, durationMs: performance.now() - t0, record: { request: order, response }, jobId },
    'lead.new',
  );
}

let running = 0;
let pumping = false;
/** Claims as many jobs as there are free delivery slots and starts them; again whenever one ends. */
async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    while (running < CONCURRENCY) {
      const jobs = await store.claim(CONCURRENCY - running, LEASE_MS);
      if (jobs.length === 0) break;
      for (const { jobId, lead } of jobs) {
        running++;
        deliver(jobId, lead)
          .catch((error: unknown) => console.error('floor delivery failed', error))
          .finally(() => {
            running--;
            void pump();
          });
      }
    }
  } finally {
    pumping = false;
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/leads') return answer(res, 404, { error: 'not_found' });
  if (!authorised(req)) return answer(res, 401, { error: 'unauthorized' });
  readJson(req)
    .then(async (raw) => {
      const lead = check(raw);
      if (mode === 'sync') {
        const done = await register(lead);
        return answer(res, done.status, done.body);
      }
      const stored = await store.insertLead(
        { offer: lead.offer, wm: lead.wm, source: 'bench', data: lead, phone: lead.phone, email: lead.email?.toLowerCase() },
        true,
      );
      answer(res, 202, { id: stored.id, stage: 'new' });
      void pump();
    })
    .catch((error: unknown) => {
      if (error instanceof Refusal)
        return answer(res, error.status, { error: 'invalid_field', field: error.field, message: error.message });
      console.error('floor request failed', error);
      answer(res, 500, { error: 'internal' });
    });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
await once(server, 'listening');
// a job left queued (the wake after an intake raced a full pump) is picked up within 100 ms
const poll = mode === 'async' ? setInterval(() => void pump(), 100) : undefined;

function deliveries(afterId: number) {
  const leads = store.db.prepare(`SELECT created_at, updated_at FROM leads WHERE id > ? AND stage = 'wait'`).all(afterId) as {
    created_at: string;
    updated_at: string;
  }[];
  const created = leads.map((l) => Date.parse(l.created_at));
  const waited = leads.map((l) => Date.parse(l.updated_at));
  return {
    count: leads.length,
    firstCreated: created.reduce((a, b) => Math.min(a, b), Infinity),
    lastWait: waited.reduce((a, b) => Math.max(a, b), 0),
    intakeToWaitMs: leads.map((_, i) => waited[i] - created[i]),
    executionMs: store.db.prepare('SELECT duration_ms FROM executions WHERE lead_id > ?').pluck().all(afterId) as number[],
  };
}

async function handle(message: { cmd: string; [key: string]: unknown }): Promise<unknown> {
  switch (message.cmd) {
    case 'progress': {
      const rows = store.db.prepare('SELECT stage, count(*) AS n FROM leads WHERE id > ? GROUP BY stage').all(Number(message.afterId));
      return Object.fromEntries((rows as { stage: string; n: number }[]).map((r) => [r.stage, r.n]));
    }
    case 'backlog': {
      const count = store.db.prepare('SELECT count(*) FROM leads WHERE stage = ? AND id > ?').pluck();
      const afterId = Number(message.afterId);
      return {
        queued: count.get('new', afterId),
        refused: (count.get('cancel', afterId) as number) + (count.get('trash', afterId) as number),
      };
    }
    case 'deliveries':
      return deliveries(Number(message.afterId));
    case 'tables':
      return store.db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all();
    case 'maxLeadId':
      return store.db.prepare('SELECT coalesce(max(id), 0) FROM leads').pluck().get();
    case 'commits':
      return { commits: store.commits, writes: store.writes, mode: commit };
    case 'stop':
      clearInterval(poll);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await agent.close();
      await store.close();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

process.on('message', (message: { id: number; cmd: string }) => {
  handle(message).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: `http://127.0.0.1:${(server.address() as { port: number }).port}` });
