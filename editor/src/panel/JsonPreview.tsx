/**
 * Under a JSON param (JSON Build's body): the body as the run would build it for the sample lead
 * (the kernel's `previewJson`), secrets masked, and each value that only the run knows, with why.
 */
import { useEffect, useState } from 'react';
import type { JsonPreview as Preview } from '../../../core/template/preview.ts';
import { useEditor, useDescriptor } from '../canvas/store.ts';
import { useFlowDocument } from '../canvas/document.ts';
import { useIntegrations, useOffers } from '../api/queries.ts';
import { useSampleLeadText } from '../runs/sample-lead.ts';
import { load, readyModules, scopeFor, type Modules, type PreviewInput } from './TemplatePreview.tsx';
import './values.css';

const compute = (modules: Modules, value: unknown, input: PreviewInput): Preview => modules[0].previewJson(value, scopeFor(modules, input));

export function JsonPreview({ value, nodeId, nodeType }: { value: unknown; nodeId: string; nodeType: string }) {
  const descriptor = useDescriptor(nodeType);
  const integrations = useIntegrations().data;
  const offers = useOffers().data;
  const sampleText = useSampleLeadText((s) => s.text);
  const run = useEditor((s) => s.run);
  const testIntegration = useEditor((s) => s.testIntegration);
  const revision = useFlowDocument((s) => s.revision);
  const [preview, setPreview] = useState<Preview | null>(() => {
    const modules = readyModules();
    return modules && value !== undefined
      ? compute(modules, value, { nodeId, descriptor, integrations: integrations ?? [], offers: offers ?? [], sampleText })
      : null;
  });

  useEffect(() => {
    if (value === undefined) return;
    let cancelled = false;
    const timer = setTimeout(async () => {
      const modules = await load();
      if (!cancelled)
        setPreview(compute(modules, value, { nodeId, descriptor, integrations: integrations ?? [], offers: offers ?? [], sampleText }));
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [value, nodeId, descriptor, integrations, offers, sampleText, run, testIntegration, revision]);

  if (value === undefined || !preview) return null;
  return (
    <details className="lf-json-preview" data-testid="json-preview" open>
      <summary>
        What it gives for the sample lead{preview.pending.length ? ` (${preview.pending.length} known only when it runs)` : ''}
      </summary>
      <pre className="lf-pre">{JSON.stringify(preview.value, null, 2)}</pre>
      {preview.pending.length > 0 && (
        <ul className="lf-json-preview__pending">
          {preview.pending.map((p) => (
            <li key={p.field} className={p.runTime ? '' : 'is-problem'}>
              <code>{p.field}</code>: {p.reason}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
