import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Integration, Offer } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { canMoveStage, type Lead } from '../../core/domain/lead.ts';
import type { LeadUpdate } from '../../core/node/contract.ts';
import { Executor, type RunServices } from '../../runtime/engine/executor.ts';
import { createAgent } from '../../runtime/engine/http.ts';
import { loadNodeRegistry, type NodeRegistry } from '../../runtime/engine/registry.ts';
import { validateFlow } from '../../core/flow/validate.ts';
import { closedPortUrl, sampleLead, startTarget, type Answer, type Received } from '../nodes/context.ts';

const agent = createAgent();
let registry: NodeRegistry;
let executor: Executor;

beforeAll(async () => {
  registry = await loadNodeRegistry();
  executor = new Executor({ registry, agent });
});
afterAll(() => agent.close());

function example(name: string): FlowDoc {
  const doc = JSON.parse(readFileSync(new URL(`../../flows/examples/${name}.json`, import.meta.url), 'utf8')) as unknown;
  const checked = validateFlow(doc, registry);
  if (!checked.ok) throw new Error(`${name} is invalid: ${JSON.stringify(checked.issues)}`);
  return checked.flow;
}

const offer: Offer = {
  id: 'slim-tea',
  name: 'Slim Tea',
  parameters: { target_offer_id: '77', 'target_offer_id-de': '78', stream: 'st 9' },
  goals: [],
  products: [],
};

function integrationFor(url: string): Integration {
  return {
    id: 'orderhub',
    name: 'OrderHub',
    enabled: true,
    settings: { base_url: url },
    secrets: { api_secret: 'hub-secret-0123456789', api_key: 'hub-key-0123456789' },
    offers: [offer.id],
    flows: {},
    postbackToken: 't',
  };
}

/** Runs a flow for a lead as the delivery queue would; the lead's changes are applied in memory. */
async function deliver(flow: FlowDoc, url: string, lead: Lead) {
  const changes: LeadUpdate[] = [];
  const services: RunServices = {
    leads: {
      update: async (change) => {
        changes.push(change);
        const moves = change.stage !== undefined && canMoveStage(lead.stage, change.stage);
        if (moves) lead.stage = change.stage!;
        if (change.setEid) lead.eid = change.setEid;
        if (change.reason) lead.reason = change.reason;
        return { lead: { ...lead }, stageChanged: moves };
      },
    },
    postbacks: { send: async () => {} },
  };
  const result = await executor.run({ flow, event: flow.event, integration: integrationFor(url), lead, offer, trigger: lead }, services);
  return { result, changes, lead };
}

describe('the example "prepare request": a Code node builds and signs the request before HTTP Request', () => {
  it('sends the URL, headers, JSON body and HMAC signature the script made, and the accepted lead waits with its id', async () => {
    const target = await startTarget(() => ({ status: 201, body: { status: 'created', order: { id: 'OH-5001' } } }));
    const lead = sampleLead({ id: 42, name: 'Anna Maria Schmidt', ip: '10.1.2.3' });
    const { result, lead: after } = await deliver(example('code-prepare-request'), target.url, lead);

    expect(result.error).toBeUndefined();
    expect(target.received).toHaveLength(1);
    const request: Received = target.received[0];
    // the URL the script chose, with the offer parameters for a German lead
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v2/orders?offer=78&stream=st+9');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-request-id']).toBe('lead-42');
    // the body: converted to JSON with the target's field names and adjusted fields
    expect(JSON.parse(request.body)).toEqual({
      offer_id: 78,
      first_name: 'Anna',
      last_name: 'Maria Schmidt',
      phone: '+49301234567',
      country: 'DE',
      ip: '10.1.2.3',
      click_id: 'click-abc',
      goods: [{ sku: 'tea', qty: 2, price: 19.9 }],
      total: 39.8,
      ref: '42',
      created: '2024-05-06 07:08:09',
    });
    // the signature: HMAC-SHA256 of "timestamp.body" with the secret, base64, as the target checks it
    const timestamp = String(request.headers['x-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac('sha256', 'hub-secret-0123456789').update(`${timestamp}.${request.body}`).digest('base64');
    expect(request.headers['x-signature']).toBe(expected);

    expect(after).toMatchObject({ stage: 'wait', eid: 'OH-5001' });
    const prepare = result.execution.steps.find((step) => step.nodeId === 'prepare');
    expect(prepare).toMatchObject({ state: 'ok', port: 'out' });
    expect(prepare?.logs.join('\n')).toMatch(/^signed \d+ bytes at \d+$/);
    // the secret never appears in the record, not even through the Code node
    expect(JSON.stringify(result.execution)).not.toContain('hub-secret-0123456789');
  });

  it("a refusal cancels the lead with the target's reason", async () => {
    const target = await startTarget(() => ({ status: 422, body: { status: 'invalid', error: 'phone is not valid' } }));
    const { result, lead } = await deliver(example('code-prepare-request'), target.url, sampleLead());
    expect(result.error).toBeUndefined();
    expect(lead).toMatchObject({ stage: 'cancel', reason: 'phone is not valid' });
  });
});

