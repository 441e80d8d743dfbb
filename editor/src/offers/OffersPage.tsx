/**
 * Offers: every offer with the integration that gets its new leads and its stage routes, a form for
 * a new one, and one offer's page (`#/offers/ID`). What the flows of the integrations read as
 * `{{offer.params.NAME}}` is set here.
 */
import { useState } from 'react';
import type { Offer } from '../../../core/domain/config.ts';
import { geoParameterTable } from '../../../core/domain/geo-parameters.ts';
import { newLeadRoute } from '../../../core/domain/routing.ts';
import type { IntegrationView } from '../api/client.ts';
import { useIntegrations, useOffers } from '../api/queries.ts';
import { useCreateOffer } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { countryName } from './countries.ts';
import { CALL_CENTRE } from './new-lead-routing.ts';
import { OfferPage } from './OfferPage.tsx';
import './offers.css';

export function OffersPage({ offerId }: { offerId?: string }) {
  const offers = useOffers();
  const integrations = useIntegrations();
  const error = offers.error ?? integrations.error;
  if (error) return <div className="lf-page lf-danger">Could not load the offers: {error.message}</div>;
  if (!offers.data || !integrations.data) return <div className="lf-page lf-muted">Loading…</div>;
  if (offerId) {
    const offer = offers.data.find((o) => o.id === offerId);
    if (!offer)
      return (
        <div className="lf-page">
          <a href="#/offers">← Offers</a>
          <p>There is no offer “{offerId}”.</p>
        </div>
      );
    return <OfferPage key={offer.id} offer={offer} />;
  }
  return <OfferList offers={offers.data} integrations={integrations.data} />;
}

/** Where an offer's new leads go, in words. */
function newLeadsInWords(offer: Offer, integrations: readonly IntegrationView[]): string {
  const route = newLeadRoute(offer, integrations);
  if (route.kind === 'integration') return route.integration.name;
  if (route.kind === 'network') return CALL_CENTRE;
  const named = integrations.find((i) => i.id === offer.routes?.new) ?? integrations.find((i) => i.offers.includes(offer.id));
  return named ? `${named.name} (switched off)` : 'no integration yet';
}

function OfferList({ offers, integrations }: { offers: Offer[]; integrations: IntegrationView[] }) {
  const [creating, setCreating] = useState(offers.length === 0);
  const name = (id: string) => integrations.find((i) => i.id === id)?.name ?? id;
  return (
    <div className="lf-page" data-testid="offers-page">
      <div className="lf-page__head">
        <h1>Offers</h1>
        <span className="lf-toolbar__spacer" />
        {!creating && (
          <button type="button" className="lf-btn lf-btn--primary" onClick={() => setCreating(true)} data-testid="new-offer">
            New offer
          </button>
        )}
      </div>
      <p className="lf-muted">
        An offer is a product on sale. Leads name it by its id; its parameters (the target&apos;s offer id, a stream, a price per country)
        are what the integrations&apos; flows send for it.
      </p>
      {creating && <NewOffer offers={offers} onCancel={() => setCreating(false)} />}
      {offers.length > 0 && (
        <table className="lf-table" data-testid="offers">
          <thead>
            <tr>
              <th>offer</th>
              <th>new leads go to</th>
              <th>when a lead reaches a stage</th>
              <th>parameters</th>
              <th>goals · products</th>
            </tr>
          </thead>
          <tbody>
            {offers.map((offer) => {
              const table = geoParameterTable(offer.parameters ?? {});
              return (
                <tr key={offer.id} data-offer-id={offer.id}>
                  <td>
                    <a href={`#/offers/${encodeURIComponent(offer.id)}`} className="lf-strong">
                      {offer.name}
                    </a>{' '}
                    <code className="lf-muted">{offer.id}</code>
                  </td>
                  <td data-testid={`offer-new-leads-${offer.id}`}>{newLeadsInWords(offer, integrations)}</td>
                  <td data-testid={`offer-stage-routes-${offer.id}`}>
                    {offer.routes?.stages?.length ? (
                      offer.routes.stages.map((r) => (
                        <div key={`${r.stage} ${r.integration}`}>
                          {r.stage} → {name(r.integration)}
                        </div>
                      ))
                    ) : (
                      <span
                        className="lf-muted"
                        title="Not set: an approved lead goes to the integration that got it as new, when that one has a flow for approved leads"
                      >
                        none set
                      </span>
                    )}
                  </td>
                  <td>
                    {table.rows.length} <span className="lf-muted">{table.rows.length === 1 ? 'parameter' : 'parameters'}</span>
                    {table.countries.length > 0 && (
                      <div className="lf-muted lf-small">values for {table.countries.map(countryName).join(', ')}</div>
                    )}
                  </td>
                  <td>
                    {offer.goals?.length ?? 0} · {offer.products?.length ?? 0}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** `Slimming tea` → `slimming-tea`: a suggestion the integrator may change. */
const idOf = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);

function NewOffer({ offers, onCancel }: { offers: Offer[]; onCancel(): void }) {
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [idTouched, setIdTouched] = useState(false);
  const create = useCreateOffer();
  const shownId = idTouched ? id : idOf(name);
  const problem = !name.trim()
    ? 'Give the offer a name'
    : !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(shownId)
      ? 'The id takes letters, digits, “_”, “.” and “-”, starting with a letter or digit'
      : offers.some((o) => o.id === shownId)
        ? `An offer “${shownId}” exists`
        : undefined;
  const submit = async () => {
    try {
      const offer = await create.mutateAsync({ id: shownId, name: name.trim(), parameters: {}, goals: [], products: [] });
      notify('success', `Offer ${offer.name} created: add its parameters`);
      location.hash = `#/offers/${encodeURIComponent(offer.id)}`;
    } catch (e) {
      notify('error', `Not created: ${(e as Error).message}`);
    }
  };
  return (
    <form
      className="lf-box"
      data-testid="new-offer-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!problem) void submit();
      }}
    >
      <h2>New offer</h2>
      <div className="lf-row lf-row--top">
        <label className="lf-field">
          <span className="lf-field__label">Name</span>
          <input
            className="lf-input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="Slimming tea"
            data-testid="offer-new-name"
          />
        </label>
        <label className="lf-field">
          <span className="lf-field__label">Id (leads name the offer by it)</span>
          <input
            className="lf-input lf-input--mono"
            value={shownId}
            onChange={(e) => {
              setIdTouched(true);
              setId(e.target.value);
            }}
            placeholder="slimming-tea"
            data-testid="offer-new-id"
          />
        </label>
      </div>
      {problem && (name || idTouched) && <p className="lf-field__error">{problem}</p>}
      <div className="lf-row">
        <button type="submit" className="lf-btn lf-btn--primary" disabled={!!problem || create.isPending} data-testid="create-offer">
          Create offer
        </button>
        <button type="button" className="lf-btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
