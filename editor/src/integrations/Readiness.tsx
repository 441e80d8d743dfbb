/**
 * The integration's checklist: the gaps the server found (its `readiness`, computed by the same
 * function that refuses the switch), each with a way to fill it in — a field for a setting, a
 * secret or an offer parameter, a link to the flow with a problem. The editor counts nothing
 * itself, so the list is the same in every browser and matches the switch exactly. It reads the
 * integration's query, which every change here (and a refused switch) refreshes.
 */
import { useState } from 'react';
import type { Offer } from '../../../core/domain/config.ts';
import type { ReadinessGap } from '../../../core/readiness.ts';
import type { IntegrationPatch, IntegrationView } from '../api/client.ts';
import { useIntegration } from '../api/queries.ts';
import { useSaveOffer } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';

/** Saves a change of the integration; false when it was refused (the page says why). */
type Patch = (body: IntegrationPatch, done?: string) => Promise<boolean>;

export function ReadinessChecklist({
  integrationId,
  offers,
  refused,
  patch,
}: {
  integrationId: string;
  offers: Offer[];
  /** The switch was just refused: say so above the gaps. */
  refused: boolean;
  patch: Patch;
}) {
  const integration = useIntegration(integrationId).data;
  if (!integration) return null;
  const { ready, gaps } = integration.readiness;
  if (ready && integration.enabled) return null;
  return (
    <section className={`lf-box ${ready ? 'lf-box--ok' : 'lf-box--warn'}`} data-testid="readiness">
      {ready ? (
        <p className="lf-ok-line" data-testid="readiness-complete">
          ✓ Nothing is missing. Switch the integration on above when you are ready.
        </p>
      ) : (
        <>
          <h2>Before it can be switched on</h2>
          {refused && (
            <p className="lf-warn" data-testid="readiness-refused">
              The integration stays off until each of these is done:
            </p>
          )}
          <ul className="lf-missing">
            {gaps.map((gap) => (
              <GapRow
                key={`${gap.field} ${gap.nodeId ?? ''} ${gap.nodeField ?? ''} ${gap.message}`}
                gap={gap}
                {...{ integration, offers, patch }}
              />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function GapRow({ gap, integration, offers, patch }: { gap: ReadinessGap; integration: IntegrationView; offers: Offer[]; patch: Patch }) {
  const [value, setValue] = useState('');
  const saveOffer = useSaveOffer();
  const offer = gap.offer ? offers.find((o) => o.id === gap.offer) : undefined;

  const save = async () => {
    const text = value.trim();
    if (!text || !gap.name) return;
    if (gap.kind === 'setting') {
      if (await patch({ settings: { ...integration.settings, [gap.name]: text } }, `Setting ${gap.name} saved`)) setValue('');
    } else if (gap.kind === 'secret') {
      if (await patch({ secrets: { [gap.name]: value } }, `Secret ${gap.name} saved`)) setValue('');
    } else if (gap.kind === 'offer-parameter' && offer) {
      try {
        await saveOffer.mutateAsync({ ...offer, parameters: { ...offer.parameters, [gap.name]: text } });
        setValue('');
        notify('success', `${gap.name} of ${offer.name} saved`);
      } catch (e) {
        notify('error', `Not saved: ${(e as Error).message}`);
      }
    }
  };

  const fillable = gap.name !== undefined && (gap.kind === 'setting' || gap.kind === 'secret' || (gap.kind === 'offer-parameter' && offer));
  const label =
    gap.kind === 'setting'
      ? `Value of the setting ${gap.name}`
      : gap.kind === 'secret'
        ? `Value of the secret ${gap.name}`
        : `Value of ${gap.name} for ${offer?.name ?? gap.offer}`;
  return (
    <li className="lf-fix" data-gap={gap.field} data-gap-kind={gap.kind}>
      <div className="lf-fix__text">
        {gap.message}
        {gap.kind === 'flow-problem' && gap.flowId && (
          <>
            {' '}
            <a href={`#/flows/${encodeURIComponent(gap.flowId)}`}>Open the flow</a>
          </>
        )}
      </div>
      {fillable && (
        <form
          className="lf-row"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <input
            className="lf-input"
            type={gap.kind === 'secret' ? 'password' : 'text'}
            autoComplete={gap.kind === 'secret' ? 'new-password' : 'off'}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            aria-label={label}
          />
          <button type="submit" className="lf-btn lf-btn--small lf-btn--primary" disabled={!value.trim()}>
            Save
          </button>
        </form>
      )}
    </li>
  );
}
