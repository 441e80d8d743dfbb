import { describe, expect, it } from 'vitest';
import type { Integration, Offer } from '../../core/domain/config.ts';
import {
  holderInWords,
  integrationRoutes,
  moveNewLeads,
  newLeadClash,
  newLeadRoute,
  routingProblems,
  stageIntegrations,
  stageJobKey,
} from '../../core/domain/routing.ts';

const integration = (id: string, over: Partial<Integration> = {}): Integration => ({
  id,
  name: id,
  enabled: true,
  settings: {},
  secrets: {},
  offers: [],
  flows: {},
  postbackToken: 't',
  ...over,
});
const offer = (id: string, routes?: Offer['routes']): Offer => ({ id, name: id, parameters: {}, goals: [], products: [], routes });

const crm = integration('crm', { offers: ['tea'], flows: { 'lead.new': 'send', 'lead.approved': 'crm-approved' } });
const fulfil = integration('fulfil', { flows: { 'lead.approved': 'fulfil-send' } });

describe('routing per event', () => {
  it('new leads go to the integration listing the offer, to the one the offer names, or nowhere when the network processes them', () => {
    expect(newLeadRoute(offer('tea'), [crm, fulfil])).toMatchObject({ kind: 'integration', integration: { id: 'crm' } });
    expect(newLeadRoute(offer('own', { new: null }), [crm])).toEqual({ kind: 'network' });
    expect(newLeadRoute(offer('own', { new: 'crm' }), [crm])).toMatchObject({ kind: 'integration', integration: { id: 'crm' } });
    expect(newLeadRoute(offer('other'), [crm])).toMatchObject({ kind: 'unrouted' });
    expect(newLeadRoute(offer('own', { new: 'crm' }), [{ ...crm, enabled: false }])).toMatchObject({ kind: 'unrouted' });
  });

  it('a lead reaching a stage goes to the integrations the offer routes it to; without stage routes, to its own on approve', () => {
    const routed = offer('tea', { stages: [{ stage: 'approve', integration: 'fulfil' }] });
    expect(stageIntegrations(routed, { integration: 'crm' }, 'approve', [crm, fulfil]).map((i) => i.id)).toEqual(['fulfil']);
    expect(stageIntegrations(routed, { integration: 'crm' }, 'hold', [crm, fulfil])).toEqual([]);
    expect(stageIntegrations(offer('tea'), { integration: 'crm' }, 'approve', [crm, fulfil]).map((i) => i.id)).toEqual(['crm']);
    expect(stageIntegrations(offer('tea'), { integration: '' }, 'approve', [crm, fulfil])).toEqual([]);
    expect(stageJobKey(42, 'fulfil', 'approve')).toBe('stage:42:fulfil:approve');
  });

  it('at most one integration takes an offer’s new leads, and a stage route names an integration with a lead.approved flow', () => {
    expect(routingProblems(offer('tea', { new: null }), [crm])).toMatchObject([{ field: 'routes.new' }]);
    expect(routingProblems(offer('tea', { new: 'fulfil' }), [crm, fulfil])).toMatchObject([{ field: 'routes.new' }]);
    expect(routingProblems(offer('tea', { new: 'crm' }), [crm, fulfil])).toEqual([]);
    // switched off, it takes nothing
    expect(routingProblems(offer('tea', { new: null }), [{ ...crm, enabled: false }])).toEqual([]);
    const stages = routingProblems(
      offer('own', {
        stages: [
          { stage: 'approve', integration: 'ghost' },
          { stage: 'approve', integration: integration('plain').id },
        ],
      }),
      [crm, integration('plain')],
    );
    expect(stages.map((p) => p.field)).toEqual(['routes.stages[0].integration', 'routes.stages[1].integration']);
  });

  it('an integration’s routes are read from the offers', () => {
    const offers = [offer('tea', { stages: [{ stage: 'approve', integration: 'fulfil' }] }), offer('own', { new: null }), offer('coffee')];
    expect(integrationRoutes(fulfil, offers)).toEqual({ new: [], stages: [{ stage: 'approve', offers: ['tea'] }] });
    expect(integrationRoutes({ ...crm, offers: ['tea', 'coffee'] }, offers)).toEqual({
      new: ['tea', 'coffee'],
      stages: [{ stage: 'approve', offers: ['coffee'] }],
    });
  });
});

describe('moving an offer’s new leads', () => {
  const acme = integration('acme', { name: 'Acme CRM', offers: ['tea'] });
  const beta = integration('beta', { name: 'Beta CRM' });

  it('routing them to another integration clashes with the enabled integration listing the offer', () => {
    expect(newLeadClash(offer('tea'), 'beta', [acme, beta])).toEqual({ kind: 'integration', integration: acme });
    expect(holderInWords(newLeadClash(offer('tea'), 'beta', [acme, beta])!)).toBe('integration "acme" (Acme CRM)');
    // the one that has them may take them again; one switched off holds nothing
    expect(newLeadClash(offer('tea'), 'acme', [acme, beta])).toBeUndefined();
    expect(newLeadClash(offer('tea'), 'beta', [{ ...acme, enabled: false }, beta])).toBeUndefined();
    expect(newLeadClash(offer('coffee'), 'beta', [acme, beta])).toBeUndefined();
  });

  it('the integration the offer names holds them, switched on or off, and so does our call centre', () => {
    expect(newLeadClash(offer('tea', { new: 'acme' }), 'beta', [{ ...acme, enabled: false, offers: [] }, beta])).toMatchObject({
      kind: 'integration',
      integration: { id: 'acme' },
    });
    expect(newLeadClash(offer('tea', { new: null }), 'beta', [beta])).toEqual({ kind: 'network' });
    expect(holderInWords({ kind: 'network' })).toBe('our own call centre');
    // keeping them with the call centre clashes with the integration listing the offer
    expect(newLeadClash(offer('tea'), null, [acme])).toMatchObject({ integration: { id: 'acme' } });
    expect(newLeadClash(offer('tea', { new: null }), null, [beta])).toBeUndefined();
  });

  it('a move takes the offer out of every other integration’s list and points a named route at the new one', () => {
    const offAlso = integration('old', { enabled: false, offers: ['tea', 'cream'] });
    expect(moveNewLeads(offer('tea'), 'beta', [acme, beta, offAlso])).toEqual({
      routes: undefined,
      unlisted: { acme: [], old: ['cream'] },
    });
    expect(moveNewLeads(offer('tea', { new: 'acme', stages: [] }), 'beta', [acme, beta]).routes).toEqual({ new: 'beta', stages: [] });
    expect(moveNewLeads(offer('tea', { new: null }), 'beta', [beta]).routes).toEqual({ new: 'beta' });
    expect(moveNewLeads(offer('tea', { new: null }), null, [acme]).unlisted).toEqual({ acme: [] });
  });
});
