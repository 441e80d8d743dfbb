import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign } from '../../nodes/sign.ts';
import { runNode, secrets } from './context.ts';

type Signed = Record<string, unknown> & { signature: string };
const signed = async (params: Record<string, unknown>, input: unknown) => (await runNode(sign, { params, input })).result.output as Signed;

describe('Sign', () => {
  it("over the query signs the key-sorted string PHP's http_build_query writes", async () => {
    // PHP: ksort($f); hash_hmac('sha256', http_build_query($f), 'top-secret')
    // with $f = ['b' => 'x y', 'a' => [1, 2], 'c' => '~'] → 'a%5B0%5D=1&a%5B1%5D=2&b=x+y&c=%7E'
    const php = 'a%5B0%5D=1&a%5B1%5D=2&b=x+y&c=%7E';
    const expected = createHmac('sha256', secrets.api_secret).update(php).digest('hex');
    const output = await signed({ over: 'query', key: '{{secrets.api_secret}}' }, { fields: { b: 'x y', a: [1, 2], c: '~' } });
    expect(output.signature).toBe(expected);
    expect(output.headers).toEqual({ 'X-Signature': expected });
  });

  it('over the query falls back to the query, then to an object body', async () => {
    const fromQuery = await signed({ over: 'query', algorithm: 'md5' }, { query: { z: '1', y: '2' } });
    const fromBody = await signed({ over: 'query', algorithm: 'md5' }, { body: { z: '1', y: '2' } });
    const md5 = createHash('md5').update('y=2&z=1').digest('hex');
    expect(fromQuery.signature).toBe(md5);
    expect(fromBody.signature).toBe(md5);
  });

  it('over the body signs a text body exactly as it will be sent', async () => {
    const body = 'name=Anna+Schmidt&phone=%2B491';
    const output = await signed({ algorithm: 'sha512', key: 'k' }, { body, contentType: 'application/x-www-form-urlencoded' });
    expect(output.signature).toBe(createHmac('sha512', 'k').update(body).digest('hex'));
  });

  it('over the body signs an object body as its JSON, in base64 when asked', async () => {
    const body = { name: 'Anna', goods: [{ product: 'tea', count: 2 }] };
    const output = await signed({ algorithm: 'sha1', encoding: 'base64', key: '{{secrets.api_secret}}' }, { body });
    expect(output.signature).toBe(createHmac('sha1', secrets.api_secret).update(JSON.stringify(body)).digest('base64'));
  });

  it('with the key left empty gives a plain hash, and says so in the log', async () => {
    const run = await runNode(sign, { params: { algorithm: 'md5' }, input: { body: 'abc' } });
    expect((run.result.output as Signed).signature).toBe(createHash('md5').update('abc').digest('hex'));
    expect(run.logs.join('\n')).toMatch(/plain hash/);
  });

  it('over a template signs the rendered text, secrets included, and put none only outputs it', async () => {
    const input = { body: { a: 1 } };
    const output = await signed(
      { over: 'template', template: '{{lead.phone | digits}}{{secrets.salt}}', put: 'none', algorithm: 'sha256' },
      input,
    );
    expect(output).toEqual({ body: { a: 1 }, signature: createHash('sha256').update('49301234567pepper').digest('hex') });
  });

  it('field: puts the signature into a form body, urlencoded, and into its fields', async () => {
    const expected = createHmac('sha256', 'k').update('a=1').digest('base64');
    const output = await signed(
      { key: 'k', encoding: 'base64', put: 'field:sig' },
      { body: 'a=1', fields: { a: '1' }, contentType: 'application/x-www-form-urlencoded' },
    );
    const encoded = encodeURIComponent(expected); // base64 has only + / = to escape, the same in PHP's urlencode
    expect(output.body).toBe(`a=1&sig=${encoded}`);
    expect(output.fields).toEqual({ a: '1', sig: expected });
  });

  it('field: adds the signature to a JSON object body', async () => {
    const output = await signed({ put: 'field:sign', algorithm: 'md5' }, { body: { a: 1 }, contentType: 'application/json' });
    expect(output.body).toEqual({ a: 1, sign: createHash('md5').update('{"a":1}').digest('hex') });
  });

  it('query: adds the signature to the URL query, keeping the query built before', async () => {
    const output = await signed({ over: 'query', put: 'query:sig', algorithm: 'md5' }, { query: { b: '2', a: '1' } });
    expect(output.query).toEqual({ b: '2', a: '1', sig: createHash('md5').update('a=1&b=2').digest('hex') });
  });

  it('header: keeps the headers set before it', async () => {
    const output = await signed({ put: 'header:X-Sign' }, { body: 'x', headers: { 'X-Api-Key': 'k' } });
    expect(output.headers).toEqual({ 'X-Api-Key': 'k', 'X-Sign': createHash('sha256').update('x').digest('hex') });
  });

  it('never changes its input', async () => {
    const input = { body: 'a=1', fields: { a: '1' }, headers: { A: '1' }, query: { q: '1' } };
    const before = structuredClone(input);
    await signed({ put: 'field:sig' }, input);
    await signed({ put: 'header:X-S' }, input);
    await signed({ put: 'query:s' }, input);
    expect(input).toEqual(before);
  });

  it('a put it does not understand is an error naming it', async () => {
    await expect(runNode(sign, { params: { put: 'cookie:x' }, input: { body: 'x' } })).rejects.toThrow(/cookie:x/);
    await expect(runNode(sign, { params: { put: 'header:' }, input: { body: 'x' } })).rejects.toThrow(/header:/);
  });

  it('a field cannot go into a JSON text body or a missing one', async () => {
    await expect(
      runNode(sign, { params: { put: 'field:s' }, input: { body: '{"a":1}', contentType: 'application/json' } }),
    ).rejects.toThrow(/field "s"/);
    await expect(runNode(sign, { params: { put: 'field:s' }, input: { query: { a: 1 } } })).rejects.toThrow(/query:s/);
  });
});
