import { describe, expect, it } from 'vitest';
import { SecretHostRefused, secretHostGuard } from '../../runtime/engine/http.ts';

describe('the allowed-hosts rule for secrets', () => {
  it('sees a client secret inside an Authorization: Basic header, and refuses it to another host', () => {
    const guard = secretHostGuard({ client_secret: 'csecret-12345' }, ['auth.crm.example']);
    const basic = `Basic ${Buffer.from('cid-1:csecret-12345').toString('base64')}`;
    const spec = (url: string) => ({
      method: 'POST',
      url,
      headers: { Authorization: basic },
      body: 'grant_type=client_credentials',
      timeoutMs: 1000,
    });
    expect(() => guard(spec('https://evil.example/oauth/token'))).toThrow(SecretHostRefused);
    expect(() => guard(spec('https://auth.crm.example/oauth/token'))).not.toThrow();
    // form-encoded before base64, as RFC 6749 asks: still seen
    const encoded = `Basic ${Buffer.from('cid-1:csecret%2B12345').toString('base64')}`;
    const plus = secretHostGuard({ client_secret: 'csecret+12345' }, ['auth.crm.example']);
    expect(() => plus({ ...spec('https://evil.example/t'), headers: { authorization: encoded } })).toThrow(SecretHostRefused);
  });
});
