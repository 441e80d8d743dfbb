import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startRuntime, type TestRuntime } from '../support/harness.ts';

let t: TestRuntime;

beforeAll(async () => {
  t = await startRuntime();
});
afterAll(async () => {
  await t.close();
  removeDataDir(t.dataDir);
});

/** Posts raw bytes to intake with the test source's key; answers the status and the parsed body. */
async function post(body: string | ArrayBuffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${t.url}/api/leads`, { method: 'POST', headers: { 'x-api-key': t.intakeKey, ...headers }, body });
  return { status: response.status, body: await response.json() };
}

const leadCount = async () => (await t.api('GET', '/api/leads')).body.leads.length;

describe('intake media types', () => {
  it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream'])(
    'a lead sent as %s is refused 415 naming the content type, and nothing is stored',
    async (type) => {
      const before = await leadCount();
      const answer = await post('offer=tea&phone=%2B49151234567', { 'content-type': type });
      expect(answer.status).toBe(415);
      expect(answer.body).toMatchObject({ error: 'unsupported_media_type', field: '(body)' });
      expect(answer.body.message).toContain(type);
      expect(await leadCount()).toBe(before);
    },
  );

  it('a body without a content type is refused 415 saying so', async () => {
    const answer = await post(new TextEncoder().encode('{"offer":"tea"}').buffer as ArrayBuffer);
    expect(answer.status).toBe(415);
    expect(answer.body.message).toContain('without a content type');
  });

  it('malformed JSON is a 400 invalid_json, not a 500', async () => {
    const answer = await post('{"offer": "tea", ', { 'content-type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_json', field: '(body)' });
  });

  it('JSON with a charset parameter is read as JSON (the lead is then checked field by field)', async () => {
    const answer = await post('{"offer": "tea"}', { 'content-type': 'application/json; charset=utf-8' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_field', field: 'phone' });
  });

  it('a charset the parser cannot read is a 415 naming it', async () => {
    const answer = await post('{"offer": "tea"}', { 'content-type': 'application/json; charset=klingon' });
    expect(answer.status).toBe(415);
    expect(answer.body.message.toLowerCase()).toContain('klingon');
  });
});
