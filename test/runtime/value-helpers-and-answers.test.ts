/**
 * End to end, through the real runtime and real targets on 127.0.0.1: the value helpers and Omit
 * empty build a sign-up body, an XML answer is read like JSON, and an OAuth 2 token (client
 * credentials) is asked for once per integration and sent with a multipart form.
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, startMockServer, startRuntime, waitFor, type TestRuntime, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

async function runtime(): Promise<TestRuntime> {
  const t = await startRuntime();
  cleanups.push(
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  return t;
}

async function ok(r: Promise<{ status: number; body: any }>) {
  const answer = await r;
  if (answer.status >= 300) throw new Error(JSON.stringify(answer.body));
  return answer;
}

/** Sends a lead and waits until its delivery moved it out of `new` and ended. */
async function deliver(t: TestRuntime, lead: Record<string, unknown>): Promise<any> {
  const { body } = await ok(t.api('POST', '/api/leads', { offer: 'tea', ...lead }));
  return waitFor(async () => {
    const r = await t.api('GET', `/api/leads/${body.id}`);
    // the stage is written mid-run, the execution and the job's end after it: wait for the job too
    return r.body.lead.stage !== 'new' && r.body.deliveries[0]?.state === 'done' && r.body.lead;
  }, `lead ${body.id} delivered`);
}

describe('a sign-up built with value helpers, answered in XML', () => {
  it('reaches the target with split names, an E.164 phone, a generated password, no empty fields, and reads the XML id', async () => {
    const target = await startMockServer(() => ({
      headers: { 'content-type': 'application/xml; charset=utf-8' },
      body: '<?xml version="1.0"?><response><status>ok</status><lead id="X-77"/></response>',
    }));
    cleanups.push(() => target.stop());
    const t = await runtime();
    const flow = {
      id: 'signup',
      name: 'signup',
      event: 'lead.new',
      nodes: [
        node('lead', 'lead-in', 0),
        node('body', 'json-build', 1, {
          omitEmpty: true,
          body: {
            firstName: '{{lead.name | first_name}}',
            lastName: '{{lead.name | last_name}}',
            phone: '{{lead.phone | e164}}',
            email: '{{lead.email}}',
            contacts: [{ type: 'EMAIL', value: '{{lead.email}}' }, {}],
            password: '{{now | random:10,"abcdef0123456789"}}',
            requestId: '{{now | uuid}}',
            phoneHash: '{{lead.phone | e164 | sha256}}',
            page: '{{lead.meta.page | default:"1" | add:1}}',
          },
        }),
        node('send', 'http-request', 2, { url: '{{integration.settings.base_url}}/signup' }),
        node('answer', 'extract', 3, { fields: [{ key: 'eid', value: 'body.response.lead["@id"]' }], required: 'eid' }),
        node('accepted', 'update-lead', 4, {
          find: 'lead',
          setEid: '{{input.eid}}',
          stage: 'wait',
          status: '{{nodes.send.body.response.status}}',
        }),
      ],
      edges: [edge('lead', 'body'), edge('body', 'send'), edge('send', 'answer'), edge('answer', 'accepted')],
    };
    await ok(t.api('POST', '/api/flows', flow));
    await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' }));
    await ok(
      t.api('POST', '/api/integrations', {
        id: 'crm',
        name: 'CRM',
        enabled: true,
        settings: { base_url: target.url },
        offers: ['tea'],
        flows: { 'lead.new': 'signup' },
      }),
    );

    const lead = await deliver(t, { name: 'Anna Maria Weber', phone: '0151 23456789', country: 'de' });
    expect(lead).toMatchObject({ stage: 'wait', eid: 'X-77', status: 'ok' });
    const sent = JSON.parse(target.received[0].body);
    expect(sent).toEqual({
      firstName: 'Anna',
      lastName: 'Maria Weber',
      phone: '+4915123456789',
      password: expect.stringMatching(/^[a-f0-9]{10}$/),
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      phoneHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      contacts: [{ type: 'EMAIL' }],
      page: 2,
    });
  });
});

