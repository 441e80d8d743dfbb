import { describe, expect, it } from 'vitest';
import { curlToNodes } from '../../editor/src/curl/to-nodes.ts';
import { fieldCredential, headerCredential, looksLikeKey } from '../../editor/src/curl/credentials.ts';

describe('credentials in a curl command', () => {
  it('takes parameters and fields named like a credential for one, whatever their value', () => {
    for (const key of ['api_key', 'apiKey', 'key', 'token', 'access_token', 'secret', 'client_secret', 'password', 'pass'])
      expect(fieldCredential(key, 'x'), key).toBeDefined();
    expect(fieldCredential('api_key', 'x')).toBe('api_key');
    expect(fieldCredential('key', 'x')).toBe('api_key');
    expect(fieldCredential('password', 'x')).toBe('password');
  });

  it('takes an id for a key only when its value looks like one, not like a number', () => {
    expect(looksLikeKey('17-3f9a0c5e77d1b2a4')).toBe(true);
    expect(looksLikeKey('a8F3k29Dk1m0Qz7Lp4Xw2c9V')).toBe(true);
    expect(looksLikeKey('12345')).toBe(false);
    expect(looksLikeKey('order-2024-06')).toBe(false);
    expect(fieldCredential('id', '17-3f9a0c5e77d1b2a4')).toBe('api_key');
    expect(fieldCredential('id', '4411')).toBeUndefined();
  });

  it('leaves signatures and ordinary fields alone', () => {
    for (const key of ['sign', 'signature', 'hash', 'phone', 'name', 'offer_id']) expect(fieldCredential(key, 'abc'), key).toBeUndefined();
  });

  it('reads the credential out of a header, keeping the scheme in front of it', () => {
    expect(headerCredential('Authorization', 'Bearer abc.def')).toEqual({ name: 'token', prefix: 'Bearer ', value: 'abc.def' });
    expect(headerCredential('Authorization', 'Basic dXNlcjpwdw==')).toEqual({
      name: 'basic_auth',
      prefix: 'Basic ',
      value: 'dXNlcjpwdw==',
    });
    expect(headerCredential('X-Api-Key', 'k-1')).toEqual({ name: 'api_key', prefix: '', value: 'k-1' });
    expect(headerCredential('Api-Key', 'k-1')?.name).toBe('api_key');
    expect(headerCredential('Accept', 'application/json')).toBeUndefined();
  });

  it('turns a key in the URL into a secret with its value kept, and the host into the integration’s base_url', () => {
    const made = curlToNodes(
      `curl 'https://crm.example.com/api/wm/push.json?id=17-3f9a0c5e77d1b2a4&offer=12' -d 'phone=%2B49+151+1234567'`,
    );
    const request = made.nodes.find((n) => n.type === 'http-request');
    expect(request?.params.url).toBe('{{integration.settings.base_url}}/api/wm/push.json');
    expect(request?.params.query).toEqual([
      { key: 'id', value: '{{secrets.api_key}}' },
      { key: 'offer', value: '{{offer.params.offer}}' },
    ]);
    expect(made.baseUrl).toBe('https://crm.example.com');
    expect(made.secrets).toEqual([{ name: 'api_key', value: '17-3f9a0c5e77d1b2a4', where: 'the URL parameter "id"' }]);
    expect(JSON.stringify(made.nodes)).not.toContain('3f9a0c5e77d1b2a4');
  });

  it('finds credentials in headers and the body, each under its own name, and -u as basic auth', () => {
    const made = curlToNodes(
      `curl -u anna:pw https://t.test:8443/v1/leads -H 'X-Api-Key: k-1' -H 'Authorization: Bearer t-2' -H 'Content-Type: application/json' -d '{"secret":"s-3","name":"Anna"}'`,
    );
    expect(made.baseUrl).toBe('https://t.test:8443');
    expect(made.secrets).toEqual([
      { name: 'api_key', value: 'k-1', where: 'the header X-Api-Key' },
      { name: 'token', value: 't-2', where: 'the header Authorization' },
      { name: 'basic_auth', value: btoa('anna:pw'), where: 'the user and password of -u (base64, as Basic sends them)' },
      { name: 'secret', value: 's-3', where: 'the body field "secret"' },
    ]);
    const text = JSON.stringify(made.nodes);
    for (const value of ['k-1', 't-2', 's-3', btoa('anna:pw')]) expect(text).not.toContain(value);
  });

  it('gives a second credential of the same name and another value a name of its own', () => {
    const made = curlToNodes(`curl 'https://t.test/a?token=one' -H 'Content-Type: application/json' -d '{"token":"two"}'`);
    expect(made.secrets.map((s) => [s.name, s.value])).toEqual([
      ['token', 'one'],
      ['token_2', 'two'],
    ]);
  });
});
