/**
 * Intake keys: a lead needs a valid key of a source allowed its offer, and a refused lead is stored
 * nowhere; a key sent in the URL is nowhere in the data folder or the log afterwards; a webmaster
 * source posts as its own webmaster only; rotation with a grace period keeps both keys working
 * until the grace ends.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
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
const logged: string[] = [];

const LEAD = { offer: 'tea', name: 'Anna Schmidt', phone: '+49 151 2345678', country: 'de', wm: 'wm1', subid: 'click-1' };

beforeAll(async () => {
  target = await startMockServer(() => ({ body: { status: 'ok', order_id: 'E-1' } }));
  // everything the runtime logs, at every level, to search for keys afterwards
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  t = await startRuntime({ logger: pino({ level: 'trace' }, sink) });
  await setUpDemoIntegration(t, target.url);
  expect((await t.api('POST', '/api/offers', { id: 'cream', name: 'Night cream' })).status).toBe(201);
});

afterAll(async () => {
  await t?.close();
  await target?.stop();
  if (t) removeDataDir(t.dataDir);
});

/** Creates a source through the API; answers its key and the key's id. */
async function source(body: Record<string, unknown>): Promise<{ key: string; keyId: string }> {
  const created = await t.api('POST', '/api/sources', body);
  expect(created.status).toBe(201);
  return { key: created.body.key, keyId: created.body.keyId };
}

async function leadCount(): Promise<number> {
  return (await t.api('GET', '/api/leads?limit=1000')).body.leads.length;
}

const post = (lead: Record<string, unknown>, key: string) => t.api('POST', '/api/leads', lead, { 'x-api-key': key });

/** Posts the lead with the headers given and expects the refusal; nothing may be stored. */
async function expectRefused(lead: Record<string, unknown>, headers: Record<string, string>, status: number, error: string) {
  const before = await leadCount();
  const answer = await t.api('POST', '/api/leads', lead, headers);
  expect(answer.status).toBe(status);
  expect(answer.body.error).toBe(error);
  // the lead and its delivery job are one write: no lead, no delivery
  expect(await leadCount()).toBe(before);
}

/** Every file of the data folder, read whole. */
function dataFiles(dir: string): { file: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? dataFiles(file) : [{ file, text: readFileSync(file).toString('latin1') }];
  });
}

