/**
 * Integrations: each target's settings and secrets (write-only: a stored secret is never shown),
 * the offers routed to it with their parameters (geo-specific ones marked), which flow handles which
 * event, the postback URL to give the target (and its token's rotation), the hosts its secrets may go
 * to (IntegrationSecurity.tsx), and the on/off switch. The server refuses to switch on
 * an integration with a gap; the checklist heading the page (Readiness.tsx) shows the gaps the
 * server computed, the same ones. New integrations start blank or from a template (FromTemplate.tsx).
 * Its event flows (EventFlows.tsx), status checks (StatusChecks.tsx), secrets (SecretsSection.tsx)
 * and deletion (DeleteIntegration.tsx) are sections of their own.
 */
import { EventName } from '../app/EventName.tsx';
import { useEffect, useState } from 'react';
import type { Offer } from '../../../core/domain/config.ts';
import { ApiError, type FlowSummary, type IntegrationPatch, type IntegrationView } from '../api/client.ts';
import { useFlows, useIntegration, useIntegrations, useOffers } from '../api/queries.ts';
import { useSaveOffer, useUpdateIntegration } from '../api/mutations.ts';
import { KeyValueRows, type KeyValueRow } from '../app/KeyValueRows.tsx';
import { notify } from '../app/notices.ts';
import { FromTemplateDialog } from './FromTemplate.tsx';
import { AllowedHostsSection, PostbackUrlSection } from './IntegrationSecurity.tsx';
import { ReadinessChecklist } from './Readiness.tsx';
import { DeliveryHealth } from './DeliveryHealth.tsx';
import { OfferRoutes } from './OfferRoutes.tsx';
import { EventFlows } from './EventFlows.tsx';
import { StatusChecksSection } from './StatusChecks.tsx';
import { DeleteIntegrationButton } from './DeleteIntegration.tsx';
import { SecretsSection } from './SecretsSection.tsx';
import { NewIntegrationDialog } from './NewIntegration.tsx';
import { useNewLeadRouting } from '../offers/new-lead-routing.ts';

export function IntegrationsPage({ integrationId }: { integrationId?: string }) {
  const [creating, setCreating] = useState(false);
  // `#/integrations?new=template` (the home page's "New integration from a template") opens the dialog at once
  const [fromTemplate, setFromTemplate] = useState(() => /(^|&)new=template(&|$)/.test(location.hash.split('?')[1] ?? ''));
  // a dialog that opened an integration is done with
  const [shownIntegration, setShownIntegration] = useState(integrationId);
  if (shownIntegration !== integrationId) {
    setShownIntegration(integrationId);
    setCreating(false);
    setFromTemplate(false);
  }
  const integrationsQuery = useIntegrations();
  const flowsQuery = useFlows();
  const offersQuery = useOffers();
  const currentQuery = useIntegration(integrationId ?? '');

  const currentError = currentQuery.error;
  const missing = currentError instanceof ApiError && currentError.status === 404;
  const loadError = integrationsQuery.error ?? flowsQuery.error ?? offersQuery.error ?? (missing ? null : currentError);
  useEffect(() => {
    if (loadError) notify('error', `Could not load: ${loadError.message}`);
  }, [loadError]);

  if (integrationId && missing) {
    return (
      <div className="lf-page">
        <p>No integration “{integrationId}”.</p>
        <a href="#/integrations">All integrations</a>
      </div>
    );
  }
  // the last answers stay on screen when a later fetch fails
  const integrations = integrationsQuery.data;
  const flows = flowsQuery.data;
  const offers = offersQuery.data;
  const current = currentQuery.data;
  if (!integrations || !flows || !offers || (integrationId && !current)) return <div className="lf-page lf-muted">Loading…</div>;

  if (current) {
    return <IntegrationDetail key={current.id} integration={current} flows={flows} offers={offers} />;
  }

  return (
    <div className="lf-page">
      <div className="lf-page__head">
        <h1>Integrations</h1>
        <span className="lf-toolbar__spacer" />
        <button type="button" className="lf-btn" onClick={() => setCreating(true)}>
          + Blank integration
        </button>
        <button type="button" className="lf-btn lf-btn--primary" onClick={() => setFromTemplate(true)} data-testid="new-from-template">
          + New from template
        </button>
      </div>
      {integrations.length === 0 && (
        <p className="lf-muted">
          No integrations yet. An integration is one target: its address, credentials, offers and flows. Start from a template for your kind
          of target.
        </p>
      )}
      <div className="lf-cards">
        {integrations.map((i) => (
          <a key={i.id} className="lf-card" href={`#/integrations/${encodeURIComponent(i.id)}`} data-integration-id={i.id}>
            <div className="lf-card__head">
              <b>{i.name}</b>
              <span className={`lf-pill ${i.enabled ? 'lf-pill--ok' : 'lf-pill--off'}`}>{i.enabled ? 'on' : 'off'}</span>
            </div>
            <div className="lf-muted lf-small">
              {i.offers.length} offer{i.offers.length === 1 ? '' : 's'} · {Object.keys(i.flows).length} flow
              {Object.keys(i.flows).length === 1 ? '' : 's'} · {Object.keys(i.secrets).length} secret
              {Object.keys(i.secrets).length === 1 ? '' : 's'}
            </div>
            <div className="lf-small">
              {Object.entries(i.flows).map(([event, id]) => (
                <div key={event}>
                  <EventName event={event} /> → {flows.find((f) => f.id === id)?.name ?? id}
                </div>
              ))}
            </div>
          </a>
        ))}
      </div>
      {creating && <NewIntegrationDialog taken={new Set(integrations.map((i) => i.id))} onClose={() => setCreating(false)} />}
      {fromTemplate && (
        <FromTemplateDialog integrations={integrations} flows={flows} offers={offers} onClose={() => setFromTemplate(false)} />
      )}
    </div>
  );
}

