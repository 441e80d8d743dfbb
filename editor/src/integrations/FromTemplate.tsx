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
import { useEffect, useState } from 'react';
import type { Offer } from '../../../core/domain/config.ts';
import type { FlowSummary, FromTemplateResult, IntegrationView, TemplateSummary } from '../api/client.ts';
import { useTemplates } from '../api/queries.ts';
import { notify } from '../app/notices.ts';
import { describeEvents, TemplateForm } from './TemplateForm.tsx';
import { Created } from './TemplateCreated.tsx';

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
