import { describe, expect, it } from 'vitest';
import { jsonBuild } from '../../nodes/json-build.ts';
import { runNode, sampleLead, secrets } from './context.ts';

describe('JSON Build', () => {
  it('builds the name and phone of the lead by default, as JSON', async () => {
    const { result } = await runNode(jsonBuild);
    expect(result.output).toEqual({
      body: { name: 'Anna Schmidt', phone: '+49 (30) 1234-567' },
      contentType: 'application/json',
    });
  });

  it('keeps the type of a value that is one expression and writes mixed text as text', async () => {
    const { result } = await runNode(jsonBuild, {
      params: { body: { id: '{{lead.id}}', goods: '{{lead.goods}}', phone: '+{{lead.phone | digits}}', note: 'order {{lead.id}}' } },
    });
    expect((result.output as { body: unknown }).body).toEqual({
      id: 42,
      goods: [{ product: 'tea', count: 2, price: 19.9 }],
      phone: '+49301234567',
      note: 'order 42',
    });
  });

  it("fills in the offer parameter for the lead's country: a German lead gets the -de value", async () => {
    const german = await runNode(jsonBuild, { params: { body: { offer: '{{offer.params.crm_offer_id}}' } } });
    const french = await runNode(jsonBuild, {
      lead: sampleLead({ country: 'fr' }),
      params: { body: { offer: '{{offer.params.crm_offer_id}}' } },
    });
    expect((german.result.output as { body: unknown }).body).toEqual({ offer: '100-de' });
    expect((french.result.output as { body: unknown }).body).toEqual({ offer: '100' });
  });

  it("passes nothing of its input on: an answer's headers, query or body read before it never reach the next request", async () => {
    const { result } = await runNode(jsonBuild, {
      input: {
        status: 200,
        ok: true,
        headers: { connection: 'keep-alive', 'keep-alive': 'timeout=5', 'content-length': '12' },
        query: { page: 1 },
        body: 'old',
        fields: { a: 1 },
      },
    });
    expect(result.output).toEqual({
      body: { name: 'Anna Schmidt', phone: '+49 (30) 1234-567' },
      contentType: 'application/json',
    });
  });

  it('reads secrets: a credential goes into the body', async () => {
    const { result } = await runNode(jsonBuild, { params: { body: { key: '{{secrets.api_key}}' } } });
    expect(jsonBuild.usesSecrets).toBe(true);
    expect((result.output as { body: { key?: unknown } }).body.key).toBe(secrets.api_key);
  });

  it('with omit empty leaves out the fields that render empty: no email, no empty list of contacts', async () => {
    const { result } = await runNode(jsonBuild, {
      lead: sampleLead({ email: undefined }),
      params: {
        omitEmpty: true,
        body: { name: '{{lead.name}}', email: '{{lead.email}}', contacts: [{ VALUE: '{{lead.email}}' }], count: 0 },
      },
    });
    expect((result.output as { body: unknown }).body).toEqual({ name: 'Anna Schmidt', count: 0 });
  });
});
