/**
 * What "New integration from template" answers once the integration is made (FromTemplate.tsx):
 * whether it is on, what it still lacks (the server's readiness, by the template's labels) and, for
 * targets that send postbacks, the postback URL with its tail of macros to copy.
 */
import type { Offer } from '../../../core/domain/config.ts';
import type { FromTemplateResult, TemplateField, TemplateSummary } from '../api/client.ts';
import { CopyField } from '../app/CopyField.tsx';

const labelOf = (fields: TemplateField[], name: string) => fields.find((f) => f.name === name)?.label ?? name;

/**
 * What the new integration still lacks, from the server's answer: the settings, secrets and offer
 * parameters by their labels in the template (`missing`, derived from the gaps), then any other gap
 * (a flow's problem) in the server's words.
 */
function MissingList({ template, result, offers }: { template: TemplateSummary; result: FromTemplateResult; offers: Offer[] }) {
  const { missing } = result;
  const offerName = (id: string) => offers.find((o) => o.id === id)?.name ?? id;
  const others = result.readiness.gaps.filter((g) => g.kind !== 'setting' && g.kind !== 'secret' && g.kind !== 'offer-parameter');
  return (
    <ul className="lf-missing" data-testid="missing">
      {missing.settings.map((name) => (
        <li key={`s-${name}`} data-missing={`settings.${name}`}>
          Setting <b>{labelOf(template.settings, name)}</b> <code>{name}</code>
        </li>
      ))}
      {missing.secrets.map((name) => (
        <li key={`k-${name}`} data-missing={`secrets.${name}`}>
          Secret <b>{labelOf(template.secrets, name)}</b> <code>{name}</code>
        </li>
      ))}
      {Object.entries(missing.offerParameters).map(([offerId, names]) => (
        <li key={`o-${offerId}`} data-missing={`offer.${offerId}`}>
          Offer <b>{offerName(offerId)}</b>: {names.map((n) => `${labelOf(template.offerParameters, n)} (${n})`).join(', ')}
        </li>
      ))}
      {others.map((gap, i) => (
        <li key={`g-${i}`} data-missing={gap.field}>
          {gap.message}
        </li>
      ))}
    </ul>
  );
}

export function Created({ template, result, offers }: { template: TemplateSummary; result: FromTemplateResult; offers: Offer[] }) {
  const complete = result.readiness.ready;
  const open = () => {
    location.hash = `#/integrations/${encodeURIComponent(result.id)}`;
  };
  return (
    <div data-testid="from-template-result">
      <div className="lf-row">
        <h2>Created “{result.name}”</h2>
        <span className="lf-toolbar__spacer" />
        <span className={`lf-pill ${result.enabled ? 'lf-pill--ok' : 'lf-pill--off'}`} data-testid="created-state">
          {result.enabled ? 'on' : 'off'}
        </span>
      </div>
      <p>
        {result.enabled
          ? 'It is on: leads of its offers are delivered from now on.'
          : complete
            ? 'It is off; switch it on on its page when you are ready.'
            : 'It is off until what is missing below is filled in.'}
      </p>
      <p className="lf-muted lf-small">
        From the template {template.name}, with {Object.keys(result.flows).length} flows:{' '}
        {Object.values(result.flows).map((f) => (
          <code key={f}>{f} </code>
        ))}
      </p>

      {!complete && (
        <section className="lf-box lf-box--warn">
          <h3>Still missing</h3>
          <MissingList template={template} result={result} offers={offers} />
          <p className="lf-help">
            The integration’s page lists these at the top, each with a field to fill it in (offer parameters can also be edited under Offers
            there).
          </p>
        </section>
      )}

      {result.postbackUrlWithTail && (
        <section className="lf-box">
          <h3>Postback URL for the target</h3>
          <p className="lf-help">
            Paste this into the target’s postback settings: its tail of macros is what the target fills in for each lead.
          </p>
          <CopyField value={result.postbackUrlWithTail} label="Postback URL with macros" testId="postback-with-tail" />
        </section>
      )}

      <div className="lf-modal__actions">
        <button type="button" className="lf-btn lf-btn--primary" onClick={open} autoFocus data-testid="open-created">
          {complete ? 'Open the integration' : 'Open the integration and fill in the rest'}
        </button>
      </div>
    </div>
  );
}
