import { describe, expect, it } from 'vitest';
import {
  readFlow,
  removeDataDir,
  startMockServer,
  startRuntime,
  waitFor,
  type MockServer,
  type Received,
  type TestRuntime,
  cleanUpAfterEach,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** A CRM whose orders' statuses the test changes over time. */
interface Crm {
  server: MockServer;
  statuses: Map<string, { status: string; comment?: string; updated: number; registered?: number }>;
  statusCalls(): Received[];
}

async function startCrm(): Promise<Crm> {
  const statuses = new Map<string, { status: string; comment?: string; updated: number; registered?: number }>();
  let next = 0;
  const server = await startMockServer((r) => {
    if (r.path === '/api/orders') {
      const id = `E${++next}`;
      statuses.set(id, { status: 'new', updated: Date.now() });
      return { body: { status: 'ok', order_id: id } };
    }
    if (r.path === '/status') {
      const ids = (r.query.ids ?? '').split(',').filter(Boolean);
      return { body: { orders: ids.filter((id) => statuses.has(id)).map((id) => ({ order_id: id, ...statuses.get(id) })) } };
    }
    if (r.path === '/changes') {
      // every order changed in [from, to), two per page, newest last
      const from = Number(r.query.from) * 1000;
      const to = Number(r.query.to) * 1000;
      const changed = [...statuses.entries()]
        .filter(([, s]) => s.updated >= from && s.updated < to)
        .map(([id, s]) => ({ order_id: id, ...s }));
      const page = Number(r.query.page);
      const items = changed.slice((page - 1) * 2, page * 2);
      return { body: { items, next_page: page * 2 < changed.length ? page + 1 : null } };
    }
    if (r.path === '/registered') {
      // as financial CRMs list: every order registered in [from, to), whatever its last change, by offset
      const from = Number(r.query.from) * 1000;
      const to = Number(r.query.to) * 1000;
      const registered = [...statuses.entries()]
        .filter(([, s]) => (s.registered ?? s.updated) >= from && (s.registered ?? s.updated) < to)
        .map(([id, s]) => ({ order_id: id, ...s }));
      const offset = Number(r.query.offset);
      return { body: { leads: registered.slice(offset, offset + Number(r.query.limit)) } };
    }
    return { status: 404, body: { error: 'no route' } };
  });
  cleanups.push(() => server.stop());
  return { server, statuses, statusCalls: () => server.received.filter((r) => r.path === '/status') };
}

const node = (id: string, type: string, x: number, params: Record<string, unknown> = {}) => ({ id, type, position: { x, y: 0 }, params });
const edge = (source: string, target: string, sourceHandle = 'out') => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
  targetHandle: 'in',
});

const STATUS_RULES = [
  { match: 'list', value: 'new,processing', stage: 'wait' },
  { match: 'exact', value: 'hold', stage: 'hold' },
  { match: 'list', value: 'confirmed,paid', stage: 'approve' },
  { match: 'list', value: 'rejected,returned', stage: 'cancel' },
  { match: 'exact', value: 'spam', stage: 'trash' },
];

/** A processing or approved check: ask for a batch of ids, then update each order of the answer. */
function batchFlow(id: string, event: 'status.processing' | 'status.approved', params: Record<string, unknown>, timeoutMs = 10_000) {
  return {
    id,
    name: id,
    event,
    nodes: [
      node('check', 'status-check', 0, params),
      node('ask', 'http-request', 1, {
        method: 'GET',
        url: '{{integration.settings.base_url}}/status?ids={{batch.eids | join:","}}',
        timeoutMs,
      }),
      node('each', 'for-each', 2, { items: '{{input.body.orders}}' }),
      node('stage', 'map-status', 3, { value: '{{item.status}}', rules: STATUS_RULES }),
      node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '', comment: '{{item.comment}}' }),
    ],
    edges: [edge('check', 'ask'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
  };
}

