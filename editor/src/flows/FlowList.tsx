/**
 * The flows: open, create (blank or from a template in `flows/`: a new flow is a draft until it is
 * first published), rename, duplicate, delete, and import a flow from a JSON file. Your drafts show
 * beside the flows they change; a flow never published shows as "draft, never published".
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import type { FlowEvent } from '../../../core/domain/config.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import { useQuery } from '@tanstack/react-query';
import { ApiError, type DraftSummary, type FlowSummary } from '../api/client.ts';
import { useFetchFlow, useFlows, useIntegrations, useMyDrafts } from '../api/queries.ts';
import { useCreateFlow, useDeleteFlow, useSaveDraft, useSaveFlow } from '../api/mutations.ts';
import { useCatalog, startableEvents } from '../catalog/catalog.ts';
import { formatWhen } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { readJsonFile } from './files.ts';
import { loadTemplates, type FlowTemplate } from './templates.ts';
import { EventName } from '../app/EventName.tsx';

/** A flow id from a name, not used by another flow: "Acme CRM: send" → `acme-crm-send`. */
export function freeFlowId(name: string, taken: Set<string>): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'flow';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

function blankFlow(id: string, name: string, event: FlowEvent, descriptors: Map<string, NodeDescriptor>): Omit<FlowDoc, 'version'> {
  const trigger = [...descriptors.values()].find((d) => d.category === 'trigger' && (d.events ?? []).includes(event));
  return {
    id,
    name,
    event,
    nodes: trigger ? [{ id: trigger.type.replace(/-/g, '_'), type: trigger.type, position: { x: 0, y: 120 }, params: {} }] : [],
    edges: [],
  };
}

function describeError(error: unknown): string[] | undefined {
  return error instanceof ApiError && error.issues
    ? error.issues.map((i) => (i.nodeId ? `${i.nodeId}: ` : '') + `${i.field} ${i.message}`)
    : undefined;
}