describe('the example "handle answer": a Code node turns any answer into the send result', () => {
  async function send(answer: (request: Received) => Answer) {
    const target = await startTarget(answer);
    return { target, ...(await deliver(example('code-handle-answer'), target.url, sampleLead())) };
  }

  it('an accepted order moves the lead to wait with the external id', async () => {
    const { result, lead, target } = await send(() => ({ status: 200, body: { success: true, status: 'new', data: { order_id: 991 } } }));
    expect(result.error).toBeUndefined();
    expect(lead).toMatchObject({ stage: 'wait', eid: '991' });
    // the request went out signed by the Sign node, as before the Code node
    const request = target.received[0];
    expect(request.headers['x-signature']).toBe(createHmac('sha256', 'hub-secret-0123456789').update(request.body).digest('hex'));
    const answer = result.execution.steps.find((step) => step.nodeId === 'answer');
    expect(answer).toMatchObject({ state: 'ok', port: 'out', output: { stage: 'wait', eid: '991', status: 'new' } });
    expect(answer?.logs).toEqual(['accepted as 991']);
  });

  it('the old text answer "OK:<id>" is accepted too', async () => {
    const { lead } = await send(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK:A-77' }));
    expect(lead).toMatchObject({ stage: 'wait', eid: 'A-77' });
  });

  it('a rejection, even with status 200, takes the error exit and cancels the lead with the reason', async () => {
    const { result, lead } = await send(() => ({ status: 200, body: { success: false, message: 'duplicate order' } }));
    expect(result.error).toBeUndefined();
    expect(lead).toMatchObject({ stage: 'cancel', reason: 'duplicate order' });
    const answer = result.execution.steps.find((step) => step.nodeId === 'answer');
    expect(answer).toMatchObject({ port: 'error', output: { stage: 'cancel', reason: 'duplicate order' } });
    expect(result.execution.steps.map((step) => step.nodeId)).toContain('rejected');
  });

  it("a 4xx with an error object cancels with the error's message", async () => {
    const { lead } = await send(() => ({ status: 400, body: { error: { code: 17, message: 'offer is paused' } } }));
    expect(lead).toMatchObject({ stage: 'cancel', reason: 'offer is paused' });
  });

  it('a 503 stops the flow with a retryable failure: the lead stays new for the delivery queue', async () => {
    const { result, lead } = await send(() => ({ status: 503, body: 'maintenance' }));
    expect(result.error).toMatchObject({ code: 'code_retry', nodeId: 'answer', retryable: true, message: 'target busy: HTTP 503' });
    expect(lead.stage).toBe('new');
  });

  it('a target that does not answer at all is a retry too', async () => {
    const { result, lead } = await deliver(example('code-handle-answer'), await closedPortUrl(), sampleLead());
    expect(result.error).toMatchObject({ code: 'code_retry', retryable: true, message: expect.stringMatching(/^no answer: /) });
    expect(lead.stage).toBe('new');
  });
});

describe('leads keep flowing while a hostile Code node spins', () => {
  it("other flows finish while one flow's script loops until its deadline", async () => {
    const target = await startTarget(() => ({ status: 200, body: { success: true, order: { id: 'OH-1' } } }));
    const spinning = example('code-handle-answer');
    spinning.nodes = spinning.nodes.map((node) =>
      node.id === 'answer' ? { ...node, params: { script: 'while (true) {}', timeoutMs: 1500 } } : node,
    );
    const started = performance.now();
    const hostile = deliver(spinning, target.url, sampleLead({ id: 1 })).then((run) => ({ ...run, at: performance.now() - started }));
    const others = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        deliver(example('code-prepare-request'), target.url, sampleLead({ id: 100 + i })).then((run) => ({
          ...run,
          at: performance.now() - started,
        })),
      ),
    );
    const spun = await hostile;
    expect(spun.result.error).toMatchObject({ code: 'code_limit', message: expect.stringMatching(/^time: /) });
    for (const other of others) {
      expect(other.result.error).toBeUndefined();
      expect(other.lead.stage).toBe('wait');
      expect(other.at).toBeLessThan(spun.at);
    }
  });
});

describe('the command line', () => {
  it('leadflow run sends a lead through the prepare-request example and exits when done', async () => {
    const target = await startTarget(() => ({ status: 201, body: { status: 'created', order: { id: 'OH-7' } } }));
    const dir = mkdtempSync(path.join(tmpdir(), 'leadflow-code-'));
    const leadFile = path.join(dir, 'lead.json');
    const offerFile = path.join(dir, 'offer.json');
    writeFileSync(leadFile, JSON.stringify({ offer: 'slim-tea', name: 'Anna Schmidt', phone: '+49 30 1234', country: 'de' }));
    writeFileSync(offerFile, JSON.stringify(offer));
    // a worker thread left referenced would keep the process alive: the timeout would fail the test
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'bin/leadflow.js',
        'run',
        'flows/examples/code-prepare-request.json',
        '--lead',
        leadFile,
        '--offer',
        offerFile,
        '--set',
        `base_url=${target.url}`,
        '--secret',
        'api_secret=cli-secret-0123456789',
      ],
      { timeout: 30_000 },
    );
    expect(stdout).toMatch(/● prepare \[code\] ok → out/);
    expect(stdout).toMatch(/log: {4}signed \d+ bytes at \d+/);
    expect(stdout).not.toContain('cli-secret-0123456789');
    expect(target.received[0].url).toBe('/v2/orders?offer=78&stream=st+9');
  }, 60_000);
});
