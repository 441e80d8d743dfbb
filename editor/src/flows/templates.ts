/**
 * Flow templates: every flow JSON in a folder of `flows/` (`flows/demo/*.json`, `flows/templates/*.json`,
 * …), bundled at build time and loaded only when the "New flow" dialog opens.
 */
import type { FlowDoc } from '../../../core/domain/flow.ts';

export interface FlowTemplate {
  /** The file, e.g. `demo/demo-crm-send.json`. */
  key: string;
  doc: FlowDoc;
}

const files = import.meta.glob<FlowDoc>('../../../flows/*/*.json', { import: 'default' });

export async function loadTemplates(): Promise<FlowTemplate[]> {
  const loaded = await Promise.all(
    Object.entries(files).map(async ([path, load]) => ({ key: path.replace(/^.*\/flows\//, ''), doc: await load() })),
  );
  return loaded
    .filter((t) => t.doc && Array.isArray(t.doc.nodes) && typeof t.doc.event === 'string')
    .sort((a, b) => a.doc.name.localeCompare(b.doc.name));
}
