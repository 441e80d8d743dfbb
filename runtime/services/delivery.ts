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
 *
 * A flow waiting for its target (HTTP Request's "repeat until") ends its run `waiting`; the job
 * goes back to the queue due when the node asks again (its attempt not counted, `continue`), and
 * the next run continues at that node (its checkpoint, runtime/engine/checkpoint.ts). The
 * checkpoint holds the target's answers as they were (a cookie, a token), so it is sealed in the
 * job (`payload.resume`, store/secret-box.ts) and opened only here, to continue the run.
 *
 * Isolation: no more of an integration's deliveries run at once than its `concurrency`, and each
 * runs under the integration's circuit breaker (circuit-breakers.ts): while it is open the
 * deliveries are held as above, and one goes through as a probe when it is due.
 */
import type { HeldJobs, Job, LeadStore } from '../store/types.ts';
import type { Lead } from '../../core/domain/lead.ts';
import { DEFAULT_INTEGRATION_CONCURRENCY, deliveryConcurrency, type FlowEvent, type Integration } from '../../core/domain/config.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { deliveryLimits, outOfRetries } from '../../core/domain/delivery.ts';
import type { IntegrationLimits, JobHandler, JobOutcome, JobProgress } from './queue.ts';
import type { RunCheckpoint } from '../engine/checkpoint.ts';
import { isSealed, type CheckpointSeal } from '../store/secret-box.ts';
import type { CircuitBreakers } from './circuit-breakers.ts';
import type { FlowRunner } from './runs.ts';

export class DeliveryHandler implements JobHandler {
  readonly kinds = ['lead.new', 'lead.update', 'lead.approved'] as const satisfies Job['kind'][];
  /** Each integration's own limits decide when a delivery is out of attempts, not the queue's. */
  readonly decidesAttempts = true;

  constructor(
    private readonly store: LeadStore,
    private readonly runner: FlowRunner,
    /** Seals the checkpoint in the job: it holds the target's answers as they were (cookies, tokens). */
    private readonly checkpoints: CheckpointSeal,
    private readonly isolation?: { breakers: CircuitBreakers; integrations: () => Promise<Integration[]> },
  ) {}

  async held(): Promise<HeldJobs[]> {
    const ids = new Set(await this.runner.heldIntegrations());
    for (const id of this.isolation?.breakers.held() ?? []) ids.add(id);
    return [...ids].map((integrationId) => ({ integrationId, kinds: this.kinds }));
  }

  async limits(): Promise<IntegrationLimits> {
    const integrations: Record<string, number> = {};
    for (const integration of (await this.isolation?.integrations()) ?? []) integrations[integration.id] = deliveryConcurrency(integration);
    // a breaker due for a probe lets one delivery through, and holds the rest until it answers
    for (const id of this.isolation?.breakers.probing() ?? []) integrations[id] = 1;
    return { integrations, otherwise: DEFAULT_INTEGRATION_CONCURRENCY };
  }

  async handle(job: Job, signal?: AbortSignal, progress?: JobProgress): Promise<JobOutcome> {
    const lead = job.leadId === undefined ? undefined : await this.store.getLead(job.leadId);
    if (!lead) return { state: 'failed', error: `lead ${job.leadId} is not in the store` };
    // a lead already sent (a job queued twice, a manual redelivery after success) is not sent again
    if (job.kind === 'lead.new' && lead.stage !== 'new') return { state: 'done' };
    // a stage delivery may go to another integration than the lead's own (a fulfilment CRM)
    const integrationId = job.integrationId ?? lead.integration;
    const breakers = this.isolation?.breakers;
    if (!breakers) return this.deliver(job, lead, integrationId, signal, progress);
    const outcome = await breakers.run(integrationId, () => this.deliver(job, lead, integrationId, signal, progress));
    return outcome === 'open' ? { state: 'release' } : outcome;
  }

  private async deliver(job: Job, lead: Lead, integrationId: string, signal?: AbortSignal, progress?: JobProgress): Promise<JobOutcome> {
    const { resume: sealed, ...rest } = job.payload as { resume?: unknown; stage?: unknown };
    // a stage delivery's key names its stage: one integration routed at hold and approve sends twice, each keyed
    const stage = job.kind === 'lead.approved' && typeof rest.stage === 'string' ? rest.stage : undefined;
    const kept = this.opened(sealed, job.id);
    const seal = (checkpoint: RunCheckpoint) => this.checkpoints.seal(checkpoint, job.id);
    // the checkpoint replaces the one before it in the job; a lost lease (someone else has the job) is not an error of the run
    const keep = progress && ((checkpoint: RunCheckpoint) => progress({ ...rest, resume: seal(checkpoint) }).then(() => undefined));
    let result;
    try {
      result = await this.runner.runForLead(
        job.kind as FlowEvent,
        lead,
        signal,
        { resume: kept, progress: keep, continueLater: true, stage },
        integrationId,
      );
    } catch (error) {
      if (error instanceof DomainError) return { state: 'failed', error: error.message };
      throw error;
    }
    // a retry (or a resend of a failed delivery) continues where this run stopped; a run that
    // failed before any call keeps the checkpoint it was given or wrote
    const payload = result.checkpoint ? { ...rest, resume: seal(result.checkpoint) } : undefined;
    // waiting for the target: the job continues then, at the waiting node, holding no worker meanwhile
    if (result.continueAt && payload) return { state: 'continue', at: result.continueAt, payload };
    if (result.error) {
      const error = `${result.error.code}: ${result.error.message} (node ${result.error.nodeId ?? '-'}, execution ${result.execution.id})`;
      if (!result.error.retryable) return { state: 'failed', error, payload };
      const integration = await this.runner.integration(integrationId).catch(() => undefined);
      const spent = outOfRetries(job, deliveryLimits(integration), new Date());
      if (spent) return { state: 'failed', error: `${spent}; last error: ${error}`, payload };
      return { state: 'retry', error, retryAfterMs: result.error.retryAfterMs, payload };
    }
    // done: nothing to continue; the job keeps the rest of its payload
    return { state: 'done', ...(sealed !== undefined || keep ? { payload: rest } : {}) };
  }

  /**
   * The job's checkpoint opened: sealed (what a delivery writes), or as a job written before
   * sealing kept it (redacted, in clear). One that does not open — sealed under a key rotated away
   * since — is no checkpoint: the run starts over.
   */
  private opened(sealed: unknown, jobId: number): RunCheckpoint | undefined {
    if (typeof sealed === 'string' && isSealed(sealed)) {
      try {
        return this.checkpoints.open(sealed, jobId) as RunCheckpoint;
      } catch {
        return undefined;
      }
    }
    return sealed !== null && typeof sealed === 'object' ? (sealed as RunCheckpoint) : undefined;
  }
}
