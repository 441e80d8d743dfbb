import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { code } from '../../nodes/code.ts';
import { CODE_LIMITS } from '../../core/node/code-sandbox.ts';
import { integration, sampleLead, secrets } from '../nodes/context.ts';
import { outputOf, runCode } from './harness.ts';

describe('the Code node', () => {
  it('declares fixed out and error ports and its limits as params with the documented defaults', () => {
    expect(code.outputs).toEqual(['out', 'error']);
    expect(code.inputs).toEqual(['in']);
    expect(code.params.script.kind).toBe('code');
    expect(code.params.timeoutMs.default).toBe(1000);
    expect(code.params.memoryMb.default).toBe(32);
    expect(code.params.stackKb.default).toBe(CODE_LIMITS.stackKb);
    expect(code.params.outputKb.default).toBe(1024);
  });

  it("gives the script input, lead, offer with its parameters for the lead's country, and the integration settings", async () => {
    const output = await outputOf(
      'return { input, leadId: lead.id, phone: lead.phone, offerId: offer.params.crm_offer_id, stream: offer.params.stream, integration };',
      { input: { body: { a: 1 } } },
    );
    expect(output).toEqual({
      input: { body: { a: 1 } },
      leadId: 42,
      phone: '+49 (30) 1234-567',
      offerId: '100-de',
      stream: 'st-1',
      integration: { settings: integration.settings },
    });
  });

  it('never gives the script a secret, not even through its signing keys', async () => {
    const output = await outputOf(
      `const key = helpers.key('sign');
       return { seen: JSON.stringify({ input, lead, offer, integration, key, keys: Object.keys(helpers) }) };`,
      { params: { keys: [{ key: 'sign', value: '{{secrets.api_secret}}' }] } },
    );
    const seen = (output as { seen: string }).seen;
    for (const secret of Object.values(secrets)) expect(seen).not.toContain(secret);
  });

  it('returns plain JSON as the output on the out port; nothing returned is null', async () => {
    const { result } = await runCode('return { items: [1, "two", null, true], nested: { at: new Date(0) } };');
    expect(result).toEqual({ port: 'out', output: { items: [1, 'two', null, true], nested: { at: '1970-01-01T00:00:00.000Z' } } });
    const nothing = await runCode('const unused = 1;');
    expect(nothing.result).toEqual({ port: 'out', output: null });
    expect(nothing.logs.join('\n')).toMatch(/returned nothing/);
  });

  it('runs async scripts: awaited promises resolve inside the run', async () => {
    const output = await outputOf(
      'const twice = async (n) => n * 2;\nconst values = await Promise.all([twice(1), twice(2)]);\nreturn values;',
    );
    expect(output).toEqual([2, 4]);
  });

  it('takes the error port with helpers.port, its output the value, as a failure the flow may handle', async () => {
    const { result } = await runCode("return helpers.port('error', { reason: 'duplicate phone', status: 'rejected' });");
    expect(result.port).toBe('error');
    expect(result.output).toEqual({ reason: 'duplicate phone', status: 'rejected' });
    expect(result.failure).toEqual({ code: 'code_error', message: 'duplicate phone', retryable: false });
  });

  it('reads an object with $port as a port choice too, and $port: "out" as a plain output', async () => {
    const error = await runCode("return { $port: 'error', message: 'bad phone' };");
    expect(error.result).toMatchObject({ port: 'error', output: { message: 'bad phone' }, failure: { message: 'bad phone' } });
    const out = await runCode("return helpers.port('out', [1, 2]);");
    expect(out.result).toEqual({ port: 'out', output: [1, 2] });
    const unknown = await runCode("return helpers.port('maybe', 1);");
    expect(unknown.result.failure).toMatchObject({ code: 'code_result', message: expect.stringMatching(/"maybe".*only out and error/) });
  });

  it('asks for a retry with helpers.retry: a retryable failure without a port', async () => {
    const { result } = await runCode("return helpers.retry('the target is busy');");
    expect(result.port).toBeUndefined();
    expect(result.failure).toEqual({ code: 'code_retry', message: 'the target is busy', retryable: true });
  });

  it('reports a thrown exception with its message, line and column', async () => {
    const { result } = await runCode('const order = input.body;\n\nreturn order.items.length;', { input: { body: {} } });
    expect(result.failure).toEqual({
      code: 'code_exception',
      message: "TypeError: cannot read property 'length' of undefined (line 3, column 19)",
      retryable: false,
    });
    expect(result.output).toMatchObject({ error: { kind: 'exception', line: 3, column: 19 } });
    const thrown = await runCode('if (!input.phone) {\n  throw new Error("no phone");\n}', { input: {} });
    expect(thrown.result.failure?.message).toBe('Error: no phone (line 2, column 18)');
    const rejected = await runCode('await null;\nthrow "plain text";');
    expect(rejected.result.failure?.message).toBe('the script threw "plain text"');
  });

  it('reports a syntax error at run time too, with line and column', async () => {
    const { result } = await runCode('const a = 1;\nconst b = ;');
    expect(result.failure).toMatchObject({ code: 'code_syntax', message: expect.stringMatching(/^SyntaxError: .*\(line 2, column 11\)$/) });
  });

  it("puts helpers.log and console.log lines into the run's log, bounded", async () => {
    const { logs } = await runCode(
      'helpers.log("sending", lead.id, { a: 1 });\nconsole.log("also", [1]);\nfor (let i = 0; i < 500; i++) console.log(i);\nreturn 1;',
    );
    expect(logs[0]).toBe('sending 42 {"a":1}');
    expect(logs[1]).toBe('also [1]');
    expect(logs).toHaveLength(201);
    expect(logs[200]).toMatch(/302 more log lines dropped/);
  });

  it('hashes on the host: md5, sha1, sha256, sha512 in hex or base64, and HMAC of each', async () => {
    const output = (await outputOf(`return {
      md5: helpers.md5('abc'), sha1: helpers.sha1('abc'), sha256: helpers.sha256('abc', 'base64'), sha512: helpers.sha512('äbc'),
      hmacMd5: helpers.hmac('md5', 'k', 'abc'), hmac256: helpers.hmac('sha256', 'k', 'abc', 'base64'),
      hmac1: helpers.hmac('SHA-1', 'k', 'abc', 'hex'), hmac512: helpers.hmac('sha512', 'k', { a: 1 }),
    };`)) as Record<string, string>;
    expect(output).toEqual({
      md5: createHash('md5').update('abc').digest('hex'),
      sha1: createHash('sha1').update('abc').digest('hex'),
      sha256: createHash('sha256').update('abc').digest('base64'),
      sha512: createHash('sha512').update('äbc').digest('hex'),
      hmacMd5: createHmac('md5', 'k').update('abc').digest('hex'),
      hmac256: createHmac('sha256', 'k').update('abc').digest('base64'),
      hmac1: createHmac('sha1', 'k').update('abc').digest('hex'),
      hmac512: createHmac('sha512', 'k').update('{"a":1}').digest('hex'),
    });
    const bad = await runCode("return helpers.hmac('crc32', 'k', 'abc');");
    expect(bad.result.failure?.message).toMatch(/unknown hash "crc32": use md5, sha1, sha256 or sha512/);
  });

  it('signs with a signing key it cannot read: HMAC keys and salted hashes', async () => {
    const params = {
      keys: [
        { key: 'sign', value: '{{secrets.api_secret}}' },
        { key: 'salt', value: '{{secrets.salt}}' },
      ],
    };
    const output = await outputOf(
      "return { hmac: helpers.hmac('sha256', helpers.key('sign'), 'a=1'), salted: helpers.md5('a=1' + helpers.key('salt')) };",
      { params },
    );
    expect(output).toEqual({
      hmac: createHmac('sha256', secrets.api_secret).update('a=1').digest('hex'),
      salted: createHash('md5').update(`a=1${secrets.salt}`).digest('hex'),
    });
    // only hashing reads a key: everything else sees the stand-in
    const leaked = await outputOf(
      "return [helpers.base64Encode(helpers.key('sign')), helpers.urlencode(helpers.key('sign')), helpers.key('sign')].join('|');",
      { params },
    );
    expect(leaked).not.toContain(secrets.api_secret);
    expect(leaked).not.toContain(Buffer.from(secrets.api_secret).toString('base64'));
    const missing = await runCode("return helpers.key('nope');", { params });
    expect(missing.result.failure?.message).toMatch(/no signing key "nope": add it to the node's Signing keys \(it has sign, salt\)/);
  });

  it('encodes the PHP way: urlencode, rawurlencode, http_build_query, base64', async () => {
    const output = await outputOf(`return {
      url: helpers.urlencode("a b~*"), raw: helpers.rawurlencode("a b~*"), back: helpers.urldecode("a+b%7E"),
      query: helpers.httpBuildQuery({ b: 'x y', a: [1, 2], c: null, d: true }),
      sorted: helpers.httpBuildQuery({ b: 'x y', a: [1, 2] }, { sort: true }),
      b64: helpers.base64Encode('Grüße'), text: helpers.base64Decode('R3LDvMOfZQ=='),
    };`);
    expect(output).toEqual({
      url: 'a+b%7E%2A',
      raw: 'a%20b~%2A',
      back: 'a b~',
      query: 'b=x+y&a%5B0%5D=1&a%5B1%5D=2&d=1',
      sorted: 'a%5B0%5D=1&a%5B1%5D=2&b=x+y',
      b64: 'R3LDvMOfZQ==',
      text: 'Grüße',
    });
  });

  it('formats dates with PHP characters in a time zone and parses them to epoch seconds and ISO', async () => {
    const output = await outputOf(`return {
      utc: helpers.date('Y-m-d H:i:s', '2024-05-06 07:08:09'),
      berlin: helpers.date('d.m.Y H:i T', 1714979289, 'Europe/Berlin'),
      epoch: helpers.strtotime('2024-05-06 07:08:09'),
      iso: helpers.isoDate('2024-05-06T09:08:09+02:00'),
      bad: helpers.strtotime('not a date'),
      now: Math.abs(helpers.time() - Math.floor(Date.now() / 1000)) < 5,
    };`);
    expect(output).toEqual({
      utc: '2024-05-06 07:08:09',
      berlin: '06.05.2024 09:08 T',
      epoch: 1714979289,
      iso: '2024-05-06T07:08:09.000Z',
      bad: null,
      now: true,
    });
  });

  it('turns a status check answer into a list of lead statuses', async () => {
    const answer = {
      status: 200,
      ok: true,
      body: {
        orders: [
          { id: 'A-1', ref: '11', state: 'approved', payout: '12,50' },
          { id: 'A-2', ref: '12', state: 'rejected', why: 'no answer' },
          { id: 'A-3', ref: '13', state: 'calling' },
        ],
      },
    };
    const statuses = await outputOf(
      `
      const stages = { approved: 'approve', rejected: 'cancel', calling: 'wait' };
      return input.body.orders.map((order) => ({
        oid: order.ref, eid: order.id, stage: stages[order.state] ?? 'wait', status: order.state,
        reason: order.why ?? '', payout: order.payout ? Number(order.payout.replace(',', '.')) : null,
      }));`,
      { input: answer },
    );
    expect(statuses).toEqual([
      { oid: '11', eid: 'A-1', stage: 'approve', status: 'approved', reason: '', payout: 12.5 },
      { oid: '12', eid: 'A-2', stage: 'cancel', status: 'rejected', reason: 'no answer', payout: null },
      { oid: '13', eid: 'A-3', stage: 'wait', status: 'calling', reason: '', payout: null },
    ]);
  });

  it('without a code sandbox in the context, fails saying so', async () => {
    await expect(
      Promise.resolve(code.execute({ params: { script: 'return 1' }, input: {}, integration, lead: sampleLead() } as never)),
    ).rejects.toThrow(/no code sandbox/);
  });
});
