/**
 * "New integration from template": choose one of the templates in `flows/templates/`, answer what
 * it asks for (settings, secrets — typed once, never shown again — and the offers to route), and
 * the runtime creates the integration with its flows. The answer says whether it is on, what is
 * still missing and, for targets that send postbacks, the postback URL with its tail of macros.
 *
 * What is missing stays on the integration's page as a checklist (kept in this tab's session),
 * recomputed from the integration as it is fixed, each gap with its own field to fill it in.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FlowEvent, Offer } from '../../../core/domain/config.ts';
import {
  api,
  ApiError,
  type FlowSummary,
  type FromTemplateResult,
  type IntegrationView,
  type Missing,
  type TemplateField,
  type TemplateSummary,
} from '../api/client.ts';
import { notify } from '../app/notices.ts';

/** What each event means to someone choosing a template. */
const EVENT_WORDS: Partial<Record<FlowEvent, string>> = {
  'lead.new': 'sends leads',
  'lead.update': 'sends order updates',
  'lead.register': 'registers sign-ups while the caller waits',
  'status.processing': 'asks for statuses',
  'status.approved': 'checks approved leads for returns',
  'status.range': 'asks for statuses by date',
  'postback.in': 'takes status postbacks',
};

export function describeEvents(events: FlowEvent[]): string {
  return events.map((e) => EVENT_WORDS[e] ?? e).join(' · ');
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

/** Whether an offer has a parameter, by its name or a country-specific one (`name-de`), as the runtime counts it. */
export function offerHas(offer: Offer | undefined, name: string): boolean {
  return Object.entries(offer?.parameters ?? {}).some(
    ([key, value]) => (key === name || key.startsWith(`${name}-`)) && value.trim() !== '',
  );
}

/** What an integration made from a template still lacks, as it is now. */
export function missingNow(template: TemplateSummary, integration: IntegrationView, offers: Offer[]): Missing {
  const offerParameters: Record<string, string[]> = {};
  for (const offerId of integration.offers) {
    const offer = offers.find((o) => o.id === offerId);
    const lacking = template.offerParameters.filter((p) => p.required && !offerHas(offer, p.name)).map((p) => p.name);
    if (lacking.length) offerParameters[offerId] = lacking;
  }
  return {
    settings: template.settings.filter((s) => s.required && !(integration.settings[s.name] ?? '').trim()).map((s) => s.name),
    secrets: template.secrets.filter((s) => s.required !== false && !integration.secrets[s.name]).map((s) => s.name),
    offerParameters,
  };
}

export function nothingMissing(missing: Missing): boolean {
  return missing.settings.length === 0 && missing.secrets.length === 0 && Object.keys(missing.offerParameters).length === 0;
}

const labelOf = (fields: TemplateField[], name: string) => fields.find((f) => f.name === name)?.label ?? name;

// ---------------------------------------------------------------------------------------------
// the set-up kept for the integration's page

const SETUP_KEY = 'leadflow.setup.';

/** What the integration's page needs to show the template's checklist. */
export interface TemplateSetup {
  template: TemplateSummary;
}

export function rememberSetup(id: string, setup: TemplateSetup): void {
  sessionStorage.setItem(SETUP_KEY + id, JSON.stringify(setup));
}

export function setupOf(id: string): TemplateSetup | undefined {
  const saved = sessionStorage.getItem(SETUP_KEY + id);
  if (!saved) return undefined;
  try {
    return JSON.parse(saved) as TemplateSetup;
  } catch {
    return undefined;
  }
}

export function forgetSetup(id: string): void {
  sessionStorage.removeItem(SETUP_KEY + id);
}

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
  const [templates, setTemplates] = useState<TemplateSummary[] | null>(null);
  const [step, setStep] = useState<Step>({ at: 'choose' });

  useEffect(() => {
    api.templates().then(setTemplates, (e) => {
      notify('error', `Could not load the templates: ${(e as Error).message}`);
      setTemplates([]);
    });
  }, []);

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
            onCreated={(result) => {
              rememberSetup(result.id, { template: step.template });
              setStep({ at: 'done', template: step.template, result });
            }}
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
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');

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
      const result = await api.integrationFromTemplate({
        template: template.id,
        id,
        name: title,
        settings: filled(settings),
        secrets: filled(secrets),
        offers: routed,
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
          const lacking = template.offerParameters.filter((p) => p.required && !offerHas(offer, p.name));
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

      <p className="lf-help">
        It is switched on at once when nothing required is missing; otherwise it is created off, with a list of what to fill in.
      </p>
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

/** The list of what is missing, with labels; empty when nothing is. */
function MissingList({ template, missing, offers }: { template: TemplateSummary; missing: Missing; offers: Offer[] }) {
  const offerName = (id: string) => offers.find((o) => o.id === id)?.name ?? id;
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
    </ul>
  );
}

function Created({ template, result, offers }: { template: TemplateSummary; result: FromTemplateResult; offers: Offer[] }) {
  const complete = nothingMissing(result.missing);
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
          <MissingList template={template} missing={result.missing} offers={offers} />
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

// ---------------------------------------------------------------------------------------------
// the checklist on the integration's page

export function SetupChecklist({
  setup,
  integration,
  offers,
  patch,
  onOfferSaved,
  onHide,
}: {
  setup: TemplateSetup;
  integration: IntegrationView;
  offers: Offer[];
  patch(body: Parameters<typeof api.updateIntegration>[1], done?: string): Promise<boolean>;
  onOfferSaved(offer: Offer): void;
  onHide(): void;
}) {
  const { template } = setup;
  const missing = missingNow(template, integration, offers);
  const complete = nothingMissing(missing);
  const [values, setValues] = useState<Record<string, string>>({});
  const value = (key: string) => values[key] ?? '';
  const set = (key: string, v: string) => setValues({ ...values, [key]: v });

  const saveOfferParameter = async (offer: Offer, name: string, key: string) => {
    try {
      const next = await api.putOffer({ ...offer, parameters: { ...offer.parameters, [name]: value(key).trim() } });
      onOfferSaved(next);
      set(key, '');
      notify('success', `${labelOf(template.offerParameters, name)} of ${offer.name} saved`);
    } catch (e) {
      notify('error', `Not saved: ${(e as Error).message}`);
    }
  };

  const row = (key: string, field: TemplateField, what: string, label: string, secret: boolean, save: () => Promise<void>) => (
    <form
      key={key}
      className="lf-fix"
      data-missing={key}
      onSubmit={(e) => {
        e.preventDefault();
        if (value(key).trim()) void save();
      }}
    >
      <div className="lf-fix__text">
        <span className="lf-muted lf-small">{what}</span> <b>{field.label}</b> <code className="lf-muted">{field.name}</code>
        <p className="lf-help">{field.help}</p>
      </div>
      <div className="lf-row">
        <input
          className="lf-input"
          type={secret ? 'password' : 'text'}
          autoComplete={secret ? 'new-password' : 'off'}
          value={value(key)}
          onChange={(e) => set(key, e.target.value)}
          aria-label={label}
        />
        <button type="submit" className="lf-btn lf-btn--small lf-btn--primary" disabled={!value(key).trim()}>
          Save
        </button>
      </div>
    </form>
  );

  return (
    <section className={`lf-box ${complete ? 'lf-box--ok' : 'lf-box--warn'}`} data-testid="setup-checklist">
      <div className="lf-row">
        <h2>Set-up from the template “{template.name}”</h2>
        <span className="lf-toolbar__spacer" />
        <button type="button" className="lf-link-btn lf-muted" onClick={onHide}>
          Hide
        </button>
      </div>
      {complete ? (
        <p className="lf-ok-line" data-testid="setup-complete">
          ✓ Everything the template asks for is filled in.
          {integration.enabled ? ' The integration is on.' : ' Switch the integration on above when you are ready.'}
        </p>
      ) : (
        <p className="lf-muted">Still missing — fill these in here:</p>
      )}
      {missing.settings.map((name) => {
        const field = template.settings.find((f) => f.name === name)!;
        return row(`settings.${name}`, field, 'Setting', field.label, false, async () => {
          if (await patch({ settings: { ...integration.settings, [name]: value(`settings.${name}`).trim() } }, `${field.label} saved`))
            set(`settings.${name}`, '');
        });
      })}
      {missing.secrets.map((name) => {
        const field = template.secrets.find((f) => f.name === name)!;
        return row(`secrets.${name}`, field, 'Secret', field.label, true, async () => {
          if (await patch({ secrets: { [name]: value(`secrets.${name}`) } }, `Secret ${field.label} saved`)) set(`secrets.${name}`, '');
        });
      })}
      {Object.entries(missing.offerParameters).map(([offerId, names]) => {
        const offer = offers.find((o) => o.id === offerId);
        if (!offer) return null;
        return names.map((name) => {
          const field = template.offerParameters.find((f) => f.name === name)!;
          const key = `offer.${offerId}.${name}`;
          return row(key, field, `Offer ${offer.name}:`, `${field.label} of ${offer.name}`, false, () =>
            saveOfferParameter(offer, name, key),
          );
        });
      })}
    </section>
  );
}
