/**
 * The integration the intake, end-to-end and growth scenarios measure: the demo CRM send flow
 * (JSON Build → Sign → HTTP Request → Extract → Map Status → Update Lead) at the mock target, and
 * the lead they post.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, waitUntil, type RuntimeChild } from '../harness.ts';

export const SEND_LEAD = {
  offer: 'tea',
  wm: 'wm1',
  name: 'Anna Schmidt',
  phone: '+49 151 2345-6789',
  email: 'anna@example.org',
  country: 'de',
  ip: '203.0.113.7',
  ua: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36',
  subid: 'click-8f3a2c',
  sub1: 'campaign-7',
  utm_source: 'fb',
};

/** Where and how the load posts leads: the intake, with the bench source's key. */
export const intakeTarget = (runtime: RuntimeChild) => ({ url: `${runtime.url}/api/leads`, headers: { 'x-api-key': runtime.intakeKey } });

export async function setUpSend(runtime: RuntimeChild, targetUrl: string): Promise<void> {
  await runtime.api('POST', '/api/flows', JSON.parse(readFileSync(path.join(ROOT, 'flows/demo/demo-crm-send.json'), 'utf8')));
  await runtime.api('POST', '/api/offers', { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '101', 'crm_offer_id-de': '201' } });
  await runtime.api('POST', '/api/integrations', {
    id: 'crm',
    name: 'CRM',
    enabled: true,
    // the engine's throughput, not one integration's share: as many deliveries at once as the
    // runtime has workers (32; an integration's default is 4, so a hanging target holds few)
    concurrency: 32,
    settings: { base_url: targetUrl },
    secrets: { api_key: 'bench-key-91b2', api_secret: 'bench-secret-5d0c' },
    offers: ['tea'],
    flows: { 'lead.new': 'demo-crm-send' },
  });
}

/** Waits until every lead after `afterId` left `new`; answers the delivery figures. */
export async function delivered(runtime: Pick<RuntimeChild, 'call'>, afterId: number, expected: number) {
  await waitUntil(
    async () => {
      const stages = await runtime.call<Record<string, number>>('progress', { afterId });
      if ((stages.cancel ?? 0) + (stages.trash ?? 0) > 0) throw new Error(`leads were refused: ${JSON.stringify(stages)}`);
      return (stages.wait ?? 0) >= expected;
    },
    `${expected} leads in wait`,
    300_000,
  );
  return runtime.call<{ count: number; firstCreated: number; lastWait: number; intakeToWaitMs: number[]; executionMs: number[] }>(
    'deliveries',
    { afterId },
  );
}
