import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLeadInput } from '../../runtime/services/lead-input.ts';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  type MockServer,
  type TestRuntime,
} from '../support/harness.ts';

const refusal = (raw: unknown) => {
  try {
    parseLeadInput(raw);
  } catch (error) {
    return { field: (error as { field?: string }).field, message: (error as Error).message };
  }
  throw new Error('the lead was accepted');
};

describe('a lead’s phone', () => {
  it('is kept as sent, with its E.164 form beside it, read against the country when it has no +', () => {
    const lead = parseLeadInput({ offer: 'tea', phone: '0151 2345-6780', country: 'DE' });
    expect(lead).toMatchObject({ phone: '0151 2345-6780', phoneE164: '+4915123456780', country: 'de' });
  });

  it('in international form is read by its own calling code, whatever the country', () => {
    expect(parseLeadInput({ offer: 'tea', phone: '+46 70 123 4560', country: 'de' }).phoneE164).toBe('+46701234560');
    expect(parseLeadInput({ offer: 'tea', phone: '+49 151 2345670' }).phoneE164).toBe('+491512345670');
  });

  it('is accepted when its length is possible for the plan, even in a range not known to be in use (isPossible, not isValid)', () => {
    expect(parseLeadInput({ offer: 'tea', phone: '+49 151 2345670', country: 'de' }).phoneE164).toBe('+491512345670');
  });

  it('in national form without a country is kept without an E.164 form', () => {
    const lead = parseLeadInput({ offer: 'tea', phone: '0151 23456780' });
    expect(lead.phone).toBe('0151 23456780');
    expect(lead.phoneE164).toBeUndefined();
  });

  it('that cannot be a number of the country is refused naming phone', () => {
    expect(refusal({ offer: 'tea', phone: '12345', country: 'us' })).toMatchObject({
      field: 'phone',
      message: expect.stringContaining('US'),
    });
    expect(refusal({ offer: 'tea', phone: '+1 23456' })).toMatchObject({ field: 'phone' });
  });

  it('sent as phoneE164 by the caller is not taken: the intake derives it', () => {
    const lead = parseLeadInput({ offer: 'tea', phone: '+4915123456780', phoneE164: '+10000000000' });
    expect(lead.phoneE164).toBe('+4915123456780');
    expect(lead.meta).toBeUndefined();
  });
});

describe('a lead’s country', () => {
  it.each(['xx', 'UK', 'zz'])('%s, not an ISO 3166-1 code, is refused naming country', (country) => {
    expect(refusal({ offer: 'tea', phone: '+4915123456780', country })).toMatchObject({ field: 'country' });
  });

  it.each(['de', 'GB', 'no', 'se'])('%s is accepted, in lower case', (country) => {
    expect(parseLeadInput({ offer: 'tea', phone: '+4915123456780', country }).country).toBe(country.toLowerCase());
  });
});

describe('intake over HTTP', () => {
  let t: TestRuntime;
  let target: MockServer;
  beforeAll(async () => {
    target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
    t = await startRuntime();
    await setUpDemoIntegration(t, target.url);
  });
  afterAll(async () => {
    await t.close();
    await target.stop();
    removeDataDir(t.dataDir);
  });

  it('stores the phone as sent and its E.164 form', async () => {
    const answer = await t.api('POST', '/api/leads', { offer: 'tea', phone: '0151 23456780', country: 'de' });
    expect(answer.status).toBe(202);
    const stored = (await t.api('GET', `/api/leads/${answer.body.id}`)).body;
    expect(stored.lead).toMatchObject({ phone: '0151 23456780', phoneE164: '+4915123456780', country: 'de' });
  });

  it('refuses an impossible phone with 400 naming phone and a bad country with 400 naming country, storing neither', async () => {
    const before = (await t.api('GET', '/api/leads')).body.leads.length;
    const phone = await t.api('POST', '/api/leads', { offer: 'tea', phone: '12345', country: 'us' });
    expect(phone.status).toBe(400);
    expect(phone.body).toMatchObject({ error: 'invalid_field', field: 'phone' });
    const country = await t.api('POST', '/api/leads', { offer: 'tea', phone: '+4915123456780', country: 'xx' });
    expect(country.status).toBe(400);
    expect(country.body).toMatchObject({ error: 'invalid_field', field: 'country' });
    expect((await t.api('GET', '/api/leads')).body.leads.length).toBe(before);
  });
});
