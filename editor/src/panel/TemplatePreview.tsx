/**
 * The line under a template field that shows what it gives for the sample lead (the kernel's
 * `previewTemplate`, the run's own renderer), or why it cannot yet. Computed a moment after typing
 * stops; the last preview stays until the next is ready, so the line never flickers or jumps.
 */
import { useEffect, useState } from 'react';
import type { TemplatePreview as Preview } from '../../../core/template/preview.ts';
import { useEditor, useDescriptor } from '../canvas/store.ts';
import { currentDoc, useFlowDocument } from '../canvas/document.ts';
import { useIntegrations, useOffers } from '../api/queries.ts';
import { useSampleLeadText } from '../runs/sample-lead.ts';
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import type { Offer } from '../../../core/domain/config.ts';
import type { IntegrationView } from '../api/client.ts';
import './values.css';

/** The renderer and filters load with the first template shown, not with the editor. */
export type Modules = [typeof import('../../../core/template/preview.ts'), typeof import('./preview-scope.ts')];
let loaded: Promise<Modules> | undefined;
/** Once loaded, a field that appears (another node selected) previews at once, with no empty moment. */
let ready: Modules | undefined;
/** The preview modules when loaded already, for a first render with no empty moment. */
export const readyModules = () => ready;
export const load = () =>
  (loaded ??= Promise.all([import('../../../core/template/preview.ts'), import('./preview-scope.ts')]).then((m) => (ready = m)));

const DEBOUNCE_MS = 200;

export interface PreviewInput {
  nodeId: string;
  descriptor: NodeDescriptor | undefined;
  integrations: IntegrationView[];
  offers: Offer[];
  sampleText: string | null;
}

/** The scope a node's values preview against, as it is now. */
export function scopeFor([, { previewScope }]: Modules, input: PreviewInput) {
  const sources = {
    ui: useEditor.getState(),
    doc: currentDoc(),
    integrations: input.integrations,
    offers: input.offers,
    sampleText: input.sampleText,
    now: new Date(),
  };
  return previewScope(sources, input.nodeId, input.descriptor);
}

function compute(modules: Modules, input: PreviewInput & { value: string }): Preview {
  return modules[0].previewTemplate(input.value, scopeFor(modules, input));
}
const SHOWN_CHARS = 300;

export function TemplatePreview({ value, nodeId, nodeType }: { value: string; nodeId: string; nodeType: string }) {
  const descriptor = useDescriptor(nodeType);
  const integrations = useIntegrations().data;
  const offers = useOffers().data;
  const sampleText = useSampleLeadText((s) => s.text);
  const run = useEditor((s) => s.run);
  const testIntegration = useEditor((s) => s.testIntegration);
  // earlier nodes' titles and wiring say when a value becomes known
  const revision = useFlowDocument((s) => s.revision);
  const wanted = value.includes('{{');
  const input = { value, nodeId, descriptor, integrations: integrations ?? [], offers: offers ?? [], sampleText };
  const [preview, setPreview] = useState<Preview | null>(() => (wanted && ready ? compute(ready, input) : null));

  useEffect(() => {
    if (!wanted) return;
    let cancelled = false;
    const timer = setTimeout(async () => {
      const modules = await load();
      if (!cancelled)
        setPreview(compute(modules, { value, nodeId, descriptor, integrations: integrations ?? [], offers: offers ?? [], sampleText }));
    }, DEBOUNCE_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [wanted, value, nodeId, descriptor, integrations, offers, sampleText, run, testIntegration, revision]);

  if (!wanted) return null;
  if (!preview) return <p className="lf-preview" aria-hidden="true" />;
  if (!preview.ok) {
    return (
      <p className={`lf-preview ${preview.runTime ? 'is-later' : 'is-problem'}`} data-testid="template-preview" role="status">
        {preview.runTime ? '⏱ ' : '⚠ '}
        {preview.reason}
      </p>
    );
  }
  const shown =
    preview.text.length > SHOWN_CHARS ? `${preview.text.slice(0, SHOWN_CHARS)}… (${preview.text.length} characters)` : preview.text;
  return (
    <p className="lf-preview" data-testid="template-preview" role="status" title="What this gives for the sample lead">
      <span className="lf-preview__arrow">→</span>{' '}
      {shown === '' ? <span className="lf-muted">(empty)</span> : <code className="lf-preview__value">{shown}</code>}
      {preview.notes.length > 0 && <span className="lf-preview__note"> · {preview.notes.join('; ')}</span>}
    </p>
  );
}
