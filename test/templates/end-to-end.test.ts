/**
 * Each template, instantiated as a new user would (`POST /api/integrations/from-template`) and
 * pointed at its sandbox target: leads are sent, get the target's external id, and follow the
 * target's statuses by the template's way (polling, date range or postback) to their final
 * stages, with exactly one outgoing postback to the webmaster's tracker per stage change.
 */
import { describe, expect, it } from 'vitest';
import { SANDBOXES, SANDBOX_CREDENTIALS, type SandboxKind, type SandboxTarget } from '../../runtime/sandboxes/index.ts';
import { startFinancialCrm } from '../../runtime/sandboxes/financial-crm.ts';
import {
  removeDataDir,
  setUpFromTemplate,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

const STEP_MS = 250;

/** Phones by the fate the sandboxes give them (see runtime/sandboxes/sandbox.ts). */
const FATES = {
  approve: '+49 151 1000000',
  holdThenApprove: '+49 151 1000005',
  cancel: '+49 151 1000006',
  hold: '+49 151 1000008',
  trash: '+49 151 1000009',
};
const FINAL = { approve: 'approve', holdThenApprove: 'approve', cancel: 'cancel', hold: 'hold', trash: 'trash' } as const;

interface World {
  t: TestRuntime;
  tracker: MockServer;
  target: SandboxTarget;
  created: any;
}

async function world(kind: SandboxKind): Promise<World> {
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const target = await SANDBOXES[kind].start(0, { stepMs: STEP_MS });
  const t = await startRuntime();
  cleanups.push(
    () => target.close(),
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  const created = await setUpFromTemplate(t, {
    template: kind,
    id: kind,
    settings: target.settings,
    secrets: target.secrets,
    offerParameters: target.offerParameters,
    trackerUrl: tracker.url,
  });
  return { t, tracker, target, created };
}

/** Sends one lead per fate; answers our ids by fate. */
async function sendLeads(
  w: World,
  fates: (keyof typeof FATES)[] = Object.keys(FATES) as (keyof typeof FATES)[],
): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const [i, fate] of fates.entries()) {
    const posted = await w.t.api('POST', '/api/leads', {
      offer: `offer-${w.created.id}`,
      wm: 'wm1',
      subid: `click-${fate}`,
      name: 'Anna Schmidt',
      phone: FATES[fate],
      email: `anna.${fate}.${i}@example.com`,
      ip: '10.20.30.40',
      country: 'de',
      utm_source: 'fb',
      goods: [{ product: 'tea', count: 2, price: 39 }],
    });
    expect(posted.status, JSON.stringify(posted.body)).toBeLessThan(300);
    ids[fate] = posted.body.id;
  }
  return ids;
}

async function lead(t: TestRuntime, id: number): Promise<any> {
  return (await t.api('GET', `/api/leads/${id}`)).body;
}

/** Waits until every lead is in its final stage, running the check now each time when one is given. */
async function followToFinal(
  w: World,
  ids: Record<string, number>,
  check?: string,
  final: Record<string, string> = FINAL,
): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      if (check) {
        const report = await w.t.api('POST', `/api/integrations/${w.created.id}/checks/${check}`);
        expect(report.status, JSON.stringify(report.body)).toBe(200);
      }
      const views: Record<string, any> = {};
      for (const [fate, id] of Object.entries(ids)) views[fate] = await lead(w.t, id);
      return Object.entries(views).every(([fate, v]) => v.lead.stage === final[fate]) && views;
    },
    'every lead in its final stage',
    20_000,
  );
}

/** Each stage change sent exactly one postback to the tracker, in the order of the lead's history. */
async function expectOnePostbackPerChange(w: World, views: Record<string, any>): Promise<void> {
  const changes = Object.values(views).reduce((sum, v) => sum + v.history.length, 0);
  await waitFor(() => w.tracker.received.length >= changes, `${changes} postbacks at the tracker`);
  // a further check changes nothing and sends nothing more
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(w.tracker.received).toHaveLength(changes);
  for (const v of Object.values(views)) {
    const hits = w.tracker.received.filter((r) => r.query.lead === String(v.lead.id));
    expect(hits.map((h) => h.query.stage)).toEqual(v.history.map((h: { stage: string }) => h.stage));
    expect(hits.every((h) => h.query.click === (v.lead.subid ?? ''))).toBe(true);
  }
}