type Row = KeyValueRow<string>;

const rowsOf = (values: Record<string, string>): Row[] => Object.entries(values).map(([key, value]) => ({ key, value }));

/** The rows as a record: rows without a name are left out, names trimmed. */
const recordOf = (rows: Row[]): Record<string, string> =>
  Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));

function IntegrationDetail({ integration, flows, offers }: { integration: IntegrationView; flows: FlowSummary[]; offers: Offer[] }) {
  const [name, setName] = useState(integration.name);
  const [settings, setSettings] = useState<Row[]>(rowsOf(integration.settings));
  const [refused, setRefused] = useState(false);
  const [switching, setSwitching] = useState(false);

  // settings saved elsewhere (the template checklist) show here too
  const savedSettings = JSON.stringify(integration.settings);
  const [shownSettings, setShownSettings] = useState(savedSettings);
  if (shownSettings !== savedSettings) {
    setShownSettings(savedSettings);
    setSettings(rowsOf(integration.settings));
  }

  const update = useUpdateIntegration();
  // ticking an offer another integration has asks before moving it here
  const routing = useNewLeadRouting();
  const patch = async (body: IntegrationPatch, done?: string) => {
    try {
      await update.mutateAsync({ id: integration.id, patch: body });
      if (done) notify('success', done);
      return true;
    } catch (e) {
      // the field first: "settings.base_url points where the runtime may not send: …"
      const field = e instanceof ApiError && e.field ? `${e.field} ` : '';
      notify('error', `Not saved: ${field}${(e as Error).message}`);
      return false;
    }
  };

  const toggle = async () => {
    setSwitching(true);
    if (integration.enabled) {
      await patch({ enabled: false }, `${integration.name} is off: no leads are delivered`);
      setRefused(false);
    } else {
      try {
        await update.mutateAsync({ id: integration.id, patch: { enabled: true } });
        setRefused(false);
        notify('success', `${integration.name} is on`);
      } catch (e) {
        // the refusal lists the gaps; the integration's readiness, read again after it, holds the same ones
        notify('error', `${integration.name} stays off: ${(e as Error).message}`);
        setRefused(true);
      }
    }
    setSwitching(false);
  };

  const settingsDirty = JSON.stringify(recordOf(settings)) !== JSON.stringify(integration.settings);

  return (
    <div className="lf-page lf-page--narrow" data-testid="integration-detail">
      <a href="#/integrations" className="lf-muted">
        ← Integrations
      </a>
      <div className="lf-page__head">
        <input
          className="lf-input lf-title-input"
          value={name}
          onChange={(e) => setName(e.target.value)}
          onBlur={() => name.trim() && name !== integration.name && void patch({ name: name.trim() })}
          aria-label="Name"
        />
        <span className="lf-toolbar__spacer" />
        <a href={`#/leads?integration=${encodeURIComponent(integration.id)}`} title="This integration's leads">
          Leads
        </a>
        <a
          href={`#/log?integration=${encodeURIComponent(integration.id)}`}
          title="Every run of this integration's flows, node by node"
          data-testid="integration-log"
        >
          Integration log
        </a>
        <label className="lf-switch" title={integration.enabled ? 'Leads are delivered' : 'No leads are delivered'}>
          <input type="checkbox" checked={integration.enabled} disabled={switching} onChange={() => void toggle()} data-testid="enabled" />
          <span className="lf-switch__track" />
          {switching ? 'switching…' : integration.enabled ? 'On' : 'Off'}
        </label>
        <DeleteIntegrationButton integration={integration} />
      </div>
      <DeliveryHealth integration={integration} patch={patch} />
      <ReadinessChecklist integrationId={integration.id} offers={offers} refused={refused} patch={patch} />

      <EventFlows integration={integration} flows={flows} patch={patch} />
      <StatusChecksSection integration={integration} />

      <section className="lf-box">
        <h2>Settings</h2>
        <p className="lf-muted">
          Values flows read as <code>{'{{integration.settings.NAME}}'}</code>, such as the target’s base URL.
        </p>
        <KeyValueRows
          rows={settings}
          onChange={setSettings}
          emptyValue=""
          label="setting"
          rowLabel={(i, part) => `setting ${i + 1} ${part}`}
          keyPlaceholder="base_url"
          valuePlaceholder="https://crm.example.com"
          addLabel="+ Add setting"
          actions={
            <button
              type="button"
              className="lf-btn lf-btn--primary lf-btn--small"
              disabled={!settingsDirty}
              onClick={() => void patch({ settings: recordOf(settings) }, 'Settings saved')}
            >
              Save settings
            </button>
          }
        />
      </section>

      <SecretsSection integration={integration} patch={patch} />

      <AllowedHostsSection integration={integration} patch={patch} />

      <section className="lf-box">
        <h2>Offers</h2>
        <p className="lf-muted">
          New leads of the ticked offers go to this target; an offer may also send its leads here when they reach a stage (a fulfilment CRM
          for approved orders), or keep its new leads with our own call centre. Flows read an offer’s parameters as{' '}
          <code>{'{{offer.params.NAME}}'}</code>; a parameter <code>NAME-de</code> wins over <code>NAME</code> for a lead from Germany.
        </p>
        {offers.map((offer) => (
          <OfferRow
            key={`${offer.id} ${JSON.stringify(offer.parameters)}`}
            offer={offer}
            integration={integration}
            routed={integration.offers.includes(offer.id)}
            onRoute={(on) => void routing.list(offer, integration, on)}
          />
        ))}
        {offers.length === 0 && <p className="lf-muted">No offers yet.</p>}
      </section>

      <PostbackUrlSection integration={integration} />
    </div>
  );
}

