/**
 * Unsaved work survives a closed tab: while a flow has unsaved changes, its document is kept in
 * the browser's storage and offered back when the flow is opened again. (The runtime saves only
 * valid flows, so a half-built one lives here until it is whole.)
 */
import type { FlowDoc } from '../../../core/domain/flow.ts';

interface Draft {
  doc: FlowDoc;
  /** The saved version the draft started from. */
  baseVersion: number;
  at: string;
}

const key = (flowId: string) => `leadflow.draft.${flowId}`;

export function keepDraft(doc: FlowDoc, baseVersion: number): void {
  try {
    localStorage.setItem(key(doc.id), JSON.stringify({ doc, baseVersion, at: new Date().toISOString() } satisfies Draft));
  } catch {
    /* storage full or blocked: the draft is a convenience */
  }
}

export function readDraft(flowId: string): Draft | undefined {
  try {
    const text = localStorage.getItem(key(flowId));
    return text ? (JSON.parse(text) as Draft) : undefined;
  } catch {
    return undefined;
  }
}

export function dropDraft(flowId: string): void {
  localStorage.removeItem(key(flowId));
}
