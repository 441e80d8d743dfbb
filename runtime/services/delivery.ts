/**
 * Delivery of leads to targets from the job queue: `lead.new` (and `lead.update`,
 * `lead.approved`) run the integration's flow for the lead. A transport failure (the target down,
 * slow, or answering 5xx) leaves the lead `new` and the job is retried with backoff; the flow
 * itself decides acceptance (`wait` with the external id) and rejection (`cancel` with the reason).
 *
 * An integration switched off (`enabled: false`) or paused (`paused: true`) has its deliveries
 * held: its jobs stay queued, neither failed nor claimed, and go once it is on and resumed. Its
 * outgoing postbacks to webmasters are not its deliveries and keep going.
 */
import type { HeldJobs, Job, LeadStore } from '../store/types.ts';
import type { FlowEvent } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { JobHandler, JobOutcome } from './queue.ts';
import type { FlowRunner } from './runs.ts';

export class DeliveryHandler implements JobHandler {
  readonly kinds = ['lead.new', 'lead.update', 'lead.approved'] as const satisfies Job['kind'][];

  constructor(
    private readonly store: LeadStore,
    private readonly runner: FlowRunner,
  ) {}

  async held(): Promise<HeldJobs[]> {
    const ids = await this.runner.heldIntegrations();
    return ids.map((integrationId) => ({ integrationId, kinds: this.kinds }));
  }

  async handle(job: Job, signal?: AbortSignal): Promise<JobOutcome> {
    const lead = job.leadId === undefined ? undefined : await this.store.getLead(job.leadId);
    if (!lead) return { state: 'failed', error: `lead ${job.leadId} is not in the store` };
    // a lead already sent (a job queued twice, a manual redelivery after success) is not sent again
    if (job.kind === 'lead.new' && lead.stage !== 'new') return { state: 'done' };
    let result;
    try {
      result = await this.runner.runForLead(job.kind as FlowEvent, lead, signal);
    } catch (error) {
      if (error instanceof DomainError) return { state: 'failed', error: error.message };
      throw error;
    }
    if (result.error) {
      const error = `${result.error.code}: ${result.error.message} (node ${result.error.nodeId ?? '-'}, execution ${result.execution.id})`;
      return result.error.retryable ? { state: 'retry', error, retryAfterMs: result.error.retryAfterMs } : { state: 'failed', error };
    }
    if (job.kind === 'lead.new') {
      const after = await this.store.getLead(lead.id);
      if (after?.stage === 'new') {
        return {
          state: 'failed',
          error: `the flow ended without moving the lead on (execution ${result.execution.id}): it needs an Update Lead node`,
        };
      }
    }
    return { state: 'done' };
  }
}
