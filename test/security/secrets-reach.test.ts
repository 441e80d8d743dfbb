/**
 * Secrets reach only their target, and are masked everywhere else. Real runs of a flow that sends a
 * canary secret in the URL (upper-cased then URL-encoded, URL-encoded), headers (as is, lower-cased) and the body
 * (JSON) to a mock target on 127.0.0.1 that echoes it back in its error, in several encodings; then
 * the data folder, the logs, the API's answers, the lead's fields and the webmaster's postbacks are
 * searched for the canary in every form it could take.
 *
 * Two hosts on loopback only: `127.0.0.1` and `localhost` are different hosts to the check (it
 * compares names, not addresses), and both reach a mock listening on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { phpUrlencode } from '../../core/template/php.ts';
import { allowedHostsOf, hostAllowed } from '../../runtime/engine/http.ts';
import { REDACTED, Redactor } from '../../runtime/engine/redact.ts';
import {
  removeDataDir,
  startMockServer,
  startRuntime,
  waitFor,
  waitForSettled,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const CANARY = 'Canary key/7f+3a9Q';

const cleanups = cleanUpAfterEach();

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** The canary in every form a search must not find (compared ignoring case). */
const FORMS = [
  CANARY,
  encodeURIComponent(CANARY),
  phpUrlencode(CANARY),
  JSON.stringify(CANARY).slice(1, -1),
  b64(CANARY),
  b64(CANARY.toUpperCase()),
  Buffer.from(CANARY).toString('base64url'),
  hex(CANARY),
  encodeURIComponent(b64(CANARY)),
];

function leaksIn(text: string): string[] {
  const lower = text.toLowerCase();
  return FORMS.filter((form) => lower.includes(form.toLowerCase()));
}

/** Every file under `dir`, read as bytes (latin1 keeps each byte as one character). */
function filesOf(dir: string): { name: string; text: string }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((entry) => {
    if (!entry.isFile()) return [];
    const file = path.join(entry.parentPath, entry.name);
    const bytes = fs.readFileSync(file);
    return [{ name: path.relative(dir, file), text: bytes.toString('latin1') + '\n' + bytes.toString('utf8') }];
  });
}

/** A flow that carries the canary everywhere a request can, to `url`; a refusal cancels the lead with the target's error. */
function canaryFlow(url: string, id = 'canary-send'): FlowDoc {
  return {
    id,
    name: 'Canary: send',
    event: 'lead.new',
    version: 1,
    nodes: [
      { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
      {
        id: 'send',
        type: 'http-request',
        position: { x: 200, y: 0 },
        params: {
          method: 'POST',
          url: `${url}/api/orders?k={{secrets.api_key | upper | urlencode}}&r={{secrets.api_key | urlencode}}`,
          headers: [
            { key: 'X-Api-Key', value: '{{secrets.api_key}}' },
            { key: 'X-Lower', value: '{{secrets.api_key | lower}}' },
          ],
          body: 'json',
          json: { key: '{{secrets.api_key}}', phone: '{{lead.phone}}' },
          timeoutMs: 5000,
        },
      },
      {
        id: 'refusal',
        type: 'extract',
        position: { x: 400, y: 100 },
        params: {
          fields: [
            { key: 'reason', value: 'body.error' },
            { key: 'status', value: 'body.status' },
          ],
        },
      },
      {
        id: 'rejected',
        type: 'update-lead',
        position: { x: 600, y: 100 },
        params: { stage: 'cancel', reason: '{{input.reason}}', status: '{{input.status}}' },
      },
    ],
    edges: [
      { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
      { id: 'e2', source: 'send', sourceHandle: 'http_error', target: 'refusal', targetHandle: 'in' },
      { id: 'e3', source: 'refusal', sourceHandle: 'out', target: 'rejected', targetHandle: 'in' },
    ],
  } as FlowDoc;
}

async function mock(...args: Parameters<typeof startMockServer>): Promise<MockServer> {
  const server = await startMockServer(...args);
  cleanups.push(() => server.stop());
  return server;
}

/** A runtime whose logs (every level) are kept in `logs`. */
async function runtimeWithLogs(): Promise<{ t: TestRuntime; logs: string[] }> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const started = await startRuntime({ logger: pino({ level: 'trace' }, stream) });
  let closed: Promise<void> | undefined;
  // closed by the test before it reads the data folder, or at the end
  const t = { ...started, close: () => (closed ??= started.close()) };
  cleanups.push(() => removeDataDir(t.dataDir));
  cleanups.push(() => t.close());
  return { t, logs };
}

function ok<T extends { status: number; body: unknown }>(r: T): T {
  if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

async function setUp(t: TestRuntime, flow: FlowDoc, integration: Record<string, unknown>, trackerUrl: string) {
  ok(await t.api('POST', '/api/flows', flow));
  ok(await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} }));
  ok(
    await t.api('PUT', '/api/webmasters/wm1', {
      postbackUrl: `${trackerUrl}/pb?click={subid}&stage={stage}&reason={reason}&status={status}`,
    }),
  );
  ok(
    await t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      secrets: { api_key: CANARY },
      offers: ['tea'],
      flows: { 'lead.new': flow.id },
      ...integration,
    }),
  );
}

