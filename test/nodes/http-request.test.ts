import { describe, expect, it, onTestFinished } from 'vitest';
import { httpRequest } from '../../nodes/http-request.ts';
import { MAX_BODY_BYTES } from '../../runtime/engine/http.ts';
import { fault, startFaultTarget } from '../support/fault-target.ts';
import { closedPortUrl, runNode, startTarget, type Answer, type RunOptions } from './context.ts';

type Answered = { status: number; ok: boolean; headers: Record<string, string>; body: unknown; durationMs: number };

const call = (params: Record<string, unknown>, options: RunOptions = {}) => runNode(httpRequest, { input: {}, ...options, params });

/** A target answering every request with `answer`, and the node's result for one request to it. */
async function answeredWith(answer: Answer, params: Record<string, unknown> = {}) {
  const target = await startTarget(() => answer);
  const { result } = await call({ url: `${target.url}/orders`, ...params });
  return { ...result, answer: result.output as Answered };
}

describe('HTTP Request: the request', () => {
  it('sends form rows as multipart/form-data, nested values the way PHP reads them', async () => {
    const target = await startTarget(() => ({ body: { ok: true } }));
    await call({
      url: `${target.url}/signup`,
      body: 'multipart',
      form: [
        { key: 'name', value: '{{lead.name}}' },
        { key: 'goods', value: '{{lead.goods}}' },
      ],
    });
    const [seen] = target.received;
    const type = String(seen.headers['content-type']);
    expect(type).toMatch(/^multipart\/form-data; boundary=----leadflow[0-9a-f]{24}$/);
    const boundary = type.split('boundary=')[1];
    expect(seen.body).toBe(
      [
        `--${boundary}`,
        'Content-Disposition: form-data; name="name"',
        '',
        'Anna Schmidt',
        `--${boundary}`,
        'Content-Disposition: form-data; name="goods[0][product]"',
        '',
        'tea',
        `--${boundary}`,
        'Content-Disposition: form-data; name="goods[0][count]"',
        '',
        '2',
        `--${boundary}`,
        'Content-Disposition: form-data; name="goods[0][price]"',
        '',
        '19.9',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    // and a real multipart reader takes it
    const form = await new Response(seen.body, { headers: { 'content-type': type } }).formData();
    expect(form.get('name')).toBe('Anna Schmidt');
    expect(form.get('goods[0][count]')).toBe('2');
  });

  it('posts the JSON body built before it, with its headers, to the URL with query rows and the input query appended', async () => {
    const target = await startTarget(() => ({ body: { id: 'E-1' } }));
    const { result } = await call(
      { url: `${target.url}/orders`, query: [{ key: 'api_key', value: '{{secrets.api_key}}' }] },
      { input: { body: { name: 'Anna' }, contentType: 'application/json', headers: { 'X-Signature': 'abc' }, query: { stream: 'st 1' } } },
    );
    const [seen] = target.received;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/orders?stream=st+1&api_key=key-123');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['x-signature']).toBe('abc');
    expect(JSON.parse(seen.body)).toEqual({ name: 'Anna' });
    expect(result.port).toBe('out');
    expect(result.failure).toBeUndefined();
  });

  it('appends to a URL that already has a query with &', async () => {
    const target = await startTarget();
    await call({ method: 'GET', url: `${target.url}/api?action=add`, query: [{ key: 'key', value: 'k' }] });
    expect(target.received[0].url).toBe('/api?action=add&key=k');
  });

  it('renders the URL from the lead', async () => {
    const target = await startTarget();
    await call({ method: 'GET', url: `${target.url}/leads/{{lead.id}}` });
    expect(target.received[0].url).toBe('/leads/42');
  });

  it('lets header rows win over headers set before it, whatever their letter case', async () => {
    const target = await startTarget();
    const run = await call(
      {
        url: target.url,
        headers: [
          { key: 'content-type', value: 'application/vnd.crm+json' },
          { key: 'Authorization', value: 'Bearer {{secrets.api_key}}' },
        ],
      },
      { input: { body: { a: 1 }, headers: { 'Content-Type': 'text/plain', Authorization: 'old', 'X-Keep': 'yes' } } },
    );
    const [seen] = target.received;
    expect(seen.headers['content-type']).toBe('application/vnd.crm+json');
    expect(seen.headers.authorization).toBe('Bearer key-123');
    expect(seen.headers['x-keep']).toBe('yes');
    // the names as written reach the client, once each
    expect(Object.keys(run.http.exchanges[0].request.headers).sort()).toEqual(['Authorization', 'X-Keep', 'content-type']);
  });

  it("sends none of an earlier answer's headers when its input is that answer, and no connection headers from any input", async () => {
    const target = await startTarget();
    const run = await call(
      { method: 'GET', url: target.url, headers: [{ key: 'X-Track', value: '{{input.headers.x-track}}' }] },
      { input: { status: 200, ok: true, headers: { 'keep-alive': 'timeout=5', connection: 'keep-alive', 'x-track': 't-1' }, body: {} } },
    );
    await call(
      { method: 'GET', url: target.url },
      { input: { headers: { 'Keep-Alive': 'timeout=5', 'Content-Length': '99', Host: 'evil', 'X-Signature': 's' } } },
    );
    // mapped on purpose, the answer's header is sent; nothing else of it
    expect(Object.keys(run.http.exchanges[0].request.headers)).toEqual(['X-Track']);
    expect(target.received[0].headers['x-track']).toBe('t-1');
    expect(target.received[0].headers['keep-alive']).toBeUndefined();
    expect(target.received[1].headers['x-signature']).toBe('s');
    expect(target.received[1].headers['keep-alive']).toBeUndefined();
    expect(target.received[1].headers.host).not.toBe('evil');
  });

  it('sends the form body Form Build made with its content type', async () => {
    const target = await startTarget();
    await call(
      { url: target.url },
      { input: { body: 'a=1&b=x+y', contentType: 'application/x-www-form-urlencoded', fields: { a: '1', b: 'x y' } } },
    );
    expect(target.received[0].body).toBe('a=1&b=x+y');
    expect(target.received[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('encodes an object body whose content type is a form the way PHP does', async () => {
    const target = await startTarget();
    await call({ url: target.url }, { input: { body: { a: [1, 2], b: 'x y' }, contentType: 'application/x-www-form-urlencoded' } });
    expect(target.received[0].body).toBe('a%5B0%5D=1&a%5B1%5D=2&b=x+y');
  });

  it('sends its own JSON body, rendered from the lead, when asked to', async () => {
    const target = await startTarget();
    await call(
      { url: target.url, body: 'json', json: { phone: '{{lead.phone | digits}}', id: '{{lead.id}}' } },
      { input: { body: 'ignored' } },
    );
    expect(target.received[0].body).toBe('{"phone":"49301234567","id":42}');
    expect(target.received[0].headers['content-type']).toBe('application/json');
  });

  it('sends its own form rows as a PHP form', async () => {
    const target = await startTarget();
    await call({
      url: target.url,
      body: 'form',
      form: [
        { key: 'name', value: '{{lead.name}}' },
        { key: '', value: 'skipped' },
      ],
    });
    expect(target.received[0].body).toBe('name=Anna+Schmidt');
    expect(target.received[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('sends a text body with the content type given', async () => {
    const target = await startTarget();
    await call({ url: target.url, method: 'PUT', body: 'text', text: '<lead id="{{lead.id}}"/>', contentType: 'application/xml' });
    expect(target.received[0].method).toBe('PUT');
    expect(target.received[0].body).toBe('<lead id="42"/>');
    expect(target.received[0].headers['content-type']).toBe('application/xml');
  });

  it('a GET sends no body, but still the query built before it', async () => {
    const target = await startTarget();
    await call({ url: target.url, method: 'GET' }, { input: { body: { a: 1 }, contentType: 'application/json', query: { id: '7' } } });
    expect(target.received[0].method).toBe('GET');
    expect(target.received[0].url).toBe('/?id=7');
    expect(target.received[0].body).toBe('');
    expect(target.received[0].headers['content-type']).toBeUndefined();
  });

  it('body none sends nothing even when a body was built', async () => {
    const target = await startTarget();
    await call({ url: target.url, method: 'DELETE', body: 'none' }, { input: { body: { a: 1 } } });
    expect(target.received[0].body).toBe('');
  });

  it('a URL that is not a full address, or is empty, is an error', async () => {
    const run = call({ url: 'crm.example.com/orders' });
    await expect(run).rejects.toThrow(/not a full URL/);
    await expect(call({ url: '{{integration.settings.missing}}' })).rejects.toThrow(/URL is empty/);
  });
});

describe('HTTP Request: the answer', () => {
  it('a 2xx JSON answer takes the out port with the body parsed', async () => {
    const { port, answer, failure } = await answeredWith({ status: 201, body: { id: 'E-1', data: [{ status: 'new' }] } });
    expect(port).toBe('out');
    expect(failure).toBeUndefined();
    expect(answer).toMatchObject({ status: 201, ok: true, body: { id: 'E-1', data: [{ status: 'new' }] } });
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('auto reads an answer that looks like JSON as JSON, whatever its content type', async () => {
    const { answer } = await answeredWith({ headers: { 'content-type': 'text/html' }, body: ' {"ok":1}' });
    expect(answer.body).toEqual({ ok: 1 });
  });

  it('auto keeps a plain text answer as text, and so does a "JSON" answer that is not', async () => {
    expect((await answeredWith({ body: 'OK 12345' })).answer.body).toBe('OK 12345');
    expect((await answeredWith({ headers: { 'content-type': 'application/json' }, body: 'oops' })).answer.body).toBe('oops');
  });

  it('auto says why a "JSON" answer was kept as text: jsonError, and a line in the log', async () => {
    const target = await startTarget(() => ({ headers: { 'content-type': 'application/json' }, body: '{"status":"ok","id":' }));
    const { result, logs } = await call({ url: `${target.url}/orders` });
    expect(result.port).toBe('out');
    expect(result.output).toMatchObject({ status: 200, ok: true, body: '{"status":"ok","id":', jsonError: expect.any(String) });
    expect(logs).toEqual([expect.stringMatching(/^the answer \(HTTP 200\) looks like JSON but is not: .+; kept as text$/)]);
    // JSON that parses, plain text and an empty body carry no jsonError
    for (const answer of [{ body: { a: 1 } }, { body: 'OK 12345' }, { headers: { 'content-type': 'application/json' }, body: '' }]) {
      expect((await answeredWith(answer)).answer).not.toHaveProperty('jsonError');
    }
  });

  it('reads JSON after a byte order mark, as JSON', async () => {
    expect((await answeredWith({ headers: { 'content-type': 'application/json' }, body: '\uFEFF{"id":"E-1"}' })).answer.body).toEqual({
      id: 'E-1',
    });
    expect((await answeredWith({ body: '\uFEFF{"id":"E-2"}' }, { parse: 'json' })).answer.body).toEqual({ id: 'E-2' });
  });

  it('an answer over 5 MB takes no exit and fails for good as response_too_large, keeping its status', async () => {
    const { port, failure, output } = await answeredWith({ body: 'x'.repeat(MAX_BODY_BYTES + 1) });
    expect(port).toBeUndefined();
    expect(failure).toMatchObject({
      code: 'response_too_large',
      retryable: false,
      message: expect.stringMatching(/^response_too_large: /),
    });
    expect(output).toMatchObject({ status: 200, ok: false, error: failure?.message });
  });

  it('an answer the connection cuts short takes the network_error port, retryable', async () => {
    const target = await startFaultTarget();
    onTestFinished(() => target.close());
    target.script([fault.halfBody()]);
    const { result } = await call({ url: `${target.url}/orders` });
    expect(result.port).toBe('network_error');
    expect(result.failure).toMatchObject({ code: 'network_error', retryable: true });
    expect(result.failure?.message).toMatch(/^the connection ended after 23 of 47 bytes of the answer/);
  });

  it('text keeps JSON as text', async () => {
    const { answer } = await answeredWith({ body: { a: 1 } }, { parse: 'text' });
    expect(answer.body).toBe('{"a":1}');
  });

  it('json: a 2xx answer that is not JSON fails as bad_json, retryable and with no exit, like a 5xx (never a refusal)', async () => {
    const { port, answer, failure } = await answeredWith({ body: '<html>maintenance</html>' }, { parse: 'json' });
    expect(port).toBeUndefined();
    expect(answer.body).toBe('<html>maintenance</html>');
    expect(failure).toMatchObject({ code: 'bad_json', retryable: true });
    // a flow that handles server errors itself gets it at http_error
    const handled = await answeredWith({ body: '<html>maintenance</html>' }, { parse: 'json', serverErrors: 'http_error' });
    expect(handled.port).toBe('http_error');
    expect(handled.failure).toMatchObject({ code: 'bad_json', retryable: true });
  });

  it('auto reads an XML answer, by its content type, into an object: repeated elements as a list, attributes as @name', async () => {
    const xml = '<response code="0"><order id="007"><status>approved</status></order><order id="8"><status>new</status></order></response>';
    const { port, answer } = await answeredWith({ headers: { 'content-type': 'text/xml; charset=utf-8' }, body: xml });
    expect(port).toBe('out');
    expect(answer.body).toEqual({
      response: {
        '@code': '0',
        order: [
          { '@id': '007', status: 'approved' },
          { '@id': '8', status: 'new' },
        ],
      },
    });
    // by its declaration when the content type says nothing useful
    const declared = await answeredWith({ headers: { 'content-type': 'text/plain' }, body: '<?xml version="1.0"?><ok>1</ok>' });
    expect(declared.answer.body).toEqual({ ok: '1' });
    // an HTML page stays text
    expect((await answeredWith({ headers: { 'content-type': 'text/html' }, body: '<html><p>hi</p></html>' })).answer.body).toBe(
      '<html><p>hi</p></html>',
    );
  });

  it('xml: an answer that is not well-formed XML fails as bad_xml, retryable and with no exit', async () => {
    const { port, failure } = await answeredWith({ headers: { 'content-type': 'application/xml' }, body: '<a><b></a>' }, { parse: 'xml' });
    expect(port).toBeUndefined();
    expect(failure).toMatchObject({ code: 'bad_xml', retryable: true });
    const read = await answeredWith({ headers: { 'content-type': 'text/plain' }, body: '<lead><id>5</id></lead>' }, { parse: 'xml' });
    expect(read.answer.body).toEqual({ lead: { id: '5' } });
  });

  it('a 503 answer takes no exit and fails retryably, so the lead is delivered again later', async () => {
    const { port, answer, failure } = await answeredWith({ status: 503, body: { error: 'busy' } });
    expect(port).toBeUndefined();
    expect(answer).toMatchObject({ status: 503, ok: false, body: { error: 'busy' } });
    expect(failure).toEqual({ code: 'http_error', message: 'HTTP 503', retryable: true });
  });

  it('with serverErrors set to http_error, a 503 takes the http_error exit', async () => {
    const { port, failure } = await answeredWith({ status: 503, body: { error: 'busy' } }, { serverErrors: 'http_error' });
    expect(port).toBe('http_error');
    expect(failure?.retryable).toBe(true);
  });

  it('a 429 answer is retryable, a 400 is not', async () => {
    expect((await answeredWith({ status: 429, body: 'slow down' })).failure?.retryable).toBe(true);
    const rejected = await answeredWith({ status: 400, body: { error: 'bad phone' } });
    expect(rejected.port).toBe('http_error');
    expect(rejected.failure).toEqual({ code: 'http_error', message: 'HTTP 400', retryable: false });
    expect(rejected.answer.body).toEqual({ error: 'bad phone' });
  });

  it('a target that does not answer in time takes the timeout port', async () => {
    const target = await startTarget(() => 'hang');
    const { result } = await call({ url: target.url, timeoutMs: 150 });
    expect(result.port).toBe('timeout');
    expect(result.failure).toMatchObject({ code: 'timeout', retryable: true });
    expect((result.output as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(140);
  });

  it('a closed port takes the network_error port', async () => {
    const { result } = await call({ url: `${await closedPortUrl()}/orders` });
    expect(result.port).toBe('network_error');
    expect(result.failure).toMatchObject({ code: 'network_error', retryable: true });
    expect(result.output).toMatchObject({ error: expect.any(String), durationMs: expect.any(Number) });
  });
});
