/**
 * The integration's event flows: per event, the flow that handles it, chosen among the flows meant
 * for this integration or for none in particular (`isFlowFor`, the rule the runtime applies on
 * save), never another integration's. Events with nothing to choose are gathered in one "Handle
 * another event" choice. "New flow" makes a blank flow for the event, bound to this integration,
 * chooses it, and opens it on the canvas.
 */
import { useState } from 'react';
import { FLOW_EVENTS, type FlowEvent } from '../../../core/domain/config.ts';
import { isFlowFor, type FlowDoc } from '../../../core/domain/flow.ts';
import type { FlowSummary, IntegrationPatch, IntegrationView } from '../api/client.ts';
import { useCreateFlow } from '../api/queries.ts';
import { useCatalog } from '../catalog/catalog.ts';
import { notify } from '../app/notices.ts';
import { EVENT_NAMES } from '../../../core/domain/event-names.ts';

/** A flow id not taken yet, from the integration's id and the event. */
function freeId(integration: string, event: FlowEvent, flows: FlowSummary[]): string {
  const taken = new Set(flows.map((f) => f.id));
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
  const createFlow = useCreateFlow();
  const [creating, setCreating] = useState<FlowEvent | null>(null);
  const [another, setAnother] = useState<FlowEvent | ''>('');
  const triggerFor = (event: FlowEvent) =>
    [...descriptors.values()].find((d) => d.category === 'trigger' && (d.events ?? []).includes(event));

  const newFlow = async (event: FlowEvent) => {
    const trigger = triggerFor(event);
    if (!trigger) return;
    setCreating(event);
    const doc: Omit<FlowDoc, 'version'> = {
      id: freeId(integration.id, event, flows),
      name: `${integration.name}: ${EVENT_NAMES[event].toLowerCase()}`,
      event,
      integration: integration.id,
      nodes: [{ id: trigger.type.replace(/-/g, '_'), type: trigger.type, position: { x: 0, y: 120 }, params: {} }],
      edges: [],
    };
    try {
      const created = await createFlow.mutateAsync(doc);
      if (await patch({ flows: { [event]: created.id } }, `New flow “${created.name}” handles this event`))
        location.hash = `#/flows/${encodeURIComponent(created.id)}`;
    } catch (e) {
      notify('error', `Could not create the flow: ${(e as Error).message.split('\n')[0]}`);
    }
    setCreating(null);
  };

  // events no flow of this integration's (or any's) handles yet, which a trigger can start
  const others = FLOW_EVENTS.filter(
    (event) => !integration.flows[event] && !flows.some((f) => f.event === event && isFlowFor(f, integration.id)) && triggerFor(event),
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
            // an event with nothing to choose is offered below, under "Handle another event"
            if (!candidates.length && !chosen) return null;
            return (
              <tr key={event} data-event={event}>
                <td>
                  <div>{EVENT_NAMES[event]}</div>
                  <code className="lf-muted lf-small">{event}</code>
                </td>
                <td>
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
                  {chosen ? (
                    <a href={`#/flows/${encodeURIComponent(chosen)}`}>open</a>
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