const LEAD = { offer: 'tea', name: 'Anna Schmidt', phone: '+4915123456780', country: 'DE', wm: 'wm1', subid: 'clk-7' };

describe('a flow that uses a secret, run for real', () => {
  it('sends it to the allowed host, and leaves it nowhere: not in the data folder, the logs, the answers, the lead or the postback', async () => {
    // the target refuses, echoing the key it got in every encoding, and puts it in its status too
    const target = await mock((request) => {
      const key = String(request.headers['x-api-key']);
      return {
        status: 400,
        body: { error: `invalid key ${key} (b64 ${b64(key)}, hex ${hex(key)}, url ${encodeURIComponent(key)})`, status: key.toUpperCase() },
      };
    });
    const tracker = await mock(() => ({ body: 'ok' }));
    const { t, logs } = await runtimeWithLogs();
    await setUp(
      t,
      canaryFlow('{{integration.settings.base_url}}'),
      { settings: { base_url: target.url }, allowedHosts: ['127.0.0.1'] },
      tracker.url,
    );

    const posted = ok(await t.api('POST', '/api/leads', LEAD));
    // the page's executions are read below: the execution is stored after the stage
    const page = await waitForSettled(t, posted.body.id, 'cancel');
    await waitFor(() => tracker.received.length > 0, 'the postback');
    const test = ok(await t.api('POST', `/api/flows/canary-send/test`, { integration: 'crm', lead: LEAD, send: 'real' }));

    // the target got the secret, in every place the flow put it
    const sent = target.received[0];
    expect(sent.headers['x-api-key']).toBe(CANARY);
    expect(sent.headers['x-lower']).toBe(CANARY.toLowerCase());
    expect(sent.query).toMatchObject({ k: CANARY.toUpperCase(), r: CANARY });
    expect(JSON.parse(sent.body)).toMatchObject({ key: CANARY });

    // the lead's fields have it masked, and so has the webmaster's postback
    expect(page.lead.reason).toContain(REDACTED);
    expect(page.lead.reason).toMatch(/^invalid key \[secret\] \(b64 \[secret\], hex \[secret\], url \[secret\]\)$/);
    expect(page.lead.status).toBe(REDACTED);
    expect(tracker.received[0].query.reason).toContain(REDACTED);

    // and nothing holds it, in any encoding
    const answers = [
      page,
      test.body,
      (await t.api('GET', '/api/integrations')).body,
      (await t.api('GET', '/api/integrations/crm')).body,
      (await t.api('GET', `/api/leads/${posted.body.id}`)).body,
      (await t.api('GET', '/api/leads')).body,
      (await t.api('GET', '/api/executions')).body,
      ...(await Promise.all(page.executions.map(async (e: { id: number }) => (await t.api('GET', `/api/executions/${e.id}`)).body))),
    ];
    expect((await t.api('GET', '/api/integrations/crm')).body.secrets).toEqual({ api_key: { set: true } });
    expect(leaksIn(JSON.stringify(answers))).toEqual([]);
    expect(leaksIn(tracker.received.map((r) => r.url).join('\n'))).toEqual([]);
    expect(leaksIn(logs.join(''))).toEqual([]);
    await t.close();
    const files = filesOf(t.dataDir);
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['config.json', 'leads.sqlite']));
    expect(files.flatMap((f) => leaksIn(f.text).map((form) => `${f.name}: ${form}`))).toEqual([]);
    // the execution record shows the request with the secret masked where it was
    const execution = answers.at(-1) as {
      steps: { nodeId: string; http: { request: { url: string; headers: Record<string, string> } }[] }[];
    };
    const request = execution.steps.find((s) => s.nodeId === 'send')?.http[0].request;
    expect(request?.url).toContain('k=[secret]');
    expect(request?.headers['X-Api-Key']).toBe(REDACTED);
  });

  it('sending it to a host outside the allowed list fails for good, naming the secret and the host, and sends nothing', async () => {
    const target = await mock(() => ({ body: { ok: true } }));
    const tracker = await mock(() => ({ body: 'ok' }));
    const { t } = await runtimeWithLogs();
    // allowed: 127.0.0.1; a setting sends the flow to localhost, which reaches the same mock (a
    // host from a template is known at run time only, so the integration can be switched on)
    await setUp(
      t,
      canaryFlow('{{integration.settings.target_url}}'),
      { settings: { base_url: target.url, target_url: `http://localhost:${target.port}` }, allowedHosts: ['127.0.0.1'] },
      tracker.url,
    );

    const run = ok(await t.api('POST', '/api/flows/canary-send/test', { integration: 'crm', lead: LEAD, send: 'real' })).body;

    expect(target.received).toEqual([]);
    expect(run.error).toMatchObject({ code: 'secret_not_allowed', nodeId: 'send', retryable: false });
    expect(run.error.message).toBe(
      `the request carries the secret "api_key" to localhost:${target.port}, which is not among the integration's allowed hosts (127.0.0.1)`,
    );
    expect(leaksIn(JSON.stringify(run))).toEqual([]);

    // a real delivery fails at its first attempt: a refusal does not heal by retrying
    const posted = ok(await t.api('POST', '/api/leads', LEAD));
    const page = await waitFor(async () => {
      const p = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      return p.deliveries[0]?.state === 'failed' && p;
    }, 'the delivery to fail');
    expect(page.deliveries[0]).toMatchObject({ attempts: 1 });
    expect(page.deliveries[0].lastError).toContain('the secret "api_key" to localhost');
    expect(target.received).toEqual([]);
  });

  it('without allowedHosts may go to the host of base_url, on the port it names, and nowhere else', async () => {
    const target = await mock(() => ({ body: { ok: true } }));
    const other = await mock(() => ({ body: { ok: true } }));
    const tracker = await mock(() => ({ body: 'ok' }));
    const { t } = await runtimeWithLogs();
    await setUp(
      t,
      canaryFlow('{{integration.settings.target_url}}'),
      { settings: { base_url: target.url, target_url: `http://127.0.0.1:${other.port}` } },
      tracker.url,
    );

    const refused = ok(await t.api('POST', '/api/flows/canary-send/test', { integration: 'crm', lead: LEAD, send: 'real' })).body;
    expect(refused.error).toMatchObject({ code: 'secret_not_allowed' });
    expect(refused.error.message).toContain(`"api_key" to 127.0.0.1:${other.port}`);
    expect(other.received).toEqual([]);

    const sent = ok(
      await t.api('POST', '/api/flows/canary-send/test', { integration: 'crm', lead: LEAD, flow: canaryFlow(target.url), send: 'real' }),
    ).body;
    expect(sent.error).toBeUndefined();
    expect(target.received).toHaveLength(1);
  });

  it('a request without a secret may go anywhere the outbound policy allows', async () => {
    const target = await mock(() => ({ body: { ok: true } }));
    const tracker = await mock(() => ({ body: 'ok' }));
    const { t } = await runtimeWithLogs();
    const flow = canaryFlow(`http://localhost:${target.port}`);
    const send = flow.nodes[1].params as Record<string, unknown>;
    Object.assign(send, { url: `http://localhost:${target.port}/api/orders`, headers: [], json: { phone: '{{lead.phone}}' } });
    await setUp(t, flow, { settings: { base_url: target.url }, allowedHosts: ['127.0.0.1'] }, tracker.url);

    const run = ok(await t.api('POST', '/api/flows/canary-send/test', { integration: 'crm', lead: LEAD, send: 'real' })).body;

    expect(run.error).toBeUndefined();
    expect(target.received).toHaveLength(1);
  });

  it('a flow whose URL names a host outside the allowed list is a readiness gap, so the integration cannot be switched on', async () => {
    const { t } = await runtimeWithLogs();
    ok(await t.api('POST', '/api/flows', canaryFlow('http://localhost:9')));
    ok(await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: {} }));
    const integration = {
      id: 'crm',
      name: 'CRM',
      settings: { base_url: 'http://127.0.0.1:9' },
      secrets: { api_key: CANARY },
      offers: ['tea'],
      flows: { 'lead.new': 'canary-send' },
    };

    const refused = await t.api('POST', '/api/integrations', { ...integration, enabled: true });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain(
      `node "send" sends the integration's secrets to localhost:9, which is not among its allowed hosts (127.0.0.1:9)`,
    );
    const created = ok(await t.api('POST', '/api/integrations', integration)).body;
    expect(created.readiness.ready).toBe(false);
    expect(created.readiness.gaps).toContainEqual(
      expect.objectContaining({ kind: 'flow-problem', field: 'flows.lead.new', nodeId: 'send', nodeField: 'params.url' }),
    );
    const allowed = ok(await t.api('PATCH', '/api/integrations/crm', { allowedHosts: ['localhost'], enabled: true })).body;
    expect(allowed.readiness).toEqual({ ready: true, gaps: [] });
  });

  it('allowedHosts is kept on the integration and refused when it is not a list of hosts', async () => {
    const { t } = await runtimeWithLogs();
    ok(
      await t.api('POST', '/api/integrations', {
        id: 'crm',
        name: 'CRM',
        allowedHosts: ['api.crm.example', '*.crm.example', '10.0.0.1:8443'],
      }),
    );
    expect((await t.api('GET', '/api/integrations/crm')).body.allowedHosts).toEqual(['api.crm.example', '*.crm.example', '10.0.0.1:8443']);
    const bad = await t.api('PATCH', '/api/integrations/crm', { allowedHosts: ['https://evil.example/path'] });
    expect([bad.status, bad.body.error?.field ?? bad.body.field]).toEqual([400, 'allowedHosts.0']);
  });
});