export function FlowList() {
  const flowsQuery = useFlows();
  const draftsQuery = useMyDrafts();
  const integrationsQuery = useIntegrations();
  const drafts = useMemo(() => draftsQuery.data ?? [], [draftsQuery.data]);
  // a flow never published is listed from its draft, as a flow of version 0
  const published = flowsQuery.data && integrationsQuery.data ? flowsQuery.data : null;
  const flows = useMemo(
    () =>
      published && [
        ...published,
        ...drafts
          .filter((d) => d.baseVersion === 0 && !published.some((f) => f.id === d.flowId))
          .map((d): FlowSummary => ({ id: d.flowId, name: d.name, event: d.event as FlowEvent, currentVersion: 0, versions: [] })),
      ],
    [published, drafts],
  );
  const draftOf = (id: string): DraftSummary | undefined => drafts.find((d) => d.flowId === id);
  const integrations = integrationsQuery.data ?? [];
  const createFlow = useCreateFlow();
  const saveFlow = useSaveFlow();
  const saveDraft = useSaveDraft();
  const deleteFlow = useDeleteFlow();
  const fetchFlow = useFetchFlow();
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const loadError = flowsQuery.error ?? integrationsQuery.error;
  useEffect(() => {
    if (loadError) notify('error', `Could not load the flows: ${loadError.message}`);
  }, [loadError]);

  const taken = useMemo(() => new Set((flows ?? []).map((f) => f.id)), [flows]);

  const usedBy = (id: string) => integrations.filter((i) => Object.values(i.flows).includes(id));

  const duplicate = async (flow: FlowSummary) => {
    try {
      const doc = await fetchFlow(flow.id);
      const copy = await createFlow.mutateAsync({ ...doc, id: freeFlowId(`${flow.id}-copy`, taken), name: `Copy of ${doc.name}` });
      notify('success', `Made “${copy.name}”`);
    } catch (e) {
      notify('error', `Could not duplicate: ${(e as Error).message}`, describeError(e));
    }
  };

  const remove = async (flow: FlowSummary) => {
    const users = usedBy(flow.id);
    if (users.length) {
      notify('error', `“${flow.name}” is used by ${users.map((u) => u.name).join(', ')}. Choose another flow there first.`);
      return;
    }
    const question = flow.currentVersion
      ? `Delete “${flow.name}” with all its ${flow.versions.length} versions and drafts?`
      : `Delete the draft “${flow.name}”? It was never published.`;
    if (!window.confirm(question)) return;
    try {
      await deleteFlow.mutateAsync(flow.id);
      notify('success', `Deleted “${flow.name}”`);
    } catch (e) {
      notify('error', `Could not delete: ${(e as Error).message}`);
    }
  };

  const rename = async () => {
    if (!renaming) return;
    const name = renaming.name.trim();
    if (!name) return;
    try {
      const doc = await fetchFlow(renaming.id);
      if (doc.name !== name) await saveFlow.mutateAsync({ ...doc, name });
      setRenaming(null);
    } catch (e) {
      notify('error', `Could not rename: ${(e as Error).message}`, describeError(e));
    }
  };

  const importFile = async (file: File) => {
    try {
      const doc = (await readJsonFile(file)) as Partial<FlowDoc>;
      if (!doc || typeof doc !== 'object' || !Array.isArray(doc.nodes)) throw new Error('the file is not a flow (no nodes)');
      const name = typeof doc.name === 'string' && doc.name ? doc.name : file.name.replace(/\.json$/i, '');
      const id = freeFlowId(typeof doc.id === 'string' ? doc.id : name, taken);
      const imported = { ...(doc as FlowDoc), id, name, edges: doc.edges ?? [] };
      try {
        const created = await createFlow.mutateAsync(imported);
        notify('success', `Imported “${created.name}”`);
      } catch (e) {
        // a flow with problems comes in as your draft, to be fixed and published
        if (!(e instanceof ApiError && e.issues)) throw e;
        await saveDraft.mutateAsync({ ...imported, version: 0 });
        notify(
          'success',
          `Imported “${name}” as a draft: fix its ${e.issues.length} problem${e.issues.length > 1 ? 's' : ''}, then publish`,
        );
      }
      location.hash = `#/flows/${encodeURIComponent(id)}`;
    } catch (e) {
      notify('error', `Could not import ${file.name}: ${(e as Error).message.split('\n')[0]}`, describeError(e));
    }
  };

  return (
    <div className="lf-page">
      <div className="lf-page__head">
        <h1>Flows</h1>
        <span className="lf-toolbar__spacer" />
        <button type="button" className="lf-btn" onClick={() => fileInput.current?.click()}>
          Import JSON file
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          hidden
          data-testid="import-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void importFile(file);
          }}
        />
        <button type="button" className="lf-btn lf-btn--primary" onClick={() => setCreating(true)} data-testid="new-flow">
          + New flow
        </button>
      </div>
      {flows === null ? (
        <p className="lf-muted">Loading…</p>
      ) : flows.length === 0 ? (
        <div className="lf-empty">
          <p>No flows yet. A flow is what happens to a lead: build the request, send it to the target, read the answer.</p>
          <button type="button" className="lf-btn lf-btn--primary" onClick={() => setCreating(true)}>
            Create the first flow
          </button>
        </div>
      ) : (
        <table className="lf-table" data-testid="flow-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Runs on</th>
              <th>Version</th>
              <th>Last saved</th>
              <th>Used by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {flows.map((flow) => {
              const last = flow.versions[flow.versions.length - 1];
              return (
                <tr key={flow.id} data-flow-id={flow.id}>
                  <td>
                    {renaming?.id === flow.id ? (
                      <form
                        className="lf-row"
                        onSubmit={(e) => {
                          e.preventDefault();
                          void rename();
                        }}
                      >
                        <input
                          className="lf-input"
                          autoFocus
                          value={renaming.name}
                          onChange={(e) => setRenaming({ ...renaming, name: e.target.value })}
                          aria-label="New name"
                        />
                        <button type="submit" className="lf-btn lf-btn--small lf-btn--primary">
                          Rename
                        </button>
                        <button type="button" className="lf-btn lf-btn--small" onClick={() => setRenaming(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <>
                        <a href={`#/flows/${encodeURIComponent(flow.id)}`} className="lf-strong">
                          {flow.name}
                        </a>
                        <div className="lf-muted lf-small">
                          <code>{flow.id}</code>
                        </div>
                      </>
                    )}
                  </td>
                  <td>
                    <EventName event={flow.event} />
                  </td>
                  <td data-testid="flow-version">
                    {flow.currentVersion ? `v${flow.currentVersion}` : <span className="lf-tag">draft, never published</span>}
                    {flow.currentVersion > 0 && draftOf(flow.id) && (
                      <div className="lf-muted lf-small" title="Your unpublished changes: open the flow to go on, then Publish">
                        + your draft
                      </div>
                    )}
                  </td>
                  <td className="lf-muted">
                    {last ? `${formatWhen(last.savedAt)} · ${last.savedBy}` : ''}
                    {!last && draftOf(flow.id) ? `draft saved ${formatWhen(draftOf(flow.id)!.savedAt)}` : ''}
                  </td>
                  <td>
                    {usedBy(flow.id).map((i) => (
                      <a key={i.id} href={`#/integrations/${encodeURIComponent(i.id)}`} className="lf-tag">
                        {i.name}
                      </a>
                    ))}
                  </td>
                  <td className="lf-actions">
                    {flow.currentVersion > 0 && (
                      <>
                        <button type="button" className="lf-link-btn" onClick={() => setRenaming({ id: flow.id, name: flow.name })}>
                          Rename
                        </button>
                        <button type="button" className="lf-link-btn" onClick={() => void duplicate(flow)}>
                          Duplicate
                        </button>
                      </>
                    )}
                    <button type="button" className="lf-link-btn lf-danger" onClick={() => void remove(flow)}>
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {creating && <NewFlowDialog taken={taken} onClose={() => setCreating(false)} />}
    </div>
  );
}

const NO_TEMPLATES: FlowTemplate[] = [];

function NewFlowDialog({ taken, onClose }: { taken: Set<string>; onClose(): void }) {
  const descriptors = useCatalog();
  const saveDraft = useSaveDraft();
  const [name, setName] = useState('');
  const [event, setEvent] = useState<FlowEvent>('lead.new');
  // bundled with the editor, so they never go stale
  const templates: FlowTemplate[] =
    useQuery({ queryKey: ['flow-templates'], queryFn: loadTemplates, staleTime: Infinity }).data ?? NO_TEMPLATES;
  const [template, setTemplate] = useState('');
  const [busy, setBusy] = useState(false);
  const startable = useMemo(() => startableEvents(descriptors) as FlowEvent[], [descriptors]);

  const chosen = templates.find((t) => t.key === template);
  const create = async () => {
    const title = name.trim() || chosen?.doc.name || 'New flow';
    setBusy(true);
    try {
      const id = freeFlowId(title, taken);
      const doc = chosen ? { ...chosen.doc, id, name: title } : blankFlow(id, title, event, descriptors);
      // a new flow is the author's draft until they publish it: it need not be valid yet
      const created = await saveDraft.mutateAsync({ ...doc, version: 0 });
      location.hash = `#/flows/${encodeURIComponent(created.flowId)}`;
    } catch (e) {
      notify('error', `Could not create the flow: ${(e as Error).message.split('\n')[0]}`, describeError(e));
      setBusy(false);
    }
  };

  return (
    <div className="lf-modal" role="dialog" aria-modal="true" aria-label="New flow" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <form
        className="lf-modal__box"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <h2>New flow</h2>
        <div className="lf-field">
          <label className="lf-field__label" htmlFor="new-flow-name">
            Name
          </label>
          <input
            id="new-flow-name"
            className="lf-input"
            autoFocus
            value={name}
            placeholder={chosen?.doc.name ?? 'Acme CRM: send a lead'}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div className="lf-field">
          <span className="lf-field__label">Start from</span>
          <div className="lf-choices">
            <label className={`lf-choice${template === '' ? ' is-on' : ''}`}>
              <input type="radio" name="template" checked={template === ''} onChange={() => setTemplate('')} />
              <b>Blank canvas</b>
              <span className="lf-muted">Just the trigger; add the rest from the palette.</span>
            </label>
            {templates.map((t) => (
              <label key={t.key} className={`lf-choice${template === t.key ? ' is-on' : ''}`}>
                <input type="radio" name="template" checked={template === t.key} onChange={() => setTemplate(t.key)} />
                <b>{t.doc.name}</b>
                <span className="lf-muted">
                  <EventName event={t.doc.event} /> · {t.doc.nodes.length} nodes{t.doc.description ? ` — ${t.doc.description}` : ''}
                </span>
              </label>
            ))}
          </div>
        </div>
        {template === '' && (
          <div className="lf-field">
            <label className="lf-field__label" htmlFor="new-flow-event">
              Runs on
            </label>
            <select id="new-flow-event" className="lf-input" value={event} onChange={(e) => setEvent(e.target.value as FlowEvent)}>
              {startable.map((ev) => (
                <option key={ev} value={ev}>
                  {ev}
                </option>
              ))}
            </select>
            <p className="lf-help">
              lead.new: a new lead to deliver. postback.in: the target calls us with a status. lead.register: the caller waits for the
              answer.
            </p>
          </div>
        )}
        <div className="lf-modal__actions">
          <button type="button" className="lf-btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="lf-btn lf-btn--primary" disabled={busy} data-testid="create-flow">
            Create
          </button>
        </div>
      </form>
    </div>
  );
}
