/**
 * Live validation: the runtime's own validator (browser-safe, loaded after the first paint) runs
 * over the flow a moment after each change, and its issues mark nodes and fields.
 */
import { useEffect } from 'react';
import { useEditor } from './store.ts';
import { currentDoc, useFlowDocument } from './document.ts';

export function useValidation(): void {
  const revision = useFlowDocument((s) => s.revision);
  const descriptors = useEditor((s) => s.descriptors);
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(async () => {
      const { validateFlow } = await import('../../../core/flow/validate.ts');
      if (cancelled) return;
      const doc = currentDoc();
      if (!doc || descriptors.size === 0) return;
      const result = validateFlow(doc, { get: (type) => descriptors.get(type) });
      useEditor.getState().setIssues(result.ok ? [] : result.issues);
      useEditor.getState().setWarnings(result.warnings ?? []);
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [revision, descriptors]);
}
