/**
 * One flow open for editing: toolbar, palette, canvas and the side panel (node, flow, test run,
 * versions). Loads the flow, the catalog's reference data and the user's draft of it: work is kept
 * on the server as a draft as it changes (`draft-sync.ts`) and goes live on "Publish".
 */
import { useCallback, useEffect, useState } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { api, ApiError } from '../api/client.ts';
import { useIntegrations, useOffers, useOpenDraft, useOpenFlow } from '../api/queries.ts';
import { useEditor, type PanelTab } from '../canvas/store.ts';
import { currentDoc, useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { addNodeAt, closeVersion, openDoc } from '../canvas/commands.ts';
import { useCatalog } from '../catalog/catalog.ts';
import { Canvas } from '../canvas/Canvas.tsx';
import { useValidation } from '../canvas/useValidation.ts';
import { Palette } from '../palette/Palette.tsx';
import { NodePanel } from '../panel/NodePanel.tsx';
import { FlowPanel } from '../panel/FlowPanel.tsx';
import { TestPanel } from '../runs/TestPanel.tsx';
import { VersionsPanel, useRollBackTo } from '../versions/VersionsPanel.tsx';
import { openCurlImport } from '../curl/import.ts';
import { CurlDialog } from '../curl/CurlDialog.tsx';
import { notify } from '../app/notices.ts';
import { formatWhen } from '../canvas/look.ts';
import { downloadJson } from './files.ts';
import type { FlowDraftView } from '../api/client.ts';
import { draftAtRisk, draftGone, saveDraftNow, startDraftSync, useDraftSync } from './draft-sync.ts';
import { DraftStatus } from './DraftStatus.tsx';
import { PublishDialog } from './PublishDialog.tsx';
import { EventName } from '../app/EventName.tsx';

export function EditorPage({ flowId }: { flowId: string }) {
  const flow = useOpenFlow(flowId);
  const drafted = useOpenDraft(flowId);
  const integrations = useIntegrations();
  const offers = useOffers();
  const descriptors = useCatalog();
  const [draftHandled, setDraftHandled] = useState(false);
  // the user's draft (null: none); a flow never published is its draft alone
  const draft = drafted.data;
  const missing = flow.error instanceof ApiError && flow.error.status === 404;
  const neverPublished = missing && !!draft;
  // no live version is a failure only once it is known there is no draft either
  const failed = (missing && draft !== null ? null : flow.error) ?? drafted.error ?? integrations.error ?? offers.error;

  // the document is the editor's from the moment it opens: it is put into the document store once
  const doc = flow.data ?? (neverPublished ? draft.doc : undefined);
  const list = integrations.data;
  const ready = !!doc && draft !== undefined && !!list && !!offers.data;
  const opened = useFlowDocument((s) => s.loadedFrom === flowId);
  useEffect(() => {
    if (!doc || !list || !ready || opened) return;
    useEditor.getState().setDescriptors([...descriptors.values()]);
    openDoc(doc);
    // the draft opens in place of the live version, as unpublished work
    if (draft) useFlowDocument.getState().restore(draft.doc);
    const using = list.find((i) => Object.values(i.flows).includes(doc.id));
    useEditor.getState().setTestIntegration(using?.id ?? list[0]?.id ?? '');
  }, [doc, draft, list, ready, opened, descriptors]);
  // leaving the page closes the flow, so coming back opens it as stored then
  useEffect(() => () => useFlowDocument.getState().clear(), []);

  useEffect(() => {
    if (failed) notify('error', `Could not open the flow: ${failed.message}`);
  }, [failed]);

  if (failed)
    return (
      <div className="lf-center">
        <p>This flow could not be opened.</p>
        <a href="#/flows">Back to the flows</a>
      </div>
    );
  if (!opened) return <div className="lf-center lf-muted">Loading the flow…</div>;
  return (
    <ReactFlowProvider>
      <Editor
        live={flow.data}
        draft={draft ?? undefined}
        offerDraft={!!draft && !neverPublished && !draftHandled}
        onDraftHandled={() => setDraftHandled(true)}
      />
    </ReactFlowProvider>
  );
}

interface EditorProps {
  /** The live version, when the flow was ever published. */
  live?: FlowDoc;
  /** The user's draft as it was when the flow opened. */
  draft?: FlowDraftView;
  /** Whether to offer the draft (keep editing it, or discard it for the live version). */
  offerDraft: boolean;
  onDraftHandled(): void;
}

function Editor({ live, draft, offerDraft, onDraftHandled }: EditorProps) {
  const meta = useFlowMeta();
  const dirty = useFlowDocument((s) => s.dirty);
  const viewing = useFlowDocument((s) => s.viewing);
  const canUndo = useFlowDocument((s) => (s.history?.past.length ?? 0) > 0);
  const canRedo = useFlowDocument((s) => (s.history?.future.length ?? 0) > 0);
  const panel = useEditor((s) => s.panel);
  const issueCount = useEditor((s) => s.issues.length);
  const rollBack = useRollBackTo();
  const [publishing, setPublishing] = useState(false);
  const flow = useReactFlow();
  useValidation();

  // every change is kept on the server as this user's draft
  const flowId = meta?.id;
  const hadDraft = !!draft;
  useEffect(() => (flowId ? startDraftSync(flowId, hadDraft) : undefined), [flowId, hadDraft]);

  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (draftAtRisk()) event.preventDefault();
    };
    // leaving for another screen asks only when the last changes did not reach the server
    const here = location.hash;
    const guard = () => {
      if (location.hash === here || useDraftSync.getState().state !== 'failed') return;
      if (!window.confirm('Your latest changes could not be saved to the server. Leave this flow anyway?'))
        history.replaceState(null, '', here);
    };
    window.addEventListener('beforeunload', warn);
    window.addEventListener('hashchange', guard);
    return () => {
      window.removeEventListener('beforeunload', warn);
      window.removeEventListener('hashchange', guard);
    };
  }, []);

  /** The save action (toolbar, canvas, keyboard): keeps the draft on the server now; publishing is separate. */
  const save = useCallback(async () => {
    if (useFlowDocument.getState().viewing) return;
    if (await saveDraftNow()) notify('success', 'Draft saved. Publish to make it live.');
    else notify('error', `Draft not saved: ${useDraftSync.getState().error ?? 'the server could not be reached'}`);
  }, []);

  const discardDraft = useCallback(async () => {
    if (!live || !window.confirm(`Discard your unpublished changes and go back to version ${live.version}?`)) return;
    try {
      await api.discardDraft(live.id);
      openDoc(live);
      draftGone();
      onDraftHandled();
      notify('success', `Discarded: this is version ${live.version} as published`);
    } catch (error) {
      notify('error', `Could not discard the draft: ${(error as Error).message}`);
    }
  }, [live, onDraftHandled]);

  const addAtCentre = useCallback(
    (type: string) => {
      const box = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
      const at = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2 - 90, y: box.top + box.height / 2 - 30 }) : { x: 0, y: 0 };
      addNodeAt(type, { x: Math.round(at.x), y: Math.round(at.y) });
    },
    [flow],
  );

  if (!meta) return null;
  const tabs: { id: PanelTab; label: string }[] = [
    { id: 'node', label: 'Node' },
    { id: 'flow', label: issueCount ? `Flow (${issueCount})` : 'Flow' },
    { id: 'test', label: 'Test run' },
    { id: 'versions', label: 'Versions' },
  ];

  return (
    <div className="lf-editor">
      <div className="lf-toolbar">
        <a className="lf-toolbar__back" href="#/flows" title="All flows">
          ← Flows
        </a>
        <div className="lf-toolbar__title">
          <b data-testid="flow-title">{meta.name}</b>
          <span className="lf-muted">
            {' '}
            · <EventName event={meta.event} /> · {meta.version ? `v${meta.version}` : 'draft, never published'}
          </span>
          {dirty && !viewing && meta.version > 0 && (
            <span className="lf-dirty" title="Changes kept as your draft, not live yet: Publish makes them live" data-testid="dirty">
              ● unpublished
            </span>
          )}
        </div>
        <div className="lf-toolbar__group">
          <button
            type="button"
            className="lf-btn"
            disabled={!canUndo || !!viewing}
            onClick={() => useFlowDocument.getState().undo()}
            title="Undo (Ctrl+Z)"
            data-testid="undo"
          >
            ↶ Undo
          </button>
          <button
            type="button"
            className="lf-btn"
            disabled={!canRedo || !!viewing}
            onClick={() => useFlowDocument.getState().redo()}
            title="Redo (Ctrl+Shift+Z)"
            data-testid="redo"
          >
            ↷ Redo
          </button>
        </div>
        <div className="lf-toolbar__group">
          <button
            type="button"
            className="lf-btn"
            disabled={!!viewing}
            onClick={() => openCurlImport()}
            title="Make nodes from a curl command of the target's documentation"
          >
            Import curl
          </button>
          <button
            type="button"
            className="lf-btn"
            onClick={() => downloadJson(`${meta.id}.json`, currentDoc())}
            title="Download the flow as a JSON file"
          >
            Export
          </button>
        </div>
        <span className="lf-toolbar__spacer" />
        <a
          className="lf-btn"
          href={`#/log?flow=${encodeURIComponent(meta.id)}`}
          title="This flow's executions in the integration log, with the path each took"
          data-testid="flow-log"
        >
          Log
        </a>
        <button
          type="button"
          className={`lf-pill ${issueCount ? 'lf-pill--error' : 'lf-pill--ok'} lf-pill--button`}
          onClick={() => useEditor.getState().setPanel('flow')}
          data-testid="problems"
        >
          {issueCount ? `${issueCount} problem${issueCount > 1 ? 's' : ''}` : 'valid'}
        </button>
        <button type="button" className="lf-btn" onClick={() => useEditor.getState().setPanel('test')} data-testid="open-test">
          ▶ Test
        </button>
        {!viewing && <DraftStatus />}
        <button
          type="button"
          className="lf-btn lf-btn--primary"
          disabled={!!viewing || !dirty}
          onClick={() => setPublishing(true)}
          title={dirty ? 'Make your draft the live version new leads run' : 'Nothing to publish: this is the live version'}
          data-testid="publish"
        >
          Publish
        </button>
      </div>

      {offerDraft && draft && (
        <div className="lf-banner" data-testid="draft-banner">
          You have unpublished changes from {formatWhen(draft.savedAt)}, open below; leads still run v{draft.liveVersion}.
          {draft.liveVersion > draft.baseVersion &&
            ` Your changes started from v${draft.baseVersion}: compare them with v${draft.liveVersion} in Versions before publishing.`}
          <button type="button" className="lf-btn lf-btn--small" onClick={onDraftHandled} data-testid="draft-keep">
            Keep editing
          </button>
          <button type="button" className="lf-btn lf-btn--small" onClick={() => void discardDraft()} data-testid="draft-discard">
            Discard
          </button>
        </div>
      )}
      {viewing && (
        <div className="lf-banner lf-banner--version" data-testid="viewing-banner">
          Viewing version {viewing.version} (read-only).
          <button type="button" className="lf-btn lf-btn--small" onClick={closeVersion}>
            Back to editing
          </button>
          <button
            type="button"
            className="lf-btn lf-btn--small lf-btn--primary"
            onClick={() => void rollBack(meta.id, viewing.version).catch((e) => notify('error', (e as Error).message))}
          >
            Roll back to this version
          </button>
        </div>
      )}

      <div className="lf-editor__body">
        <Palette onAdd={addAtCentre} />
        <Canvas onSave={() => void save()} />
        <aside className="lf-panel" aria-label="Details">
          <nav className="lf-tabs" role="tablist">
            {tabs.map((tab) => (
              <button
                key={tab.id}
                type="button"
                role="tab"
                aria-selected={panel === tab.id}
                className={panel === tab.id ? 'is-on' : ''}
                onClick={() => useEditor.getState().setPanel(tab.id)}
                data-testid={`tab-${tab.id}`}
              >
                {tab.label}
              </button>
            ))}
          </nav>
          <div className="lf-panel__body">
            {panel === 'node' && <NodePanel />}
            {panel === 'flow' && <FlowPanel />}
            {panel === 'test' && <TestPanel />}
            {panel === 'versions' && <VersionsPanel />}
          </div>
        </aside>
      </div>
      <CurlDialog />
      {publishing && <PublishDialog onClose={() => setPublishing(false)} />}
    </div>
  );
}
