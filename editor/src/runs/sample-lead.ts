/**
 * The sample lead as the test panel holds it now (its JSON text, maybe half typed), for what
 * previews values before a run: template fields show what they give for this lead. Null until the
 * test panel has been open; then the preview uses the default sample for the test integration.
 */
import { create } from 'zustand';

export const useSampleLeadText = create<{ text: string | null }>()(() => ({ text: null }));

/** The test panel calls this whenever its sample lead's text changes. */
export function publishSampleLead(text: string | null): void {
  if (useSampleLeadText.getState().text !== text) useSampleLeadText.setState({ text });
}