/** A date-range check: ask for the changes of a window, page by page. */
const rangeFlow = {
  id: 'range',
  name: 'range',
  event: 'status.range',
  nodes: [
    node('check', 'status-check', 0, { schedule: '1h', format: 'epoch', windowMinutes: 60, overlapMinutes: 5 }),
    node('ask', 'http-request', 1, {
      method: 'GET',
      url: '{{integration.settings.base_url}}/changes?from={{batch.from}}&to={{batch.to}}&page={{batch.page}}',
    }),
    node('more', 'next-page', 2, { more: '{{input.body.next_page}}' }),
    node('each', 'for-each', 2, { items: '{{input.body.items}}' }),
    node('stage', 'map-status', 3, { value: '{{item.status}}', rules: STATUS_RULES }),
    node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '', comment: '{{item.comment}}' }),
  ],
  edges: [edge('check', 'ask'), edge('ask', 'more'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
};

interface World {
  t: TestRuntime;
  crm: Crm;
  tracker: MockServer;
  /** Lead ids by external id. */
  leads: Map<string, number>;
}

async function world(
  flows: object[],
  events: Record<string, string>,
  leadCount: number,
  extra: Record<string, unknown> = {},
): Promise<World> {
  const crm = await startCrm();
  const tracker = await startMockServer(() => ({ body: 'ok' }));
  const t = await startRuntime();
  cleanups.push(
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  const ok = async (r: Promise<{ status: number; body: any }>) => {
    const answer = await r;
    if (answer.status >= 300) throw new Error(JSON.stringify(answer.body));
    return answer;
  };
  await ok(t.api('POST', '/api/flows', readFlow('flows/demo/demo-crm-send.json')));
  for (const flow of flows) await ok(t.api('POST', '/api/flows', flow));
  await ok(t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '1' } }));
  await ok(t.api('PUT', '/api/webmasters/wm1', { postbackUrl: `${tracker.url}/pb?lead={id}&stage={stage}&status={status}` }));
  await ok(
    t.api('POST', '/api/integrations', {
      id: 'crm',
      name: 'CRM',
      enabled: true,
      settings: { base_url: crm.server.url },
      secrets: { api_key: 'k-123456', api_secret: 's-123456' },
      offers: ['tea'],
      flows: { 'lead.new': 'demo-crm-send', ...events },
      ...extra,
    }),
  );
  const leads = new Map<string, number>();
  for (let i = 0; i < leadCount; i++) {
    const { body } = await ok(t.api('POST', '/api/leads', { offer: 'tea', phone: `+4915100000${i}`, wm: 'wm1' }));
    const lead = await waitFor(async () => {
      const r = await t.api('GET', `/api/leads/${body.id}`);
      return r.body.lead.stage === 'wait' && r.body.lead;
    }, `lead ${body.id} delivered`);
    leads.set(lead.eid, lead.id);
  }
  await waitFor(() => tracker.received.length === leadCount, 'the postbacks for wait');
  return { t, crm, tracker, leads };
}

async function stages(w: World): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [eid, id] of w.leads) out[eid] = (await w.t.api('GET', `/api/leads/${id}`)).body.lead.stage;
  return out;
}

/** The CRM changes an order's status (a second ago: targets write whole seconds). */
function set(crm: Crm, id: string, status: string, comment?: string) {
  crm.statuses.set(id, { status, comment, updated: Date.now() - 1000 });
}

