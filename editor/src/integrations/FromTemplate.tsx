/**
 * "New integration from template": choose one of the templates in `flows/templates/`, answer what
 * it asks for (settings, secrets — typed once, never shown again — and the offers to route), and
 * the runtime creates the integration with its flows. The answer says whether it is on, what is
 * still missing (the server's readiness) and, for targets that send postbacks, the postback URL
 * with its tail of macros.
 *
 * What is missing stays on the integration's page as its checklist (Readiness.tsx), which the
 * server computes for every integration: nothing is kept in the browser.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FlowEvent, Offer } from '../../../core/domain/config.ts';
import { hasOfferParameter } from '../../../core/readiness.ts';
import {
  ApiError,
  type FlowSummary,
  type FromTemplateResult,
  type IntegrationView,
  type TemplateField,
  type TemplateSummary,
} from '../api/client.ts';
import { useTemplates } from '../api/queries.ts';
import { useIntegrationFromTemplate } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { SwitchOnAtOnce } from './SwitchOnAtOnce.tsx';
import { eventName } from '../../../core/domain/event-names.ts';

export function describeEvents(events: FlowEvent[]): string {
  return events.map(eventName).join(' · ');
}

/** An integration id from a name, free among integrations and not clashing with flows named `<id>-…`. */
export function freeIntegrationId(name: string, integrations: Set<string>, flows: Set<string>): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 34)
      .replace(/-+$/, '') || 'integration';
  const taken = (id: string) => integrations.has(id) || [...flows].some((f) => f.startsWith(`${id}-`));
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

const labelOf = (fields: TemplateField[], name: string) => fields.find((f) => f.name === name)?.label ?? name;

// ---------------------------------------------------------------------------------------------
// small pieces

/** A read-only field with a Copy button. */
export function CopyField({ value, label, testId }: { value: string; label: string; testId?: string }) {
  return (
    <div className="lf-row">
      <input
        className="lf-input lf-input--mono"
        readOnly
        value={value}
        onFocus={(e) => e.target.select()}
        aria-label={label}
        data-testid={testId}
      />
      <button
        type="button"
        className="lf-btn lf-btn--small"
        onClick={() =>
          navigator.clipboard
            ?.writeText(value)
            .then(() => notify('success', 'Copied'))
            .catch(() => notify('error', 'The browser did not allow copying; select the text and copy it by hand'))
        }
      >
        Copy
      </button>
    </div>
  );
}

