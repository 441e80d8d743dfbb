/**
 * The form of "New integration from template" (FromTemplate.tsx): what the chosen template asks
 * for — settings, secrets (typed once, never shown again), the offers to route and their
 * parameters — and the integration's id, then the runtime creates it with its flows.
 */
import { useMemo, useState } from 'react';
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

export function TemplateForm({
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