describe('the AlterCPA template', () => {
  it('sends leads to add.json, gets the network ids and polls list.json to the final stages', async () => {
    const w = await world('altercpa');
    expect(w.created).toMatchObject({
      enabled: true,
      missing: { settings: [], secrets: [], offerParameters: {} },
      flows: { 'lead.new': 'altercpa-send', 'status.processing': 'altercpa-status' },
    });
    const ids = await sendLeads(w);
    const delivered = await waitFor(async () => {
      const views = await Promise.all(Object.values(ids).map((id) => lead(w.t, id)));
      return views.every((v) => v.lead.stage === 'wait' && v.executions.length > 0) && views;
    }, 'delivery');
    expect(delivered.map((v) => v.lead.eid)).toEqual(['100001', '100002', '100003', '100004', '100005']);
    const sent = delivered[0].executions[0].steps.find((s: { nodeId: string }) => s.nodeId === 'send').http[0];
    expect(sent.request.url).toMatch(/\/api\/ext\/add\.json\?id=17-\[secret\]$/);
    expect(Object.fromEntries(new URLSearchParams(sent.request.body))).toMatchObject({
      id: String(ids.approve),
      offer: '25',
      wm: 'wm1',
      phone: '491511000000',
      ip: '10.20.30.40',
      us: 'fb',
    });
    const views = await followToFinal(w, ids, 'status.processing');
    // AlterCPA's stage text and its numeric status code, both kept beside our stage
    expect(views.cancel.lead).toMatchObject({ status: 'cancel', statusCode: '5', statusComment: 'customer changed their mind' });
    expect(views.approve.lead).toMatchObject({ status: 'approve', statusCode: '6' });
    expect(views.cancel.history.at(-1)).toMatchObject({ source: 'status-check', stage: 'cancel' });
    await expectOnePostbackPerChange(w, views);
  });

  it('a lead the network refuses is cancelled with its code as the reason (ip, duplicate); a wrong key fails the delivery, saying so', async () => {
    const w = await world('altercpa');
    const refused = await w.t.api('POST', '/api/leads', { offer: 'offer-altercpa', wm: 'wm1', phone: '+49 151 1000001', name: 'No IP' });
    const view = await waitFor(async () => {
      const v = await lead(w.t, refused.body.id);
      return v.lead.stage === 'cancel' && v;
    }, 'the refusal');
    expect(view.lead).toMatchObject({ reason: 'ip', status: 'error', statusCode: 'ip' });

    // the network already has an order with the id our next lead will have: it refuses it as a duplicate
    const nextId = refused.body.id + 1;
    const { user, key } = { user: w.target.settings.user_id, key: w.target.secrets.api_key };
    const made = await fetch(`${w.target.settings.base_url}/api/ext/add.json?id=${user}-${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id: String(nextId), offer: '25', phone: '4915110000003', ip: '10.0.0.9' }).toString(),
    });
    expect(await made.json()).toMatchObject({ status: 'ok', uid: expect.any(Number) });
    const duplicate = await w.t.api('POST', '/api/leads', { offer: 'offer-altercpa', wm: 'wm1', phone: '+49 151 1000003', ip: '10.0.0.9' });
    expect(duplicate.body.id).toBe(nextId);
    const twice = await waitFor(async () => {
      const v = await lead(w.t, duplicate.body.id);
      return v.lead.stage === 'cancel' && v;
    }, 'the duplicate refusal');
    expect(twice.lead.reason).toBe('duplicate');

    await w.t.api('PATCH', '/api/integrations/altercpa', { secrets: { api_key: 'wrong' } });
    const unauthorised = await w.t.api('POST', '/api/leads', {
      offer: 'offer-altercpa',
      wm: 'wm1',
      phone: '+49 151 1000002',
      ip: '10.0.0.1',
    });
    const failed = await waitFor(async () => {
      const v = await lead(w.t, unauthorised.body.id);
      return v.deliveries.some((d: { state: string }) => d.state === 'failed') && v;
    }, 'the failed delivery');
    expect(failed.lead.stage).toBe('new');
    expect(failed.deliveries[0].attempts).toBe(1);
    expect(failed.deliveries[0].lastError).toContain('altercpa_account: the network refused our account (error "key")');
  });
});

describe('the AlterCPA template against answers shaped otherwise', () => {
  type Row = { uid: number; id: string; stage: string; status: number; comment: string };
  it.each([
    ['the id under uid, rows keyed by uid', 'uid', (rows: Row[]) => Object.fromEntries(rows.map((r) => [String(r.uid), r]))],
    ['the id under id, rows keyed by uid', 'id', (rows: Row[]) => Object.fromEntries(rows.map((r) => [String(r.uid), r]))],
    ['the id under uid, a list of rows', 'uid', (rows: Row[]) => rows],
    ['the id under uid, rows under data', 'uid', (rows: Row[]) => ({ status: 'ok', data: rows })],
  ])(
    'reads %s; refusals by code (nooffer, a phone refused with a 4xx) cancel, a db error is tried again',
    async (_shape, idField, shape) => {
      const target = await startMockServer((r) => {
        if (r.path === '/api/ext/add.json') {
          const body = Object.fromEntries(new URLSearchParams(r.body));
          if (body.phone.endsWith('3')) return { status: 400, body: { status: 'error', error: 'phone' } };
          if (body.phone.endsWith('4')) return { body: { status: 'error', error: 'nooffer' } };
          if (body.phone.endsWith('7')) return { body: { status: 'error', error: 'db' } };
          return { body: { status: 'ok', [idField]: 9000 + Number(body.id) } };
        }
        const uids = (r.query.ids ?? '').split(',').filter(Boolean);
        const rows = uids.map((uid) => ({
          uid: Number(uid),
          id: String(Number(uid) - 9000),
          stage: 'approve',
          status: 6,
          comment: 'paid',
        }));
        return { body: rows.length ? shape(rows) : [] };
      });
      const t = await startRuntime();
      cleanups.push(
        () => target.stop(),
        () => t.close(),
        () => removeDataDir(t.dataDir),
      );
      await setUpFromTemplate(t, {
        template: 'altercpa',
        id: 'acpa',
        settings: { base_url: target.url, user_id: '1' },
        secrets: { api_key: 'k' },
        offerParameters: { altercpa_offer: '5' },
      });
      const post = async (phone: string) => (await t.api('POST', '/api/leads', { offer: 'offer-acpa', phone, ip: '10.0.0.1' })).body.id;
      const good = await post('+49 151 1000001');
      const badPhone = await post('+49 151 1000003');
      const noOffer = await post('+49 151 1000004');
      const busy = await post('+49 151 1000007');
      await waitFor(
        async () =>
          (await lead(t, badPhone)).lead.stage === 'cancel' &&
          (await lead(t, noOffer)).lead.stage === 'cancel' &&
          (await lead(t, good)).lead.stage === 'wait',
        'delivery',
      );
      expect((await lead(t, badPhone)).lead.reason).toBe('phone');
      expect((await lead(t, noOffer)).lead.reason).toBe('nooffer');
      const retried = await waitFor(async () => {
        const v = await lead(t, busy);
        return v.deliveries[0]?.lastError?.includes('altercpa_db') && v;
      }, 'the db error answered');
      // tried again, no sooner than the minute the template's Fail node asks for
      expect(retried.lead.stage).toBe('new');
      expect(retried.deliveries[0].state).not.toBe('failed');
      expect(Date.parse(retried.deliveries[0].runAt) - Date.now()).toBeGreaterThan(50_000);
      const report = await t.api('POST', '/api/integrations/acpa/checks/status.processing');
      expect(report.body.error).toBeUndefined();
      expect((await lead(t, good)).lead).toMatchObject({
        stage: 'approve',
        eid: String(9000 + good),
        statusComment: 'paid',
        statusCode: '6',
      });
    },
  );
});

describe('the affiliate network template', () => {
  it('sends the offer and stream ids from the offer parameters and polls the statuses API', async () => {
    const w = await world('affiliate-network');
    const ids = await sendLeads(w);
    const first = await waitFor(async () => {
      const v = await lead(w.t, ids.approve);
      return v.lead.stage === 'wait' && v.executions.length > 0 && v;
    }, 'delivery');
    expect(first.lead.eid).toMatch(/^af_/);
    const body = JSON.parse(first.executions[0].steps.find((s: { nodeId: string }) => s.nodeId === 'send').http[0].request.body);
    expect(body).toMatchObject({ offer_id: '310', stream_id: 's-77', phone: '491511000000', click_id: ids.approve });
    await waitFor(
      async () => (await Promise.all(Object.values(ids).map((id) => lead(w.t, id)))).every((v) => v.lead.stage === 'wait'),
      'every delivery',
    );
    const views = await followToFinal(w, ids, 'status.processing');
    expect(views.approve.lead.payout).toBe(12);
    await expectOnePostbackPerChange(w, views);
  });

  it('asks for the offer parameters an offer lacks', async () => {
    const t = await startRuntime();
    cleanups.push(
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await t.api('POST', '/api/offers', { id: 'bare', name: 'Bare', parameters: { 'network_offer_id-de': '310' } });
    const created = await t.api('POST', '/api/integrations/from-template', {
      template: 'affiliate-network',
      id: 'aff',
      name: 'Aff',
      settings: { base_url: 'http://127.0.0.1:9' },
      offers: ['bare'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      enabled: false,
      missing: { settings: [], secrets: ['api_key'], offerParameters: { bare: ['network_stream_id'] } },
    });
    // the same gaps the integration's page and its switch see, by the same rule
    expect(created.body.readiness.gaps.map((g: { field: string }) => g.field)).toEqual([
      'secrets.api_key',
      'offers.bare.parameters.network_stream_id',
    ]);
    expect((await t.api('GET', '/api/integrations/aff')).body.readiness).toEqual(created.body.readiness);
    const refused = await t.api('PATCH', '/api/integrations/aff', { enabled: true });
    expect(refused.body.details).toEqual(created.body.readiness.gaps);
  });

  it('refuses enabled: true while there is a gap, as the switch does, and leaves nothing behind', async () => {
    const t = await startRuntime();
    cleanups.push(
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    const refused = await t.api('POST', '/api/integrations/from-template', {
      template: 'affiliate-network',
      id: 'eager',
      name: 'Eager',
      enabled: true,
      settings: { base_url: 'http://127.0.0.1:9' },
      secrets: { api_key: '   ' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ field: 'secrets.api_key', details: [{ kind: 'secret', name: 'api_key' }] });
    expect((await t.api('GET', '/api/integrations/eager')).status).toBe(404);
    expect((await t.api('GET', '/api/flows')).body.flows.filter((f: { id: string }) => f.id.startsWith('eager-'))).toEqual([]);
  });
});

describe('the classic CRM template', () => {
  it('sends the order with its goods, sends an upsell, and follows statuses and a return', async () => {
    const w = await world('classic-crm');
    const ids = await sendLeads(w, ['approve', 'cancel', 'hold', 'trash']);
    const returned = (await sendLeads(w, ['approve'])).approve;
    // the last digit 4 is an order confirmed, then sent back
    const ret = await w.t.api('POST', '/api/leads', {
      offer: 'offer-classic-crm',
      wm: 'wm1',
      subid: 'click-return',
      name: 'Returner',
      phone: '+49 151 1000004',
      goods: [{ product: 'tea', count: 1 }],
    });
    const all = { ...ids, approve2: returned, returned: ret.body.id };
    const final = { ...FINAL, approve2: 'approve', returned: 'cancel' };
    const first = await waitFor(async () => {
      const v = await lead(w.t, ids.approve);
      return v.lead.stage === 'wait' && v.executions.length > 0 && v;
    }, 'delivery');
    const order = JSON.parse(first.executions[0].steps.find((s: { nodeId: string }) => s.nodeId === 'send').http[0].request.body);
    // the delivery key of the lead's lead.new: a repeated send is the same order to the CRM
    expect(order.external_id).toMatch(new RegExp(`^[0-9a-f]{16}-${ids.approve}-lead\\.new$`));
    expect(order).toMatchObject({
      customer: { name: 'Anna Schmidt', phone: '491511000000' },
      extra: { wm: 'wm1', subid: 'click-approve', utm_source: 'fb' },
      goods: [{ product_id: 'SKU-TEA-1', count: 2, price: 39 }],
    });

    // an upsell of a delivered order goes to the update endpoint with the CRM's order id
    const upsell = await w.t.api('POST', '/api/flows/classic-crm-upsell/test', {
      integration: 'classic-crm',
      leadId: ids.approve,
      send: 'real',
    });
    expect(upsell.body.error).toBeUndefined();
    const update = upsell.body.execution.steps.find((s: { nodeId: string }) => s.nodeId === 'send').http[0];
    expect(JSON.parse(update.request.body)).toMatchObject({ order_id: first.lead.eid, goods: [{ product_id: 'SKU-TEA-1', count: 2 }] });
    expect(update.response.status).toBe(200);

    // the processing check takes every order to its stage; the approved check sees the return
    const views = await waitFor(
      async () => {
        await w.t.api('POST', '/api/integrations/classic-crm/checks/status.processing');
        await w.t.api('POST', '/api/integrations/classic-crm/checks/status.approved');
        const v: Record<string, any> = {};
        for (const [fate, id] of Object.entries(all)) v[fate] = await lead(w.t, id);
        return Object.entries(v).every(([fate, x]) => x.lead.stage === final[fate as keyof typeof final]) && v;
      },
      'final stages',
      20_000,
    );
    expect(views.returned.history.map((h: { stage: string }) => h.stage)).toEqual(['wait', 'approve', 'cancel']);
    expect(views.returned.lead).toMatchObject({ status: 'returned', statusComment: 'parcel refused at the post office' });
    await expectOnePostbackPerChange(w, views);
  });
});

describe('the financial network template', () => {
  it('sends the landing link and offer group, and takes deposit postbacks at the URL with its tail', async () => {
    const w = await world('financial-network');
    expect(w.created.postbackUrlWithTail).toBe(
      `${w.created.postbackUrl}&click_id={click_id}&lead_id={lead_id}&status={status}&payout={payout}`,
    );
    expect(w.created.settings.postback_tail).toBe('&click_id={click_id}&lead_id={lead_id}&status={status}&payout={payout}');
    // the integrator pastes it into the network's postback settings
    const pasted = await fetch(`${w.target.url}/api/v2/settings/postback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': SANDBOX_CREDENTIALS['financial-network'].apiKey },
      body: JSON.stringify({ url: w.created.postbackUrlWithTail }),
    });
    expect(pasted.status).toBe(200);
    const ids = await sendLeads(w);
    const first = await waitFor(async () => {
      const v = await lead(w.t, ids.approve);
      return v.lead.stage === 'wait' && v.executions.length > 0 && v;
    }, 'delivery');
    expect(first.lead.eid).toMatch(/^FN\d+$/);
    const body = JSON.parse(first.executions[0].steps.find((s: { nodeId: string }) => s.nodeId === 'send').http[0].request.body);
    expect(body).toMatchObject({ landing: 'https://invest.example.com/start', offer_group: 'crypto-de', click_id: ids.approve });
    const views = await followToFinal(w, ids);
    expect(views.approve.lead).toMatchObject({ status: 'ftd', payout: 250 });
    expect(views.approve.history.at(-1)).toMatchObject({ source: 'postback', stage: 'approve', payout: 250 });
    await expectOnePostbackPerChange(w, views);
  });
});

