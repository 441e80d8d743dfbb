/**
 * The curl import dialog: the command typed (or pasted onto the canvas), then what it becomes,
 * shown before anything is done — the nodes, each credential that becomes a secret of the chosen
 * integration (where it was found, its value masked, whether it replaces a stored one) and what
 * happens to the integration's `base_url`.
 */
import { useMemo, useState } from 'react';
import { useIntegrations } from '../api/queries.ts';
import { useUpdateIntegration } from '../api/mutations.ts';
import { useEditor } from '../canvas/store.ts';
import { applyCurlPlan, closeCurlImport, planCurl, useCurlImport, type CurlPlan } from './import.ts';

const EXAMPLE = `curl -X POST https://crm.example.com/api/orders \\\n  -H 'Content-Type: application/json' \\\n  -H 'X-Api-Key: 123abc' \\\n  -d '{"name": "John", "phone": "+49 151 1234567"}'`;

/** A credential as the review shows it: its first characters and its length, never the whole. */
function masked(value: string): string {
  return `${value.slice(0, Math.min(3, Math.floor(value.length / 4)))}••• (${value.length} characters)`;
}

export function CurlDialog() {
  const open = useCurlImport((s) => s.open);
  if (!open) return null;
  return <CurlDialogBox key={open.text} initial={open.text} at={open.at} />;
}

function CurlDialogBox({ initial, at }: { initial: string; at?: { x: number; y: number } }) {
  const [text, setText] = useState(initial);
  const [reviewing, setReviewing] = useState(initial.trim() !== '');
  const integrations = useIntegrations().data ?? [];
  const testIntegration = useEditor((s) => s.testIntegration);
  const [integrationId, setIntegrationId] = useState(testIntegration);
  const integration = integrations.find((i) => i.id === integrationId) ?? integrations[0];
  const update = useUpdateIntegration();
  const [busy, setBusy] = useState(false);
  const plan = useMemo(() => (reviewing ? planCurl(text, integration) : undefined), [reviewing, text, integration]);

  const run = async (ready: CurlPlan) => {
    setBusy(true);
    const done = await applyCurlPlan(ready, (id, patch) => update.mutateAsync({ id, patch }), at);
    setBusy(false);
    if (done) closeCurlImport();
  };

  return (
    <div
      className="lf-modal"
      role="dialog"
      aria-modal="true"
      aria-label="Import a curl command"
      onKeyDown={(e) => e.key === 'Escape' && closeCurlImport()}
      data-testid="curl-dialog"
    >
      <div className="lf-modal__box lf-modal__box--wide">
        <h2>Import a curl command</h2>
        {!reviewing || plan === undefined ? (
          <>
            <p className="lf-muted">
              Paste the example request from the target’s documentation. You get a body-building node and an HTTP Request, with the lead’s
              fields (phone, name, email, ip, country…) filled in where the example has them. Keys and passwords in it are stored as the
              integration’s secrets, and its host becomes the integration’s base URL. Tip: you can also paste a curl command straight onto
              the canvas.
            </p>
            <textarea
              className="lf-input lf-input--mono"
              rows={10}
              autoFocus
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder={EXAMPLE}
              aria-label="curl command"
            />
            <div className="lf-modal__actions">
              <button type="button" className="lf-btn" onClick={closeCurlImport}>
                Cancel
              </button>
              <button
                type="button"
                className="lf-btn lf-btn--primary"
                disabled={!text.trim()}
                onClick={() => setReviewing(true)}
                data-testid="curl-review"
              >
                Next: what it becomes
              </button>
            </div>
          </>
        ) : typeof plan === 'string' ? (
          <>
            <p className="lf-error-line" role="alert">
              {plan}
            </p>
            <div className="lf-modal__actions">
              <button type="button" className="lf-btn" onClick={() => setReviewing(false)}>
                Back to the command
              </button>
            </div>
          </>
        ) : (
          <Review
            plan={plan}
            integrations={integrations.map((i) => ({ id: i.id, name: i.name }))}
            onIntegration={setIntegrationId}
            busy={busy}
            onBack={() => setReviewing(false)}
            onImport={() => void run(plan)}
          />
        )}
      </div>
    </div>
  );
}

function Review(props: {
  plan: CurlPlan;
  integrations: { id: string; name: string }[];
  onIntegration(id: string): void;
  busy: boolean;
  onBack(): void;
  onImport(): void;
}) {
  const { plan, integrations } = props;
  const titles = useEditor((s) => s.descriptors);
  const names = plan.made.nodes.map((n) => titles.get(n.type)?.title ?? n.type).join(' → ');
  const request = plan.made.nodes.find((n) => n.type === 'http-request');
  const where = plan.integration?.name ?? 'the integration';
  return (
    <div data-testid="curl-plan">
      <p>
        Makes <b>{names}</b>, sending <code>{String(request?.params.method ?? 'POST')}</code> to{' '}
        <code>{String(request?.params.url ?? '')}</code>.
      </p>
      {integrations.length > 0 && (
        <div className="lf-field">
          <label className="lf-field__label" htmlFor="curl-integration">
            Integration that keeps the secrets and the base URL
          </label>
          <select
            id="curl-integration"
            className="lf-input"
            value={plan.integration?.id}
            onChange={(e) => props.onIntegration(e.target.value)}
          >
            {integrations.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <h3>Credentials that become secrets</h3>
      {plan.secrets.length === 0 ? (
        <p className="lf-muted">None found: the command carries no key, token or password.</p>
      ) : (
        <table className="lf-table" data-testid="curl-secrets">
          <thead>
            <tr>
              <th>Secret</th>
              <th>Found in</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {plan.secrets.map((s) => (
              <tr key={s.name} data-secret={s.name}>
                <td>
                  <code>{`{{secrets.${s.name}}}`}</code>
                  {s.replaces && <span className="lf-muted"> · replaces the one stored</span>}
                </td>
                <td>{s.where}</td>
                <td>
                  <code>{masked(s.value)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Host</h3>
      <p data-testid="curl-base-url">
        {plan.baseUrl.action === 'set' && (
          <>
            {where} has no base URL yet: it is set to <code>{plan.baseUrl.from}</code>, and the request reads it as{' '}
            <code>{'{{integration.settings.base_url}}'}</code>.
          </>
        )}
        {plan.baseUrl.action === 'same' && (
          <>
            The request reads the host from {where}’s base URL, <code>{plan.baseUrl.from}</code>.
          </>
        )}
        {plan.baseUrl.action === 'differs' && (
          <>
            <b>
              {where}’s base URL is <code>{plan.baseUrl.current}</code>, not <code>{plan.baseUrl.from}</code>.
            </b>{' '}
            The request goes to the base URL; change it on the integration’s page if the command’s host is the right one.
          </>
        )}
        {plan.baseUrl.action === 'none' && (
          <>
            There is no integration yet: the request reads the host from its base URL (<code>{plan.baseUrl.from}</code>); set it, and the
            secrets, when you create the integration.
          </>
        )}
      </p>
      {plan.made.notes.length > 0 && (
        <ul className="lf-muted">
          {plan.made.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      <div className="lf-modal__actions">
        <button type="button" className="lf-btn" onClick={props.onBack}>
          Back
        </button>
        <button type="button" className="lf-btn lf-btn--primary" disabled={props.busy} onClick={props.onImport} data-testid="curl-create">
          {props.busy
            ? 'Importing…'
            : plan.integration && (plan.secrets.length || plan.baseUrl.action === 'set')
              ? `Store in ${plan.integration.name} and create nodes`
              : 'Create nodes'}
        </button>
      </div>
    </div>
  );
}
