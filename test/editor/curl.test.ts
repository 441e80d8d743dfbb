import { describe, expect, it } from 'vitest';
import { parseCurl, shellWords } from '../../editor/src/curl/parse.ts';
import { curlToNodes } from '../../editor/src/curl/to-nodes.ts';

describe('reading a curl command', () => {
  it('splits words the way a shell does: quotes, escapes, line continuations', () => {
    expect(shellWords(`curl -H "A: \\"x\\"" 'b c' \\\n  $'d\\ne' f\\ g`)).toEqual(['curl', '-H', 'A: "x"', 'b c', 'd\ne', 'f g']);
  });

  it('reads method, URL, headers and data, with the method implied by the data', () => {
    const req = parseCurl(`curl https://t.test/api -H 'X-Key: 1' --data-urlencode 'name=John Smith' -sSL`);
    expect(req).toMatchObject({
      method: 'POST',
      url: 'https://t.test/api',
      headers: [{ name: 'X-Key', value: '1' }],
      urlencoded: [{ key: 'name', value: 'John Smith' }],
    });
    expect(parseCurl('curl -G https://t.test -d a=1').method).toBe('GET');
    expect(parseCurl('curl -XPUT t.test/x').url).toBe('http://t.test/x');
  });

  it('makes a form builder with the lead fields recognised and a request that sends its body', () => {
    const made = curlToNodes(`curl -X POST https://t.test/order.php -d 'fio=Ivan&tel=%2B7+900+1234567&geo=RU&offer_id=12&stream=abc'`);
    expect(made.nodes.map((n) => n.type)).toEqual(['form-build', 'http-request']);
    expect(made.nodes[0].params.fields).toEqual([
      { key: 'fio', value: '{{lead.name}}' },
      { key: 'tel', value: '{{lead.phone}}' },
      { key: 'geo', value: '{{lead.country}}' },
      { key: 'offer_id', value: '{{offer.params.offer_id}}' },
      { key: 'stream', value: 'abc' },
    ]);
    expect(made.nodes[1].params).toMatchObject({ method: 'POST', url: '{{integration.settings.base_url}}/order.php', body: 'input' });
    expect(made.baseUrl).toBe('https://t.test');
    expect(made.edges).toEqual([{ id: 'e1', source: 'form', sourceHandle: 'out', target: 'request', targetHandle: 'in' }]);
  });

  it('keeps credentials out of the flow: they become secrets, and a body holding one is built by the request itself', () => {
    const made = curlToNodes(
      `curl https://t.test/api?api_key=XYZ -H 'Content-Type: application/json' -d '{"token":"abc","phone":"+1 555 123 4567"}'`,
    );
    expect(made.nodes).toHaveLength(1);
    expect(made.nodes[0].params).toMatchObject({
      query: [{ key: 'api_key', value: '{{secrets.api_key}}' }],
      body: 'json',
      json: { token: '{{secrets.token}}', phone: '{{lead.phone}}' },
    });
    expect(JSON.stringify(made.nodes)).not.toContain('XYZ');
    expect(made.secrets).toEqual([
      { name: 'api_key', value: 'XYZ', where: 'the URL parameter "api_key"' },
      { name: 'token', value: 'abc', where: 'the body field "token"' },
    ]);
  });

  it('says what is wrong with a command it cannot read', () => {
    expect(() => parseCurl('wget https://t.test')).toThrow('does not start with "curl"');
    expect(() => parseCurl("curl -d 'a=1")).toThrow('not closed');
    expect(() => parseCurl('curl -X POST')).toThrow('no URL');
  });
});
