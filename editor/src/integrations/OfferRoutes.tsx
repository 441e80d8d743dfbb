/**
 * An offer's routes as seen from one integration's page: who takes its new leads (this
 * integration, another, or the network's own call centre — the kernel's `newLeadRoute`), and at
 * which stage this integration gets its leads (a fulfilment CRM taking approved orders). Changing
 * either saves the offer's `routes`; the runtime checks them (`routingProblems`) and its refusal is
 * shown as it comes.
 */
import type { Offer } from '../../../core/domain/config.ts';
import type { IntegrationView } from '../api/client.ts';
import type { Stage } from '../../../core/domain/lead.ts';
import { integrationRoutes, newLeadRoute, ROUTABLE_STAGES, type StageRoute } from '../../../core/domain/routing.ts';
import { useIntegrations } from '../api/queries.ts';
import { useSaveOffer } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { useNewLeadRouting } from '../offers/new-lead-routing.ts';

/** The stage routes in effect for an offer, written out (an offer without its own takes the default the kernel gives). */
function effectiveStages(offer: Offer, integrations: readonly IntegrationView[]): StageRoute[] {
  if (offer.routes?.stages) return offer.routes.stages;
  return integrations.flatMap((i) => integrationRoutes(i, [offer]).stages.map((route) => ({ stage: route.stage, integration: i.id })));
}

export function OfferRoutes({ offer, integration }: { offer: Offer; integration: IntegrationView }) {
  const integrations = useIntegrations().data;
  const saveOffer = useSaveOffer();
  const routing = useNewLeadRouting();
  if (!integrations) return null;
  const route = newLeadRoute(offer, integrations);
  const stages = effectiveStages(offer, integrations);
  const here = stages.find((r) => r.integration === integration.id)?.stage ?? '';
  const save = async (routes: Offer['routes'], done: string) => {
    try {
      await saveOffer.mutateAsync({ ...offer, routes });
      notify('success', done);
    } catch (e) {
      notify('error', `Not saved: ${(e as Error).message}`);
    }
  };
  const setStage = (stage: Stage | '') => {
    const others = stages.filter((r) => r.integration !== integration.id);
    const next = stage ? [...others, { stage, integration: integration.id }] : others;
    void save(
      { ...offer.routes, stages: next },
      stage ? `${offer.name}: leads reaching ${stage} go to ${integration.name}` : `${offer.name}: no stage route here`,
    );
  };
  const ownCallCentre = offer.routes?.new === null;
  return (
    <div className="lf-row lf-small" data-testid={`offer-routes-${offer.id}`}>
      <span className="lf-muted" data-testid={`offer-new-route-${offer.id}`}>
        new leads:{' '}
        {route.kind === 'network'
          ? 'our own call centre (sent nowhere)'
          : route.kind === 'integration'
            ? route.integration.id === integration.id
              ? 'this integration'
              : route.integration.name
            : 'no integration yet'}
      </span>
      <label className="lf-check">
        <input
          type="checkbox"
          checked={ownCallCentre}
          onChange={(e) =>
            // keeping them with our call centre while an integration has them is a move, confirmed first
            e.target.checked
              ? void routing.routeTo(offer, null)
              : void save({ ...offer.routes, new: undefined }, `${offer.name}: new leads go to the integration listing it`)
          }
        />
        our call centre
      </label>
      <label title={integration.flows['lead.approved'] ? undefined : 'Choose a lead.approved flow under Flows first'}>
        gets its leads at stage{' '}
        <select
          value={here}
          disabled={!integration.flows['lead.approved'] || saveOffer.isPending}
          onChange={(e) => setStage(e.target.value as Stage | '')}
          aria-label={`${offer.name}: stage at which ${integration.name} gets its leads`}
        >
          <option value="">—</option>
          {ROUTABLE_STAGES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
