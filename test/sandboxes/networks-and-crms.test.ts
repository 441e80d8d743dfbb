import { describe, expect, it } from 'vitest';
import { startAffiliateNetwork } from '../../runtime/sandboxes/affiliate-network.ts';
import { createHmac } from 'node:crypto';
import { startClassicCrm } from '../../runtime/sandboxes/classic-crm.ts';
import { startDemoCrm } from '../../runtime/sandboxes/demo-crm.ts';
import { startFinancialNetwork } from '../../runtime/sandboxes/financial-network.ts';
import { startFinancialCrm } from '../../runtime/sandboxes/financial-crm.ts';
import { SANDBOXES, startSandboxTargets } from '../../runtime/sandboxes/index.ts';
import { startMockServer, waitFor, cleanUpAfterEach } from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('the affiliate network sandbox', () => {
  it('checks the API key, refuses a bad lead naming the field, takes a good one and answers its statuses', async () => {
    const target = await startAffiliateNetwork(0, { apiKey: 'k', offers: { '310': ['s-77'] }, stepMs: 200 });
    cleanups.push(target.close);
    const lead = { offer_id: '310', stream_id: 's-77', name: 'Ole', phone: '+47 912 34 565', country: 'no' };
    const key = { 'x-api-key': 'k' };
    expect(await call('POST', `${target.url}/api/v1/leads`, lead)).toMatchObject({
      status: 401,
      body: { success: false, error: { code: 'unauthorized' } },
    });
    expect(await call('POST', `${target.url}/api/v1/leads`, { ...lead, phone: '' }, key)).toMatchObject({
      status: 422,
      body: { error: { code: 'validation', field: 'phone' } },
    });
    expect(await call('POST', `${target.url}/api/v1/leads`, { ...lead, stream_id: 's-1' }, key)).toMatchObject({
      status: 422,
      body: { error: { code: 'offer', field: 'stream_id' } },
    });
    const created = await call('POST', `${target.url}/api/v1/leads`, lead, key);
    expect(created).toMatchObject({ status: 201, body: { success: true, data: { status: 'pending' } } });
    expect(await call('POST', `${target.url}/api/v1/leads`, lead, key)).toMatchObject({
      status: 409,
      body: { error: { code: 'duplicate' } },
    });
    const id = created.body.data.lead_id as string;
    const statuses = async () =>
      (await call('GET', `${target.url}/api/v1/leads/statuses?ids=${id},nope`, undefined, key)).body.data as {
        status: string;
        payout: number;
      }[];
    expect((await statuses()).map((s) => s.status)).toEqual(['pending']);
    await waitFor(async () => (await statuses())[0].status === 'approved', 'hold then approved');
    expect((await statuses())[0].payout).toBe(12);
  });

  it('answers a send repeated with the same Idempotency-Key with the lead it made, not as a duplicate', async () => {
    const target = await startAffiliateNetwork(0, { apiKey: 'k', stepMs: 10_000 });
    cleanups.push(target.close);
    const lead = { offer_id: '310', stream_id: 's-77', name: 'Ole', phone: '+47 912 34 561', country: 'no' };
    const headers = { 'x-api-key': 'k', 'idempotency-key': 'store-7-lead.new' };
    const created = await call('POST', `${target.url}/api/v1/leads`, lead, headers);
    expect(created.status).toBe(201);
    expect(await call('POST', `${target.url}/api/v1/leads`, lead, headers)).toEqual(created);
    expect(target.leads.size).toBe(1);
    // another key, the same phone: the network's own duplicate rule still holds
    expect((await call('POST', `${target.url}/api/v1/leads`, lead, { ...headers, 'idempotency-key': 'store-8-lead.new' })).status).toBe(
      409,
    );
  });
});

