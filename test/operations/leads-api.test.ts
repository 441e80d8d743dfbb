/**
 * `GET /api/leads` as the operator uses it: a lead found by its phone in any format, each filter,
 * cursor paging that gives every lead once, bad values refused naming the field; the integration
 * log filtered by lead, outcome, event and date; and the data tool — the CSV of a filter, streamed
 * and quoted, and a lead's story — with no secret in either.
 */
import { describe, expect, it } from 'vitest';
import {
  cleanUpAfterEach,
  DEMO_KEY,
  DEMO_SECRET,
  removeDataDir,
  setUpDemoIntegration,
  startMockServer,
  startRuntime,
  waitFor,
  type TestRuntime,
} from '../support/harness.ts';

const cleanups = cleanUpAfterEach();

/** A runtime with the demo CRM, which takes every order but those of phones ending in 9 (it answers no order id: no verdict). */
async function world(): Promise<{ t: TestRuntime; token: string }> {
  let order = 0;
  const target = await startMockServer((r) => {
    const body = JSON.parse(r.body || '{}') as { phone?: string };
    if (body.phone?.endsWith('9')) return { body: { status: 'error', message: 'wrong api key' } };
    return { body: { status: 'ok', order_id: `E-${++order}` } };
  });
  const t = await startRuntime();
  cleanups.push(
    () => target.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  const { token } = await setUpDemoIntegration(t, target.url);
  return { t, token };
}

async function post(t: TestRuntime, lead: Record<string, unknown>): Promise<number> {
  const answer = await t.api('POST', '/api/leads', { offer: 'tea', country: 'de', ...lead });
  expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
  return answer.body.id;
}

async function settled(t: TestRuntime, id: number): Promise<{ lead: { stage: string }; delivery?: { state: string } }> {
  return waitFor(async () => {
    const page = (await t.api('GET', `/api/leads/${id}`)).body;
    // the stage is written mid-run, the execution when the run ends: wait for its job to end as well
    const ended = ['done', 'failed'].includes(page.deliveries.find((job: { kind: string }) => job.kind === 'lead.new')?.state);
    return (page.lead.stage !== 'new' || page.delivery?.state === 'failed') && ended && page;
  }, `lead ${id} delivered or failed`);
}

const ids = (body: { leads: { id: number }[] }) => body.leads.map((lead) => lead.id);

describe('finding leads through the API', () => {
  it('finds a lead by its phone in three formats, its email, our id and the CRM’s id', async () => {
    const { t } = await world();
    await post(t, { phone: '+4915100000001' });
    const ann = await post(t, { phone: '+49 1512 3456780', email: 'Ann@Example.com' });
    await settled(t, ann);
    for (const q of ['01512 3456780', '+49 (1512) 345-6780', '0049 1512 3456780', 'ann@EXAMPLE.com', String(ann), 'E-2']) {
      const answer = await t.api('GET', `/api/leads?q=${encodeURIComponent(q)}`);
      expect(answer.status).toBe(200);
      expect(ids(answer.body), q).toContain(ann);
      expect(ids(answer.body), q).not.toContain(ann - 1);
    }
  });

  it('filters by delivery state and stage, and pages by cursor giving every lead once', async () => {
    const { t } = await world();
    const posted: number[] = [];
    for (let i = 0; i < 7; i++) posted.push(await post(t, { phone: `+491510000000${i === 3 ? 9 : i}` }));
    for (const id of posted) await settled(t, id);
    expect(ids((await t.api('GET', '/api/leads?delivery=failed')).body)).toEqual([posted[3]]);
    expect(ids((await t.api('GET', '/api/leads?delivery=delivered&stage=wait')).body)).toHaveLength(6);
    expect(ids((await t.api('GET', '/api/leads?integration=crm&offer=tea&limit=500')).body)).toHaveLength(7);

    const seen: number[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const answer = await t.api('GET', `/api/leads?limit=3${next ? `&cursor=${next}` : ''}`);
      seen.push(...ids(answer.body));
      next = answer.body.next;
      pages++;
    } while (next && pages < 10);
    expect(seen.sort((a, b) => a - b)).toEqual(posted);
    expect(pages).toBe(3);
  });

  it('refuses a bad filter with a 400 naming it', async () => {
    const { t } = await world();
    for (const [query, field] of [
      ['stage=paid', 'stage'],
      ['delivery=lost', 'delivery'],
      ['from=yesterday', 'from'],
      ['from=2026-12-02&to=2026-12-01', 'to'],
      ['cursor=nonsense', 'cursor'],
      ['limit=many', 'limit'],
      ['q=a&q=b', 'q'],
    ]) {
      const answer = await t.api('GET', `/api/leads?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.field, query).toBe(field);
    }
    const log = await t.api('GET', '/api/executions?outcome=great');
    expect([log.status, log.body.field]).toEqual([400, 'outcome']);
  });
});

describe('the integration log’s filters', () => {
  it('lists a lead’s runs, the errors only, and filters by event and date', async () => {
    const { t, token } = await world();
    const good = await post(t, { phone: '+4915100000001' });
    const bad = await post(t, { phone: '+4915100000009' });
    await settled(t, good);
    await settled(t, bad);
    await fetch(`${t.url}/postback/crm?token=${token}&order_id=E-1&status=confirmed`);
    await waitFor(async () => (await t.api('GET', `/api/leads/${good}`)).body.lead.stage === 'approve', 'the postback applied');

    const runsOf = async (query: string) => (await t.api('GET', `/api/executions?${query}`)).body.executions;
    const ofGood = await runsOf(`lead=${good}`);
    expect(ofGood.map((e: { event: string }) => e.event)).toEqual(['postback.in', 'lead.new']);
    expect(ofGood[0].leadIds).toEqual([good]);
    const errors = await runsOf('integration=crm&errors=true');
    expect(errors.map((e: { leadId: number; state: string }) => [e.leadId, e.state])).toEqual([[bad, 'error']]);
    expect((await runsOf('integration=crm&outcome=success')).every((e: { state: string }) => e.state === 'success')).toBe(true);
    expect((await runsOf('integration=crm&event=postback.in')).map((e: { leadIds: number[] }) => e.leadIds)).toEqual([[good]]);
    expect(await runsOf(`integration=crm&from=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
  });
});

describe('the data tool', () => {
  it('exports the leads of a filter as CSV, streamed page by page, quoted, formula-safe, with no secret', async () => {
    const { t } = await world();
    const tricky = await post(t, { phone: '+4915100000001', name: `=HYPERLINK("x"), ${DEMO_KEY}`, comment: 'line\nbreak' });
    await settled(t, tricky);
    // many more leads than a page, stored through the store itself (fast)
    for (let i = 0; i < 1200; i++) await t.runtime.leads.insertLead({ offer: 'coffee', name: `Bulk ${i}` }, 'crm', []);

    const response = await fetch(`${t.url}/api/leads/export.csv`, { headers: { cookie: t.cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="leads-/);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const csv = await response.text();
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0].startsWith('id,created_at,updated_at,stage,delivery,integration,offer')).toBe(true);
    expect(lines).toHaveLength(1 + 1201);
    expect(csv).toContain(`"'=HYPERLINK(""x""), [secret]"`);
    expect(csv).toContain(",'+4915100000001,");
    expect(csv).not.toContain(DEMO_KEY);
    expect(csv).not.toContain(DEMO_SECRET);

    const filtered = await (await fetch(`${t.url}/api/leads/export.csv?offer=tea`, { headers: { cookie: t.cookie } })).text();
    expect(filtered.trimEnd().split('\r\n')).toHaveLength(2);
    expect((await fetch(`${t.url}/api/leads/export.csv?stage=paid`, { headers: { cookie: t.cookie } })).status).toBe(400);
    expect((await fetch(`${t.url}/api/leads/export.csv`)).status).toBe(401);
    const audit = (await t.api('GET', '/api/audit?resourceType=lead')).body.entries;
    expect(audit.map((e: { action: string }) => e.action)).toContain('lead.export');
  });

  it('downloads a lead’s whole story as JSON — fields, history, deliveries, runs with steps — with no secret', async () => {
    const { t, token } = await world();
    const id = await post(t, { phone: '+4915100000001', comment: `call me, my key is ${DEMO_SECRET}` });
    await settled(t, id);
    await fetch(`${t.url}/postback/crm?token=${token}&order_id=E-1&status=confirmed`);
    await waitFor(async () => (await t.api('GET', `/api/leads/${id}`)).body.lead.stage === 'approve', 'the postback applied');

    const response = await fetch(`${t.url}/api/leads/${id}/story`, { headers: { cookie: t.cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="lead-${id}.json"`);
    const text = await response.text();
    expect(text).not.toContain(DEMO_KEY);
    expect(text).not.toContain(DEMO_SECRET);
    const story = JSON.parse(text);
    expect(story.lead).toMatchObject({ id, stage: 'approve', comment: 'call me, my key is [secret]' });
    expect(story.history.map((h: { stage: string }) => h.stage)).toEqual(['wait', 'approve']);
    expect(story.deliveries.length).toBeGreaterThan(0);
    expect(story.executions.map((e: { event: string }) => e.event)).toEqual(['postback.in', 'lead.new']);
    expect(story.executions[1].steps.length).toBeGreaterThan(2);
    const audit = (await t.api('GET', `/api/audit?resourceType=lead&resourceId=${id}`)).body.entries;
    expect(audit.map((e: { action: string }) => e.action)).toContain('lead.export-story');
    expect((await fetch(`${t.url}/api/leads/${id}/story`)).status).toBe(401);
  });
});
