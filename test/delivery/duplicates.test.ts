/**
 * The duplicate check per offer, through the real intake: a lead whose phone, email, ip or custom
 * field repeats a lead the offer took within its window is refused (409, nothing stored) or stored
 * as trash (nothing queued), and the answer names the original lead and the fields that matched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
} from '../support/harness.ts';

let t: TestRuntime;
let target: MockServer;
let phones = 1000;
/** A lead of its own: a phone no other test uses. */
const fresh = (offer: string, fields: Record<string, unknown> = {}) => ({
  offer,
  name: 'Anna Schmidt',
  country: 'de',
  wm: 'wm1',
  phone: `+49 151 2${String(phones++).padStart(6, '0')}`,
  ...fields,
});

const FIELDS = ['phone', 'email', 'ip', 'meta.x', 'sub1'];

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  t = await startRuntime();
  await setUpDemoIntegration(t, target.url);
  const offer = (id: string, action: string) =>
    t.api('PUT', `/api/offers/${id}`, { name: id, parameters: { crm_offer_id: '301' }, duplicates: { fields: FIELDS, days: 30, action } });
  for (const [id, action] of [
    ['refusing', 'refuse'],
    ['trashing', 'trash'],
    ['other', 'refuse'],
  ]) {
    expect((await offer(id, action)).status).toBe(200);
  }
  const patched = await t.api('PATCH', '/api/integrations/crm', { offers: ['tea', 'refusing', 'trashing', 'other'] });
  expect(patched.status).toBe(200);
});

afterAll(async () => {
  await t?.close();
  await target?.stop();
  if (t) removeDataDir(t.dataDir);
});

const post = (lead: Record<string, unknown>, headers: Record<string, string> = {}) => t.api('POST', '/api/leads', lead, headers);
/** Waits until the lead was delivered (the demo CRM's ok moves it to wait). */
const delivered = (id: number) =>
  waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'wait', `lead ${id} delivered`);
/** The target's requests that carry this phone number (the runtime is shared: others' leads may still be on their way). */
const sentWith = (digits: string) => target.received.filter((r) => r.body.includes(digits)).length;
const leadCount = async (offer: string) => (await t.api('GET', `/api/leads?offer=${offer}&limit=500`)).body.leads.length;

describe('an offer that refuses duplicates', () => {
  it('answers 409 naming the original lead and the phone, stores nothing and sends nothing', async () => {
    const first = await post(fresh('refusing', { phone: '+49 151 5550001' }));
    expect(first.status).toBe(202);
    await delivered(first.body.id);
    const before = await leadCount('refusing');
    const sent = sentWith('5550001');
    expect(sent).toBe(1);
    // the same number written nationally: the same E.164
    const again = await post(fresh('refusing', { phone: '0151 5550001', name: 'Someone Else' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'duplicate', field: 'phone', fields: ['phone'], original: first.body.id });
    expect(again.body.message).toContain(String(first.body.id));
    expect(await leadCount('refusing')).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sentWith('5550001')).toBe(sent);
  });

  const kinds: Array<[string, string, Record<string, unknown>, Record<string, unknown>]> = [
    ['email, whatever its case', 'email', { email: 'Ann.Kurz@Example.org' }, { email: 'ann.kurz@example.ORG' }],
    ['ip', 'ip', { ip: '203.0.113.7' }, { ip: '203.0.113.7' }],
    ['a custom field (meta.x)', 'meta.x', { x: 'loyalty-42' }, { meta: { x: 'loyalty-42' } }],
    ['a lead field by name (sub1)', 'sub1', { sub1: 'camp-9' }, { sub1: 'camp-9' }],
  ];
  for (const [kind, field, first, second] of kinds) {
    it(`finds a repeat by ${kind} alone and names that field`, async () => {
      const original = await post(fresh('refusing', first));
      expect(original.status).toBe(202);
      const again = await post(fresh('refusing', second));
      expect(again.status).toBe(409);
      expect(again.body.original).toBe(original.body.id);
      expect(again.body.fields).toEqual([field]);
    });
  }

  it('names every field that matched the original', async () => {
    const original = await post(fresh('refusing', { email: 'two@example.org', ip: '198.51.100.2' }));
    const again = await post(fresh('refusing', { email: 'two@example.org', ip: '198.51.100.2' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ original: original.body.id, fields: ['email', 'ip'] });
  });

  it('does not count a lead of another offer', async () => {
    const original = await post(fresh('refusing', { phone: '+49 151 5550077' }));
    expect(original.status).toBe(202);
    const elsewhere = await post(fresh('other', { phone: '+49 151 5550077' }));
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.stage).toBe('new');
  });

  it('makes one lead of twenty duplicates posted at once, and refuses the rest naming it', async () => {
    const before = await leadCount('refusing');
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(fresh('refusing', { phone: '+49 151 5550100' }))));
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted.length).toBe(1);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused.length).toBe(19);
    expect(new Set(refused.map((a) => a.body.original))).toEqual(new Set([accepted[0].body.id]));
    expect(await leadCount('refusing')).toBe(before + 1);
  });

  it('still answers a repeat of the same post (same Idempotency-Key) with the original, not a refusal', async () => {
    const lead = fresh('refusing', { phone: '+49 151 5550200' });
    const first = await post(lead, { 'idempotency-key': 'dup-k1' });
    const again = await post(lead, { 'idempotency-key': 'dup-k1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
  });
});

