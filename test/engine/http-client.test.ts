/**
 * The HTTP client reads an answer whole or not at all: the size limit applies to bodies, and a HEAD
 * answer (which has none) is read whatever length its headers give the resource.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRecord } from '../../core/domain/execution.ts';
import { createAgent, createHttpClient, MAX_BODY_BYTES } from '../../runtime/engine/http.ts';
import { fault, startFaultTarget, type FaultTarget } from '../support/fault-target.ts';

const targets: FaultTarget[] = [];
afterEach(async () => {
  for (const target of targets.splice(0)) await target.close();
});

async function client(...script: Parameters<FaultTarget['script']>[0]) {
  const target = await startFaultTarget();
  targets.push(target);
  target.script(script);
  const records: HttpRecord[] = [];
  const http = createHttpClient(createAgent(), (r) => records.push(r));
  return { target, records, send: (method: string) => http.send({ method, url: `${target.url}/file`, headers: {}, timeoutMs: 2000 }) };
}

describe('the HTTP client and large answers', () => {
  it('reads a HEAD answer whose Content-Length names a 50 MB resource: there is no body to refuse', async () => {
    const { send } = await client(fault.answer(200, '', { 'content-length': String(50 * 1024 * 1024) }));
    const exchange = await send('HEAD');
    expect(exchange).toMatchObject({ outcome: 'answer', status: 200, text: '' });
    expect(exchange.headers?.['content-length']).toBe(String(50 * 1024 * 1024));
  });

  it('refuses a GET answer one byte over the limit, recording its status and the start of what came', async () => {
    const { send, records } = await client(fault.hugeBody(MAX_BODY_BYTES + 1, 'chunked'));
    const exchange = await send('GET');
    expect(exchange).toMatchObject({ outcome: 'network_error', status: 200, error: expect.stringMatching(/^response_too_large: /) });
    expect(exchange.text).toBeUndefined();
    expect(records[0].response?.status).toBe(200);
    expect(records[0].response!.body.length).toBeLessThan(33 * 1024 + 200);
  });

  it('reads an answer of exactly the limit', async () => {
    const { send } = await client(fault.hugeBody(MAX_BODY_BYTES, 'content-length'));
    const exchange = await send('GET');
    expect(exchange.outcome).toBe('answer');
    expect(exchange.text).toHaveLength(MAX_BODY_BYTES);
  });
});
