/**
 * One offer, edited: its name, parameters by country, goals and products with their parameters and
 * its duplicate check, saved together with "Save offer" (the runtime checks them and its refusal
 * names the field); its routes, saved as they are chosen; and "Delete offer", after a
 * confirmation that says what it takes with it.
 */
import { useState } from 'react';
import type { Offer } from '../../../core/domain/config.ts';
import { useIntegrations } from '../api/queries.ts';
import { useDeleteOffer, useSaveOffer } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { deleteQuestion } from './delete-offer.ts';
import { draftOf, draftProblems, offerOf, type OfferDraft } from './draft.ts';
import { DuplicateCheck } from './DuplicateCheck.tsx';
import { OfferItems } from './OfferItems.tsx';
import { OfferRouting } from './OfferRouting.tsx';
import { ParameterTable } from './ParameterTable.tsx';
import { geoTableProblems } from '../../../core/domain/geo-parameters.ts';

export function OfferPage({ offer }: { offer: Offer }) {
  const [draft, setDraft] = useState<OfferDraft>(() => draftOf(offer));
  const [tried, setTried] = useState(false);
  const saveOffer = useSaveOffer();
  const deleteOffer = useDeleteOffer();
  const integrations = useIntegrations().data ?? [];
  const next = offerOf(draft, offer);
  const dirty = JSON.stringify(next) !== JSON.stringify(offerOf(draftOf(offer), offer));
  const problems = draftProblems(draft);
  const change = (patch: Partial<OfferDraft>) => setDraft({ ...draft, ...patch });

  const save = async () => {
    setTried(true);
    if (problems.length) return notify('error', 'Not saved: fix what is marked first', problems);
    try {
      const saved = await saveOffer.mutateAsync(next);
      setDraft(draftOf(saved));
      setTried(false);
      notify('success', `${saved.name} saved`);
    } catch (e) {
      notify('error', `Not saved: ${(e as Error).message}`);
    }
  };
  const remove = async () => {
    if (!window.confirm(deleteQuestion(offer, integrations))) return;
    try {
      await deleteOffer.mutateAsync(offer.id);
      notify('success', `Offer ${offer.name} deleted`);
      location.hash = '#/offers';
    } catch (e) {
      notify('error', `Not deleted: ${(e as Error).message}`);
    }
  };

  return (
    <div className="lf-page" data-testid="offer-page">
      <a href="#/offers" className="lf-muted">
        ← Offers
      </a>
      <div className="lf-page__head">
        <input
          className="lf-input lf-title-input"
          value={draft.name}
          onChange={(e) => change({ name: e.target.value })}
          aria-label="Offer name"
          data-testid="offer-name"
        />
        <code className="lf-muted" title="The offer's id: leads name it in their offer field">
          {offer.id}
        </code>
        <span className="lf-toolbar__spacer" />
        {dirty && <span className="lf-dirty lf-small">unsaved changes</span>}
        <button
          type="button"
          className="lf-btn lf-btn--primary"
          disabled={!dirty || saveOffer.isPending}
          onClick={() => void save()}
          data-testid="save-offer"
        >
          {saveOffer.isPending ? 'Saving…' : 'Save offer'}
        </button>
      </div>
      {tried && problems.length > 0 && (
        <ul className="lf-issues" data-testid="offer-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}

      <section className="lf-box">
        <h2>Parameters</h2>
        <p className="lf-muted">
          Values the integrations&apos; flows send for this offer, read as <code>{'{{offer.params.NAME}}'}</code>. A country column holds
          the value for leads from that country; an empty cell takes the default.
        </p>
        <ParameterTable table={draft.table} onChange={(table) => change({ table })} problems={tried ? geoTableProblems(draft.table) : []} />
      </section>

      <div className="lf-split-2">
        <section className="lf-box">
          <h2>Goals</h2>
          <p className="lf-muted lf-small">What a webmaster is paid for, each with parameters of its own.</p>
          <OfferItems kind="goal" items={draft.goals} onChange={(goals) => change({ goals })} />
        </section>
        <section className="lf-box">
          <h2>Products</h2>
          <p className="lf-muted lf-small">What a lead&apos;s goods name, with a price and parameters of their own.</p>
          <OfferItems kind="product" items={draft.products} onChange={(products) => change({ products })} />
        </section>
      </div>

      <section className="lf-box">
        <h2>Duplicate check</h2>
        <DuplicateCheck value={draft.duplicates} onChange={(duplicates) => change({ duplicates })} />
      </section>

      <section className="lf-box">
        <h2>Routing</h2>
        <p className="lf-muted lf-small">Saved as you choose. An offer&apos;s new leads go to one integration at most.</p>
        <OfferRouting offer={offer} />
      </section>

      <section className="lf-box lf-box--warn">
        <div className="lf-row">
          <span>Deleting the offer takes it out of every integration; an offer that has leads is kept.</span>
          <span className="lf-toolbar__spacer" />
          <button
            type="button"
            className="lf-btn"
            disabled={deleteOffer.isPending}
            onClick={() => void remove()}
            data-testid="delete-offer"
          >
            Delete offer
          </button>
        </div>
      </section>
    </div>
  );
}