describe('an offer that trashes duplicates', () => {
  it('stores the repeat as trash with reason duplicate, names the original, and queues nothing', async () => {
    const first = await post(fresh('trashing', { phone: '+49 151 5550300' }));
    expect(first.status).toBe(202);
    await delivered(first.body.id);
    const sent = sentWith('5550300');
    expect(sent).toBe(1);
    const again = await post(fresh('trashing', { phone: '+49 151 5550300' }));
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ stage: 'trash', reason: 'duplicate', original: first.body.id, fields: ['phone'] });
    expect(again.body.id).not.toBe(first.body.id);
    const page = await t.api('GET', `/api/leads/${again.body.id}`);
    expect(page.body.lead).toMatchObject({ stage: 'trash', reason: 'duplicate' });
    expect(page.body.deliveries).toEqual([]);
    expect(page.body.history).toMatchObject([{ from: 'new', stage: 'trash', reason: 'duplicate' }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sentWith('5550300')).toBe(sent);
  });

  it('trashes nineteen of twenty posted at once, all naming the one it took', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(fresh('trashing', { email: 'burst@example.org' }))));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const kept = answers.filter((a) => a.body.stage === 'new');
    expect(kept.length).toBe(1);
    const trashed = answers.filter((a) => a.body.stage === 'trash');
    expect(trashed.length).toBe(19);
    expect(new Set(trashed.map((a) => a.body.original))).toEqual(new Set([kept[0].body.id]));
  });

  it('counts the first lead as the original for every later repeat, not the last trashed one', async () => {
    const first = await post(fresh('trashing', { ip: '192.0.2.55' }));
    await post(fresh('trashing', { ip: '192.0.2.55' }));
    const third = await post(fresh('trashing', { ip: '192.0.2.55' }));
    expect(third.body.original).toBe(first.body.id);
  });
});

describe('a duplicate rule', () => {
  it('is refused when saved with a field it cannot read, naming it', async () => {
    const bad = await t.api('PUT', '/api/offers/bad', { name: 'bad', duplicates: { fields: ['meta.a b'], days: 30, action: 'refuse' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('duplicates.fields.0');
    const action = await t.api('PUT', '/api/offers/bad', { name: 'bad', duplicates: { fields: ['phone'], days: 30, action: 'drop' } });
    expect(action.body.field).toBe('duplicates.action');
    const days = await t.api('PUT', '/api/offers/bad', { name: 'bad', duplicates: { fields: ['phone'], days: 0, action: 'trash' } });
    expect(days.body.field).toBe('duplicates.days');
  });
});
