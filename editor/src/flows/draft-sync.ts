/**
 * The open flow kept as the user's draft on the server: about a second after the document last
 * changed (at once when asked: the editor's save action, leaving the page), valid or not. The
 * runtime keeps running the published version until the user publishes. When the document is back
 * to what was published (undone, discarded), the draft is dropped instead.
 *
 * No copy is kept in the browser: a draft that could not be saved says so in the toolbar, is tried
 * again at the next change or save, and leaving the page asks first.
 *
 * @example
 * const stop = startDraftSync('acme-send', true); // on opening the flow; true: the user has a draft of it
 * await saveDraftNow();                            // the save action
 * stop();                                          // leaving: a pending save goes out at once
 */
import { create } from 'zustand';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { api } from '../api/client.ts';
import { currentDoc, useFlowDocument } from '../canvas/document.ts';

/** How long after the last change the draft is saved. */
export const DRAFT_DELAY_MS = 1000;

export interface DraftSyncState {
  /** `pending`: a change waits for its save; `failed`: the last save did not reach the server. */
  state: 'idle' | 'pending' | 'saving' | 'saved' | 'failed';
  /** When the server last kept the draft. */
  savedAt?: string;
  error?: string;
  /** Whether the server holds a draft of the open flow for this user. */
  hasDraft: boolean;
}

export const useDraftSync = create<DraftSyncState>()(() => ({ state: 'idle', hasDraft: false }));

let flowId: string | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
/** The document the server holds as the draft (or as published when there is none), to skip saving the same twice. */
let kept: FlowDoc | null = null;
/** Saves run one after another, so an older document never lands after a newer one. */
let queue: Promise<unknown> = Promise.resolve();

/** Starts keeping the open flow as a draft; `hasDraft` says whether the server has one already. Answers the stop. */
export function startDraftSync(id: string, hasDraft: boolean): () => void {
  flowId = id;
  kept = currentDoc() ?? null;
  useDraftSync.setState({ state: 'idle', savedAt: undefined, error: undefined, hasDraft });
  const unsubscribe = useFlowDocument.subscribe((s, before) => {
    if (s.history?.present === before.history?.present || s.viewing || s.loadedFrom !== id) return;
    clearTimeout(timer);
    useDraftSync.setState({ state: 'pending' });
    timer = setTimeout(() => void saveDraftNow(), DRAFT_DELAY_MS);
  });
  const onHide = () => {
    if (useDraftSync.getState().state === 'pending') sendOnUnload();
  };
  window.addEventListener('pagehide', onHide);
  return () => {
    unsubscribe();
    window.removeEventListener('pagehide', onHide);
    if (useDraftSync.getState().state === 'pending') void saveDraftNow();
    flowId = null;
  };
}

/** Marks the server's draft as gone (published, discarded) without a call: the document is now the live one. */
export function draftGone(): void {
  clearTimeout(timer);
  kept = currentDoc() ?? null;
  useDraftSync.setState({ state: 'idle', hasDraft: false, error: undefined });
}

/** Whether leaving now loses work: a change not saved yet, or a save that failed. */
export function draftAtRisk(): boolean {
  const { state } = useDraftSync.getState();
  return state === 'pending' || state === 'saving' || state === 'failed';
}

/** Saves the open flow as the draft now (or drops the draft when nothing is changed); resolves with whether the server has it. */
export function saveDraftNow(): Promise<boolean> {
  clearTimeout(timer);
  const run = queue.then(() => push());
  queue = run.catch(() => undefined);
  return run;
}

async function push(): Promise<boolean> {
  const id = flowId;
  const doc = currentDoc();
  const { dirty, viewing } = useFlowDocument.getState();
  if (!id || !doc || viewing || doc.id !== id) return false;
  if (doc === kept) {
    useDraftSync.setState((s) => ({ state: s.hasDraft ? 'saved' : 'idle' }));
    return true;
  }
  useDraftSync.setState({ state: 'saving' });
  try {
    if (!dirty) {
      // back to what was published: no draft to keep
      if (useDraftSync.getState().hasDraft) await api.discardDraft(id).catch(ignoreMissing);
      kept = doc;
      useDraftSync.setState({ state: 'idle', hasDraft: false, error: undefined });
      return true;
    }
    const saved = await api.saveDraft(doc);
    kept = doc;
    // a change made while this save was on its way waits for its own
    const later = currentDoc() !== doc;
    useDraftSync.setState({ state: later ? 'pending' : 'saved', savedAt: saved.savedAt, hasDraft: true, error: undefined });
    return true;
  } catch (error) {
    useDraftSync.setState({ state: 'failed', error: (error as Error).message });
    return false;
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as { status?: number }).status !== 404) throw error;
}

/** The page is going away with a change not saved yet: a request the browser finishes after the page is gone. */
function sendOnUnload(): void {
  const doc = currentDoc();
  if (!doc || !flowId || !useFlowDocument.getState().dirty) return;
  void fetch(`/api/flows/${encodeURIComponent(flowId)}/draft`, {
    method: 'PUT',
    keepalive: true,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  }).catch(() => undefined);
}
