/**
 * A value the flow obtained from the target (an autologin URL read by Auth Token) is not one of the
 * integration's secrets: the records mask it, but the caller's answer and the lead get it as it is.
 * The integration's own secrets stay masked in the answer too, even when the target echoes one; a
 * cookie the target sets is masked in the record like a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startMockServer, startRuntime, type MockServer, type TestRuntime } from '../support/harness.ts';

const API_KEY = 'integration-api-key-8c2f';
const autologinUrl = (user: string) => `https://platform.test/autologin?user=${user}&otp=7f9e2c41b0`;

const registerFlow = {
  id: 'register-autologin',
  name: 'Register, then fetch the autologin link',
  event: 'lead.register',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 0 }, params: {} },
    { id: 'body', type: 'json-build', position: { x: 200, y: 0 }, params: { body: { email: '{{lead.email}}' } } },
    {
      id: 'call',
      type: 'http-request',
      position: { x: 400, y: 0 },
      params: {
        method: 'POST',
        url: '{{integration.settings.base_url}}/register',
        headers: [{ key: 'X-Api-Key', value: '{{secrets.api_key}}' }],
        body: 'input',
      },
    },
    {
      id: 'read',
      type: 'extract',
      position: { x: 600, y: 0 },
      params: {
        fields: [
          { key: 'eid', value: 'body.user_id' },
          { key: 'echo', value: 'body.echo' },
        ],
      },
    },
    {
      id: 'autologin',
      type: 'auth-token',
      position: { x: 800, y: 0 },
      params: {
        url: '{{integration.settings.base_url}}/autologin',
        json: { user: '{{nodes.read.eid}}' },
        tokenPath: 'body.url',
        put: '',
        cacheKey: 'autologin',
      },
    },
    {
      id: 'save',
      type: 'update-lead',
      position: { x: 1000, y: 0 },
      params: { stage: 'wait', setEid: '{{nodes.read.eid}}', comment: 'autologin {{nodes.autologin.token}}' },
    },
    {
      id: 'answer',
      type: 'respond',
      position: { x: 1200, y: 0 },
      params: {
        status: 200,
        body: { id: '{{lead.id}}', autologin_url: '{{nodes.autologin.token}}', echoed: '{{nodes.read.echo}}' },
      },
    },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'body', targetHandle: 'in' },
    { id: 'e2', source: 'body', sourceHandle: 'out', target: 'call', targetHandle: 'in' },
    { id: 'e3', source: 'call', sourceHandle: 'out', target: 'read', targetHandle: 'in' },
    { id: 'e4', source: 'read', sourceHandle: 'out', target: 'autologin', targetHandle: 'in' },
    { id: 'e5', source: 'autologin', sourceHandle: 'out', target: 'save', targetHandle: 'in' },
    { id: 'e6', source: 'save', sourceHandle: 'out', target: 'answer', targetHandle: 'in' },
  ],
};

let t: TestRuntime;
let platform: MockServer;

beforeAll(async () => {
  // registration answers the user id (and, carelessly, echoes the key it was sent); the autologin call the link
  platform = await startMockServer((r) =>
    r.path === '/register'
      ? { headers: { 'set-cookie': 'sid=sess-4d8a1f2e9b; Path=/; HttpOnly' }, body: { user_id: 'U-17', echo: r.headers['x-api-key'] } }
      : { body: { url: autologinUrl(JSON.parse(r.body).user), expires_in: 60 } },
  );
  t = await startRuntime();
  for (const [path, body] of [
    ['/api/flows', registerFlow],
    ['/api/offers', { id: 'fx', name: 'FX' }],
    [
      '/api/integrations',
      {
        id: 'platform',
        name: 'Platform',
        enabled: true,
        settings: { base_url: platform.url },
        secrets: { api_key: API_KEY },
        offers: ['fx'],
        flows: { 'lead.register': 'register-autologin' },
      },
    ],
  ] as const) {
    const r = await t.api('POST', path, body);
    if (r.status >= 300) throw new Error(`setup ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  }
});

afterAll(async () => {
  await t?.close();
  await platform?.stop();
  if (t) removeDataDir(t.dataDir);
});

describe('values obtained from the target', () => {
  it('a Respond that returns an Auth Token value answers the caller the real URL, while the execution record shows it masked', async () => {
    const answer = await t.api('POST', '/api/leads', { offer: 'fx', email: 'ann@example.org' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id: expect.any(Number), autologin_url: autologinUrl('U-17'), echoed: '[secret]' });

    // the lead keeps what the flow put there
    const view = (await t.api('GET', `/api/leads/${answer.body.id}`)).body;
    expect(view.lead).toMatchObject({ stage: 'wait', eid: 'U-17', statusComment: `autologin ${autologinUrl('U-17')}` });

    // the record masks the link wherever it appears, the response included, and the key everywhere
    const { executions } = (await t.api('GET', `/api/executions?lead=${answer.body.id}`)).body;
    expect(executions).toHaveLength(1);
    const execution = (await t.api('GET', `/api/executions/${executions[0].id}`)).body;
    expect(execution.response).toEqual({ status: 200, body: { id: answer.body.id, autologin_url: '[secret]', echoed: '[secret]' } });
    const recorded = JSON.stringify(execution);
    expect(recorded).not.toContain('otp=7f9e2c41b0');
    expect(recorded).not.toContain(API_KEY);
    // a session cookie the target set is masked like a token
    expect(recorded).toContain('sid=[secret]');
    expect(recorded).not.toContain('sess-4d8a1f2e9b');
  });

  it("the integration's own secret stays masked in the answer, whatever the target echoed", async () => {
    const answer = await t.api('POST', '/api/leads', { offer: 'fx', email: 'bob@example.org' });
    expect(answer.status).toBe(200);
    expect(answer.body.echoed).toBe('[secret]');
    expect(JSON.stringify(answer.body)).not.toContain(API_KEY);
  });
});
