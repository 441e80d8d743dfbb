/**
 * What a node's values are previewed against before a run (core/template/preview.ts): the sample
 * lead of the test panel (or the default sample for the test integration) as the runtime would
 * see it, its offer with the parameters for the lead's country, the test integration's settings
 * and secret names, and the last test run's outputs.
 */
import type { NodeDescriptor } from '../../../core/node/contract.ts';
import type { Lead, LeadInput } from '../../../core/domain/lead.ts';
import type { Offer } from '../../../core/domain/config.ts';
import { offerParameters } from '../../../core/domain/config.ts';
import { readPhone } from '../../../core/domain/phone.ts';
import type { PreviewScope } from '../../../core/template/preview.ts';
import type { IntegrationView } from '../api/client.ts';
import type { EditorState } from '../canvas/store.ts';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { sampleLeadFor } from '../../../core/domain/sample-lead.ts';
import { LEAD_FIELDS } from '../runs/lead-fields.ts';
import { upstreamOf } from './completion.ts';

/** The parts of the editor a preview reads. */
export interface PreviewSources {
  ui: Pick<EditorState, 'descriptors' | 'run' | 'testIntegration'>;
  doc: Pick<FlowDoc, 'nodes' | 'edges'> | null;
  integrations: readonly IntegrationView[];
  offers: readonly Offer[];
  /** The test panel's sample lead text, or null for the default sample. */
  sampleText: string | null;
  now: Date;
}

/** The panel's text when it is JSON; else the kernel's sample for the integration, as the test panel starts with. */
function sampleInput(text: string | null, fallback: () => LeadInput): LeadInput {
  if (text !== null) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as LeadInput;
    } catch {
      // half typed: the default sample until it is JSON again
    }
  }
  return fallback();
}

/** The lead as the runtime hands a test run's sample to the flow: an id of 0, stage new, the phone read. */
function asStoredLead(input: LeadInput, integration: string, now: Date): Lead {
  const reading = typeof input.phone === 'string' ? readPhone(input.phone, input.country) : undefined;
  const at = now.toISOString();
  return {
    ...input,
    ...(reading && 'e164' in reading ? { phoneE164: reading.e164 } : {}),
    id: 0,
    integration,
    stage: 'new',
    created_at: at,
    updated_at: at,
  };
}

export function previewScope(sources: PreviewSources, nodeId: string, descriptor: NodeDescriptor | undefined): PreviewScope {
  const { ui, doc } = sources;
  const integration = sources.integrations.find((i) => i.id === ui.testIntegration);
  const lead = asStoredLead(
    sampleInput(sources.sampleText, () => sampleLeadFor(integration, sources.offers)),
    integration?.id ?? '',
    sources.now,
  );
  const offer = sources.offers.find((o) => o.id === lead.offer);
  const run = ui.run;
  const lastRun: Record<string, unknown> = {};
  if (run) for (const [id, step] of Object.entries(run.steps)) if (step.output !== undefined) lastRun[id] = step.output;
  const own = run?.steps[nodeId];
  const inputFrom = doc ? upstreamOf(doc, nodeId)[0] : undefined;
  return {
    known: {
      lead,
      offer: offer && {
        id: offer.id,
        name: offer.name,
        params: offerParameters(offer.parameters, lead.country),
        goals: offer.goals,
        products: offer.products,
      },
      integration: integration && { id: integration.id, name: integration.name, settings: integration.settings },
      now: sources.now,
    },
    secrets: descriptor?.usesSecrets ? Object.keys(integration?.secrets ?? {}) : undefined,
    lastRun,
    lastInput: own && own.input !== undefined ? { value: own.input } : undefined,
    inputFrom,
    titleOf: (id) => {
      const node = doc?.nodes.find((n) => n.id === id);
      return node?.label || ui.descriptors.get(node?.type ?? '')?.title || id;
    },
    fields: { lead: Object.keys(LEAD_FIELDS) },
  };
}
