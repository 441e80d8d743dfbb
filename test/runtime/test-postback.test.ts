/**
 * "Send a test postback" over the real API: a postback for a sample lead really goes to a mock
 * tracker on 127.0.0.1, through the runtime's outbound policy, and the answer shows what the
 * tracker said; a refused address or a tracker that fails is shown as a failure, never a success.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, removeDataDir, startMockServer, startRuntime } from '../support/harness.ts';
import { POSTBACK_MACROS, expandPostbackUrl, unknownMacros } from '../../core/domain/postback-macros.ts';
import type { TestPostbackAnswer } from '../../core/api.ts';
import type { Lead } from '../../core/domain/lead.ts';

const cleanups = cleanUpAfterEach();

async function world(options: { allowPrivateTargets?: boolean; answer?: { status: number; body: string } } = {}) {
  const tracker = await startMockServer(() => ({
    status: options.answer?.status ?? 200,
    headers: { 'content-type': 'text/plain' },
    body: options.answer?.body ?? 'OK: postback stored',
  }));
  const t = await startRuntime(options.allowPrivateTargets === false ? { allowPrivateTargets: false } : {});
  cleanups.push(
    () => tracker.stop(),
    () => t.close(),
    () => removeDataDir(t.dataDir),
  );
  return { t, tracker };
}

describe('a test postback', () => {
  it('goes to the webmaster’s tracker with the sample lead’s macros filled in, and answers what the tracker said', async () => {
    const { t, tracker } = await world({ answer: { status: 200, body: 'OK: postback stored' } });
    await t.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { currency: 'EUR' } });
    expect(
      (
        await t.api('PUT', '/api/webmasters/wm1', {
          postbackUrl: `${tracker.url}/pb?click={subid}&s={stage}&sum={payout}{currency}&x={sub_id}`,
        })
      ).status,
    ).toBe(200);

    const { status, body } = await t.api<TestPostbackAnswer>('POST', '/api/webmasters/wm1/test-postback', {});
    expect(status).toBe(200);
    expect(tracker.received).toHaveLength(1);
    expect(tracker.received[0].query).toEqual({ click: 'leadflow-test-click', s: 'approve', sum: '10EUR', x: '{sub_id}' });
    expect(body).toMatchObject({ ok: true, status: 200, body: 'OK: postback stored', unknownMacros: ['sub_id'] });
    expect(body.url).toBe(`${tracker.url}/pb?click=leadflow-test-click&s=approve&sum=10EUR&x={sub_id}`);
    expect(body.sample).toMatchObject({ subid: 'leadflow-test-click', stage: 'approve', payout: '10', currency: 'EUR' });
    expect(body.durationMs).toBeGreaterThanOrEqual(0);
    // nothing is stored: no lead, and the audit log names the test
    expect((await t.api('GET', '/api/leads')).body.leads).toEqual([]);
    const audit = await t.api('GET', '/api/audit?action=webmaster.test-postback');
    expect(audit.body.entries[0]).toMatchObject({ action: 'webmaster.test-postback', resourceId: 'wm1' });
  });

  it('uses the stream’s own URL for a stream, and a URL as typed before it is saved', async () => {
    const { t, tracker } = await world();
    await t.api('PUT', '/api/webmasters/wm1', {
      postbackUrl: `${tracker.url}/general?c={subid}`,
      streamPostbackUrls: { s42: `${tracker.url}/stream?c={subid}&f={flow}` },
    });
    await t.api('POST', '/api/webmasters/wm1/test-postback', { stream: 's42' });
    await t.api('POST', '/api/webmasters/wm1/test-postback', { url: `${tracker.url}/typed?st={stage}`, stage: 'cancel' });
    expect(tracker.received.map((r) => r.url)).toEqual(['/stream?c=leadflow-test-click&f=s42', '/typed?st=cancel']);
  });

  it('shows a tracker’s error answer as a failure, with its status and body', async () => {
    const { t, tracker } = await world({ answer: { status: 404, body: 'no such click' } });
    await t.api('PUT', '/api/webmasters/wm1', { postbackUrl: `${tracker.url}/pb?c={subid}` });
    const { body } = await t.api<TestPostbackAnswer>('POST', '/api/webmasters/wm1/test-postback', {});
    expect(body).toMatchObject({ ok: false, status: 404, body: 'no such click' });
  });

  it('cuts a long answer to its first 500 characters', async () => {
    const { t, tracker } = await world({ answer: { status: 500, body: 'y'.repeat(2000) } });
    await t.api('PUT', '/api/webmasters/wm1', { postbackUrl: `${tracker.url}/pb` });
    const { body } = await t.api<TestPostbackAnswer>('POST', '/api/webmasters/wm1/test-postback', {});
    expect(body).toMatchObject({ ok: false, status: 500 });
    expect(body.body).toBe('y'.repeat(500));
  });

  it('is refused by the outbound policy for an internal address, and says so without reaching it', async () => {
    const { t, tracker } = await world({ allowPrivateTargets: false });
    await t.api('PUT', '/api/webmasters/wm1', { name: 'Webmaster 1' });
    const { status, body } = await t.api<TestPostbackAnswer>('POST', '/api/webmasters/wm1/test-postback', {
      url: `${tracker.url}/pb?c={subid}`,
    });
    expect(status).toBe(200);
    expect(body.ok).toBe(false);
    expect(body.refused).toBe(true);
    expect(body.status).toBeUndefined();
    expect(body.error).toMatch(/127\.0\.0\.1/);
    expect(tracker.received).toHaveLength(0);
  });

  it('names the field when there is nothing to send or the URL is not one', async () => {
    const { t } = await world();
    await t.api('PUT', '/api/webmasters/wm1', { name: 'no URL yet' });
    expect(await t.api('POST', '/api/webmasters/wm1/test-postback', {})).toMatchObject({ status: 400, body: { field: 'url' } });
    expect(await t.api('POST', '/api/webmasters/wm1/test-postback', { url: 'ftp://tracker/pb' })).toMatchObject({
      status: 400,
      body: { field: 'url' },
    });
    expect(await t.api('POST', '/api/webmasters/wm1/test-postback', { url: 'http://t.example/', stage: 'sold' })).toMatchObject({
      status: 400,
      body: { field: 'stage' },
    });
    expect((await t.api('POST', '/api/webmasters/nobody/test-postback', {})).status).toBe(404);
  });

  it('may not be sent by a viewer', async () => {
    const { t, tracker } = await world();
    await t.api('PUT', '/api/webmasters/wm1', { postbackUrl: `${tracker.url}/pb` });
    const viewer = await t.as('vera', 'viewer');
    expect((await viewer('POST', '/api/webmasters/wm1/test-postback', {})).status).toBe(403);
    expect(tracker.received).toHaveLength(0);
  });
});

describe('the postback macros (the kernel’s one list)', () => {
  const lead = {
    id: 7,
    offer: 'tea',
    wm: 'wm1',
    flow: 's1',
    stage: 'wait',
    subid: 'a b&c',
    created_at: '',
    updated_at: '',
    integration: 'crm',
  } as Lead;

  it('each have a meaning, and expand URL-encoded; unknown words stay as written and are named', () => {
    expect(POSTBACK_MACROS.every((m) => m.meaning.length > 5)).toBe(true);
    expect(expandPostbackUrl('https://t/pb?c={subid}&s={stage}&f={flow}&z={zz}', lead, { stage: 'approve' })).toBe(
      'https://t/pb?c=a%20b%26c&s=approve&f=s1&z={zz}',
    );
    expect(unknownMacros('https://t/pb?c={subid}&z={zz}&y={zz}')).toEqual(['zz']);
  });
});