describe('the processing check', () => {
  it('asks in batches about waiting leads and moves each to its stage, with one postback per change', async () => {
    const w = await world(
      [batchFlow('processing', 'status.processing', { schedule: '1h', batchSize: 2 })],
      { 'status.processing': 'processing' },
      5,
    );
    set(w.crm, 'E1', 'confirmed');
    set(w.crm, 'E2', 'hold', 'stock arrives Monday');
    set(w.crm, 'E3', 'rejected', 'changed her mind');
    set(w.crm, 'E4', 'processing');
    set(w.crm, 'E5', 'spam');

    const report = (await w.t.api('POST', '/api/integrations/crm/checks/status.processing')).body;
    expect(report).toMatchObject({ event: 'status.processing', runs: 3, leads: 5 });
    expect(report.error).toBeUndefined();
    expect(w.crm.statusCalls().map((r) => r.query.ids)).toEqual(['E1,E2', 'E3,E4', 'E5']);
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'hold', E3: 'cancel', E4: 'wait', E5: 'trash' });

    const e3 = (await w.t.api('GET', `/api/leads/${w.leads.get('E3')}`)).body;
    expect(e3.lead).toMatchObject({ status: 'rejected', statusComment: 'changed her mind' });
    expect(e3.history.map((h: { source: string; stage: string }) => `${h.source}:${h.stage}`)).toEqual([
      'delivery:wait',
      'status-check:cancel',
    ]);

    // one postback per change: 5 for wait, then approve, hold, cancel, trash (E4 did not change)
    await waitFor(() => w.tracker.received.length === 9, 'the postbacks of the changes');

    // later: the held order is confirmed, the rest repeat themselves
    set(w.crm, 'E2', 'confirmed');
    const second = (await w.t.api('POST', '/api/integrations/crm/checks/status.processing')).body;
    // only E2 (hold) and E4 (wait) are still being processed: one batch, in id order
    expect(second).toMatchObject({ runs: 1, leads: 2 });
    expect(w.crm.statusCalls().at(-1)?.query.ids).toBe('E2,E4');
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'approve', E3: 'cancel', E4: 'wait', E5: 'trash' });
    await waitFor(() => w.tracker.received.length === 10, 'the postback of E2');
    expect(w.tracker.received.at(-1)?.query).toMatchObject({ lead: String(w.leads.get('E2')), stage: 'approve' });
    expect(w.tracker.received.filter((r) => r.query.lead === String(w.leads.get('E4')))).toHaveLength(1);
  });

  it('a failing target stops the check with the reason, changes nothing, and the next check works', async () => {
    const w = await world(
      [batchFlow('processing', 'status.processing', { schedule: '1h', batchSize: 10 })],
      { 'status.processing': 'processing' },
      2,
    );
    set(w.crm, 'E1', 'confirmed');
    w.crm.server.answer(() => ({ status: 503, body: 'maintenance' }));
    const failed = (await w.t.api('POST', '/api/integrations/crm/checks/status.processing')).body;
    expect(failed.error).toMatchObject({ code: 'http_error', nodeId: 'ask', retryable: true });
    expect(await stages(w)).toEqual({ E1: 'wait', E2: 'wait' });

    w.crm.server.answer((r) => ({
      body: { orders: (r.query.ids ?? '').split(',').map((id) => ({ order_id: id, ...w.crm.statuses.get(id) })) },
    }));
    const report = (await w.t.api('POST', '/api/integrations/crm/checks/status.processing')).body;
    expect(report.error).toBeUndefined();
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'wait' });
  });

  it('never runs twice at once: a second ask joins the running check', async () => {
    const w = await world(
      [batchFlow('processing', 'status.processing', { schedule: '1h', batchSize: 10 }, 1500)],
      { 'status.processing': 'processing' },
      1,
    );
    w.crm.server.answer(() => 'hang');
    const first = w.t.api('POST', '/api/integrations/crm/checks/status.processing');
    await waitFor(() => w.crm.statusCalls().length === 1, 'the first status request');
    const second = w.t.api('POST', '/api/integrations/crm/checks/status.processing');
    const schedules = (await w.t.api('GET', '/api/integrations/crm/checks')).body.checks;
    expect(schedules).toContainEqual(expect.objectContaining({ event: 'status.processing', running: true, schedule: '1h' }));
    // the hanging request ends at its timeout; both asks get the same report
    const [a, b] = await Promise.all([first, second]);
    expect(a.body).toEqual(b.body);
    expect(a.body.error).toMatchObject({ code: 'timeout' });
    expect(w.crm.statusCalls()).toHaveLength(1);
  });

  it('runs on its schedule without being asked', async () => {
    const w = await world(
      [batchFlow('processing', 'status.processing', { schedule: '1s', batchSize: 10 })],
      { 'status.processing': 'processing' },
      1,
    );
    set(w.crm, 'E1', 'confirmed');
    await waitFor(async () => (await stages(w)).E1 === 'approve', 'the scheduled check to approve E1', 5000);
  });

  it("honours the integration's request rate limit", async () => {
    const w = await world(
      [batchFlow('processing', 'status.processing', { schedule: '1h', batchSize: 1 })],
      { 'status.processing': 'processing' },
      4,
      { rateLimit: 4 },
    );
    const before = w.crm.server.received.length;
    await w.t.api('POST', '/api/integrations/crm/checks/status.processing');
    const calls = w.crm.server.received.slice(before);
    expect(calls).toHaveLength(4);
    // at most 4 a second: the 4 requests after the deliveries' 4 need a new window
    expect(calls[3].at - w.crm.server.received[0].at).toBeGreaterThanOrEqual(900);
  });
});

