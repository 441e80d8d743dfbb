/**
 * Offers and integrations named as the integrator named them, not by id: the id stays as the
 * tooltip (what the API and the logs use). An id no longer known reads as itself.
 */
import { useIntegrations, useOffers } from '../api/queries.ts';

/** The names of the offers and integrations, by id, and a lookup that falls back to the id. */
export function useNames(): { offer(id: string): string; integration(id: string): string } {
  const offers = useOffers().data ?? [];
  const integrations = useIntegrations().data ?? [];
  const offerNames = new Map(offers.map((o) => [o.id, o.name]));
  const integrationNames = new Map(integrations.map((i) => [i.id, i.name]));
  return { offer: (id) => offerNames.get(id) || id, integration: (id) => integrationNames.get(id) || id };
}

export function OfferName({ id }: { id: string }) {
  const names = useNames();
  return (
    <span title={`offer id: ${id}`} data-offer-id={id}>
      {names.offer(id)}
    </span>
  );
}

/** The integration's name, a link to its page. */
export function IntegrationName({ id }: { id: string }) {
  const names = useNames();
  return (
    <a href={`#/integrations/${encodeURIComponent(id)}`} title={`integration id: ${id}`} data-integration-id={id}>
      {names.integration(id)}
    </a>
  );
}
