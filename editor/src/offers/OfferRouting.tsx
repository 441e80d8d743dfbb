/**
 * The offer's routes on its own page (issue 18's routes, seen from the offer): which integration
 * takes its new leads — one, our own call centre, or none yet — chosen as a move that is confirmed
 * when another holds them (./new-lead-routing.ts), and the integrations that get its leads when
 * they reach a stage (a fulfilment CRM for approved orders), saved with "Save stage routes".
 */
import { useState } from 'react';
import type { Offer } from '../../../core/domain/config.ts';
import type { Stage } from '../../../core/domain/lead.ts';
import { ROUTABLE_STAGES, type StageRoute } from '../../../core/domain/routing.ts';
import type { IntegrationView } from '../api/client.ts';
import { useSaveOffer } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { CALL_CENTRE, useNewLeadRouting } from './new-lead-routing.ts';

/** The value of the new-leads choice: an integration's id, `network` (our call centre) or `` (none). */
export function newLeadChoice(offer: Offer, integrations: readonly IntegrationView[]): string {
  const named = offer.routes?.new;
  if (named === null) return 'network';
  if (typeof named === 'string') return named;
  const listing =
    integrations.find((i) => i.enabled && i.offers.includes(offer.id)) ?? integrations.find((i) => i.offers.includes(offer.id));
  return listing?.id ?? '';
}

export function OfferRouting({ offer }: { offer: Offer }) {
  const { integrations, routeTo, pending } = useNewLeadRouting();
  const choice = newLeadChoice(offer, integrations);
  const chosen = integrations.find((i) => i.id === choice);
  return (
    <div data-testid="offer-routing">
      <label className="lf-row">
        <span className="lf-strong">New leads go to</span>
        <select
          className="lf-input lf-route__select"
          value={choice}
          disabled={pending}
          onChange={(e) => void routeTo(offer, e.target.value === 'network' ? null : e.target.value)}
          aria-label="Integration that gets the new leads"
          data-testid="new-leads-to"
        >
          <option value="">no integration yet (leads wait, sent nowhere)</option>
          {integrations.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name}
              {i.enabled ? '' : ' (switched off)'}
            </option>
          ))}
          <option value="network">{CALL_CENTRE} (stored, sent nowhere, moved by hand)</option>
        </select>
      </label>
      {chosen && !chosen.enabled && (
        <p className="lf-warn lf-small">{chosen.name} is switched off: its new leads wait until it is switched on.</p>
      )}
      <StageRoutes key={JSON.stringify(offer.routes?.stages ?? null)} offer={offer} integrations={integrations} />
    </div>
  );
}

function StageRoutes({ offer, integrations }: { offer: Offer; integrations: readonly IntegrationView[] }) {
  const [rows, setRows] = useState<StageRoute[]>(offer.routes?.stages ?? []);
  const saveOffer = useSaveOffer();
  const dirty = JSON.stringify(rows) !== JSON.stringify(offer.routes?.stages ?? []);
  const set = (i: number, row: StageRoute) => setRows(rows.map((r, j) => (j === i ? row : r)));
  const save = async () => {
    try {
      await saveOffer.mutateAsync({ ...offer, routes: { ...offer.routes, stages: rows } });
      notify('success', `Stage routes of ${offer.name} saved`);
    } catch (e) {
      notify('error', `Not saved: ${(e as Error).message}`);
    }
  };
  return (
    <div className="lf-route__stages" data-testid="stage-routes">
      <div className="lf-strong">When a lead reaches a stage, it also goes to</div>
      {!offer.routes?.stages && rows.length === 0 && (
        <p className="lf-muted lf-small">
          Not set: an approved lead goes to the integration that got it as new, when that one has a flow for approved leads.
        </p>
      )}
      {rows.map((row, i) => {
        const integration = integrations.find((x) => x.id === row.integration);
        return (
          <div className="lf-row" key={i} data-testid={`stage-route-${i}`}>
            <span className="lf-muted">at</span>
            <select
              className="lf-input lf-route__stage"
              value={row.stage}
              aria-label={`Stage route ${i + 1}: stage`}
              onChange={(e) => set(i, { ...row, stage: e.target.value as Stage })}
            >
              {ROUTABLE_STAGES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <span className="lf-muted">to</span>
            <select
              className="lf-input lf-route__select"
              value={row.integration}
              aria-label={`Stage route ${i + 1}: integration`}
              onChange={(e) => set(i, { ...row, integration: e.target.value })}
            >
              {integrations.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name}
                  {x.flows['lead.approved'] ? '' : ' (no flow for reached stages yet)'}
                </option>
              ))}
            </select>
            {integration && !integration.flows['lead.approved'] && (
              <span className="lf-warn lf-small">choose its lead.approved flow on its page first</span>
            )}
            <button
              type="button"
              className="lf-icon-btn"
              title="Remove this stage route"
              aria-label={`Remove stage route ${i + 1}`}
              onClick={() => setRows(rows.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
        );
      })}
      <div className="lf-row">
        <button
          type="button"
          className="lf-link-btn"
          disabled={integrations.length === 0}
          onClick={() => setRows([...rows, { stage: 'approve', integration: integrations[0]?.id ?? '' }])}
          data-testid="add-stage-route"
        >
          + Add a stage route
        </button>
        <span className="lf-toolbar__spacer" />
        {dirty && (
          <button
            type="button"
            className="lf-btn lf-btn--small lf-btn--primary"
            disabled={saveOffer.isPending}
            onClick={() => void save()}
            data-testid="save-stage-routes"
          >
            Save stage routes
          </button>
        )}
      </div>
    </div>
  );
}
