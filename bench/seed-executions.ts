/**
 * The bench's seed of stored executions (`seed { executionsPerLead }` in bench/runtime-child.ts):
 * for leads already seeded, that many execution records each, as the execution log holds them after
 * months of traffic — each of its own lead only, so with no row in `execution_leads` (the runtime
 * links a run only to the leads beyond its own, see runtime/store/sqlite-execution-leads.ts) —
 * written through the store's own handle in transactions of about {@link ROWS_PER_TRANSACTION}
 * executions, so neither the WAL nor the heap grows with the count.
 *
 * Each record is the size of a real one: its steps are those of the demo CRM send flow's execution
 * (lead in, JSON Build, Sign, HTTP Request, Extract, Map Status, Update Lead: 3.5 KB as the runtime
 * stored one in a small run) and its trigger the lead (0.5 KB). Both are rendered from a template
 * built once, only the lead's id and the times varying, so a million rows cost little JavaScript.
 */
import type { Database } from 'better-sqlite3';
import type { ExecutionState } from '../core/domain/execution.ts';

/** Executions written per transaction: big enough that commits are few, small enough to stay flat. */
const ROWS_PER_TRANSACTION = 50_000;

/** A template's placeholders: `"@@#NAME@@"` a bare value (quotes included), `@@NAME@@` inside a string. */
const PLACEHOLDER = /("@@#\w+@@"|@@\w+@@)/;

/** A JSON template split once into literal pieces and placeholder names; rendering only concatenates. */
function template(json: string): (values: Record<string, string>) => string {
  const parts = json.split(PLACEHOLDER);
  const names = parts.map((part, i) => (i % 2 ? part.replace(/^"?@@#?|@@"?$/g, '') : ''));
  return (values) => {
    let out = parts[0];
    for (let i = 1; i < parts.length; i += 2) out += values[names[i]] + parts[i + 1];
    return out;
  };
}

/** The lead as the trigger of its executions records it (the stored lead, its ids and times added). */
const LEAD = {
  offer: 'tea',
  wm: 'wm1',
  name: 'Seeded Lead @@LEAD@@',
  phone: '+49 151 2345-6789',
  email: 'lead@@LEAD@@@example.org',
  country: 'de',
  ip: '203.0.113.7',
  ua: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36',
  subid: 'click-8f3a2c',
  sub1: 'campaign-7',
  utm_source: 'fb',
  phoneE164: '+4915123456789',
  id: '@@#LEAD@@',
  integration: '@@INTEGRATION@@',
  stage: 'new',
  created_at: '@@CREATED@@',
  updated_at: '@@CREATED@@',
  source: 'bench',
  delivery_key: 'seed0000000000ff-@@LEAD@@-lead.new',
};

const ORDER = {
  offer_id: '201',
  name: 'Seeded Lead @@LEAD@@',
  phone: '4915123456789',
  country: 'DE',
  ip: '203.0.113.7',
  click_id: 'click-8f3a2c',
  order_ref: '@@#LEAD@@',
  created: '@@CREATED@@',
};
const SIGNATURE = 'ba82d9a59fc9b9957e76926ab966545009466bf9ed2e3bb8424fe86fae5a5641';
const ANSWER_HEADERS = {
  'content-type': 'application/json',
  'content-length': '31',
  date: 'Tue, 01 Dec 2026 21:29:42 GMT',
  connection: 'keep-alive',
  'keep-alive': 'timeout=60',
};

/** One step as the executor records it. */
const step = (nodeId: string, type: string, output: unknown, inputFrom: string, durationMs: number, http: unknown[] = []) => ({
  nodeId,
  type,
  state: 'ok',
  port: 'out',
  output,
  startedAt: '@@AT@@',
  durationMs,
  attempts: 1,
  http,
  logs: [],
  inputFrom,
});