describe('the approved check', () => {
  it('finds returns among approved leads and moves them to cancel', async () => {
    const w = await world(
      [
        batchFlow('processing', 'status.processing', { schedule: '1h' }),
        batchFlow('approved', 'status.approved', { schedule: '1h', days: 7 }),
      ],
      { 'status.processing': 'processing', 'status.approved': 'approved' },
      3,
    );
    for (const id of ['E1', 'E2', 'E3']) set(w.crm, id, 'confirmed');
    await w.t.api('POST', '/api/integrations/crm/checks/status.processing');
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'approve', E3: 'approve' });

    set(w.crm, 'E2', 'returned', 'parcel refused');
    const report = (await w.t.api('POST', '/api/integrations/crm/checks/status.approved')).body;
    expect(report).toMatchObject({ runs: 1, leads: 3 });
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'cancel', E3: 'approve' });
    const e2 = (await w.t.api('GET', `/api/leads/${w.leads.get('E2')}`)).body;
    expect(e2.history.map((h: { stage: string }) => h.stage)).toEqual(['wait', 'approve', 'cancel']);
    expect(e2.lead.statusComment).toBe('parcel refused');
    // a late "processing" for an approved lead changes nothing
    set(w.crm, 'E1', 'processing');
    await w.t.api('POST', '/api/integrations/crm/checks/status.approved');
    expect((await stages(w)).E1).toBe('approve');
    await waitFor(() => w.tracker.received.length === 3 + 3 + 1, 'one postback per change');
  });
});

describe('the date-range check', () => {
  it('follows the pages of a window to the last one and goes on from where it stopped', async () => {
    const w = await world([rangeFlow], { 'status.range': 'range' }, 5);
    for (const [id, status] of [
      ['E1', 'confirmed'],
      ['E2', 'hold'],
      ['E3', 'rejected'],
      ['E4', 'spam'],
      ['E5', 'paid'],
    ])
      set(w.crm, id, status);

    const first = (await w.t.api('POST', '/api/integrations/crm/checks/status.range')).body;
    expect(first.error).toBeUndefined();
    // 5 changes, 2 a page: pages 1, 2 and 3, the last one without a next page
    const pages = w.crm.server.received.filter((r) => r.path === '/changes');
    expect(pages.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(first.windows).toEqual([expect.objectContaining({ pages: 3 })]);
    const from = Number(pages[0].query.from);
    const to = Number(pages[0].query.to);
    expect(to - from).toBe(3600); // the first window is one window long, epoch seconds
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'hold', E3: 'cancel', E4: 'trash', E5: 'approve' });

    // the next check starts where this one stopped, less the overlap
    set(w.crm, 'E2', 'confirmed');
    await w.t.api('POST', '/api/integrations/crm/checks/status.range');
    const next = w.crm.server.received.filter((r) => r.path === '/changes').slice(3);
    expect(Number(next[0].query.from)).toBe(to - 300);
    expect((await stages(w)).E2).toBe('approve');
    // the overlap saw E1…E5 again: repeated statuses changed nothing and sent nothing
    await waitFor(() => w.tracker.received.length === 5 + 5 + 1, 'one postback per change');
    const e1 = (await w.t.api('GET', `/api/leads/${w.leads.get('E1')}`)).body;
    expect(e1.history).toHaveLength(2);
  });
});

