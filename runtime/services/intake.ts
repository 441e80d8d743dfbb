/**
 * Lead intake: check the lead, find its offer and the integration the offer is routed to, store
 * it. Delivery is queued in the same write and happens later from the durable queue — except for
 * an integration with a `lead.register` flow, which runs while the caller waits and answers it.
 */
import type { ConfigStore, LeadStore } from '../store/types.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowResponse } from '../../core/node/contract.ts';
import type { NodeError } from '../engine/executor.ts';
import { parseLeadInput } from './lead-input.ts';
import type { FlowRunner } from './runs.ts';

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

  async accept(raw: unknown): Promise<IntakeResult> {
    const input = parseLeadInput(raw);
    const integration = await this.route(input.offer);
    if (integration.flows['lead.register']) {
      const lead = await this.store.insertLead(input, integration.id, []);
      return this.register(lead);
    }
    // the job's lead id is the new lead's: the store fills it in the same write
    const lead = await this.store.insertLead(input, integration.id, [{ kind: 'lead.new', integrationId: integration.id }]);
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
