/**
 * The outbound policy end to end, on loopback only: targets and trackers are mock servers on
 * 127.0.0.1, and the policy under test is the one that refuses loopback. A runtime is configured
 * while private targets are allowed, then restarted on the same data folder with them refused,
 * as an operator who turns the setting off would.
 */
import { describe, expect, it } from 'vitest';
import { createAgent, createHttpClient } from '../../runtime/engine/http.ts';
import { Executor } from '../../runtime/engine/executor.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { OutboundRefused } from '../../runtime/engine/outbound-policy.ts';
import type { HttpRecord } from '../../runtime/store/types.ts';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const LEAD = { offer: 'tea', name: 'Anna Schmidt', phone: '+4915123456780', country: 'DE', wm: 'wm1', subid: 'clk-7' };

async function mock(...args: Parameters<typeof startMockServer>): Promise<MockServer> {
  const server = await startMockServer(...args);
  cleanups.push(() => server.stop());
  return server;
}

/**
 * The demo integration sending to `target` (reached as `host`, 127.0.0.1 by default), wm1's
 * postbacks going to `tracker`, set up with private targets allowed; then the runtime restarted
 * on that data folder under `allowPrivateTargets`.
 */
async function configuredRuntime(options: { allowPrivateTargets: boolean; host?: string }) {
  const target = await mock(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  const tracker = await mock(() => ({ body: 'ok' }));
  const setup = await startRuntime();
  cleanups.push(() => removeDataDir(setup.dataDir));
  await setUpDemoIntegration(setup, `http://${options.host ?? '127.0.0.1'}:${target.port}`, tracker.url);
  await setup.close();
  const t = await startRuntime({ dataDir: setup.dataDir, allowPrivateTargets: options.allowPrivateTargets });
  cleanups.push(() => t.close());
  return { t, target, tracker };
}

async function leadPage(t: TestRuntime, id: number) {
  return (await t.api('GET', `/api/leads/${id}`)).body;
}

describe('the outbound policy in a running runtime', () => {
  it('under a policy that refuses loopback, a flow sending to 127.0.0.1 fails for good with the policy error and the target receives nothing', async () => {
    const { t, target } = await configuredRuntime({ allowPrivateTargets: false });
    const posted = await t.api('POST', '/api/leads', LEAD);
    expect(posted.status).toBe(202);

    const page = await waitFor(async () => {
      const p = await leadPage(t, posted.body.id);
      return p.deliveries[0]?.state === 'failed' && p;
    }, 'the delivery to fail');
    // failed at the first attempt, not scheduled again: a refusal does not heal by retrying
    expect(page.deliveries[0]).toMatchObject({ kind: 'lead.new', attempts: 1 });
    expect(page.deliveries[0].lastError).toContain('outbound_refused: 127.0.0.1 is a loopback address');
    expect(page.lead.stage).toBe('new');
    expect(page.executions).toHaveLength(1);
    expect(page.executions[0].error).toMatchObject({
      nodeId: 'send',
      retryable: false,
      message: expect.stringContaining('outbound_refused: 127.0.0.1 is a loopback address'),
    });
    // the refused exchange is in the execution log like any other
    const execution = (await t.api('GET', `/api/executions/${page.executions[0].id}`)).body;
    const send = execution.steps.find((s: { nodeId: string }) => s.nodeId === 'send');
    expect(send.http[0]).toMatchObject({ outcome: 'network_error', error: expect.stringContaining('outbound_refused') });
    expect(target.received).toEqual([]);
  });

  it('checks the address a name resolves to when connecting: a target reached as localhost is refused too', async () => {
    const { t, target } = await configuredRuntime({ allowPrivateTargets: false, host: 'localhost' });
    const posted = await t.api('POST', '/api/leads', LEAD);
    const page = await waitFor(async () => {
      const p = await leadPage(t, posted.body.id);
      return p.deliveries[0]?.state === 'failed' && p;
    }, 'the delivery to fail');
    expect(page.deliveries[0].lastError).toMatch(/outbound_refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(target.received).toEqual([]);
  });

  it('with private targets allowed, the same flow reaches the target on 127.0.0.1', async () => {
    const { t, target, tracker } = await configuredRuntime({ allowPrivateTargets: true });
    const posted = await t.api('POST', '/api/leads', LEAD);
    await waitFor(async () => (await leadPage(t, posted.body.id)).lead.stage === 'wait', 'the lead to reach wait');
    expect(target.received).toHaveLength(1);
    await waitFor(() => tracker.received.length === 1, 'the postback for wait');
  });

  it('an outgoing postback to a refused address fails for good at its first attempt, with the policy error, and the tracker receives nothing', async () => {
    const { t, tracker } = await configuredRuntime({ allowPrivateTargets: false });
    const posted = await t.api('POST', '/api/leads', LEAD);
    await waitFor(async () => (await leadPage(t, posted.body.id)).deliveries[0]?.state === 'failed', 'the delivery to fail');

    const moved = await t.api('POST', `/api/leads/${posted.body.id}/stage`, { stage: 'approve', payout: 10 });
    expect(moved.status).toBe(200);
    const postback = await waitFor(async () => {
      const p = await leadPage(t, posted.body.id);
      return p.deliveries.find((d: { kind: string; state: string }) => d.kind === 'postback.out' && d.state === 'failed');
    }, 'the postback to fail');
    expect(postback.attempts).toBe(1);
    expect(postback.lastError).toContain('outbound_refused: 127.0.0.1 is a loopback address');
    expect(postback.payload.attempts).toEqual([
      expect.objectContaining({ error: expect.stringContaining('outbound_refused: 127.0.0.1 is a loopback address') }),
    ]);
    expect(tracker.received).toEqual([]);
  });

  it("refuses a webmaster's postback URL pointing at a refused address when it is saved, naming the field", async () => {
    const strict = await startRuntime({ allowPrivateTargets: false });
    cleanups.push(
      () => removeDataDir(strict.dataDir),
      () => strict.close(),
    );
    const loopback = await strict.api('PUT', '/api/webmasters/wm2', { postbackUrl: 'http://127.0.0.1:9/pb?click={subid}' });
    expect(loopback.status).toBe(400);
    expect(loopback.body).toMatchObject({ error: 'invalid_field', field: 'postbackUrl' });
    expect(loopback.body.message).toContain('127.0.0.1 is a loopback address');
    const named = await strict.api('PUT', '/api/webmasters/wm2', { postbackUrl: 'http://localhost:9/pb' });
    expect(named.body).toMatchObject({ error: 'invalid_field', field: 'postbackUrl' });
    // a name is not resolved when saved (it is when a postback is sent)
    expect((await strict.api('PUT', '/api/webmasters/wm2', { postbackUrl: 'https://tracker.example.com/pb?c={subid}' })).status).toBe(200);

    // metadata stays refused when private targets are allowed
    const relaxed = await startRuntime();
    cleanups.push(
      () => removeDataDir(relaxed.dataDir),
      () => relaxed.close(),
    );
    const metadata = await relaxed.api('PUT', '/api/webmasters/wm2', {
      postbackUrl: 'http://127.0.0.1:9/pb',
      streamPostbackUrls: { s1: 'https://tracker.example.com/pb', s2: 'http://[::ffff:169.254.169.254]/latest/meta-data/' },
    });
    expect(metadata.status).toBe(400);
    expect(metadata.body).toMatchObject({ error: 'invalid_field', field: 'streamPostbackUrls.s2' });
    expect(metadata.body.message).toContain('is a link-local/metadata address');
    expect((await relaxed.api('GET', '/api/webmasters/wm2')).status).toBe(404);
  });
});

describe('the outbound policy in the HTTP client', () => {
  const spec = (url: string) => ({ method: 'GET', url, headers: {}, timeoutMs: 2000 });

  it('throws the refusal (it is no network error to retry) and records the exchange, for IP literals and names alike', async () => {
    const target = await mock();
    const agent = createAgent({ allowPrivate: false });
    cleanups.push(() => agent.close());
    const records: HttpRecord[] = [];
    const client = createHttpClient(agent, (r) => records.push(r));

    await expect(client.send(spec(`${target.url}/a`))).rejects.toThrow(OutboundRefused);
    await expect(client.send(spec(`http://localhost:${target.port}/b`))).rejects.toThrow(/localhost resolves to/);
    await expect(client.send(spec(`http://[::1]:${target.port}/c`))).rejects.toThrow('outbound_refused: ::1 is a loopback address');
    expect(records.map((r) => [r.outcome, r.error?.slice(0, 17)])).toEqual([
      ['network_error', 'outbound_refused:'],
      ['network_error', 'outbound_refused:'],
      ['network_error', 'outbound_refused:'],
    ]);
    expect(target.received).toEqual([]);
  });

  it('checks every redirect hop: a hop to a refused address throws the refusal, and a 302 on a POST is the answer, where it points receiving nothing', async () => {
    const elsewhere = await mock();
    const redirecting = await mock((r) => ({
      status: r.path === '/metadata' ? 307 : 302,
      headers: { location: r.path === '/metadata' ? 'http://169.254.169.254/latest/meta-data/' : `${elsewhere.url}/internal` },
    }));
    const agent = createAgent({ allowPrivate: true });
    cleanups.push(() => agent.close());
    const records: HttpRecord[] = [];
    const client = createHttpClient(agent, (r) => records.push(r));

    await expect(client.send(spec(`${redirecting.url}/metadata`))).rejects.toThrow(
      'outbound_refused: 169.254.169.254 is a link-local/metadata address',
    );
    expect(records.map((r) => [r.request.url, r.outcome, r.response?.status])).toEqual([
      [`${redirecting.url}/metadata`, 'answer', 307],
      ['http://169.254.169.254/latest/meta-data/', 'network_error', undefined],
    ]);

    const exchange = await client.send({ ...spec(`${redirecting.url}/start`), method: 'POST', body: '{}' });
    expect(exchange).toMatchObject({ outcome: 'answer', status: 302 });
    expect(redirecting.received).toHaveLength(2);
    expect(elsewhere.received).toEqual([]);
  });

  it("fails an Auth Token node's login for good under a policy that refuses its target, sending nothing", async () => {
    const target = await mock(() => ({ body: { token: 't-1' } }));
    const agent = createAgent({ allowPrivate: false });
    cleanups.push(() => agent.close());
    const executor = new Executor({ registry: await loadNodeRegistry(), agent });
    const flow: FlowDoc = {
      id: 'f',
      name: 'f',
      event: 'lead.new',
      version: 1,
      nodes: [
        { id: 'lead', type: 'lead-in', params: {}, position: { x: 0, y: 0 } },
        {
          id: 'auth',
          type: 'auth-token',
          params: { url: '{{integration.settings.base_url}}/login', json: { user: '{{secrets.user}}' }, tokenPath: 'body.token' },
          position: { x: 1, y: 0 },
        },
      ],
      edges: [{ id: 'e0', source: 'lead', sourceHandle: 'out', target: 'auth', targetHandle: 'in' }],
    };
    const lead: Lead = { id: 1, offer: 'o', phone: '+491', integration: 'fin', stage: 'new', created_at: '', updated_at: '' };
    const integration = {
      id: 'fin',
      name: 'fin',
      enabled: true,
      settings: { base_url: target.url },
      secrets: { user: 'aff' },
      offers: [],
      flows: {},
      postbackToken: 'x',
    };
    const result = await executor.run(
      { flow, event: 'lead.new', integration, lead, trigger: lead },
      { leads: { update: async () => ({ lead, stageChanged: false }) }, postbacks: { send: async () => {} } },
    );
    expect(result.error).toMatchObject({
      nodeId: 'auth',
      retryable: false,
      message: expect.stringContaining('outbound_refused: 127.0.0.1 is a loopback address'),
    });
    expect(target.received).toEqual([]);
  });
});