describe('the demo CRM sandbox', () => {
  it('answers a send repeated with the same Idempotency-Key with the order it made, and a new key for the same phone as a duplicate', async () => {
    const crm = await startDemoCrm(0, { apiKey: 'k', apiSecret: 's', stepMs: 10_000 });
    cleanups.push(crm.close);
    const body = JSON.stringify({ offer_id: '201', phone: '491512345670', name: 'Anna' });
    const send = async (key: string) => {
      const response = await fetch(`${crm.url}/api/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'k',
          'x-signature': createHmac('sha256', 's').update(body).digest('hex'),
          'idempotency-key': key,
        },
        body,
      });
      return { status: response.status, body: await response.json() };
    };
    const first = await send('store-1-lead.new');
    expect(first).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await send('store-1-lead.new')).toEqual(first);
    expect((await send('store-2-lead.new')).status).toBe(409);
  });
});

describe('the classic CRM sandbox', () => {
  it('takes a JSON order with goods, replaces its goods on an upsell, and reports statuses by batches of ids, a return included', async () => {
    const target = await startClassicCrm(0, { apiKey: 'k', stepMs: 200 });
    cleanups.push(target.close);
    const order = {
      external_id: '7',
      customer: { name: 'Eva', phone: '+49 151 0000004' },
      country: 'de',
      extra: { wm: '3', subid: 'c-1' },
      goods: [{ product_id: 'SKU-1', count: 1, price: 39 }],
    };
    expect(await call('POST', `${target.url}/api/orders?api_key=bad`, order)).toEqual({
      status: 403,
      body: { ok: false, error: 'access denied' },
    });
    expect(await call('POST', `${target.url}/api/orders?api_key=k`, { ...order, goods: [{ product_id: 'SKU-1', count: 1 }] })).toEqual({
      status: 400,
      body: { ok: false, error: 'goods[0].price must be a number' },
    });
    const created = await call('POST', `${target.url}/api/orders?api_key=k`, order);
    expect(created).toEqual({ status: 200, body: { ok: true, order_id: 5001 } });
    expect((await call('POST', `${target.url}/api/orders?api_key=k`, order)).status).toBe(409);
    const upsell = await call('POST', `${target.url}/api/orders/update?api_key=k`, {
      order_id: 5001,
      goods: [{ product_id: 'SKU-2', count: 2, price: 10 }],
      comment: 'upsell',
    });
    expect(upsell.body).toEqual({ ok: true, order_id: 5001, total: 20 });
    expect(target.orders.get(5001)?.extra).toEqual({ wm: '3', subid: 'c-1' });
    const seen: string[] = [];
    await waitFor(async () => {
      const status = (await call('GET', `${target.url}/api/orders/status?api_key=k&ids=5001`)).body.orders[0].status as string;
      if (seen.at(-1) !== status) seen.push(status);
      return status === 'returned';
    }, 'the return');
    expect(seen.at(-1)).toBe('returned');
    expect(seen).toContain('confirmed');
    expect(
      (
        await call('POST', `${target.url}/api/orders/update?api_key=k`, {
          order_id: 5001,
          goods: [{ product_id: 'SKU-2', count: 1, price: 10 }],
        })
      ).status,
    ).toBe(409);
  });
});

describe('the financial network sandbox', () => {
  it('takes a sign-up with its landing and offer group, and sends each change as a postback with its macros filled in', async () => {
    const tracker = await startMockServer(() => ({ body: 'ok' }));
    const target = await startFinancialNetwork(0, { apiKey: 'k', stepMs: 30 });
    cleanups.push(target.close, tracker.stop);
    const lead = {
      first_name: 'Max',
      email: 'max@example.com',
      phone: '+49 151 2222221',
      country: 'DE',
      ip: '10.0.0.1',
      landing: 'https://invest.example.com',
      offer_group: 'crypto',
      click_id: '42',
    };
    expect((await call('POST', `${target.url}/api/v2/leads`, lead, { 'api-key': 'no' })).status).toBe(401);
    expect(await call('POST', `${target.url}/api/v2/leads`, { ...lead, landing: '' }, { 'api-key': 'k' })).toEqual({
      status: 400,
      body: { status: false, error: 'landing is required' },
    });
    const set = await call(
      'POST',
      `${target.url}/api/v2/settings/postback`,
      { url: `${tracker.url}/postback/fin?token=t&click_id={click_id}&lead_id={lead_id}&status={status}&payout={payout}` },
      { 'api-key': 'k' },
    );
    expect(set.status).toBe(200);
    const created = await call('POST', `${target.url}/api/v2/leads`, lead, { 'api-key': 'k' });
    expect(created.body).toMatchObject({ status: true, lead_id: 'FN70001' });
    await waitFor(() => tracker.received.length === 1, 'the deposit postback');
    expect(tracker.received[0].query).toEqual({ token: 't', click_id: '42', lead_id: 'FN70001', status: 'ftd', payout: '250' });
  });
});

describe('the financial CRM sandbox', () => {
  it('logs in for a token, answers 200 with an error in the body for bad input, registers with an autologin URL and pages by date range', async () => {
    const target = await startFinancialCrm(0, { username: 'u', password: 'p', stepMs: 10_000, pageSize: 2 });
    cleanups.push(target.close);
    expect((await call('POST', `${target.url}/api/v1/auth/login`, { username: 'u', password: 'x' })).status).toBe(401);
    const login = await call('POST', `${target.url}/api/v1/auth/login`, { username: 'u', password: 'p' });
    expect(login.body).toMatchObject({ expires_in: 3600 });
    const auth = { authorization: `Bearer ${login.body.token}` };
    expect((await call('POST', `${target.url}/api/v1/leads/register`, {}, { authorization: 'Bearer nope' })).status).toBe(401);
    const lead = { firstName: 'Ida', email: 'ida@example.com', phone: '+46 70 123 4560', country: 'SE', ip: '10.0.0.2', clickId: '9' };
    expect(await call('POST', `${target.url}/api/v1/leads/register`, { ...lead, email: 'nope' }, auth)).toEqual({
      status: 200,
      body: { result: 'error', message: 'email: not a valid address' },
    });
    const registered = await call('POST', `${target.url}/api/v1/leads/register`, lead, auth);
    expect(registered.body).toMatchObject({ result: 'success', data: { leadId: 'FC1001' } });
    expect((await fetch(registered.body.data.autologinUrl)).status).toBe(200);
    for (const n of [1, 2]) await call('POST', `${target.url}/api/v1/leads/register`, { ...lead, email: `ida${n}@example.com` }, auth);
    const from = new Date(Date.now() - 60_000).toISOString().slice(0, 19).replace('T', ' ');
    const to = new Date(Date.now() + 60_000).toISOString().slice(0, 19).replace('T', ' ');
    const page1 = await call(
      'GET',
      `${target.url}/api/v1/leads?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&page=1`,
      undefined,
      auth,
    );
    expect(page1.body.data).toMatchObject({ page: 1, totalPages: 2, nextPage: 2 });
    expect(page1.body.data.leads.map((l: { leadId: string }) => l.leadId)).toEqual(['FC1001', 'FC1002']);
    const page2 = await call(
      'GET',
      `${target.url}/api/v1/leads?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&page=2`,
      undefined,
      auth,
    );
    expect(page2.body.data).toMatchObject({ page: 2, nextPage: null, leads: [{ leadId: 'FC1003', status: 'New' }] });
    target.expireTokens();
    expect((await call('GET', `${target.url}/api/v1/leads?from=${from}&to=${to}`, undefined, auth)).status).toBe(401);
  });
});

describe('the sandbox index', () => {
  it('starts every kind on consecutive ports, each with what its template needs', async () => {
    const first = await startMockServer();
    const port = first.port;
    await first.stop();
    const targets = await startSandboxTargets(port, { host: '127.0.0.1' }).catch(() => undefined);
    // consecutive ports may be taken on a busy machine; then one on port 0 each is enough to check the rest
    const started = targets ?? (await Promise.all(Object.values(SANDBOXES).map((s) => s.start(0))));
    cleanups.push(() => Promise.all(started.map((t) => t.close())).then(() => {}));
    expect(started.map((t) => t.kind)).toEqual([
      'altercpa',
      'affiliate-network',
      'classic-crm',
      'financial-network',
      'financial-crm',
      'fulfilment-crm',
    ]);
    if (targets) expect(started.map((t) => Number(new URL(t.url).port))).toEqual([port, port + 1, port + 2, port + 3, port + 4, port + 5]);
    for (const t of started) expect(t.settings.base_url).toBe(t.url);
  });
});