/** A date-range check of a target that lists by registration date, paged by offset, with a lookback. */
function registeredFlow(lookbackDays: number) {
  return {
    id: 'registered',
    name: 'registered',
    event: 'status.range',
    nodes: [
      {
        ...node('check', 'status-check', 0, { schedule: '1h', format: 'epoch', windowMinutes: 1440, overlapMinutes: 5, lookbackDays }),
        typeVersion: 2,
      },
      node('ask', 'http-request', 1, {
        method: 'GET',
        url: '{{integration.settings.base_url}}/registered?from={{batch.from}}&to={{batch.to}}&offset={{batch.offset}}&limit=2',
      }),
      node('more', 'next-page', 2, { advance: 'offset', size: 2, items: '{{input.body.leads}}' }),
      node('each', 'for-each', 2, { items: '{{input.body.leads}}' }),
      node('stage', 'map-status', 3, { value: '{{item.status}}', rules: STATUS_RULES }),
      node('save', 'update-lead', 4, { find: 'eid', eid: '{{item.order_id}}', setEid: '', comment: '{{item.comment}}' }),
    ],
    edges: [edge('check', 'ask'), edge('ask', 'more'), edge('ask', 'each'), edge('each', 'stage', 'item'), edge('stage', 'save')],
  };
}

describe('the date-range check of a target that lists by registration date', () => {
  it('sees a deposit made days after sign-up when it looks back, every check, from where it stopped', async () => {
    const w = await world([registeredFlow(7)], { 'status.range': 'registered' }, 5);
    const day = 86_400_000;
    // E1 signed up four days ago and deposits now; E2…E5 signed up today
    w.crm.statuses.set('E1', { status: 'paid', updated: Date.now() - 1000, registered: Date.now() - 4 * day });
    for (const id of ['E2', 'E3', 'E4']) set(w.crm, id, 'confirmed');
    set(w.crm, 'E5', 'rejected');

    const started = Date.now();
    const first = (await w.t.api('POST', '/api/integrations/crm/checks/status.range')).body;
    expect(first.error).toBeUndefined();
    expect(await stages(w)).toEqual({ E1: 'approve', E2: 'approve', E3: 'approve', E4: 'approve', E5: 'cancel' });
    const asked = w.crm.server.received.filter((r) => r.path === '/registered');
    // windows of a day from seven days back to now, each paged by offset: today's 4 leads in pages 0, 2 (full) and 4 (empty)
    expect(Number(asked[0].query.from) * 1000).toBeGreaterThanOrEqual(started - 7 * day - 2000);
    expect(Number(asked[0].query.from) * 1000).toBeLessThanOrEqual(started - 7 * day + 1000);
    const today = asked.filter((r) => r.query.to === asked[asked.length - 1].query.to);
    expect(today.map((r) => r.query.offset)).toEqual(['0', '2', '4']);
    expect(first.windows.length).toBe(7);

    // the next check asks again about the last seven days, up to now
    w.crm.statuses.set('E1', { status: 'returned', updated: Date.now() - 1000, registered: Date.now() - 4 * day });
    const second = (await w.t.api('POST', '/api/integrations/crm/checks/status.range')).body;
    expect(second.error).toBeUndefined();
    const again = w.crm.server.received.filter((r) => r.path === '/registered').slice(asked.length);
    expect(Number(again[0].query.from) * 1000).toBeLessThanOrEqual(Date.now() - 7 * day + 1000);
    expect(Number(again[again.length - 1].query.to) * 1000).toBeGreaterThanOrEqual(started - 1000);
    expect((await stages(w)).E1).toBe('cancel');
  });

  it('without a lookback asks only about what changed since the last check, and misses that deposit', async () => {
    const w = await world([registeredFlow(0)], { 'status.range': 'registered' }, 1);
    w.crm.statuses.set('E1', { status: 'paid', updated: Date.now() - 1000, registered: Date.now() - 4 * 86_400_000 });
    const report = (await w.t.api('POST', '/api/integrations/crm/checks/status.range')).body;
    expect(report.error).toBeUndefined();
    expect(report.windows).toHaveLength(1);
    expect((await stages(w)).E1).toBe('wait');
  });
});

describe('flows that name a schedule', () => {
  it('refuse a schedule that is neither an interval nor cron', async () => {
    const t = await startRuntime();
    cleanups.push(
      () => t.close(),
      () => removeDataDir(t.dataDir),
    );
    const answer = await t.api('POST', '/api/flows', batchFlow('bad', 'status.processing', { schedule: 'every tuesday' }));
    expect(answer.status).toBe(422);
    expect(answer.body.field).toBe('nodes.check.params.schedule');
  });
});
