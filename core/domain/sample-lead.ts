/**
 * The sample lead of a test run, valid for the integration under test: an offer routed to it, a
 * country that fits the offer (its geo, read from its geo-specific parameters), a phone possible
 * in that country, a name. One function, used by the editor's test panel and by the runtime when
 * a test run is given no lead, so the first test of a template integration reaches its target.
 */
import { getExampleNumber, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import type { Offer } from './config.ts';
import type { LeadInput } from './lead.ts';
import { integrationRoutes, type RoutedIntegration } from './routing.ts';

/** The country a sample lead comes from when its offer names none. */
export const SAMPLE_COUNTRY = 'DE';

/** A buyer and a city per country, so the sample reads as a lead of that geo; others get the default. */
const PEOPLE: Record<string, { name: string; city: string; phone?: string }> = {
  // the sample the editor always showed for Germany, kept (its last digit takes a sandbox lead to approve)
  DE: { name: 'Anna Schmidt', city: 'Berlin', phone: '+49 151 2345 6781' },
  AT: { name: 'Lukas Gruber', city: 'Wien' },
  CH: { name: 'Laura Meier', city: 'Zürich' },
  FR: { name: 'Camille Martin', city: 'Paris' },
  IT: { name: 'Giulia Rossi', city: 'Milano' },
  ES: { name: 'Lucía García', city: 'Madrid' },
  PT: { name: 'Ana Silva', city: 'Lisboa' },
  PL: { name: 'Anna Kowalska', city: 'Warszawa' },
  CZ: { name: 'Jana Nováková', city: 'Praha' },
  RO: { name: 'Maria Popescu', city: 'București' },
  BG: { name: 'Maria Ivanova', city: 'Sofia' },
  GR: { name: 'Maria Papadopoulou', city: 'Athina' },
  HU: { name: 'Nagy Anna', city: 'Budapest' },
  GB: { name: 'Emily Smith', city: 'London' },
  US: { name: 'Emily Johnson', city: 'Austin' },
  MX: { name: 'María Hernández', city: 'Ciudad de México' },
  IN: { name: 'Priya Sharma', city: 'Mumbai' },
  TR: { name: 'Ayşe Yılmaz', city: 'İstanbul' },
};
const SOMEONE = { name: 'Alex Morgan', city: '' };

/**
 * The countries an offer is set up for: the two-letter suffixes of its geo-specific parameters
 * (`crm_offer_id-it` → IT), or a `geo` / `country` parameter (`"IT"`, `"IT,ES"`), in order.
 * @example offerCountries({ parameters: { crm_offer_id: '1', 'crm_offer_id-it': '2' } }) // ['IT']
 */
export function offerCountries(offer: Pick<Offer, 'parameters'> | undefined): string[] {
  const found: string[] = [];
  const add = (code: string) => {
    const upper = code.trim().toUpperCase();
    if (/^[A-Z]{2}$/.test(upper) && isSupportedCountry(upper) && !found.includes(upper)) found.push(upper);
  };
  const parameters = offer?.parameters ?? {};
  for (const key of ['geo', 'country']) for (const code of (parameters[key] ?? '').split(/[\s,;]+/)) if (code) add(code);
  for (const key of Object.keys(parameters)) {
    const suffix = /-([a-z]{2})$/i.exec(key)?.[1];
    if (suffix && key.length > 3) add(suffix);
  }
  return found;
}

/**
 * The offers whose new leads go to `integration`, as routing reads them (its `offers`, or an
 * offer's `routes.new` naming it): the first is the sample's. Off or on does not matter here: a
 * test run is made before an integration is switched on.
 */
export function offersForSample(integration: RoutedIntegration, offers: readonly Offer[]): Offer[] {
  const routed = integrationRoutes(integration, offers).new;
  return routed.map((id) => offers.find((offer) => offer.id === id)).filter((offer): offer is Offer => offer !== undefined);
}

/**
 * A realistic lead for a test run of `integration`: the first offer routed to it (`offer: ''`
 * when none is: the test panel says so), from the offer's first country (else {@link
 * SAMPLE_COUNTRY}), with a mobile number possible there, a name and a city of that country, and
 * the offer's first product as its goods.
 * @example sampleLeadFor(crm, offers) // { offer: 'tea', country: 'DE', phone: '+49 151 2345 6781', name: 'Anna Schmidt', … }
 */
export function sampleLeadFor(integration: RoutedIntegration | undefined, offers: readonly Offer[]): LeadInput {
  const offer = integration ? offersForSample(integration, offers)[0] : undefined;
  const country = offerCountries(offer)[0] ?? SAMPLE_COUNTRY;
  const person = PEOPLE[country] ?? SOMEONE;
  const phone = person.phone ?? getExampleNumber(country as CountryCode, examples)?.formatInternational() ?? '+49 151 2345 6781';
  const product = offer?.products[0];
  return {
    offer: offer?.id ?? '',
    wm: 'wm1',
    name: person.name,
    phone,
    email: 'sample.buyer@example.com',
    country,
    ip: '84.135.22.17',
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    ...(person.city ? { city: person.city } : {}),
    comment: 'Please call after 6 pm',
    subid: 'clk-8f2a91',
    sub1: 'fb-campaign-12',
    utm_source: 'facebook',
    goods: [{ product: product?.id ?? 'sample', count: 1, price: product?.price ?? 39 }],
  };
}
