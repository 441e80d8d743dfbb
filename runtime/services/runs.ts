/**
 * Runs an integration's flows: finds the flow for an event, the offer, and gives the executor the
 * capabilities the run may use — live ones that change leads and send postbacks, or, for a test
 * run, ones that only say what would have happened.
 *
 * A lead event's flow sees the lead with its delivery key (`{{lead.delivery_key}}`, see
 * `deliveryKey` in core/domain/lead.ts): the store's id, the lead's id and the event, so every
 * attempt, retry from a node and re-run of that lead's event sends the same key, after a restart
 * too. A test run gets a key of its own each time (`<store>-test-<random>`): it is not the lead's
 * delivery, and a target that kept its key must not drop the real one later.
 */
import { randomBytes } from 'node:crypto';
import { CUT_MARKER } from '../engine/record-caps.ts';
import type { ConfigStore, Execution, ExecutionLog, JobQueue, LeadStore, StoreLifecycle } from '../store/types.ts';
import type { FlowEvent, Integration } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { deliveryKey, stageSourceOf, type Lead } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { Executor, RunRequest, RunResult, RunServices } from '../engine/executor.ts';
import { leadNewVerdict } from '../../core/domain/delivery.ts';
import { REDACTED } from '../engine/redact.ts';
import type { FlowService } from './flows.ts';
import type { LeadService } from './leads.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import type { RerunAnswer } from '../../core/api.ts';
import type { NodeRegistry } from '../engine/registry.ts';
import { runTest, type TestRunHow, type TestRunResult } from './test-run.ts';
import type { RunCheckpoint } from '../engine/checkpoint.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/**
 * The delivery key a recorded lead run sent (its trigger is the lead as the flow saw it): a re-run
 * or retry of it sends the same, the stage a stage delivery was for included.
 */
function recordedKey(execution: Execution): string | undefined {
  const key = (execution.trigger as { delivery_key?: unknown } | undefined)?.delivery_key;
  return typeof key === 'string' && key !== '' && !key.includes(REDACTED) ? key : undefined;
}

const keyOf = (key: string | undefined) => (key ? { delivery_key: key } : {});

