/**
 * Delivery of leads to targets from the job queue: `lead.new` (and `lead.update`,
 * `lead.approved`) run the integration's flow for the lead. A transport failure (the target down,
 * slow, or answering 5xx) leaves the lead `new` and the job is retried with backoff; the flow
 * itself decides acceptance (`wait` with the external id) and rejection (`cancel` with the reason).
 *
 * An integration switched off (`enabled: false`) or paused (`paused: true`) has its deliveries
 * held: its jobs stay queued, neither failed nor claimed, and go once it is on and resumed. Its
 * outgoing postbacks to webmasters are not its deliveries and keep going.
 *
 * A delivery is tried within its integration's limits (`maxAttempts`, `maxAgeHours`; the kernel's
 * defaults otherwise, core/domain/delivery.ts): a transient failure past either is `failed` for
 * good with its last error, the lead stays `new`, flagged as a failed delivery until resent. A run
 * that comes to no verdict is a failure its execution records (the verdict rule, `leadNewVerdict`).
 */
import type { HeldJobs, Job, LeadStore } from '../store/types.ts';
import type { FlowEvent } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { deliveryLimits, outOfRetries } from '../../core/domain/delivery.ts';
import type { JobHandler, JobOutcome } from './queue.ts';
import type { FlowRunner } from './runs.ts';

export class DeliveryHandler implements JobHandler {
  readonly kinds = ['lead.new', 'lead.update', 'lead.approved'] as const satisfies Job['kind'][];
  /** Each integration's own limits decide when a delivery is out of attempts, not the queue's. */
  readonly decidesAttempts = true;

  constructor(
    private readonly store: LeadStore,
    private readonly runner: FlowRunner,
  ) {}

  async held(): Promise<HeldJobs[]> {
    const ids = await this.runner.heldIntegrations();
    return ids.map((integrationId) => ({ integrationId, kinds: this.kinds }));
  }

  async handle(job: Job): Promise<JobOutcome> {
    const lead = job.leadId === undefined ? undefined : await this.store.getLead(job.leadId);
    if (!lead) return { state: 'failed', error: `lead ${job.leadId} is not in the store` };
    // a lead already sent (a job queued twice, a manual redelivery after success) is not sent again
    if (job.kind === 'lead.new' && lead.stage !== 'new') return { state: 'done' };
    let result;
    try {
      result = await this.runner.runForLead(job.kind as FlowEvent, lead);
    } catch (error) {
      if (error instanceof DomainError) return { state: 'failed', error: error.message };
      throw error;
    }
    if (result.error) {
      const error = `${result.error.code}: ${result.error.message} (node ${result.error.nodeId ?? '-'}, execution ${result.execution.id})`;
      if (!result.error.retryable) return { state: 'failed', error };
      const integration = await this.runner.integration(lead.integration).catch(() => undefined);
      const spent = outOfRetries(job, deliveryLimits(integration), new Date());
      if (spent) return { state: 'failed', error: `${spent}; last error: ${error}` };
      return { state: 'retry', error, retryAfterMs: result.error.retryAfterMs };
    }
    return { state: 'done' };
  }
}
