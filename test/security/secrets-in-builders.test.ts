/**
 * Secrets where requests are built: JSON Build and Form/Query Build read `{{secrets.x}}`; the body
 * they build goes only to the integration's allowed hosts, the records mask it, and a Code node
 * after them gets it masked.
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, startMockServer, startRuntime, type MockServer, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';

const KEY = 'builder-key-8841';

const cleanups = cleanUpAfterEach();

const edge = (id: string, source: string, target: string) => ({ id, source, sourceHandle: 'out', target, targetHandle: 'in' });

function flowOf(id: string, middle: { id: string; type: string; params: Record<string, unknown> }[], url: string) {
  const nodes = [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    ...middle.map((node, i) => ({ ...node, position: { x: i + 1, y: 0 } })),
    { id: 'send', type: 'http-request', position: { x: 9, y: 0 }, params: { method: 'POST', url, body: 'input' } },
  ];
  const ids = nodes.map((n) => n.id);
  return { id, name: id, event: 'lead.new', nodes, edges: ids.slice(1).map((to, i) => edge(`e${i}`, ids[i], to)) };
}

const jsonWithKey = { id: 'build', type: 'json-build', params: { body: { key: '{{secrets.api_key}}', phone: '{{lead.phone}}' } } };
const formWithKey = { id: 'build', type: 'form-build', params: { fields: [{ key: 'key', value: '{{secrets.api_key}}' }] } };

async function setUp(): Promise<{ t: TestRuntime; target: MockServer }> {
  const target = await startMockServer(() => ({ body: { ok: true } }));
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} });
  const created = await t.api('POST', '/api/integrations', {
    id: 'crm',
    name: 'CRM',
    settings: { base_url: target.url, other_url: `http://localhost:${target.port}` },
    secrets: { api_key: KEY },
    allowedHosts: ['127.0.0.1'],
    offers: ['tea'],
    flows: {},
  });
  expect(created.status).toBe(201);
  return { t, target };
}

async function testRun(t: TestRuntime, flow: ReturnType<typeof flowOf>) {
  const saved = await t.api('POST', '/api/flows', flow);
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  const run = await t.api('POST', `/api/flows/${flow.id}/test`, {
    integration: 'crm',
    lead: { offer: 'tea', phone: '+4915123456780' },
    send: 'real',
  });
  expect(run.status).toBe(200);
  return run.body;
}

describe('secrets in JSON Build and Form/Query Build', () => {
  for (const [name, builder] of [
    ['JSON Build', jsonWithKey],
    ['Form/Query Build', formWithKey],
  ] as const) {
    it(`${name} puts a secret in the body, which reaches the allowed host and is masked in the record`, async () => {
      const { t, target } = await setUp();
      const run = await testRun(t, flowOf('send-ok', [builder], '{{integration.settings.base_url}}/leads'));
      expect(run.error).toBeUndefined();
      expect(target.received[0].body).toContain(KEY);
      expect(JSON.stringify(run)).not.toContain(KEY);
      expect(JSON.stringify(run.execution.steps.find((s: { nodeId: string }) => s.nodeId === 'build').output)).toContain('[secret]');
    });

    it(`${name}'s body with a secret is refused for a host outside the allowed list, and nothing is sent`, async () => {
      const { t, target } = await setUp();
      const run = await testRun(t, flowOf('send-away', [builder], '{{integration.settings.other_url}}/leads'));
      expect(run.error).toMatchObject({ code: 'secret_not_allowed', nodeId: 'send', retryable: false });
      expect(run.error.message).toContain('the secret "api_key" to localhost');
      expect(target.received).toEqual([]);
    });
  }

  it('a Code node after JSON Build gets the secret masked: its script never holds the value', async () => {
    const { t, target } = await setUp();
    const code = {
      id: 'code',
      type: 'code',
      params: { script: 'return { body: { seen: JSON.stringify(input) }, contentType: "application/json" };' },
    };
    const run = await testRun(t, flowOf('through-code', [jsonWithKey, code], '{{integration.settings.base_url}}/leads'));
    expect(run.error).toBeUndefined();
    expect(target.received[0].body).not.toContain(KEY);
    expect(JSON.parse(JSON.parse(target.received[0].body).seen)).toMatchObject({ body: { key: '[secret]' } });
  });
});
