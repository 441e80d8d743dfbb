/**
 * The one readiness function: every gap of an integration, in a stable order, with sentences that
 * say what to do — the answer the runtime's switch, the template service and the editor share.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hasOfferParameter, integrationReadiness, missingOf, type ReadinessSources, type ReadinessSubject } from '../../core/readiness.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { loadNodeRegistry } from '../../runtime/engine/registry.ts';
import type { DescriptorLookup } from '../../core/flow/validate.ts';
import { BROKEN_POSTBACK_FLOW, EXPECTED_GAPS, FILLED, INTEGRATION, OFFER, POSTBACK_FLOW, SEND_FLOW } from '../support/readiness-fixture.ts';

let descriptors: DescriptorLookup;

beforeAll(async () => {
  descriptors = await loadNodeRegistry();
});

const fixture = (): ReadinessSubject => ({ ...INTEGRATION, secrets: [] });
const sources = (extra: Partial<ReadinessSources> = {}): ReadinessSources => ({
  flows: { [SEND_FLOW.id]: SEND_FLOW, [POSTBACK_FLOW.id]: BROKEN_POSTBACK_FLOW },
  offers: { [OFFER.id]: OFFER },
  descriptors,
  ...extra,
});
const fields = (subject: ReadinessSubject, from: ReadinessSources) => integrationReadiness(subject, from).gaps.map((g) => g.field);

describe('integration readiness', () => {
  it('lists every gap of the shared fixture, in order: a blank setting, a missing secret, an offer parameter, a flow problem', () => {
    expect(integrationReadiness(fixture(), sources())).toEqual({ ready: false, gaps: EXPECTED_GAPS });
  });

  it('is ready once each gap is filled in, a geo-specific offer parameter counting as set', () => {
    const readiness = integrationReadiness(
      { ...fixture(), settings: FILLED.settings, secrets: Object.keys(FILLED.secrets) },
      sources({
        flows: { [SEND_FLOW.id]: SEND_FLOW, [POSTBACK_FLOW.id]: FILLED.flow },
        offers: { [OFFER.id]: { ...OFFER, parameters: FILLED.offerParameters } },
      }),
    );
    expect(readiness).toEqual({ ready: true, gaps: [] });
  });

  it('says a setting that is absent is not set, and one that is blank is empty', () => {
    const absent = integrationReadiness({ ...fixture(), settings: {} }, sources()).gaps[0];
    expect(absent).toMatchObject({ field: 'settings.base_url' });
    expect(absent.message).toContain('the setting “base_url”, which is not set here');
    expect(integrationReadiness(fixture(), sources()).gaps[0].message).toContain('which is empty here');
  });

  it('asks for a flow when none handles any event, and counts a flow for any event as enough', () => {
    const none = integrationReadiness({ settings: {}, secrets: [], offers: [], flows: {} }, sources());
    expect(none).toEqual({
      ready: false,
      gaps: [{ kind: 'flow', field: 'flows', message: 'No flow handles any event yet. Choose a flow for an event under Flows.' }],
    });
    const postbackOnly = integrationReadiness(
      { settings: {}, secrets: [], offers: [], flows: { 'postback.in': POSTBACK_FLOW.id } },
      sources({ flows: { [POSTBACK_FLOW.id]: POSTBACK_FLOW } }),
    );
    expect(postbackOnly.ready).toBe(true);
  });

  it('names a flow that does not exist any more, or handles another event, under its event', () => {
    const gaps = integrationReadiness(
      { settings: {}, secrets: [], offers: [], flows: { 'lead.new': 'gone', 'lead.update': POSTBACK_FLOW.id } },
      sources({ flows: { gone: undefined, [POSTBACK_FLOW.id]: POSTBACK_FLOW } }),
    ).gaps;
    expect(gaps).toMatchObject([
      { kind: 'flow', field: 'flows.lead.new', event: 'lead.new', flowId: 'gone' },
      { kind: 'flow', field: 'flows.lead.update', event: 'lead.update', flowId: POSTBACK_FLOW.id },
    ]);
    expect(gaps[0].message).toBe('The lead.new flow “gone” does not exist any more. Choose another flow for lead.new under Flows.');
    expect(gaps[1].message).toContain('handles postback.in, not lead.update');
  });

  it('names a routed offer that does not exist any more by its place in the list', () => {
    const gaps = integrationReadiness(
      { ...fixture(), settings: FILLED.settings, secrets: ['api_key'], offers: ['ghost'] },
      sources({ flows: { [SEND_FLOW.id]: SEND_FLOW, [POSTBACK_FLOW.id]: POSTBACK_FLOW } }),
    ).gaps;
    expect(gaps).toMatchObject([{ kind: 'offer', field: 'offers[0]', offer: 'ghost' }]);
  });

  it('asks each routed offer, in routing order, for the parameters the flows read', () => {
    const readiness = integrationReadiness(
      { ...fixture(), settings: FILLED.settings, secrets: ['api_key'], offers: ['b', 'a', 'c'] },
      sources({
        flows: { [SEND_FLOW.id]: SEND_FLOW, [POSTBACK_FLOW.id]: POSTBACK_FLOW },
        offers: {
          a: { name: 'A', parameters: {} },
          b: { name: 'B', parameters: { crm_offer_id: ' ' } },
          c: { name: 'C', parameters: { crm_offer_id: '1' } },
        },
      }),
    );
    expect(readiness.gaps.map((g) => g.field)).toEqual(['offers.b.parameters.crm_offer_id', 'offers.a.parameters.crm_offer_id']);
  });

  it('adds the fields a template requires, says the template asks for them, and leaves its optional ones out', () => {
    const template: ReadinessSources['template'] = {
      settings: [
        { name: 'base_url', label: 'API address', help: '', required: true },
        { name: 'user_id', label: 'User ID', help: '', required: true },
        { name: 'currency', label: 'Currency', help: '' },
      ],
      secrets: [
        { name: 'api_key', label: 'API key', help: '' },
        { name: 'token', label: 'Token', help: '' },
        { name: 'spare', label: 'Spare', help: '', required: false },
      ],
      offerParameters: [
        { name: 'crm_price', label: 'Price', help: '', required: true },
        { name: 'note', label: 'Note', help: '' },
      ],
    };
    const readiness = integrationReadiness(fixture(), sources({ template }));
    expect(readiness.gaps.map((g) => g.field)).toEqual([
      'settings.base_url',
      'settings.user_id',
      'secrets.api_key',
      'secrets.token',
      'offers.drops.parameters.crm_offer_id',
      'offers.drops.parameters.crm_price',
      'flows.postback.in',
    ]);
    const userId = readiness.gaps[1];
    expect(userId).toEqual({
      kind: 'setting',
      field: 'settings.user_id',
      name: 'user_id',
      message: 'The template asks for the setting “user_id”, which is not set here. Fill it in under Settings.',
    });
    expect(missingOf(readiness)).toEqual({
      settings: ['base_url', 'user_id'],
      secrets: ['api_key', 'token'],
      offerParameters: { drops: ['crm_offer_id', 'crm_price'] },
    });
  });

  it('lists a name two flows read once, under the first event’s flow', () => {
    const second: FlowDoc = { ...SEND_FLOW, id: 'herbal-update', name: 'Herbal CRM: update', event: 'lead.update' };
    const gaps = integrationReadiness(
      { ...fixture(), flows: { 'lead.update': second.id, 'lead.new': SEND_FLOW.id } },
      sources({ flows: { [SEND_FLOW.id]: SEND_FLOW, [second.id]: second } }),
    ).gaps;
    expect(gaps.filter((g) => g.field === 'secrets.api_key')).toMatchObject([{ event: 'lead.new', flowId: SEND_FLOW.id }]);
  });

  it('gives the same gaps in the same order whatever order the integration lists its flows and settings in', () => {
    const reordered: ReadinessSubject = {
      settings: { zeta: '', base_url: '' },
      secrets: [],
      offers: [OFFER.id],
      flows: { 'postback.in': POSTBACK_FLOW.id, 'lead.new': SEND_FLOW.id },
    };
    expect(fields(reordered, sources())).toEqual(EXPECTED_GAPS.map((g) => g.field));
  });

  it('reports each problem of an invalid flow with its node and field', () => {
    const broken: FlowDoc = { ...SEND_FLOW, edges: [SEND_FLOW.edges[0]] };
    const gaps = integrationReadiness(
      { settings: FILLED.settings, secrets: ['api_key'], offers: [], flows: { 'lead.new': SEND_FLOW.id } },
      sources({ flows: { [SEND_FLOW.id]: broken } }),
    ).gaps;
    expect(gaps).toMatchObject([{ kind: 'flow-problem', field: 'flows.lead.new', nodeId: 'send', nodeField: 'inputs.in' }]);
    expect(gaps[0].message).toBe(
      'The lead.new flow “Herbal CRM: send” has a problem at node “send”, inputs.in: is not connected: nothing leads to this node. Open the flow and fix it.',
    );
  });
});

describe('an offer parameter', () => {
  it('counts under its own name or for one country, never when blank', () => {
    expect(hasOfferParameter({ crm_offer_id: '1' }, 'crm_offer_id')).toBe(true);
    expect(hasOfferParameter({ 'crm_offer_id-de': '1' }, 'crm_offer_id')).toBe(true);
    expect(hasOfferParameter({ crm_offer_id: '  ', 'crm_offer_id-de': '' }, 'crm_offer_id')).toBe(false);
    expect(hasOfferParameter({ crm_offer_identity: '1' }, 'crm_offer_id')).toBe(false);
    expect(hasOfferParameter(undefined, 'crm_offer_id')).toBe(false);
  });
});