/** An offer: routed here or not, its parameters shown, and edited in place (saving refreshes the readiness). */
function OfferRow({
  offer,
  integration,
  routed,
  onRoute,
}: {
  offer: Offer;
  integration: IntegrationView;
  routed: boolean;
  onRoute(on: boolean): void;
}) {
  const [editing, setEditing] = useState(false);
  const [rows, setRows] = useState<Row[]>(rowsOf(offer.parameters ?? {}));
  const saveOffer = useSaveOffer();
  const params = Object.entries(offer.parameters ?? {});
  return (
    <div className={`lf-offer${routed ? ' is-on' : ''}`}>
      <div className="lf-row">
        <label className="lf-check">
          <input type="checkbox" checked={routed} onChange={(e) => onRoute(e.target.checked)} />
          <b>{offer.name}</b> <code className="lf-muted">{offer.id}</code>
        </label>
        <span className="lf-toolbar__spacer" />
        <button type="button" className="lf-link-btn" onClick={() => setEditing(!editing)}>
          {editing ? 'Close' : 'Edit parameters'}
        </button>
      </div>
      <OfferRoutes offer={offer} integration={integration} />
      {!editing && (
        <div className="lf-params">
          {params.length === 0 && <span className="lf-muted lf-small">no parameters</span>}
          {params.map(([key, value]) => {
            const geo = /^(.+)-([a-z]{2})$/i.exec(key);
            return (
              <span
                key={key}
                className={`lf-tag${geo ? ' lf-tag--geo' : ''}`}
                title={geo ? `${geo[1]} for leads from ${geo[2].toUpperCase()}` : undefined}
              >
                {geo ? (
                  <>
                    {geo[1]} <b>{geo[2].toUpperCase()}</b>
                  </>
                ) : (
                  key
                )}
                : {value}
              </span>
            );
          })}
        </div>
      )}
      {editing && (
        <div>
          <KeyValueRows
            rows={rows}
            onChange={setRows}
            emptyValue=""
            label={`${offer.name} parameter`}
            keyPlaceholder="crm_offer_id or crm_offer_id-de"
            addLabel="+ Add parameter"
            actions={
              <button
                type="button"
                className="lf-btn lf-btn--small lf-btn--primary"
                onClick={async () => {
                  try {
                    await saveOffer.mutateAsync({ ...offer, parameters: recordOf(rows) });
                    setEditing(false);
                    notify('success', `Parameters of ${offer.name} saved`);
                  } catch (e) {
                    notify('error', `Not saved: ${(e as Error).message}`);
                  }
                }}
              >
                Save parameters
              </button>
            }
          />
        </div>
      )}
    </div>
  );
}
