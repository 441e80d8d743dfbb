/**
 * One integration with a gap of every common kind — a blank setting, a missing secret, an offer
 * lacking a parameter, and a flow with a validation problem — its flows and offer, and the gaps
 * expected. The runtime's test (through the HTTP API) and the editor's (in a browser) both use it,
 * so the switch refuses exactly what the checklist shows.
 */
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Offer } from '../../core/domain/config.ts';
import type { ConfigStore } from '../../runtime/store/types.ts';
import type { ReadinessGap } from '../../core/readiness.ts';
import { TEST_ADMIN, logIn } from './harness.ts';

/** Sends leads: it names the setting `base_url`, the secret `api_key` and the offer parameter `crm_offer_id`. */
export const SEND_FLOW: FlowDoc = {
  id: 'herbal-send',
  name: 'Herbal CRM: send',
  event: 'lead.new',
  version: 1,
  nodes: [
    { id: 'lead', type: 'lead-in', position: { x: 0, y: 100 }, params: {} },
    {
      id: 'order',
      type: 'json-build',
      position: { x: 240, y: 100 },
      params: { body: { offer: '{{offer.params.crm_offer_id}}', phone: '{{lead.phone}}' } },
    },
    {
      id: 'send',
      type: 'http-request',
      position: { x: 480, y: 100 },
      params: {
        method: 'POST',
        url: '{{integration.settings.base_url}}/orders',
        headers: [{ key: 'X-Api-Key', value: '{{secrets.api_key}}' }],
        body: 'input',
      },
    },
  ],
  edges: [
    { id: 'e1', source: 'lead', sourceHandle: 'out', target: 'order', targetHandle: 'in' },
    { id: 'e2', source: 'order', sourceHandle: 'out', target: 'send', targetHandle: 'in' },
  ],
};

/** Takes status postbacks; as fixed. */
export const POSTBACK_FLOW: FlowDoc = {
  id: 'herbal-postback',
  name: 'Herbal CRM: postbacks',
  event: 'postback.in',
  version: 1,
  nodes: [
    { id: 'postback', type: 'postback-in', position: { x: 0, y: 0 }, params: {} },
    {
      id: 'stage',
      type: 'map-status',
      position: { x: 240, y: 0 },
      params: { value: '{{input.status}}', rules: [{ match: 'exact', value: 'confirmed', stage: 'approve' }], default: '' },
    },
    {
      id: 'update',
      type: 'update-lead',
      position: { x: 480, y: 0 },
      params: { find: 'eid', eid: '{{input.order_id}}', setEid: '', comment: '' },
    },
  ],
  edges: [
    { id: 'e1', source: 'postback', sourceHandle: 'out', target: 'stage', targetHandle: 'in' },
    { id: 'e2', source: 'stage', sourceHandle: 'out', target: 'update', targetHandle: 'in' },
  ],
};

/**
 * The postback flow as someone edited it by hand in the store: the stage `approved` is not a stage.
 * The API would refuse to save it, so {@link plantReadinessFixture} writes it to the store directly.
 */
export const BROKEN_POSTBACK_FLOW: FlowDoc = {
  ...POSTBACK_FLOW,
  nodes: POSTBACK_FLOW.nodes.map((node) =>
    node.id === 'stage'
      ? { ...node, params: { ...node.params, rules: [{ match: 'exact', value: 'confirmed', stage: 'approved' }] } }
      : node,
  ),
};

/** Routed to the integration, with a parameter, but not the one the send flow reads. */
export const OFFER: Offer = { id: 'drops', name: 'Herbal drops', parameters: { other_id: '7' }, goals: [], products: [] };

/** What `POST /api/integrations` takes: the setting blank, no secret. */
export const INTEGRATION = {
  id: 'herbal',
  name: 'Herbal CRM',
  settings: { base_url: '   ' },
  secrets: {},
  offers: [OFFER.id],
  flows: { 'lead.new': SEND_FLOW.id, 'postback.in': POSTBACK_FLOW.id },
};

/** Every gap of {@link INTEGRATION}, in readiness's order. */
export const EXPECTED_GAPS: ReadinessGap[] = [
  {
    kind: 'setting',
    field: 'settings.base_url',
    name: 'base_url',
    event: 'lead.new',
    flowId: SEND_FLOW.id,
    message: 'The lead.new flow “Herbal CRM: send” uses the setting “base_url”, which is empty here. Fill it in under Settings.',
  },
  {
    kind: 'secret',
    field: 'secrets.api_key',
    name: 'api_key',
    event: 'lead.new',
    flowId: SEND_FLOW.id,
    message: 'The lead.new flow “Herbal CRM: send” uses the secret “api_key”, which is not set here. Add it under Secrets.',
  },
  {
    kind: 'offer-parameter',
    field: 'offers.drops.parameters.crm_offer_id',
    name: 'crm_offer_id',
    offer: OFFER.id,
    event: 'lead.new',
    flowId: SEND_FLOW.id,
    message:
      'The offer “Herbal drops” lacks the parameter “crm_offer_id”, which the lead.new flow “Herbal CRM: send” uses. Add it to the offer (“crm_offer_id-de” sets it for leads from one country).',
  },
  {
    kind: 'flow-problem',
    field: 'flows.postback.in',
    event: 'postback.in',
    flowId: POSTBACK_FLOW.id,
    nodeId: 'stage',
    nodeField: 'params.rules[0].stage',
    message:
      'The postback.in flow “Herbal CRM: postbacks” has a problem at node “stage”, params.rules[0].stage: must be a stage: new, wait, hold, approve, cancel or trash. Open the flow and fix it.',
  },
];

/** What fills every gap in: a setting, a secret, the offer's parameter (for Germany only), the fixed flow. */
export const FILLED = {
  settings: { base_url: 'http://127.0.0.1:9' },
  secrets: { api_key: 'herbal-key-4410' },
  offerParameters: { ...OFFER.parameters, 'crm_offer_id-de': '55' },
  flow: POSTBACK_FLOW,
};

/** Calls the runtime's API logged in as the test admin, failing on an error answer. */
function caller(baseUrl: string) {
  const session = logIn(baseUrl, TEST_ADMIN.name, TEST_ADMIN.password);
  return async (method: string, route: string, body: unknown): Promise<void> => {
    const cookie = await session;
    const res = await fetch(baseUrl + route, {
      method,
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  };
}

/**
 * Sets the fixture up in a running runtime: the flows and the offer through the API, except the
 * broken postback flow, written to the store as a hand edit would; then the integration, off.
 */
export async function plantReadinessFixture(baseUrl: string, config: ConfigStore): Promise<void> {
  const call = caller(baseUrl);
  await call('POST', '/api/flows', SEND_FLOW);
  await config.saveFlowVersion(BROKEN_POSTBACK_FLOW, 'hand edit');
  await call('POST', '/api/offers', OFFER);
  await call('POST', '/api/integrations', INTEGRATION);
}

/** Fills every gap in through the API, as an integrator would. */
export async function fillReadinessGaps(baseUrl: string): Promise<void> {
  const call = caller(baseUrl);
  await call('PATCH', `/api/integrations/${INTEGRATION.id}`, { settings: FILLED.settings, secrets: FILLED.secrets });
  await call('PUT', `/api/offers/${OFFER.id}`, { ...OFFER, parameters: FILLED.offerParameters });
  await call('PUT', `/api/flows/${POSTBACK_FLOW.id}`, FILLED.flow);
}
