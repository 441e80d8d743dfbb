/**
 * One flow open for editing: toolbar, palette, canvas and the side panel (node, flow, test run,
 * versions). Loads the flow, the catalog's reference data and any unsaved draft.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { ApiError } from '../api/client.ts';
import { useIntegrations, useOffers, useOpenFlow, useSaveFlow } from '../api/queries.ts';
import { useEditor, type PanelTab } from '../canvas/store.ts';
import { currentDoc, useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { addNodeAt, closeVersion, openDoc } from '../canvas/commands.ts';
import { useCatalog } from '../catalog/catalog.ts';
import { Canvas } from '../canvas/Canvas.tsx';
import { useValidation } from '../canvas/useValidation.ts';
import { dropDraft, keepDraft, readDraft } from '../canvas/drafts.ts';
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

/** The draft kept for this flow, when it starts from the version opened and differs from it. */
function draftOf(doc: FlowDoc): ReturnType<typeof readDraft> {
  const saved = readDraft(doc.id);
  return saved && saved.baseVersion === doc.version && JSON.stringify(saved.doc) !== JSON.stringify(doc) ? saved : undefined;
}

export function EditorPage({ flowId }: { flowId: string }) {
  const flow = useOpenFlow(flowId);
  const integrations = useIntegrations();
  const offers = useOffers();
  const descriptors = useCatalog();
  const [draftHandled, setDraftHandled] = useState(false);
  const failed = flow.error ?? integrations.error ?? offers.error;

  // the document is the editor's from the moment it opens: it is put into the document store once
  const doc = flow.data;
  const list = integrations.data;
  const ready = !!doc && !!list && !!offers.data;
  const opened = useFlowDocument((s) => s.loadedFrom === flowId);
  // unsaved work from an earlier visit, offered when it starts from the version that opened
  const draft = useMemo(() => (doc ? draftOf(doc) : undefined), [doc]);
  useEffect(() => {
    if (!doc || !list || !ready || opened) return;
    useEditor.getState().setDescriptors([...descriptors.values()]);
    openDoc(doc);
    const using = list.find((i) => Object.values(i.flows).includes(doc.id));
    useEditor.getState().setTestIntegration(using?.id ?? list[0]?.id ?? '');
    if (!draftOf(doc)) dropDraft(doc.id);
  }, [doc, list, ready, opened, descriptors]);
  // leaving the page closes the flow, so coming back opens it as stored then
  useEffect(() => () => useFlowDocument.getState().clear(), []);

  useEffect(() => {
    if (failed) notify('error', `Could not open the flow: ${failed.message}`);
  }, [failed]);

  if (failed)
    return (
      <div className="lf-center">
        <p>This flow could not be opened.</p>
        <a href="#/">Back to the flows</a>
      </div>
    );
  if (!opened) return <div className="lf-center lf-muted">Loading the flow…</div>;
  return (
    <ReactFlowProvider>
      <Editor draft={draftHandled ? undefined : draft} onDraftHandled={() => setDraftHandled(true)} />
    </ReactFlowProvider>
  );
}

function Editor({ draft, onDraftHandled }: { draft: ReturnType<typeof readDraft>; onDraftHandled(): void }) {
  const meta = useFlowMeta();
  const dirty = useFlowDocument((s) => s.dirty);
  const viewing = useFlowDocument((s) => s.viewing);
  const canUndo = useFlowDocument((s) => (s.history?.past.length ?? 0) > 0);
  const canRedo = useFlowDocument((s) => (s.history?.future.length ?? 0) > 0);
  const revision = useFlowDocument((s) => s.revision);
  const panel = useEditor((s) => s.panel);
  const issueCount = useEditor((s) => s.issues.length);
  const saveFlow = useSaveFlow();
  const saving = saveFlow.isPending;
  const rollBack = useRollBackTo();
  const flow = useReactFlow();
  useValidation();

  // keep unsaved work in the browser; meta.version is the saved version the canvas started from
  useEffect(() => {
    const s = useFlowDocument.getState();
    if (!s.dirty || s.viewing) return;
    const timer = setTimeout(() => {
      const doc = currentDoc();
      if (doc) keepDraft(doc, doc.version);
    }, 600);
    return () => clearTimeout(timer);
  }, [revision, dirty]);

  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (useFlowDocument.getState().dirty) event.preventDefault();
    };
    // leaving for another screen asks first too; the draft stays in the browser either way
    const here = location.hash;
    const guard = () => {
      if (location.hash === here || !useFlowDocument.getState().dirty) return;
      if (!window.confirm('This flow has unsaved changes (kept in this browser as a draft). Leave it?'))
        history.replaceState(null, '', here);
    };
    window.addEventListener('beforeunload', warn);
    window.addEventListener('hashchange', guard);
    return () => {
      window.removeEventListener('beforeunload', warn);
      window.removeEventListener('hashchange', guard);
    };
  }, []);

  const save = useCallback(async () => {
    const doc = currentDoc();
    if (!doc || useFlowDocument.getState().viewing || saveFlow.isPending) return;
    try {
      const saved = await saveFlow.mutateAsync(doc);
      useFlowDocument.getState().markSaved(saved);
      dropDraft(saved.id);
      notify('success', `Saved as version ${saved.version}`);
    } catch (error) {
      if (error instanceof ApiError && error.issues) {
        useEditor.getState().setIssues(error.issues);
        useEditor.getState().setPanel('flow');
        notify(
          'error',
          `Not saved: fix ${error.issues.length === 1 ? 'the marked problem' : `the ${error.issues.length} marked problems`} first. Your changes are kept in this browser.`,
        );
      } else notify('error', `Not saved: ${(error as Error).message}`);
    }
  }, [saveFlow]);

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
        <a className="lf-toolbar__back" href="#/" title="All flows">
          ← Flows
        </a>
        <div className="lf-toolbar__title">
          <b data-testid="flow-title">{meta.name}</b>
          <span className="lf-muted">
            {' '}
            · {meta.event} · v{meta.version}
          </span>
          {dirty && !viewing && (
            <span className="lf-dirty" title="Changes not saved yet" data-testid="dirty">
              ● unsaved
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
        <button
          type="button"
          className="lf-btn lf-btn--primary"
          disabled={saving || !!viewing || !dirty}
          onClick={() => void save()}
          title="Save a new version (Ctrl+S)"
          data-testid="save"
        >
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>

      {draft && (
        <div className="lf-banner">
          You have unsaved changes to this flow from {formatWhen(draft.at)}.
          <button
            type="button"
            className="lf-btn lf-btn--small"
            onClick={() => {
              useFlowDocument.getState().restore(draft.doc);
              useEditor.getState().reset();
              onDraftHandled();
            }}
          >
            Restore them
          </button>
          <button
            type="button"
            className="lf-btn lf-btn--small"
            onClick={() => {
              dropDraft(meta.id);
              onDraftHandled();
            }}
          >
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
    </div>
  );
}
