/**
 * Lead intake: check the poster's key, check the lead, find its offer and the integration the offer is routed to, store
 * it. Delivery is queued in the same write and happens later from the durable queue — except for
 * an integration with a `lead.register` flow, which runs while the caller waits and answers it.
 *
 * Every refusal (no key 401, a key not valid 401, a key not for the lead's offer or its `wm` 403)
 * comes before anything is stored.
 */
import type { ConfigStore, LeadStore } from '../store/types.ts';
import type { Integration, Source } from '../../core/domain/config.ts';
import type { Lead, LeadInput } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowResponse } from '../../core/node/contract.ts';
import type { NodeError } from '../engine/executor.ts';
import { parseLeadInput } from './lead-input.ts';
import type { FlowRunner } from './runs.ts';
import { mayPostFor, type SourceService } from './sources.ts';

export interface IntakeResult {
  lead: Lead;
  /** How the caller is answered. */
  status: number;
  body: unknown;
}

export class IntakeService {
  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly runner: FlowRunner,
    private readonly sources: SourceService,
    private readonly onJobs: () => void,
  ) {}

  /** The enabled integration an offer's leads go to. */
  async route(offerId: string): Promise<Integration> {
    const offer = await this.config.getOffer(offerId);
    if (!offer) throw new DomainError('unknown_offer', `no offer "${offerId}"`, { field: 'offer' });
    // one lookup per lead, not a copy of every integration
    const integration = await this.config.findIntegrationForOffer(offer.id);
    if (!integration) throw new DomainError('no_integration', `no enabled integration takes offer "${offerId}"`, { field: 'offer' });
    if (!integration.flows['lead.register'] && !integration.flows['lead.new']) {
      throw new DomainError('no_integration', `integration "${integration.id}" has no lead.new or lead.register flow`, { field: 'offer' });
    }
    return integration;
  }

  /**
   * Takes a lead posted with an intake key.
   * @throws DomainError `unauthorized` (no valid key), `forbidden` (not this offer or webmaster), `invalid_field`, …
   */
  async accept(raw: unknown, key: string | undefined): Promise<IntakeResult> {
    const source = await this.sources.authenticate(key);
    const input = withWebmaster(parseLeadInput(raw), source);
    const integration = await this.route(input.offer);
    if (integration.flows['lead.register']) {
      const lead = await this.store.insertLead(input, integration.id, [], source.id);
      return this.register(lead);
    }
    // the job's lead id is the new lead's: the store fills it in the same write
    const lead = await this.store.insertLead(input, integration.id, [{ kind: 'lead.new', integrationId: integration.id }], source.id);
    this.onJobs();
    return { lead, status: 202, body: { id: lead.id, stage: lead.stage } };
  }

  /** Runs the synchronous registration and answers with what its Respond node gave. */
  private async register(lead: Lead): Promise<IntakeResult> {
    const result = await this.runner.runForLead('lead.register', lead);
    const error: NodeError | undefined = result.error;
    if (error) {
      return {
        lead,
        status: 502,
        body: { id: lead.id, error: 'delivery_failed', message: error.message, node: error.nodeId, execution: result.execution.id },
      };
    }
    const response: FlowResponse = result.response ?? { status: 200, body: { id: lead.id } };
    return { lead, status: response.status, body: response.body };
  }
}

/**
 * The lead as its source may post it: for an offer the source's keys cover, and with the source's
 * webmaster as `wm` when it is a webmaster source (whatever the body said, so nobody posts as
 * someone else); a network source's `wm` must be one of its `webmasters` when it lists them.
 * @throws DomainError `forbidden` naming `offer` or `wm`.
 */
function withWebmaster(input: LeadInput, source: Source): LeadInput {
  if (!mayPostFor(source, input.offer)) {
    throw new DomainError('forbidden', `the intake key of source "${source.id}" is not for offer "${input.offer}"`, { field: 'offer' });
  }
  if (source.kind === 'webmaster') return { ...input, wm: source.webmaster };
  if (source.webmasters?.length && !(input.wm !== undefined && source.webmasters.includes(input.wm))) {
    throw new DomainError('forbidden', `source "${source.id}" may not post leads for this webmaster`, { field: 'wm' });
  }
  return input;
}
