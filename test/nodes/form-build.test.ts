import { describe, expect, it } from 'vitest';
import { formBuild } from '../../nodes/form-build.ts';
import { runNode, sampleLead, secrets } from './context.ts';

describe('Form/Query Build', () => {
  it("writes the lead's name and phone as a form body by default, spaces as +", async () => {
    const { result } = await runNode(formBuild);
    expect(result.output).toEqual({
      body: 'name=Anna+Schmidt&phone=%2B49+%2830%29+1234-567',
      fields: { name: 'Anna Schmidt', phone: '+49 (30) 1234-567' },
      contentType: 'application/x-www-form-urlencoded',
    });
  });

  it("nests a list value the way PHP's http_build_query does", async () => {
    const { result } = await runNode(formBuild, {
      params: {
        fields: [
          { key: 'offer', value: '{{offer.params.stream}}' },
          { key: 'goods', value: '{{lead.goods}}' },
        ],
      },
    });
    // PHP: http_build_query(['offer' => 'st-1', 'goods' => [['product' => 'tea', 'count' => 2, 'price' => 19.9]]])
    expect((result.output as { body: string }).body).toBe(
      'offer=st-1&goods%5B0%5D%5Bproduct%5D=tea&goods%5B0%5D%5Bcount%5D=2&goods%5B0%5D%5Bprice%5D=19.9',
    );
  });

  it('skips rows without a name', async () => {
    const { result } = await runNode(formBuild, {
      params: {
        fields: [
          { key: '', value: 'lost' },
          { key: 'a', value: '1' },
        ],
      },
    });
    expect(result.output).toMatchObject({ body: 'a=1', fields: { a: '1' } });
  });

  it('as query puts the fields into the URL query and passes nothing of its input on', async () => {
    const { result } = await runNode(formBuild, {
      params: { as: 'query', fields: [{ key: 'api_key', value: 'k' }] },
      input: { body: { a: 1 }, contentType: 'application/json', headers: { 'X-A': '1' }, query: { page: '2' } },
    });
    expect(result.output).toEqual({ query: { api_key: 'k' }, fields: { api_key: 'k' } });
  });

  it("as form passes nothing of its input on: an answer's headers never reach the next request", async () => {
    const { result } = await runNode(formBuild, {
      params: { fields: [{ key: 'a', value: 'b' }] },
      input: {
        status: 200,
        ok: true,
        headers: { 'keep-alive': 'timeout=5', 'content-length': '2' },
        query: { page: '2' },
        body: { replaced: true },
      },
    });
    expect(result.output).toEqual({
      body: 'a=b',
      fields: { a: 'b' },
      contentType: 'application/x-www-form-urlencoded',
    });
  });

  it('reads secrets: a credential may be one of the fields', async () => {
    const { result } = await runNode(formBuild, { params: { fields: [{ key: 'key', value: '{{secrets.api_key}}' }] } });
    expect(formBuild.usesSecrets).toBe(true);
    expect(result.output).toMatchObject({ fields: { key: secrets.api_key } });
  });

  it('with omit empty sends no field for a value that renders empty', async () => {
    const { result } = await runNode(formBuild, {
      lead: sampleLead({ email: undefined }),
      params: {
        omitEmpty: true,
        fields: [
          { key: 'name', value: '{{lead.name}}' },
          { key: 'email', value: '{{lead.email}}' },
        ],
      },
    });
    expect((result.output as { body: unknown }).body).toBe('name=Anna+Schmidt');
  });
});
