/** The sample lead of a test run fits the integration: its routed offer, the offer's geo, a phone possible there. */
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../core/domain/config.ts';
import { offerCountries, sampleLeadFor } from '../../core/domain/sample-lead.ts';
import { readPhone } from '../../core/domain/phone.ts';
import type { RoutedIntegration } from '../../core/domain/routing.ts';

const offer = (id: string, parameters: Record<string, string> = {}, extra: Partial<Offer> = {}): Offer => ({
  id,
  name: id,
  parameters,
  goals: [],
  products: [],
  ...extra,
});
const integration = (id: string, offers: string[], enabled = false): RoutedIntegration => ({ id, name: id, enabled, offers, flows: {} });

describe('the sample lead', () => {
  it("takes the first offer routed to the integration, even while it is switched off, and the offer's first product", () => {
    const offers = [offer('other'), offer('tea', {}, { products: [{ id: 'SKU-1', price: 49 }] })];
    const lead = sampleLeadFor(integration('crm', ['tea']), offers);
    expect(lead.offer).toBe('tea');
    expect(lead.goods).toEqual([{ product: 'SKU-1', count: 1, price: 49 }]);
  });

  it("follows an offer's routes.new naming the integration", () => {
    const offers = [offer('tea', {}, { routes: { new: 'crm' } })];
    expect(sampleLeadFor(integration('crm', []), offers).offer).toBe('tea');
    expect(sampleLeadFor(integration('elsewhere', ['tea']), offers).offer).toBe('');
  });

  it('comes from the country of the offer’s geo-specific parameters, with a name and a phone possible there', () => {
    const lead = sampleLeadFor(integration('crm', ['pasta']), [offer('pasta', { crm_offer_id: '1', 'crm_offer_id-it': '2' })]);
    expect(lead.country).toBe('IT');
    expect(lead.name).toBe('Giulia Rossi');
    expect(readPhone(lead.phone ?? '', lead.country)).toMatchObject({ e164: expect.stringMatching(/^\+39/) });
  });

  it('reads a geo or country parameter, and falls back to Germany for an offer with no geo', () => {
    expect(offerCountries(offer('x', { geo: 'es, pt' }))).toEqual(['ES', 'PT']);
    // a key that merely ends in two letters that are no country is no geo
    expect(offerCountries(offer('x', { 'stream-zz': '1' }))).toEqual([]);
    const lead = sampleLeadFor(integration('crm', ['x']), [offer('x')]);
    expect(lead.country).toBe('DE');
    expect(readPhone(lead.phone ?? '', 'DE')).toMatchObject({ e164: expect.stringMatching(/^\+49/) });
    expect(lead.name).toBeTruthy();
  });

  it('has an empty offer when none is routed to the integration, or there is no integration', () => {
    expect(sampleLeadFor(integration('crm', []), [offer('tea')]).offer).toBe('');
    expect(sampleLeadFor(undefined, [offer('tea')]).offer).toBe('');
  });
});