describe('redaction', () => {
  const redactor = new Redactor([CANARY]);

  it.each([
    ['as is', CANARY],
    ['upper-cased', CANARY.toUpperCase()],
    ['lower-cased', CANARY.toLowerCase()],
    ["URL-encoded as PHP's urlencode", phpUrlencode(CANARY)],
    ['URL-encoded as rawurlencode', encodeURIComponent(CANARY)],
    ['JSON-escaped', JSON.stringify(CANARY).slice(1, -1)],
    ['base64', b64(CANARY)],
    ['base64 of the upper-cased value', b64(CANARY.toUpperCase())],
    ['URL-safe base64', Buffer.from(CANARY).toString('base64url')],
    ['hex', hex(CANARY)],
    ['hex in capitals', hex(CANARY).toUpperCase()],
    ['base64, then URL-encoded', encodeURIComponent(b64(CANARY))],
    ['URL-encoded, then JSON-escaped', JSON.stringify(phpUrlencode(CANARY)).slice(1, -1)],
  ])('masks the secret %s', (_how, form) => {
    const masked = redactor.text(`before ${form} after`);
    expect(masked).toContain(REDACTED);
    expect(leaksIn(masked)).toEqual([]);
  });

  it('masks the secret inside a longer base64 text, at any alignment (Basic auth)', () => {
    for (const user of ['a', 'ab', 'abc']) {
      const basic = b64(`${user}:${CANARY}`);
      expect(redactor.text(`Basic ${basic}`)).not.toBe(`Basic ${basic}`);
    }
  });

  it('copies a value as JSON would, every string and key masked, the original untouched', () => {
    const sparse: unknown[] = [1];
    sparse[2] = `x ${CANARY}`;
    const original = {
      at: new Date('2026-12-02T10:00:00Z'),
      gone: undefined,
      fn: () => 1,
      numbers: [1, NaN, Infinity, undefined],
      sparse,
      boxed: [new String(`s ${CANARY}`), new Number(2), new Boolean(false)],
      nested: { deep: [{ token: `Bearer ${CANARY}` }], [`key-${CANARY}`]: 'v' },
      withToJSON: { toJSON: (key: string) => `made for ${key}` },
    };
    const before = JSON.stringify(original);
    const copy = redactor.value(original);
    // what JSON.parse(JSON.stringify(…)) gives, with the secret masked wherever it was
    expect(copy).toEqual(JSON.parse(before.replaceAll(CANARY, REDACTED)));
    expect(JSON.stringify(copy)).toBe(before.replaceAll(CANARY, REDACTED));
    expect(leaksIn(JSON.stringify(copy))).toEqual([]);
    // a copy: new containers, and the original as it was
    expect(copy.nested).not.toBe(original.nested);
    expect(copy.numbers).not.toBe(original.numbers);
    expect(JSON.stringify(original)).toBe(before);
    expect(() => {
      const loop: Record<string, unknown> = {};
      loop.self = { loop };
      redactor.value(loop);
    }).toThrow(/circular/);
  });

  it('masks a session token learnt at run time', () => {
    const r = new Redactor([CANARY]);
    r.add('tok-0987654321');
    expect(r.text('Bearer TOK-0987654321')).toBe(`Bearer ${REDACTED}`);
  });
});

describe('allowed hosts', () => {
  it("default to base_url's host with the port it names", () => {
    expect(allowedHostsOf({ settings: { base_url: 'https://API.crm.example/v1' } })).toEqual(['api.crm.example']);
    expect(allowedHostsOf({ settings: { base_url: 'http://127.0.0.1:4000' } })).toEqual(['127.0.0.1:4000']);
    expect(allowedHostsOf({ settings: {} })).toEqual([]);
    expect(allowedHostsOf({ settings: { base_url: 'http://a.example' }, allowedHosts: ['b.example'] })).toEqual(['b.example']);
  });

  it('match a host on any port, host:port on that port only, *.domain its subdomains', () => {
    const allowed = ['api.crm.example', '127.0.0.1:4000', '*.cdn.example', '[::1]'];
    expect(hostAllowed(new URL('https://api.crm.example:8443/x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://api.crm.example./x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://127.0.0.1:4000/'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://127.0.0.1:4001/'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://eu.cdn.example/'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://cdn.example.evil/'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://[::1]:9/'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://api.crm.example.evil/'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://localhost/'), allowed)).toBe(false);
  });
});
