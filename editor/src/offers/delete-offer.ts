/**
 * What deleting an offer takes with it, in words for the confirmation: the integrations that stop
 * getting its new leads (they stop listing it) and those that stop getting its leads at a stage
 * (its routes go with it). The runtime refuses to delete an offer that has leads.
 */
import type { Offer } from '../../../core/domain/config.ts';
import type { IntegrationView } from '../api/client.ts';

export function deleteQuestion(offer: Offer, integrations: readonly IntegrationView[]): string {
  const name = (id: string) => integrations.find((i) => i.id === id)?.name ?? id;
  const lines = [`Delete the offer “${offer.name}” (${offer.id})?`];
  const listing = integrations.filter((i) => i.offers.includes(offer.id) || offer.routes?.new === i.id);
  for (const integration of listing) lines.push(`• ${integration.name} stops getting its new leads.`);
  for (const route of offer.routes?.stages ?? [])
    lines.push(`• ${name(route.integration)} stops getting its leads that reach ${route.stage}.`);
  if (lines.length === 1) lines.push('No integration gets its leads.');
  lines.push('An offer that has leads is kept: their status checks and postbacks still need it.');
  return lines.join('\n');
}
