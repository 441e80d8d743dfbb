/**
 * A test run from the editor or the CLI: the flow (saved or not) against what its event really
 * gets, recorded as a test execution, changing no lead and sending no postback — the answer says
 * what each Update Lead would have changed and which postbacks would have gone.
 */
import type { ConfigStore, LeadStore } from '../store/types.ts';
import type { Integration } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { canMoveStage, stageSourceOf, type Lead, type StageSource } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { Executor, RunResult, RunServices } from '../engine/executor.ts';
import type { LeadUpdate, LeadUpdateResult } from '../../core/node/contract.ts';
import type { TestLeadUpdate, TestRunAnswer, TestSendMode } from '../../core/api.ts';
import type { NodeRegistry } from '../engine/registry.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import type { LeadService } from './leads.ts';
import type { AuditRecorder } from './audit.ts';
import { realTrigger } from './test-triggers.ts';

/** What a change would make of a lead, under the stage rule for `source`, without storing anything (test runs, the CLI). */
export function previewLeadUpdate(lead: Lead, change: LeadUpdate, source?: StageSource): LeadUpdateResult {
  const moves = change.stage !== undefined && canMoveStage(lead.stage, change.stage, source);
  const next: Lead = { ...lead, eid: change.setEid || lead.eid };
  if (moves)
    Object.assign(next, {
      stage: change.stage,
      status: change.status,
      statusCode: change.statusCode ?? lead.statusCode,
      reason: change.reason,
      statusComment: change.comment,
    });
  return { lead: next, stageChanged: moves };
}

/** How a test run runs: dry or real, with pinned outputs, or one node alone (see `TestRunRequest`). */
export interface TestRunHow {
  send?: TestSendMode;
  pins?: Record<string, unknown>;
  node?: string;
  input?: unknown;
}

/** What a test run comes to: the run, with what it would have changed and sent. */
export type TestRunResult = RunResult & Omit<TestRunAnswer, 'execution'>;

/** What a test run reads and runs with (the flow runner's, runs.ts). */
export interface TestRunParts {
  config: ConfigStore;
  store: LeadStore;
  leads: LeadService;
  executor: Executor;
  audit: AuditRecorder;
  /** For test runs of status checks without a sample: the trigger's batch settings. */
  registry?: NodeRegistry;
  /** A delivery key of the test's own (`<store>-test-<random>`). */
  testKey: () => Promise<string>;
}

/**
 * A test run: the flow (saved or not) against what its event really gets — a sample or stored
 * lead for lead events, a sample batch (or the integration's real leads, read only) for a status
 * check, a sample call for a postback — recorded as a test execution. Dry unless `how.send` is
 * `real`: the run stops before the first request to the target and answers it (`stopped`);
 * pinned nodes do not run; `how.node` runs that node alone on `how.input`. No lead changes and
 * no postback leaves: the answer says, per Update Lead, which lead it would change and how, and
 * which postbacks would have gone.
 * @throws DomainError `invalid_field` (`lead` or `call`) when the event's input is missing.
 */
export async function runTest(
  parts: TestRunParts,
  flow: FlowDoc,
  integration: Integration,
  given: { lead?: Lead; trigger?: unknown },
  how: TestRunHow = {},
  actor?: SessionUser,
): Promise<TestRunResult> {
  const event = flow.event;
  const status = event.startsWith('status.');
  const postback = event === 'postback.in';
  let lead: Lead | undefined;
  let trigger: unknown;
  if (status) {
    trigger = given.trigger;
    if (trigger === undefined) {
      if (!parts.registry) throw new DomainError('invalid_field', 'give a sample batch', { field: 'batch' });
      trigger = await realTrigger(parts.store, parts.registry, flow, event, integration.id);
    }
  } else if (postback) {
    trigger = given.trigger;
    if (trigger === null || typeof trigger !== 'object' || Array.isArray(trigger))
      throw new DomainError('invalid_field', 'give the call as the target would send it: {"query": {…}, "body": {…}}', { field: 'call' });
    const call = trigger as { query?: unknown; body?: unknown };
    trigger = { query: call.query ?? {}, body: call.body ?? {} };
  } else {
    if (!given.lead) throw new DomainError('invalid_field', 'give a sample lead or a stored lead id', { field: 'lead' });
    // a trial send: a delivery key of its own, which no real delivery ever carries, so the
    // target never drops the real one later as a repeat of the test
    lead = { ...given.lead, delivery_key: await parts.testKey() };
    trigger = given.trigger ?? lead;
  }
  const offer = lead ? await parts.config.getOffer(lead.offer) : undefined;
  if (how.node !== undefined && !flow.nodes.some((node) => node.id === how.node))
    throw new DomainError('invalid_field', `the flow has no node "${how.node}"`, { field: 'node' });
  const updates: TestLeadUpdate[] = [];
  const postbacks: { url: string; method: string }[] = [];
  const services: RunServices = {
    leads: {
      update: async (change) => {
        const found = await parts.leads.find(change, integration.id, lead);
        const by = change.oid !== undefined && change.oid !== '' ? 'oid' : change.eid !== undefined && change.eid !== '' ? 'eid' : 'lead';
        const preview = found && previewLeadUpdate(found, change, stageSourceOf(event));
        updates.push({
          by,
          ...(by === 'oid' ? { oid: change.oid } : by === 'eid' ? { eid: change.eid } : {}),
          lead: found && { id: found.id, eid: found.eid, stage: found.stage },
          stageBefore: found?.stage,
          stage: change.stage,
          stageAfter: preview?.lead.stage,
          stageChanged: preview?.stageChanged ?? false,
          status: change.status,
          statusCode: change.statusCode,
          reason: change.reason,
          comment: change.comment,
          payout: change.payout,
        });
        return preview;
      },
    },
    postbacks: {
      send: async ({ url, method }) => {
        postbacks.push({ url, method });
      },
    },
  };
  const result = await parts.executor.run(
    // an unsaved flow has no version yet: recorded as version 0
    {
      flow: { ...flow, version: flow.version ?? 0 },
      event,
      integration,
      lead,
      offer,
      trigger,
      batch: status ? trigger : undefined,
      test: true,
      dry: how.send !== 'real',
      pins: how.pins,
      ...(how.node !== undefined ? { single: true, resume: { nodeId: how.node, input: how.input, outputs: { ...how.pins } } } : {}),
    },
    services,
  );
  await parts.audit.record({
    action: 'flow.test',
    resourceType: 'flow',
    resourceId: flow.id,
    after: { version: flow.version, integration: integration.id, lead: lead?.id || undefined, execution: result.execution.id },
    note: `test run against integration "${integration.id}"`,
    actor,
  });
  const stoppedAt = result.execution.steps.find((step) => step.state === 'stopped');
  const stopped = stoppedAt?.request && { nodeId: stoppedAt.nodeId, request: stoppedAt.request };
  return { ...result, trigger: result.execution.trigger, updates, postbacks, ...(stopped ? { stopped } : {}) };
}