function FieldInput({
  field,
  value,
  secret,
  onChange,
  idPrefix,
}: {
  field: TemplateField;
  value: string;
  secret?: boolean;
  onChange(value: string): void;
  idPrefix: string;
}) {
  const required = secret ? field.required !== false : field.required === true;
  const id = `${idPrefix}-${field.name}`;
  return (
    <div className="lf-field" data-field={field.name}>
      <label className="lf-field__label" htmlFor={id}>
        {field.label} {required ? <span className="lf-required">*</span> : <span className="lf-muted lf-small">(optional)</span>}
      </label>
      <input
        id={id}
        className="lf-input"
        type={secret ? 'password' : 'text'}
        autoComplete={secret ? 'new-password' : 'off'}
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <p className="lf-help">
        {field.help} <code className="lf-muted">{secret ? `secrets.${field.name}` : `settings.${field.name}`}</code>
      </p>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// the dialog

type Step =
  { at: 'choose' } | { at: 'form'; template: TemplateSummary } | { at: 'done'; template: TemplateSummary; result: FromTemplateResult };

export function FromTemplateDialog({
  integrations,
  flows,
  offers,
  onClose,
}: {
  integrations: IntegrationView[];
  flows: FlowSummary[];
  offers: Offer[];
  onClose(): void;
}) {
  const templatesQuery = useTemplates();
  const [step, setStep] = useState<Step>({ at: 'choose' });
  const loadError = templatesQuery.error;
  useEffect(() => {
    if (loadError) notify('error', `Could not load the templates: ${loadError.message}`);
  }, [loadError]);
  const templates = templatesQuery.data ?? (loadError ? [] : null);

  return (
    <div
      className="lf-modal"
      role="dialog"
      aria-modal="true"
      aria-label="New integration from template"
      data-testid="from-template"
      onKeyDown={(e) => e.key === 'Escape' && step.at !== 'done' && onClose()}
    >
      <div className="lf-modal__box lf-modal__box--wide">
        {step.at === 'choose' && (
          <ChooseTemplate templates={templates} onChoose={(template) => setStep({ at: 'form', template })} onClose={onClose} />
        )}
        {step.at === 'form' && (
          <TemplateForm
            template={step.template}
            integrations={integrations}
            flows={flows}
            offers={offers}
            onBack={() => setStep({ at: 'choose' })}
            onCreated={(result) => setStep({ at: 'done', template: step.template, result })}
          />
        )}
        {step.at === 'done' && <Created template={step.template} result={step.result} offers={offers} />}
      </div>
    </div>
  );
}

function ChooseTemplate({
  templates,
  onChoose,
  onClose,
}: {
  templates: TemplateSummary[] | null;
  onChoose(t: TemplateSummary): void;
  onClose(): void;
}) {
  return (
    <>
      <h2>New integration from template</h2>
      <p className="lf-muted">
        Each template is a complete integration for one kind of target: its flows, and what to fill in. Choose the kind of your target.
      </p>
      {templates === null ? (
        <p className="lf-muted">Loading…</p>
      ) : (
        <div className="lf-choices lf-choices--tall" data-testid="template-list">
          {templates.map((t) => (
            <button key={t.id} type="button" className="lf-choice lf-choice--button" onClick={() => onChoose(t)} data-template-id={t.id}>
              <b>{t.name}</b>
              <span className="lf-small lf-accent">{describeEvents(t.events)}</span>
              <span className="lf-muted lf-choice__desc">{t.description}</span>
            </button>
          ))}
          {templates.length === 0 && <p className="lf-muted">No templates found.</p>}
        </div>
      )}
      <div className="lf-modal__actions">
        <button type="button" className="lf-btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </>
  );
}

function TemplateForm({
  template,
  integrations,
  flows,
  offers,
  onBack,
  onCreated,
}: {
  template: TemplateSummary;
  integrations: IntegrationView[];
  flows: FlowSummary[];
  offers: Offer[];
  onBack(): void;
  onCreated(result: FromTemplateResult): void;
}) {
  const [name, setName] = useState('');
  const [settings, setSettings] = useState<Record<string, string>>({});
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [routed, setRouted] = useState<string[]>([]);
  const [switchOn, setSwitchOn] = useState(true);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const fromTemplate = useIntegrationFromTemplate();

  const title = name.trim() || template.name;
  const id = useMemo(
    () => freeIntegrationId(title, new Set(integrations.map((i) => i.id)), new Set(flows.map((f) => f.id))),
    [title, integrations, flows],
  );

  const create = async () => {
    setBusy(true);
    setProblem('');
    const filled = (values: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(values)
          .filter(([, v]) => v.trim() !== '')
          .map(([k, v]) => [k, v.trim()]),
      );
    try {
      const result = await fromTemplate.mutateAsync({
        template: template.id,
        id,
        name: title,
        settings: filled(settings),
        secrets: filled(secrets),
        offers: routed,
        ...(switchOn ? {} : { enabled: false }),
      });
      setSecrets({});
      onCreated(result);
    } catch (e) {
      const field = e instanceof ApiError && e.field ? `${e.field}: ` : '';
      setProblem(`${field}${(e as Error).message}`);
      notify('error', `Not created: ${field}${(e as Error).message}`);
      setBusy(false);
    }
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void create();
      }}
      data-testid="template-form"
      data-template-id={template.id}
    >
      <button type="button" className="lf-link-btn lf-muted" onClick={onBack}>
        ← All templates
      </button>
      <h2>{template.name}</h2>
      <p className="lf-small lf-accent">{describeEvents(template.events)}</p>
      <div className="lf-note" data-testid="template-description">
        {template.description}
      </div>
      {template.sandbox && (
        <p className="lf-help" data-testid="template-sandbox">
          Try it against the local sandbox: <code>{template.sandbox}</code>
        </p>
      )}

      <div className="lf-field">
        <label className="lf-field__label" htmlFor="from-template-name">
          Name of the integration
        </label>
        <input
          id="from-template-name"
          className="lf-input"
          autoFocus
          value={name}
          placeholder={template.name}
          onChange={(e) => setName(e.target.value)}
        />
        <p className="lf-help">
          Its id will be <code data-testid="from-template-id">{id}</code>; its flows <code>{id}-…</code>; targets send postbacks to{' '}
          <code>/postback/{id}</code>.
        </p>
      </div>

      {template.settings.length > 0 && (
        <fieldset className="lf-fieldset">
          <legend>Settings</legend>
          {template.settings.map((field) => (
            <FieldInput
              key={field.name}
              idPrefix="setting"
              field={field}
              value={settings[field.name] ?? ''}
              onChange={(v) => setSettings({ ...settings, [field.name]: v })}
            />
          ))}
        </fieldset>
      )}

      {template.secrets.length > 0 && (
        <fieldset className="lf-fieldset">
          <legend>Secrets</legend>
          <p className="lf-help">Stored with the integration and never shown again, not even here; hidden in every log.</p>
          {template.secrets.map((field) => (
            <FieldInput
              key={field.name}
              idPrefix="secret"
              secret
              field={field}
              value={secrets[field.name] ?? ''}
              onChange={(v) => setSecrets({ ...secrets, [field.name]: v })}
            />
          ))}
        </fieldset>
      )}

      <fieldset className="lf-fieldset" data-testid="template-offers">
        <legend>Offers</legend>
        <p className="lf-help">Leads of the ticked offers go to this target.</p>
        {template.offerParameters.length > 0 && (
          <div className="lf-help">
            Each offer needs these parameters, set on the offer:
            <ul className="lf-plain-list">
              {template.offerParameters.map((p) => (
                <li key={p.name}>
                  <b>{p.label}</b> <code>{p.name}</code>
                  {p.required ? '' : ' (optional)'} — {p.help}
                </li>
              ))}
            </ul>
          </div>
        )}
        {offers.length === 0 && <p className="lf-muted">No offers yet; you can route offers later on the integration’s page.</p>}
        {offers.map((offer) => {
          const on = routed.includes(offer.id);
          const lacking = template.offerParameters.filter((p) => p.required && !hasOfferParameter(offer.parameters, p.name));
          return (
            <label key={offer.id} className={`lf-offer-pick${on ? ' is-on' : ''}`} data-offer-id={offer.id}>
              <input
                type="checkbox"
                checked={on}
                onChange={(e) => setRouted(e.target.checked ? [...routed, offer.id] : routed.filter((o) => o !== offer.id))}
              />
              <b>{offer.name}</b> <code className="lf-muted">{offer.id}</code>
              <span className="lf-toolbar__spacer" />
              {template.offerParameters.length > 0 &&
                (lacking.length ? (
                  <span className="lf-small lf-warn">lacks {lacking.map((p) => p.label).join(', ')}</span>
                ) : (
                  <span className="lf-small lf-ok-line">has its parameters</span>
                ))}
            </label>
          );
        })}
      </fieldset>

      <SwitchOnAtOnce on={switchOn} onChange={setSwitchOn} />
      {problem && (
        <ul className="lf-issues lf-issues--flush" data-testid="from-template-problem">
          <li>{problem}</li>
        </ul>
      )}
      <div className="lf-modal__actions">
        <button type="button" className="lf-btn" onClick={onBack}>
          Back
        </button>
        <button type="submit" className="lf-btn lf-btn--primary" disabled={busy} data-testid="create-from-template">
          {busy ? 'Creating…' : 'Create integration'}
        </button>
      </div>
    </form>
  );
}

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

function Created({ template, result, offers }: { template: TemplateSummary; result: FromTemplateResult; offers: Offer[] }) {
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
