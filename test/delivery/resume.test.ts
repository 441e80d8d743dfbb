/**
 * Resume, don't restart: a delivery whose flow makes two calls (create the person, then the deal)
 * and whose second call fails transiently is retried from the second call, with the person the
 * first one made; a node marked "always run again" (`settings.rerun`) is made afresh on the retry.
 */
import { describe, expect, it } from 'vitest';
import {
  removeDataDir,
  startMockServer,
  startRuntime,
  waitFor,
  waitForSettled,
  type Received,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const refOf = (r: Received) => String((JSON.parse(r.body || '{}') as { ref?: unknown }).ref);

/** A CRM that needs two calls per lead and answers 429 to every third call of the second kind. */
async function twoCallCrm() {
  let deals = 0;
  const target = await startMockServer((r) => {
    if (r.path === '/persons') return { status: 201, body: { id: `person-${refOf(r)}` } };
    if (r.path === '/deals') {
      deals++;
      if (deals % 3 === 0) return { status: 429, body: { error: 'slow down' } };
      const person = (JSON.parse(r.body) as { person: string }).person;
      return { status: 201, body: { id: `deal-of-${person}` } };
    }
    return { status: 404, body: {} };
  });
  cleanups.push(() => target.stop());
  return target;
}

interface FlowNodeDoc {
  id: string;
  type: string;
  position: { x: number; y: number };
  params: Record<string, unknown>;
  settings?: Record<string, unknown>;
}

function twoCallFlow(options: { signedDeal?: boolean } = {}): {
  id: string;
  name: string;
  event: string;
  version: number;
  nodes: FlowNodeDoc[];
  edges: { id: string; source: string; sourceHandle: string; target: string; targetHandle: string }[];
} {
  const at = (x: number) => ({ x, y: 0 });
  return {
    id: 'crm-two-calls',
    name: 'CRM: person, then deal',
    event: 'lead.new',
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: at(0), params: {} },
      {
        id: 'person',
        type: 'http-request',
        position: at(200),
        params: {
          method: 'POST',
          url: '{{integration.settings.base_url}}/persons',
          body: 'json',
          json: { ref: '{{lead.id}}', name: '{{lead.name}}' },
        },
      },
      ...(options.signedDeal
        ? [
            {
              id: 'stamp',
              type: 'json-build',
              position: at(300),
              settings: { rerun: true },
              params: { body: { person: '{{nodes.person.body.id}}', ref: '{{lead.id}}', at: '{{now | date:"U"}}' } },
            },
          ]
        : []),
      {
        id: 'deal',
        type: 'http-request',
        position: at(400),
        params: options.signedDeal
          ? { method: 'POST', url: '{{integration.settings.base_url}}/deals', body: 'input' }
          : {
              method: 'POST',
              url: '{{integration.settings.base_url}}/deals',
              body: 'json',
              json: { person: '{{nodes.person.body.id}}', ref: '{{lead.id}}' },
            },
      },
      { id: 'accepted', type: 'update-lead', position: at(600), params: { setEid: '{{nodes.deal.body.id}}', stage: 'wait' } },
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'person', targetHandle: 'in' },
      ...(options.signedDeal
        ? [
            { id: 'e2', source: 'person', sourceHandle: 'out', target: 'stamp', targetHandle: 'in' },
            { id: 'e2b', source: 'stamp', sourceHandle: 'out', target: 'deal', targetHandle: 'in' },
          ]
        : [{ id: 'e2', source: 'person', sourceHandle: 'out', target: 'deal', targetHandle: 'in' }]),
      { id: 'e3', source: 'deal', sourceHandle: 'out', target: 'accepted', targetHandle: 'in' },
    ],
  };
}

async function runtimeFor(targetUrl: string, flow: object) {
  const t = await startRuntime({ retry: { baseMs: 50, maxMs: 200, maxAttempts: 20 } });
  cleanups.push(
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  const ok = (r: { status: number; body: unknown }) => {
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
  };
  ok(await t.api('POST', '/api/flows', flow));
  ok(await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' }));
  ok(
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: targetUrl },
      secrets: {},
      offers: ['tea'],
      flows: { 'lead.new': 'crm-two-calls' },
    }),
  );
  return t;
}

