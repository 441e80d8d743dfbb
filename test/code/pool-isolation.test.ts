/**
 * The Code pool's share, through the real runtime: one integration whose Code node loops until
 * its time limit does not hold up another integration's Code node beyond a small bound.
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, waitFor, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** lead.new: a Code node, then Update Lead with what it returned. */
function codeFlow(id: string, script: string, timeoutMs: number) {
  return {
    id,
    name: id,
    event: 'lead.new',
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      { id: 'code', type: 'code', position: { x: 200, y: 0 }, params: { script, timeoutMs } },
      { id: 'done', type: 'update-lead', position: { x: 400, y: 0 }, params: {} },
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'code', targetHandle: 'in' },
      { id: 'e2', source: 'code', sourceHandle: 'out', target: 'done', targetHandle: 'in' },
    ],
  };
}

async function integrationWithCode(t: TestRuntime, id: string, script: string, timeoutMs: number): Promise<void> {
  const ok = (r: { status: number; body: unknown }) => expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  ok(await t.api('POST', '/api/flows', codeFlow(`${id}-send`, script, timeoutMs)));
  ok(await t.api('POST', '/api/offers', { id: `${id}-offer`, name: id, parameters: {} }));
  ok(
    await t.api('POST', '/api/integrations', {
      id,
      name: id,
      enabled: true,
      offers: [`${id}-offer`],
      flows: { 'lead.new': `${id}-send` },
    }),
  );
}

const post = async (t: TestRuntime, offer: string, n: number): Promise<number> => {
  const r = await t.api('POST', '/api/leads', { offer, name: `Buyer ${n}`, phone: '+49 151 2345670', country: 'DE', wm: 'wm1' });
  expect(r.status).toBe(202);
  return r.body.id;
};

describe('Code nodes of two integrations', () => {
  it("one integration's looping scripts do not delay the other's Code node beyond a small bound", async () => {
    const t = await startRuntime();
    cleanups.push(
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await integrationWithCode(t, 'looping', 'for (;;) {}', 6000);
    await integrationWithCode(t, 'quick', "return { eid: 'Q-' + lead.id, stage: 'wait' };", 1000);
    // the sandbox's threads started, so the bound measures waiting and not booting
    const warm = await post(t, 'quick-offer', 0);
    await waitFor(async () => (await t.api('GET', `/api/leads/${warm}`)).body.lead.stage === 'wait', 'the first quick lead', 10_000);

    // two deliveries, each looping 6 s: without a share they take both threads of a 2-core machine,
    // and a quick lead waits more than 5 s; the bound leaves room for a loaded machine's scheduling
    for (let n = 0; n < 2; n++) await post(t, 'looping-offer', n);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const waits: number[] = [];
    for (let n = 1; n <= 3; n++) {
      const id = await post(t, 'quick-offer', n);
      const accepted = Date.now();
      await waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', `quick lead ${id}`, 10_000);
      waits.push(Date.now() - accepted);
    }
    expect(Math.max(...waits), `ms from 202 to wait: ${waits.join(', ')}`).toBeLessThan(2500);
  }, 40_000);
});
