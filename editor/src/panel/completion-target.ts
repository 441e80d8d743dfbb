/**
 * What the CodeMirror editors of a node complete templates against: the same scope the template
 * fields build (the open flow, the last run, the test integration's settings, secrets and offers).
 */
import { useMemo } from 'react';
import { useDescriptor, useEditor } from '../canvas/store.ts';
import { currentDoc } from '../canvas/document.ts';
import { useIntegrations, useOffers } from '../api/queries.ts';
import type { CompletionScope } from './completion.ts';
import type { TemplateCompletionTarget } from './template-completion.ts';

/** The completion scope as it is now (read when completion opens, so it is never stale). */
export function completionScopeNow(integrations: CompletionScope['integrations'], offers: CompletionScope['offers']): CompletionScope {
  return { ...useEditor.getState(), doc: currentDoc(), integrations, offers };
}

export function useTemplateCompletionTarget(nodeId: string, nodeType: string): TemplateCompletionTarget {
  const descriptor = useDescriptor(nodeType);
  const integrations = useIntegrations().data;
  const offers = useOffers().data;
  return useMemo(
    () => ({ nodeId, descriptor, scope: () => completionScopeNow(integrations ?? [], offers ?? []) }),
    [nodeId, descriptor, integrations, offers],
  );
}
