/**
 * The integration the intake, end-to-end and growth scenarios measure: the demo CRM send flow
 * (JSON Build → Sign → HTTP Request → Extract → Map Status → Update Lead) at the mock target, and
 * the lead they post.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, waitUntil, type RuntimeChild } from '../harness.ts';
import type { Backlog } from '../pg-probe.ts';

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

/** The integration the send flow delivers by. */
export const SEND_INTEGRATION = 'crm';

/** The offer the send flow's leads are for. */
export const SEND_OFFER = { id: 'tea', name: 'Tea', parameters: { crm_offer_id: '101', 'crm_offer_id-de': '201' } };

/** The send integration as `POST /api/integrations` takes it, at the target. */
export function sendIntegration(targetUrl: string) {
  return {
    id: SEND_INTEGRATION,
    name: 'CRM',
    enabled: true,
    // the engine's throughput, not one integration's share: as many deliveries at once as the
    // runtime has workers (32; an integration's default is 4, so a hanging target holds few)
    concurrency: 32,
    settings: { base_url: targetUrl },
    secrets: { api_key: 'bench-key-91b2', api_secret: 'bench-secret-5d0c' },
    offers: [SEND_OFFER.id],
    flows: { 'lead.new': 'demo-crm-send' },
  };
}

export async function setUpSend(runtime: RuntimeChild, targetUrl: string): Promise<void> {
  await runtime.api('POST', '/api/flows', JSON.parse(readFileSync(path.join(ROOT, 'flows/demo/demo-crm-send.json'), 'utf8')));
  await runtime.api('POST', '/api/offers', SEND_OFFER);
  await runtime.api('POST', '/api/integrations', sendIntegration(targetUrl));
}

/**
 * Waits until no lead after `afterId` is `new` (all of them posted before: the intake's load has
 * ended), then checks that `expected` of them are in `wait`; answers the delivery figures. The poll
 * reads the integration's backlog alone (`backlog`, from its stage index): counting every measured lead by stage
 * each 50 ms was 8 % of the runtime's profiled time in a 30,000-lead run, on its own event loop.
 */
export async function delivered(runtime: Pick<RuntimeChild, 'call'>, afterId: number, expected: number) {
  await waitUntil(
    async () => {
      const backlog = await runtime.call<Backlog>('backlog', { afterId, integrationId: SEND_INTEGRATION });
      if (backlog.refused > 0) throw new Error(`leads were refused: ${JSON.stringify(await runtime.call('progress', { afterId }))}`);
      return backlog.queued === 0;
    },
    `${expected} leads in wait`,
    300_000,
  );
  const d = await runtime.call<{ count: number; firstCreated: number; lastWait: number; intakeToWaitMs: number[]; executionMs: number[] }>(
    'deliveries',
    { afterId },
  );
  if (d.count < expected)
    throw new Error(`${expected} leads posted, ${d.count} in wait: ${JSON.stringify(await runtime.call('progress', { afterId }))}`);
  return d;
}