describe('the financial network template against a garbled answer', () => {
  it('a 200 whose JSON does not parse is tried again, never read as a refusal; the next whole answer is taken', async () => {
    let sent = 0;
    const target = await startMockServer((r) => {
      if (r.path !== '/api/v2/leads') return { status: 404, body: { error: 'not found' } };
      // the first answer is cut mid-JSON, though it says it is JSON
      if (++sent === 1) return { headers: { 'content-type': 'application/json' }, body: '{"status":true,"lead_id":"FN' };
      return { body: { status: true, lead_id: `FN${sent}` } };
    });
    const t = await startRuntime();
    cleanups.push(
      () => target.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    await setUpFromTemplate(t, {
      template: 'financial-network',
      id: 'fn',
      settings: { base_url: target.url },
      secrets: { api_key: 'k' },
      offerParameters: { landing_url: 'https://invest.example.com/start', offer_group: 'crypto-de' },
    });
    const id = (await t.api('POST', '/api/leads', { offer: 'offer-fn', phone: '+49 151 1000001', email: 'a@example.com' })).body.id;
    const view = await waitFor(async () => {
      const v = await lead(t, id);
      return v.lead.stage !== 'new' && v.deliveries[0]?.state === 'done' && v;
    }, 'the delivery after the garbled answer');
    expect(view.lead).toMatchObject({ stage: 'wait', eid: 'FN2' });
    expect(view.history.map((h: { stage: string }) => h.stage)).toEqual(['wait']);
    expect(view.deliveries[0].attempts).toBe(2);
    // the first attempt failed as unreadable, by the template's own Fail node, and was retried
    const first = view.executions.at(-1);
    expect(first.state).toBe('error');
    expect(first.error).toMatchObject({ code: 'unreadable_answer', retryable: true, nodeId: 'garbled' });
    expect(sent).toBe(2);
  });
});

describe('the financial CRM template', () => {
  it('registers while the caller waits and answers the autologin URL; statuses come by date range, page by page', async () => {
    const { username, password } = SANDBOX_CREDENTIALS['financial-crm'];
    const crm = await startFinancialCrm(0, { username, password, stepMs: STEP_MS, pageSize: 2 });
    const tracker = await startMockServer(() => ({ body: 'ok' }));
    const t = await startRuntime();
    cleanups.push(
      () => crm.close(),
      () => tracker.stop(),
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    const created = await setUpFromTemplate(t, {
      template: 'financial-crm',
      id: 'fin-crm',
      settings: { base_url: crm.url },
      secrets: { username, password },
      offerParameters: { campaign: 'btc' },
      trackerUrl: tracker.url,
    });
    expect(created.missing).toEqual({ settings: [], secrets: [], offerParameters: {} });
    const w: World = { t, tracker, target: undefined as never, created };

    const registered = await t.api('POST', '/api/leads', {
      offer: 'offer-fin-crm',
      wm: 'wm1',
      subid: 'click-1',
      name: 'Ida',
      phone: FATES.approve,
      email: 'ida@example.com',
      ip: '10.0.0.2',
      country: 'se',
    });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ id: expect.any(Number), eid: 'FC1001' });
    expect(registered.body.autologin).toMatch(new RegExp(`^${crm.url}/autologin/[0-9a-f]+$`));
    expect((await lead(t, registered.body.id)).lead).toMatchObject({ stage: 'wait', eid: 'FC1001' });

    // a sign-up the CRM refuses with HTTP 200 and result "error" is refused to the caller and cancelled
    const twice = await t.api('POST', '/api/leads', {
      offer: 'offer-fin-crm',
      wm: 'wm1',
      phone: '+46 70 000 0001',
      email: 'ida@example.com',
      name: 'Ida again',
      ip: '10.0.0.2',
      country: 'se',
    });
    expect(twice).toMatchObject({ status: 422, body: { error: 'email: already registered' } });
    expect((await lead(t, twice.body.id)).lead).toMatchObject({ stage: 'cancel', reason: 'email: already registered' });

    // one login served both; after the CRM ends the session, the flow logs in again and still registers
    expect(crm.logins()).toBe(1);
    crm.expireTokens();
    const ids: Record<string, number> = { approve: registered.body.id };
    for (const fate of ['holdThenApprove', 'cancel', 'hold', 'trash'] as const) {
      const r = await t.api('POST', '/api/leads', {
        offer: 'offer-fin-crm',
        wm: 'wm1',
        subid: `click-${fate}`,
        name: 'Sam',
        phone: FATES[fate],
        email: `sam.${fate}@example.com`,
        ip: '10.0.0.3',
        country: 'se',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      ids[fate] = r.body.id;
    }
    expect(crm.logins()).toBe(2);

    // five leads, two per page: the range check follows the pages to the last
    const views = await followToFinal(w, ids, 'status.range');
    const report = await t.api('POST', '/api/integrations/fin-crm/checks/status.range');
    expect(report.body.windows.at(-1).pages).toBeGreaterThanOrEqual(3);
    expect(views.approve.lead).toMatchObject({ status: 'Deposit', statusComment: 'first deposit 250 USD' });
    await expectOnePostbackPerChange(w, { ...views, twice: await lead(t, twice.body.id) });
  });
});