/** Person, then deal; a Condition sends a deal answered `busy` (with a 200) to a retryable Fail node. */
function judgedFlow() {
  const flow = twoCallFlow();
  flow.nodes.push(
    {
      id: 'busy',
      type: 'condition',
      position: { x: 500, y: 0 },
      params: { left: '{{nodes.deal.body.status}}', operator: 'equals', right: 'busy' },
    },
    { id: 'later', type: 'fail', position: { x: 600, y: 0 }, params: { message: 'the CRM is busy', retryable: 'yes' } },
  );
  flow.edges = flow.edges.filter((edge) => edge.source !== 'deal');
  flow.edges.push(
    { id: 'e4', source: 'deal', sourceHandle: 'out', target: 'busy', targetHandle: 'in' },
    { id: 'e5', source: 'busy', sourceHandle: 'true', target: 'later', targetHandle: 'in' },
    { id: 'e6', source: 'busy', sourceHandle: 'false', target: 'accepted', targetHandle: 'in' },
  );
  return flow;
}

describe('a retried delivery continues from the step that failed', () => {
  it('50 leads to a CRM answering 429 to every third second call: all delivered, no person created twice', async () => {
    const target = await twoCallCrm();
    const t = await runtimeFor(target.url, twoCallFlow());
    const ids: number[] = [];
    for (let n = 0; n < 50; n++) {
      const posted = await t.api('POST', '/api/leads', {
        offer: 'tea',
        name: `Buyer ${n}`,
        phone: `+49 151 2000${String(n).padStart(3, '0')}`,
      });
      expect(posted.status).toBe(202);
      ids.push(posted.body.id);
    }
    await waitFor(
      async () => {
        const { body } = await t.api('GET', '/api/leads?limit=100');
        const leads = (body.leads ?? body.items ?? body) as { stage: string }[];
        return leads.filter((lead) => lead.stage === 'wait').length === 50;
      },
      'all 50 leads delivered',
      30_000,
    );
    const persons = target.received.filter((r) => r.path === '/persons').map(refOf);
    expect(persons).toHaveLength(50);
    expect(new Set(persons).size).toBe(50);
    const refused = target.received.filter((r) => r.path === '/deals').length - 50;
    expect(refused).toBeGreaterThanOrEqual(16);
    for (const id of ids) {
      const { body } = await t.api('GET', `/api/leads/${id}`);
      expect(body.lead.eid).toBe(`deal-of-person-${id}`);
    }
  }, 60_000);

  it('a node that fails on an answer (a Fail node after a Condition) sends its retry back to that call, not to the call before it', async () => {
    let deals = 0;
    const target = await startMockServer((r) => {
      if (r.path === '/persons') return { status: 201, body: { id: `person-${refOf(r)}` } };
      deals++;
      return deals === 1 ? { status: 200, body: { status: 'busy' } } : { status: 201, body: { status: 'ok', id: 'deal-1' } };
    });
    cleanups.push(() => target.stop());
    const t = await runtimeFor(target.url, judgedFlow());
    const id = (await t.api('POST', '/api/leads', { offer: 'tea', name: 'Buyer', phone: '+49 151 5000001' })).body.id as number;
    await waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', 'the lead delivered', 10_000);
    expect(target.received.map((r) => r.path)).toEqual(['/persons', '/deals', '/deals']);
    expect((await t.api('GET', `/api/leads/${id}`)).body.lead.eid).toBe('deal-1');
  });

  it('a step marked "always run again" is made afresh on the retry, the first call still not repeated', async () => {
    const target = await twoCallCrm();
    const t = await runtimeFor(target.url, twoCallFlow({ signedDeal: true }));
    // the third deal call is refused: the third lead's deal is retried
    const ids: number[] = [];
    for (let n = 0; n < 3; n++)
      ids.push((await t.api('POST', '/api/leads', { offer: 'tea', name: `Buyer ${n}`, phone: `+49 151 3000000${n}` })).body.id);
    for (const id of ids) await waitForSettled(t, id, 'wait', 15_000);
    const deals = target.received.filter((r) => r.path === '/deals');
    expect(deals).toHaveLength(4);
    const retried = refOf(deals[2]);
    const again = deals.slice(3).find((r) => refOf(r) === retried) as Received;
    expect(again).toBeDefined();
    // the person came from the first call, kept; the stamp was made again for the new call
    expect(JSON.parse(again.body).person).toBe(`person-${retried}`);
    expect(target.received.filter((r) => r.path === '/persons' && refOf(r) === retried)).toHaveLength(1);
    const executions = (await t.api('GET', `/api/executions?lead=${retried}`)).body;
    const list = (executions.executions ?? executions.items ?? executions) as { id: number }[];
    const last = (await t.api('GET', `/api/executions/${Math.max(...list.map((e) => e.id))}`)).body;
    const nodes = (last.execution ?? last).steps.map((s: { nodeId: string }) => s.nodeId);
    // the person kept (not run again), the stamp and the deal made afresh
    expect(nodes).toEqual(['lead', 'person', 'stamp', 'deal', 'accepted']);
    expect((last.execution ?? last).steps[1]).toMatchObject({ nodeId: 'person', attempts: 0, http: [] });
  }, 30_000);
});