export class FlowRunner {
  /** The store's id, read once (it never changes while the store is open). */
  private storeId: Promise<string> | undefined;

  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly jobs: JobQueue,
    private readonly executions: ExecutionLog,
    /** The store's id, which delivery keys start with. */
    private readonly identity: Pick<StoreLifecycle, 'storeId'>,
    private readonly leads: LeadService,
    private readonly flows: FlowService,
    private readonly executor: Executor,
    private readonly onJobs: () => void,
    private readonly audit: AuditRecorder = NO_AUDIT,
    /** For test runs of status checks without a sample: the trigger's batch settings. */
    private readonly registry?: NodeRegistry,
  ) {}

  async integration(id: string): Promise<Integration> {
    const integration = await this.config.getIntegration(id);
    if (!integration) throw new DomainError('not_found', `no integration "${id}"`, { field: 'integration' });
    return integration;
  }

  /** The integrations whose deliveries wait: switched off, or their queue paused. */
  async heldIntegrations(): Promise<string[]> {
    const all = await this.config.listIntegrations();
    return all.filter((integration) => !integration.enabled || integration.paused === true).map((integration) => integration.id);
  }

  /** The current flow an integration runs for an event, or undefined when it handles no such event. */
  async flowFor(integration: Integration, event: FlowEvent): Promise<FlowDoc | undefined> {
    const id = integration.flows[event];
    return id ? this.flows.load(id) : undefined;
  }

  /**
   * Runs an integration's flow for a lead event: the lead's own integration's, or `integrationId`'s
   * (a stage delivery to a CRM the lead is handed to); `signal` aborts it (see `RunRequest.signal`).
   * `delivery.stage`: the stage a stage delivery is for, named in its `{{lead.delivery_key}}` (core/domain/lead.ts);
   * `delivery.key`: the key itself, as a recorded run had it (a re-run sends the key its delivery sent).
   * A delivery gives its checkpoint (`delivery.resume`, runtime/engine/checkpoint.ts): the run
   * continues there, on the flow's current version (a flow fixed before a resend is the one that
   * runs), as long as the integration still runs that flow for the event and it still has the
   * nodes the checkpoint names (otherwise it starts over); `delivery.progress`
   * keeps the run's checkpoints as it goes; with `delivery.continueLater`, a node waiting for its
   * target ends the run with `continueAt` instead of waiting on a timer (see `RunRequest.continueLater`).
   */
  async runForLead(
    event: FlowEvent,
    lead: Lead,
    signal?: AbortSignal,
    delivery: { resume?: RunCheckpoint; progress?: RunRequest['progress']; continueLater?: boolean; stage?: string; key?: string } = {},
    integrationId = lead.integration,
  ): Promise<RunResult> {
    const integration = await this.integration(integrationId);
    const flow = await this.flowFor(integration, event);
    if (!flow) throw new DomainError('not_found', `integration "${integration.id}" has no ${event} flow`, { field: 'flows' });
    const given = delivery.resume;
    const has = (id: string) => flow.nodes.some((node) => node.id === id);
    const fits =
      given !== undefined &&
      given.flowId === flow.id &&
      has(given.nodeId) &&
      Object.keys(given.outputs).every(has) &&
      (given.rerun ?? []).every((step) => has(step.nodeId));
    const resume = fits ? { ...given, recordKept: true } : undefined;
    const offer = await this.config.getOffer(lead.offer);
    const keyed = delivery.key
      ? { ...lead, delivery_key: delivery.key }
      : await this.withDeliveryKey(lead, event, integration.id, delivery.stage);
    return this.executor.run(
      {
        flow,
        event,
        integration,
        lead: keyed,
        offer,
        trigger: keyed,
        verdict: this.verdictFor(event, lead),
        signal,
        resume,
        progress: delivery.progress,
        continueLater: delivery.continueLater,
      },
      this.live(integration, lead, event),
    );
  }

  /** The lead as a lead event's flow sees it: with the delivery key of that lead, event (and stage, for a stage delivery). */
  private async withDeliveryKey(lead: Lead, event: FlowEvent, integrationId: string, stage?: string): Promise<Lead> {
    this.storeId ??= this.identity.storeId();
    const handedTo = integrationId === lead.integration ? undefined : integrationId;
    return { ...lead, delivery_key: deliveryKey(await this.storeId, lead.id, event, handedTo, stage) };
  }

  /**
   * A live `lead.new` run of a lead still `new` must move it on, or its execution records why not
   * (the kernel's verdict rule); other runs are judged by their own error. A lead already past
   * `new` (a confirmed re-run) has had its verdict.
   */
  private verdictFor(event: FlowEvent, lead: Lead | undefined): RunRequest['verdict'] {
    if (event !== 'lead.new' || !lead || lead.stage !== 'new') return undefined;
    return async ({ error, exchanges, moved }) => {
      // a lead this run moved on is past `new` for good (no stage moves back to it): no read needed
      const stageAfter = moved.get(lead.id) ?? (await this.store.getLead(lead.id))?.stage;
      return leadNewVerdict({ stageAfter: stageAfter ?? lead.stage, error, exchanges });
    };
  }

  /** Runs an integration's postback flow for a call from its target. */
  async runPostback(integration: Integration, trigger: { query: unknown; body: unknown }): Promise<RunResult> {
    const flow = await this.flowFor(integration, 'postback.in');
    if (!flow) throw new DomainError('not_found', `integration "${integration.id}" takes no postbacks`, { field: 'integration' });
    return this.executor.run({ flow, event: 'postback.in', integration, trigger }, this.live(integration, undefined, 'postback.in'));
  }

  /** Runs a status check's flow for one batch (or one page of a window); changes go to the leads it names. */
  async runStatus(integration: Integration, flow: FlowDoc, event: FlowEvent, batch: unknown): Promise<RunResult> {
    return this.executor.run({ flow, event, integration, trigger: batch, batch }, this.live(integration, undefined, event));
  }

  /**
   * A test run of the flow (saved or not) for the integration, recorded as a test execution:
   * see {@link runTest} (test-run.ts).
   * @throws DomainError `invalid_field` (`lead`, `call`, `batch` or `node`) when the event's input is missing.
   */
  async testRun(
    flow: FlowDoc,
    integrationId: string,
    given: { lead?: Lead; trigger?: unknown },
    how: TestRunHow = {},
    actor?: SessionUser,
  ): Promise<TestRunResult> {
    const integration = await this.integration(integrationId);
    const testKey = async () => {
      this.storeId ??= this.identity.storeId();
      return `${await this.storeId}-test-${randomBytes(6).toString('hex')}`;
    };
    const { config, store, leads, executor, audit, registry } = this;
    return runTest({ config, store, leads, executor, audit, registry, testKey }, flow, integration, given, how, actor);
  }

  /**
   * Runs a recorded execution's event again on the flow's current version: a lead event for the
   * lead as it is now, a postback or a status batch with the trigger it had.
   *
   * A `lead.new` execution of a lead that has left `new` sends the lead to the target again, so it
   * needs `confirm`. Its delivery result cannot move the lead (the stage rule lets a delivery move a
   * lead only out of `new`); the answer says so, with the lead's stage before and after.
   * @throws DomainError `conflict` (field `confirm`) when such a re-run is not confirmed.
   */
  async rerun(executionId: number, options: { confirm?: boolean; actor?: SessionUser } = {}): Promise<RerunAnswer> {
    const execution = await this.recorded(executionId);
    const before = execution.leadId === undefined ? undefined : await this.leads.get(execution.leadId);
    if (before && execution.event === 'lead.new' && before.stage !== 'new' && options.confirm !== true) {
      throw new DomainError(
        'conflict',
        `lead ${before.id} is in stage ${before.stage}, not new: re-running its lead.new execution sends it to the target again ` +
          `(the answer cannot change its stage); send {"confirm": true} to re-run it anyway`,
        { field: 'confirm', details: { lead: before.id, stage: before.stage } },
      );
    }
    const result = await this.rerunRecorded(execution);
    await this.recordRunAgain('execution.rerun', executionId, result, options.actor);
    const answer: RerunAnswer = { execution: result.execution, error: result.error };
    if (before) {
      const after = await this.leads.get(before.id);
      const changed = after.stage !== before.stage;
      const held = stageSourceOf(execution.event) === 'delivery' && before.stage !== 'new';
      answer.lead = {
        id: before.id,
        stageBefore: before.stage,
        stageAfter: after.stage,
        changed,
        note: changed
          ? `the lead moved from ${before.stage} to ${after.stage}`
          : held
            ? `the lead stays ${after.stage}: a delivery result moves a lead only out of new, whatever the target answered`
            : `the lead stays ${after.stage}`,
      };
    }
    return answer;
  }

  private async rerunRecorded(execution: Execution): Promise<RunResult> {
    const integration = await this.integration(execution.integrationId);
    const flow = await this.flowFor(integration, execution.event);
    if (!flow)
      throw new DomainError('conflict', `integration "${integration.id}" has no ${execution.event} flow any more`, { field: 'event' });
    if (execution.leadId !== undefined)
      return this.runForLead(
        execution.event,
        await this.leads.get(execution.leadId),
        undefined,
        { key: recordedKey(execution) },
        integration.id,
      );
    if (execution.event === 'postback.in') return this.runPostback(integration, execution.trigger as { query: unknown; body: unknown });
    return this.runStatus(integration, flow, execution.event, execution.trigger);
  }

  /**
   * Retries a failed execution from the node that failed, on the version it ran, with the input
   * that node had and the outputs of the nodes before it, as recorded. Records hold secrets
   * redacted, so a step whose recorded input held one cannot be retried this way (re-run instead).
   */
  async retryFromFailure(executionId: number, actor?: SessionUser): Promise<RunResult> {
    const result = await this.retryRecorded(executionId);
    await this.recordRunAgain('execution.retry', executionId, result, actor);
    return result;
  }

  /** A re-run or retry, recorded on the execution it started from, naming the one it made. */
  private async recordRunAgain(action: string, executionId: number, result: RunResult, actor: SessionUser | undefined): Promise<void> {
    const { id, state, flowId, flowVersion, leadId } = result.execution;
    await this.audit.record({
      action,
      resourceType: 'execution',
      resourceId: String(executionId),
      after: { execution: id, state, flow: flowId, version: flowVersion, lead: leadId },
      note: `made execution ${id}`,
      actor,
    });
  }

  private async retryRecorded(executionId: number): Promise<RunResult> {
    const execution = await this.recorded(executionId);
    const failedAt = execution.steps.findLastIndex((step) => step.state === 'error');
    if (execution.state !== 'error' || failedAt < 0) {
      throw new DomainError('conflict', 'the execution did not fail at a node; re-run it instead', { field: 'id' });
    }
    const step = execution.steps[failedAt];
    const before = execution.steps.slice(0, failedAt);
    const recorded = JSON.stringify([step.input, before.map((s) => s.output)]);
    if (recorded.includes(REDACTED)) {
      throw new DomainError(
        'conflict',
        `the recorded input of node "${step.nodeId}" held a secret, which records keep redacted; re-run the execution instead`,
        { field: 'id' },
      );
    }
    if (recorded.includes(CUT_MARKER)) {
      throw new DomainError(
        'conflict',
        `the recorded input of node "${step.nodeId}" was too large to keep whole (the execution log cut it); re-run the execution instead`,
        { field: 'id' },
      );
    }
    const integration = await this.integration(execution.integrationId);
    const flow = await this.flows.version(execution.flowId, execution.flowVersion);
    const lead = execution.leadId === undefined ? undefined : await this.leads.get(execution.leadId);
    const offer = lead ? await this.config.getOffer(lead.offer) : undefined;
    return this.executor.run(
      {
        flow,
        event: execution.event,
        integration,
        lead: lead && { ...(await this.withDeliveryKey(lead, execution.event, integration.id)), ...keyOf(recordedKey(execution)) },
        offer,
        trigger: execution.trigger,
        batch: execution.event.startsWith('status.') ? execution.trigger : undefined,
        resume: { nodeId: step.nodeId, input: step.input, outputs: Object.fromEntries(before.map((s) => [s.nodeId, s.output])) },
        verdict: this.verdictFor(execution.event, lead),
      },
      this.live(integration, lead, execution.event),
    );
  }

  private async recorded(executionId: number): Promise<Execution> {
    const execution = await this.executions.getExecution(executionId);
    if (!execution) throw new DomainError('not_found', `no execution ${executionId}`, { field: 'id' });
    if (execution.test) throw new DomainError('conflict', 'a test run changes nothing; run the test again instead', { field: 'id' });
    return execution;
  }

  private live(integration: Integration, runLead: Lead | undefined, event: FlowEvent): RunServices {
    return {
      leads: {
        update: async (change) => {
          const lead = await this.leads.find(change, integration.id, runLead);
          return lead ? this.leads.applyUpdate(lead, change, stageSourceOf(event), integration.id) : undefined;
        },
      },
      postbacks: {
        send: async ({ url, method, leadId }) => {
          await this.jobs.enqueue([
            { kind: 'postback.out', leadId: leadId ?? runLead?.id, integrationId: integration.id, payload: { url, method } },
          ]);
          this.onJobs();
        },
      },
    };
  }
}
