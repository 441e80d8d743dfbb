import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  type MockServer,
  type TestRuntime,
} from '../support/harness.ts';

let t: TestRuntime;
let target: MockServer;

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  t = await startRuntime();
  await setUpDemoIntegration(t, target.url);
});
afterAll(async () => {
  await t.close();
  await target.stop();
  removeDataDir(t.dataDir);
});

const postLead = (headers: Record<string, string> = {}) =>
  fetch(`${t.url}/api/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': t.intakeKey, ...headers },
    body: JSON.stringify({ offer: 'tea', phone: '+49151234567', name: 'Grüße' }),
  });

describe('the answers machines get: plain JSON, no ETag on a POST', () => {
  it('a lead taken in is answered as JSON with its exact length, the security headers and no ETag', async () => {
    const response = await postLead();
    const text = await response.text();
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(JSON.parse(text)).toMatchObject({ stage: 'new' });
  });

  it('a repeat is answered as the original was, marked replayed, and without an ETag either', async () => {
    const first = await postLead({ 'idempotency-key': 'machine-answers-1' });
    const again = await postLead({ 'idempotency-key': 'machine-answers-1' });
    expect(again.status).toBe(first.status);
    expect(await again.json()).toEqual(await first.json());
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('etag')).toBeNull();
  });

  it('a refused lead keeps the error answer it had', async () => {
    const response = await postLead({ 'x-api-key': 'not-a-key' });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toMatchObject({ error: 'unauthorized', message: 'the intake key is not valid' });
  });

  it('a management read keeps its ETag, and an unchanged one is answered 304', async () => {
    const first = await fetch(`${t.url}/api/offers`, { headers: { cookie: t.cookie } });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"/);
    // node:http, not fetch: fetch marks a conditional request `Cache-Control: no-cache`, which a server answers in full
    const again = await new Promise<number | undefined>((resolve, reject) =>
      get(`${t.url}/api/offers`, { headers: { cookie: t.cookie, 'if-none-match': etag as string } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect(again).toBe(304);
  });

  it('an OPTIONS of a lead path still lists every method its routes have', async () => {
    const allow = async (route: string) =>
      (await fetch(`${t.url}${route}`, { method: 'OPTIONS', headers: { cookie: t.cookie } })).headers.get('allow');
    expect(await allow('/api/leads')).toBe('GET, HEAD, POST');
    expect(await allow('/api/leads/7')).toBe('GET, HEAD, PATCH');
    expect(await allow('/api/leads/export.csv')).toBe('GET, HEAD');
    expect(await allow('/postback/crm')).toBe('GET, POST');
  });
});
