/**
 * The integration's event flows: per event, the flow that handles it, chosen among the flows meant
 * for this integration or for none in particular (`isFlowFor`, the rule the runtime applies on
 * save), never another integration's. Events with nothing to choose are gathered in one "Handle
 * another event" choice. "New flow" makes a blank flow for the event as the user's draft, made for
 * this integration, and opens it on the canvas; it handles the event here from its first publish
 * (the runtime binds it then), so no lead ever runs a flow that was never published. Until then the
 * event's row names the draft.
 */
import { useState } from 'react';
import { FLOW_EVENTS, type FlowEvent } from '../../../core/domain/config.ts';
import { isFlowFor, type FlowDoc } from '../../../core/domain/flow.ts';
import type { FlowSummary, IntegrationPatch, IntegrationView } from '../api/client.ts';
import type { DraftSummary } from '../../../core/api.ts';
import { useMyDrafts } from '../api/queries.ts';
import { useSaveDraft } from '../api/mutations.ts';
import { useCatalog } from '../catalog/catalog.ts';
import { notify } from '../app/notices.ts';
import { EVENT_NAMES } from '../../../core/domain/event-names.ts';

/** A flow id not taken yet, from the integration's id and the event. */
function freeId(integration: string, event: FlowEvent, flows: FlowSummary[], drafts: DraftSummary[]): string {
  const taken = new Set(flows.map((f) => f.id).concat(drafts.map((d) => d.flowId)));
  const base = `${integration}-${event.replace('.', '-')}`.slice(0, 60);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function EventFlows({
  integration,
  flows,
  patch,
}: {
  integration: IntegrationView;
  flows: FlowSummary[];
  patch(body: IntegrationPatch, done?: string): Promise<boolean>;
}) {
  const descriptors = useCatalog();
  const saveDraft = useSaveDraft();
  const drafts = useMyDrafts().data ?? [];
  // the user's unpublished drafts made for this integration, per event: they handle it once published
  const draftFor = (event: FlowEvent) =>
    drafts.find(
      (d) => d.event === event && d.integration === integration.id && d.baseVersion === 0 && !flows.some((f) => f.id === d.flowId),
    );
  const [creating, setCreating] = useState<FlowEvent | null>(null);
  const [another, setAnother] = useState<FlowEvent | ''>('');
  const triggerFor = (event: FlowEvent) =>
    [...descriptors.values()].find((d) => d.category === 'trigger' && (d.events ?? []).includes(event));

  const newFlow = async (event: FlowEvent) => {
    const trigger = triggerFor(event);
    if (!trigger) return;
    setCreating(event);
    const doc: Omit<FlowDoc, 'version'> = {
      id: freeId(integration.id, event, flows, drafts),
      name: `${integration.name}: ${EVENT_NAMES[event].toLowerCase()}`,
      event,
      integration: integration.id,
      nodes: [{ id: trigger.type.replace(/-/g, '_'), type: trigger.type, position: { x: 0, y: 120 }, params: {} }],
      edges: [],
    };
    try {
      await saveDraft.mutateAsync({ ...doc, version: 0 });
      notify('success', `New flow “${doc.name}” is your draft: it handles this event once you publish it`);
      location.hash = `#/flows/${encodeURIComponent(doc.id)}`;
    } catch (e) {
      notify('error', `Could not create the flow: ${(e as Error).message.split('\n')[0]}`);
    }
    setCreating(null);
  };

  // events no flow of this integration's (or any's) handles yet, which a trigger can start
  const others = FLOW_EVENTS.filter(
    (event) =>
      !integration.flows[event] &&
      !flows.some((f) => f.event === event && isFlowFor(f, integration.id)) &&
      !draftFor(event) &&
      triggerFor(event),
  );

  return (
    <section className="lf-box" data-testid="event-flows">
      <h2>Flows</h2>
      <p className="lf-muted">
        Which flow handles each event for this target. Only flows made for this integration, or for any integration, are offered.
      </p>
      <table className="lf-table lf-table--compact">
        <tbody>
          {FLOW_EVENTS.map((event) => {
            const candidates = flows.filter((f) => f.event === event && isFlowFor(f, integration.id));
            const chosen = integration.flows[event] ?? '';
            const startable = Boolean(triggerFor(event));
            const draft = chosen ? undefined : draftFor(event);
            // an event with nothing to choose is offered below, under "Handle another event"
            if (!candidates.length && !chosen && !draft) return null;
            return (
              <tr key={event} data-event={event}>
                <td>
                  <div>{EVENT_NAMES[event]}</div>
                  <code className="lf-muted lf-small">{event}</code>
                </td>
                <td>
                  {draft && (
                    <div className="lf-muted lf-small" data-testid={`draft-for-${event}`}>
                      Your draft “{draft.name}” is not published yet: it handles this event once you publish it.
                    </div>
                  )}
                  <select
                    className="lf-input"
                    value={chosen}
                    aria-label={`Flow for ${EVENT_NAMES[event]}`}
                    data-testid={`flow-for-${event}`}
                    onChange={(e) => void patch({ flows: { [event]: e.target.value || null } })}
                  >
                    <option value="">(none)</option>
                    {candidates.map((f) => (
                      <option key={f.id} value={f.id}>
                        {f.name} (v{f.currentVersion}){f.integration ? '' : ' · any integration'}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="lf-actions">
                  {chosen || draft ? (
                    <a href={`#/flows/${encodeURIComponent(chosen || (draft?.flowId ?? ''))}`}>open</a>
                  ) : (
                    startable && (
                      <button
                        type="button"
                        className="lf-link-btn"
                        disabled={creating !== null}
                        onClick={() => void newFlow(event)}
                        data-testid={`new-flow-${event}`}
                      >
                        {creating === event ? 'creating…' : '+ New flow'}
                      </button>
                    )
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {others.length > 0 && (
        <div className="lf-row" data-testid="another-event">
          <label className="lf-muted" htmlFor="another-event">
            Handle another event:
          </label>
          <select
            id="another-event"
            className="lf-input"
            style={{ width: 'auto' }}
            value={another}
            onChange={(e) => setAnother(e.target.value as FlowEvent | '')}
          >
            <option value="">(choose an event)</option>
            {others.map((event) => (
              <option key={event} value={event}>
                {EVENT_NAMES[event]}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="lf-btn lf-btn--small"
            disabled={!another || creating !== null}
            onClick={() => another && void newFlow(another)}
            data-testid="new-flow-for-event"
          >
            {creating ? 'creating…' : '+ New flow for it'}
          </button>
        </div>
      )}
    </section>
  );
}
