/**
 * May this integration be switched on? One answer for the runtime (which refuses `enabled: true`
 * while there is a gap), the template service (what "new from template" still lacks) and the
 * editor's checklist (which shows the gaps the server computed).
 *
 * The types below are the contract; {@link integrationReadiness} is the one function that computes them.
 */
import type { FlowEvent } from './domain/config.ts';

/** What kind of thing is missing or wrong. */
export type ReadinessGapKind = 'setting' | 'secret' | 'offer-parameter' | 'flow' | 'flow-problem';

/**
 * One thing that keeps an integration from working. `field` says where to fix it:
 * `settings.base_url`, `secrets.api_key`, `offers.tea.parameters.crm_offer_id`, `flows.lead.new`,
 * or, for a problem inside a flow, the flow and the node's field (`flows.lead.new` with `nodeId`
 * and `nodeField: params.url`).
 */
export interface ReadinessGap {
  kind: ReadinessGapKind;
  field: string;
  /** The setting, secret or offer parameter's name. */
  name?: string;
  /** For an offer parameter: the offer that lacks it. */
  offer?: string;
  /** The event of the flow that needs it, or whose flow is missing or has the problem. */
  event?: FlowEvent;
  flowId?: string;
  /** For a flow problem: the node and its field. */
  nodeId?: string;
  nodeField?: string;
  /** A sentence for an integrator, naming what to do. */
  message: string;
}

/** Every gap of an integration; `ready` when there is none. */
export interface Readiness {
  ready: boolean;
  gaps: ReadinessGap[];
}
