/**
 * The demo integration a fresh store starts with: an offer, a webmaster whose tracker is the
 * sandbox's, and the "Demo CRM" integration (flows from `flows/demo/`) pointed at the sandbox
 * target that `npm start` runs beside the runtime.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Runtime } from './runtime.ts';
import { projectPath } from './project-root.ts';

const DEMO_DIR = projectPath('flows/demo/');

/** The demo CRM's credentials: not secret, the sandbox checks them like a real target would. */
export const DEMO_CREDENTIALS = { apiKey: 'demo-key-7f3a', apiSecret: 'demo-secret-c41e' };
export const DEMO_INTEGRATION = 'demo-crm';
/** The demo webmaster's source: its key posts the demo's leads. */
export const DEMO_SOURCE = 'demo-wm1';

/** Seeds the demo when the store holds no integration yet; returns whether it did. */
export async function seedDemo(runtime: Runtime, sandboxUrl: string): Promise<boolean> {
  if ((await runtime.config.listIntegrations()).length > 0) return false;
  const flowIds: Record<string, string> = {};
  for (const file of readdirSync(DEMO_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(DEMO_DIR + file, 'utf8')) as { id: string; event: string };
    if (!(await runtime.config.getFlow(doc.id))) await runtime.flows.save(doc, 'demo');
    flowIds[doc.event] = doc.id;
  }
  await runtime.offers.put({
    id: 'demo-offer',
    name: 'Demo offer: slimming tea',
    parameters: { crm_offer_id: '101', 'crm_offer_id-de': '201' },
    goals: [{ id: 'sale', name: 'Approved order' }],
    products: [{ id: 'tea', name: 'Slimming tea', price: 39 }],
  });
  await runtime.offers.putWebmaster({
    id: 'wm1',
    name: 'Demo webmaster',
    postbackUrl: `${sandboxUrl}/tracker?click={subid}&stage={stage}&status={status}&lead={id}`,
  });
  await runtime.integrations.create({
    id: DEMO_INTEGRATION,
    name: 'Demo CRM (sandbox)',
    enabled: true,
    settings: { base_url: sandboxUrl },
    secrets: { api_key: DEMO_CREDENTIALS.apiKey, api_secret: DEMO_CREDENTIALS.apiSecret },
    offers: ['demo-offer'],
    flows: flowIds,
  });
  return true;
}

/**
 * Makes sure the demo webmaster has a source and the key people use: `key` when given
 * (`LEADFLOW_DEMO_INTAKE_KEY`) becomes its key; otherwise a new source gets a generated key,
 * answered here once (the caller prints it) and kept only as a hash.
 * @returns the generated key, or undefined when none was generated.
 */
export async function seedDemoSource(runtime: Runtime, key: string | undefined): Promise<string | undefined> {
  const exists = (await runtime.config.getSource(DEMO_SOURCE)) !== undefined;
  if (!exists) {
    const issued = await runtime.sources.create({
      id: DEMO_SOURCE,
      name: 'Demo webmaster wm1',
      kind: 'webmaster',
      webmaster: 'wm1',
      offers: ['demo-offer'],
    });
    if (!key) return issued.key;
  }
  if (key) await runtime.sources.importKey(DEMO_SOURCE, key);
  return undefined;
}