describe('a lead without a valid key for its offer is refused and stored nowhere', () => {
  it('no key at all: 401', async () => {
    await expectRefused(LEAD, { 'x-api-key': '' }, 401, 'unauthorized');
  });

  it('a key nobody was given: 401', async () => {
    await expectRefused(LEAD, { 'x-api-key': 'lfk_' + 'A'.repeat(43) }, 401, 'unauthorized');
  });

  it('a key of a source not allowed the offer: 403 naming the offer', async () => {
    const { key } = await source({ id: 'cream-only', kind: 'network', offers: ['cream'] });
    await expectRefused(LEAD, { 'x-api-key': key }, 403, 'forbidden');
    expect((await post(LEAD, key)).body.field).toBe('offer');
  });

  it('a revoked key: 401', async () => {
    const { key, keyId } = await source({ id: 'revoked', kind: 'network', offers: '*' });
    expect((await post(LEAD, key)).status).toBe(202);
    const revoked = await t.api('DELETE', `/api/sources/revoked/keys/${keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.keys).toEqual([]);
    await expectRefused(LEAD, { 'x-api-key': key }, 401, 'unauthorized');
  });

  it('a key rotated out without a grace period: 401 at once, the new key works', async () => {
    const { key: old } = await source({ id: 'rotated', kind: 'network', offers: '*' });
    const rotated = await t.api('POST', '/api/sources/rotated/keys', {});
    expect(rotated.status).toBe(201);
    await expectRefused(LEAD, { 'x-api-key': old }, 401, 'unauthorized');
    expect((await post(LEAD, rotated.body.key)).status).toBe(202);
  });

  it('a network source that lists its webmasters may not post for another one: 403 naming wm', async () => {
    const { key } = await source({ id: 'listed', kind: 'network', offers: '*', webmasters: ['wm1', 'wm2'] });
    expect((await post({ ...LEAD, wm: 'wm2' }, key)).status).toBe(202);
    await expectRefused({ ...LEAD, wm: 'wm9' }, { 'x-api-key': key }, 403, 'forbidden');
    await expectRefused({ ...LEAD, wm: undefined }, { 'x-api-key': key }, 403, 'forbidden');
  });
});

describe('a key rotated with a grace period', () => {
  it('both keys work until the grace ends, then the old one is refused and its lead stored nowhere', async () => {
    const { key: old } = await source({ id: 'graceful', kind: 'network', offers: '*' });
    const rotated = await t.api('POST', '/api/sources/graceful/keys', { graceSeconds: 1 });
    expect(rotated.status).toBe(201);
    const fresh: string = rotated.body.key;
    expect(fresh).not.toBe(old);
    // the answer lists both keys, the old one with the end of its grace
    expect(rotated.body.source.keys).toHaveLength(2);
    expect(rotated.body.source.keys.filter((k: { expires_at?: string }) => k.expires_at)).toHaveLength(1);

    expect((await post(LEAD, old)).status).toBe(202);
    expect((await post(LEAD, fresh)).status).toBe(202);

    await waitFor(async () => (await post({ ...LEAD, phone: '+49 151 0000000' }, old)).status === 401, 'the grace period to end', 4000);
    await expectRefused(LEAD, { 'x-api-key': old }, 401, 'unauthorized');
    expect((await post(LEAD, fresh)).status).toBe(202);
    expect((await t.api('GET', '/api/sources/graceful')).body.keys).toHaveLength(1);
  });
});

describe('a webmaster source', () => {
  it('posts every lead as its own webmaster, whatever the body says, and the lead records its source', async () => {
    const { key } = await source({ id: 'wm1-direct', kind: 'webmaster', webmaster: 'wm1', offers: ['tea'] });
    const posted = await post({ ...LEAD, wm: 'wm2' }, key);
    expect(posted.status).toBe(202);
    const { lead } = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
    expect(lead).toMatchObject({ wm: 'wm1', source: 'wm1-direct' });
  });

  it('must name its webmaster', async () => {
    const answer = await t.api('POST', '/api/sources', { id: 'nobody', kind: 'webmaster', offers: '*' });
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('webmaster');
  });
});

describe('a key in the api_key query parameter', () => {
  it('is accepted, and afterwards appears nowhere in the data folder, the log, the lead or its executions', async () => {
    const { key } = await source({ id: 'query-network', kind: 'network', offers: ['tea'] });
    const posted = await t.api('POST', `/api/leads?api_key=${encodeURIComponent(key)}&landing=v2`, { ...LEAD, api_key: key });
    expect(posted.status).toBe(202);
    expect(JSON.stringify(posted.body)).not.toContain(key);
    // delivered: its execution is recorded
    const page = await waitFor(async () => {
      const r = (await t.api('GET', `/api/leads/${posted.body.id}`)).body;
      return r.lead.stage === 'wait' && r.executions.length > 0 && r;
    }, 'the lead to be delivered');
    expect(page.lead.source).toBe('query-network');
    expect(JSON.stringify(page)).not.toContain(key);
    // a key sent as a form or JSON field is not kept as one of the lead's fields either
    expect(page.lead.meta?.api_key).toBeUndefined();
    // a key in any other URL is taken out too
    expect((await t.api('GET', `/api/nowhere?api_key=${key}`)).status).toBe(404);

    await t.runtime.close();
    for (const { file, text } of dataFiles(t.dataDir)) expect(text.includes(key), `${file} holds the key`).toBe(false);
    expect(logged.join('').includes(key)).toBe(false);
    // what the store keeps is the key's hash
    const config = readFileSync(path.join(t.dataDir, 'config.json'), 'utf8');
    expect(config).toContain('"hash"');
    t = await startRuntime({ dataDir: t.dataDir });
  });
});

describe('the sources API', () => {
  it('shows a key only in the answer that made it: lists and reads carry neither keys nor hashes', async () => {
    const { key } = await source({ id: 'shown-once', name: 'Shown once', kind: 'network', offers: '*' });
    const list = await t.api('GET', '/api/sources');
    const one = await t.api('GET', '/api/sources/shown-once');
    for (const answer of [list, one]) {
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.body)).not.toContain(key);
      expect(JSON.stringify(answer.body)).not.toContain('"hash"');
    }
    expect(one.body).toMatchObject({ id: 'shown-once', kind: 'network', offers: '*', keys: [{ hint: key.slice(0, 8) }] });
    expect(key).toMatch(/^lfk_[A-Za-z0-9_-]{43}$/);
  });

  it("changes a source's offers, and deleting it stops its keys", async () => {
    const { key } = await source({ id: 'changing', kind: 'network', offers: ['cream'] });
    expect((await post(LEAD, key)).status).toBe(403);
    const changed = await t.api('PATCH', '/api/sources/changing', { offers: ['cream', 'tea'] });
    expect(changed.status).toBe(200);
    expect(changed.body.offers).toEqual(['cream', 'tea']);
    expect((await post(LEAD, key)).status).toBe(202);
    expect((await t.api('DELETE', '/api/sources/changing')).status).toBe(204);
    await expectRefused(LEAD, { 'x-api-key': key }, 401, 'unauthorized');
    expect((await t.api('GET', '/api/sources/changing')).status).toBe(404);
  });
});