describe('a target behind OAuth 2 client credentials', () => {
  it('asks for a token once per integration, sends it with a multipart form, and keeps the secret out of every record', async () => {
    let issued = 0;
    const target = await startMockServer((r) => {
      if (r.path === '/oauth/token') {
        const basic = Buffer.from(String(r.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        if (basic !== 'cid-1:csecret-12345' || new URLSearchParams(r.body).get('grant_type') !== 'client_credentials')
          return { status: 401, body: { error: 'invalid_client' } };
        issued++;
        return { body: { access_token: `access-${issued}-qwerty`, token_type: 'Bearer', expires_in: 3600 } };
      }
      if (r.headers.authorization !== `Bearer access-${issued}-qwerty`) return { status: 401, body: { error: 'no token' } };
      if (!String(r.headers['content-type']).startsWith('multipart/form-data; boundary='))
        return { status: 415, body: { error: 'multipart only' } };
      return { body: { id: `L-${target.received.length}` } };
    });
    cleanups.push(() => target.stop());
    const t = await runtime();
    const flow = {
      id: 'oauth-send',
      name: 'oauth-send',
      event: 'lead.new',
      nodes: [
        node('lead', 'lead-in', 0),
        node('auth', 'auth-token', 1, {
          grant: 'client_credentials',
          url: '{{integration.settings.base_url}}/oauth/token',
          clientId: '{{secrets.client_id}}',
          clientSecret: '{{secrets.client_secret}}',
          json: {},
        }),
        node('send', 'http-request', 2, {
          url: '{{integration.settings.base_url}}/leads',
          body: 'multipart',
          form: [
            { key: 'name', value: '{{lead.name}}' },
            { key: 'phone', value: '{{lead.phone | e164}}' },
          ],
        }),
        node('answer', 'extract', 3, { fields: [{ key: 'eid', value: 'body.id' }], required: 'eid' }),
        node('accepted', 'update-lead', 4, { find: 'lead', setEid: '{{input.eid}}', stage: 'wait' }),
      ],
      edges: [edge('lead', 'auth'), edge('auth', 'send'), edge('send', 'answer'), edge('answer', 'accepted')],
    };
    await ok(t.api('POST', '/api/flows', flow));
    await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea' }));
    await ok(
      t.api('POST', '/api/integrations', {
        id: 'oauth-crm',
        name: 'OAuth CRM',
        enabled: true,
        settings: { base_url: target.url },
        secrets: { client_id: 'cid-1', client_secret: 'csecret-12345' },
        offers: ['tea'],
        flows: { 'lead.new': 'oauth-send' },
      }),
    );

    const first = await deliver(t, { name: 'Anna', phone: '+49 151 23456789' });
    const second = await deliver(t, { name: 'Ben', phone: '+49 151 23456780' });
    expect([first.stage, second.stage]).toEqual(['wait', 'wait']);
    expect(target.received.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    const leads = target.received.filter((r) => r.path === '/leads');
    expect(leads.map((r) => r.body.includes('name="phone"\r\n\r\n+4915123456789'))).toEqual([true, false]);
    const { executions } = (await t.api('GET', '/api/executions?integration=oauth-crm')).body;
    expect(executions).toHaveLength(2);
    const records = await Promise.all(executions.map((e: { id: number }) => t.api('GET', `/api/executions/${e.id}`)));
    const text = JSON.stringify(records.map((r) => r.body));
    // the first run asked for the token: its record shows that request, masked
    expect(text).toContain('grant_type=client_credentials');
    expect(text).toMatch(/"Authorization":"Basic \[secret\]"/);
    expect(text).not.toMatch(/qwerty|csecret-12345/);
    // nor in the Basic header that carried it to the token endpoint
    expect(text).not.toContain(Buffer.from('cid-1:csecret-12345').toString('base64'));
  });
});