/** The demo CRM send flow's steps, as a delivery of the bench's lead stored them. */
const SEND_STEPS = [
  step('lead', 'lead-in', LEAD, '$trigger', 0.61),
  step('order', 'json-build', { body: ORDER, contentType: 'application/json' }, 'lead', 6.33),
  step(
    'sign',
    'sign',
    { body: ORDER, contentType: 'application/json', signature: SIGNATURE, headers: { 'X-Signature': SIGNATURE } },
    'order',
    0.4,
  ),
  step(
    'send',
    'http-request',
    { status: 200, ok: true, headers: ANSWER_HEADERS, body: { status: 'ok', order_id: 'M@@LEAD@@' }, durationMs: 28.1154999 },
    'sign',
    29.68,
    [
      {
        request: {
          method: 'POST',
          url: 'http://127.0.0.1:32977/api/orders',
          headers: {
            'X-Signature': SIGNATURE,
            'X-Api-Key': '[secret]',
            'Idempotency-Key': 'seed0000000000ff-@@LEAD@@-lead.new',
            'Content-Type': 'application/json',
          },
          // the body as sent: the order's JSON, its order_ref a number
          body: JSON.stringify(ORDER).replace('"@@#LEAD@@"', '@@LEAD@@'),
        },
        response: { status: 200, headers: ANSWER_HEADERS, body: '{"status":"ok","order_id":"M@@LEAD@@"}' },
        outcome: 'answer',
        durationMs: 28.12,
      },
    ],
  ),
  step('answer', 'extract', { eid: 'M@@LEAD@@', status: 'ok' }, 'send', 0.36),
  step('stage', 'map-status', { eid: 'M@@LEAD@@', status: 'ok', stage: 'wait' }, 'answer', 0.14),
  step(
    'accepted',
    'update-lead',
    { lead: { id: '@@#LEAD@@', stage: 'wait', eid: 'M@@LEAD@@', status: 'ok' }, stageChanged: true },
    'stage',
    3.09,
  ),
];

const steps = template(JSON.stringify(SEND_STEPS));
const trigger = template(JSON.stringify(LEAD));

/**
 * A lead's executions in order: its delivery, then what a lead's life brings (postbacks, updates,
 * its approval), each so long after intake; the k-th of a lead is `LIFE[k % LIFE.length]`.
 */
const LIFE: { event: string; flowId: string; afterMs: number }[] = [
  { event: 'lead.new', flowId: 'demo-crm-send', afterMs: 40 },
  { event: 'postback.in', flowId: 'crm-postback', afterMs: 3_600_000 },
  { event: 'lead.update', flowId: 'crm-update', afterMs: 7_200_000 },
  { event: 'postback.in', flowId: 'crm-postback', afterMs: 86_400_000 },
  { event: 'lead.approved', flowId: 'crm-approved', afterMs: 2 * 86_400_000 },
];

const FAILED = JSON.stringify({ code: 'http_status', message: 'the target answered 502', nodeId: 'send', retryable: true });

/**
 * Writes `perLead` executions for every lead with an id above `afterLeadId`.
 * None starts after `now` (a lead's later events are cut off at it). Answers how many it wrote.
 */
export async function seedExecutions(db: Database, args: { afterLeadId: number; perLead: number; now: number }): Promise<number> {
  if (!Number.isInteger(args.perLead) || args.perLead < 0) throw new Error(`executionsPerLead: a whole number ≥ 0, not ${args.perLead}`);
  if (args.perLead === 0) return 0;
  const leadsOf = db.prepare('SELECT id, integration_id, stage, created_at FROM leads WHERE id > ? ORDER BY id LIMIT ?');
  const insert = db.prepare(
    `INSERT INTO executions (flow_id, flow_version, integration_id, event, lead_id, state, test, error, response, "trigger", steps, started_at, duration_ms)
     VALUES (?, 1, ?, ?, ?, ?, 0, ?, NULL, ?, ?, ?, ?)`,
  );
  const leadsPerTransaction = Math.max(1, Math.floor(ROWS_PER_TRANSACTION / args.perLead));
  let after = args.afterLeadId;
  let written = 0;
  for (;;) {
    // as the lead seed: a group commit the runtime left open in this turn would take the batch in
    while (db.inTransaction) await new Promise((resolve) => setImmediate(resolve));
    const leads = leadsOf.all(after, leadsPerTransaction) as { id: number; integration_id: string; stage: string; created_at: string }[];
    if (leads.length === 0) return written;
    db.transaction(() => {
      for (const lead of leads) {
        const created = Date.parse(lead.created_at);
        const values = { LEAD: String(lead.id), INTEGRATION: lead.integration_id, CREATED: lead.created_at, AT: '' };
        const triggerJson = trigger(values);
        for (let k = 0; k < args.perLead; k++) {
          const life = LIFE[k % LIFE.length];
          values.AT = new Date(Math.min(created + life.afterMs + k, args.now)).toISOString();
          // a lead never delivered (still `new`) has its delivery failed; one run in 50 of the rest failed too
          const state: ExecutionState = (k === 0 && lead.stage === 'new') || (lead.id + k) % 50 === 0 ? 'error' : 'success';
          insert.run(
            life.flowId,
            lead.integration_id,
            life.event,
            lead.id,
            state,
            state === 'error' ? FAILED : null,
            triggerJson,
            steps(values),
            values.AT,
            20 + ((lead.id * 7 + k) % 30),
          );
          written++;
        }
      }
    })();
    after = leads[leads.length - 1].id;
    // let the runtime's own turns (the queue's poll, IPC) run between two transactions
    await new Promise((resolve) => setImmediate(resolve));
  }
}
