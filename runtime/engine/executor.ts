/**
 * The executor: runs one flow version for one event and one lead (or one postback, one batch),
 * node by node from the trigger, and records the execution — per node its input, output,
 * duration, error, HTTP exchanges and log lines, secrets redacted.
 *
 * Lineage is trivial on purpose: a node's input is its predecessor's output; a port with several
 * edges runs each branch in turn.
 */
import type { Offer } from '../../core/domain/config.ts';
import { offerParameters } from '../../core/domain/config.ts';
import type { FlowNode } from '../../core/domain/flow.ts';
import type { Lead } from '../../core/domain/lead.ts';
import type { FlowResponse, OfferView } from '../../core/node/contract.ts';
import type { StepRecord } from '../store/types.ts';
import { allowedHostsOf, secretHostGuard } from './http.ts';
import { InProcessTargetLimits } from './target-limits.ts';
import { InProcessTokens } from './shared-tokens.ts';
import { Redactor } from './redact.ts';
import { compile } from './compiled-flow.ts';
import { runActions } from './run-actions.ts';
import { recordRun } from './run-record.ts';
import { TokenCache } from './token-cache.ts';
import { INTERRUPTED, pause, runStep, type StepHost } from './step.ts';
import { checkpointAt, type RanStep, type RunCheckpoint } from './checkpoint.ts';
import { pinnedStep } from './test-run.ts';

/** The step's constants, named here as before (step.ts). */
export { DEFAULT_NODE_TIMEOUT_MS, INTERRUPTED } from './step.ts';
/** The run's contract, named here as before (run-contract.ts). */
export type { ExecutorOptions, NodeError, RunRequest, RunResult, RunServices } from './run-contract.ts';
import type { ExecutorOptions, NodeError, RunRequest, RunResult, RunServices } from './run-contract.ts';

/**
 * Flows have no cycles, so a run's steps are bounded by its nodes times the items For Each gives
 * them; this guards against an answer with an absurd list (a batch of 5,000 orders through three
 * nodes is 15,000 steps, well inside).
 */
const MAX_STEPS = 50_000;

/**
 * The longest a run waits on a timer for a node that is not ready yet (HTTP Request's "repeat
 * until"), from the node's first try: a synchronous registration's caller is waiting. A queued
 * delivery does not wait in-process at all (see {@link RunRequest.continueLater}).
 */
export const IN_PROCESS_WAIT_LIMIT_MS = 30_000;

function interruption(nodeId?: string): NodeError {
  return {
    code: INTERRUPTED,
    message: 'interrupted by shutdown: the runtime stopped before the flow finished, and the delivery was put back in the queue',
    ...(nodeId !== undefined ? { nodeId } : {}),
    retryable: true,
  };
}

function offerView(offer: Offer | undefined, lead: Lead | undefined): OfferView | undefined {
  if (!offer) return undefined;
  return {
    id: offer.id,
    name: offer.name,
    params: offerParameters(offer.parameters, lead?.country),
    goals: offer.goals,
    products: offer.products,
  };
}

const NONE: readonly string[] = [];

/** The nodes an exit of a node leads to, in edge order. */
function targetsOf(flow: ReturnType<typeof compile>, nodeId: string, port: string | undefined): readonly string[] {
  return port ? (flow.next.get(`${nodeId}\u0000${port}`) ?? NONE) : NONE;
}

/** The secrets a node's templates name that the integration does not have. */
function missingSecrets(named: readonly string[] | undefined, secrets: Record<string, string> | undefined): readonly string[] {
  if (!named) return NONE;
  return named.filter((name) => !secrets || !Object.hasOwn(secrets, name));
}

/** Runs flows. One instance per runtime; it holds no per-run state. */
export class Executor {
  /** What each step gets: the pool, the rate limits, the sandbox, and the values nodes keep between runs (Auth Token's tokens), per integration. */
  private readonly host: StepHost;

  constructor(private readonly options: ExecutorOptions) {
    this.host = {
      agent: options.agent,
      limits: options.limits ?? new InProcessTargetLimits(),
      code: options.code,
      cache: new TokenCache(),
      tokens: options.tokens ?? new InProcessTokens(),
      secrets: options.secrets,
    };
  }

  /** Runs the flow to its end and records the execution. Never throws for what a flow does. */
  async run(request: RunRequest, services: RunServices): Promise<RunResult> {
    const { registry } = this.options;
    const flow = compile(request.flow, registry);
    // records and logs mask the integration's secrets and every value learnt from the target (a
    // token, a cookie); what the flow sends on — its answer, a lead's fields, a postback — masks only
    // the integration's own: a token or URL obtained from the target is the flow's to hand over
    const redactor = new Redactor(Object.values(request.integration.secrets ?? {}));
    // what the run before learnt (a cookie its first call got) is masked in this run's records too
    for (const value of request.resume?.learnt ?? []) redactor.learn(value);
    let own: Redactor | undefined;
    const ownSecrets = () => (own ??= new Redactor(Object.values(request.integration.secrets ?? {})));
    const startedAt = new Date();
    const started = performance.now();
    const outputs: Record<string, unknown> = { ...request.resume?.outputs };
    const scope: Record<string, unknown> = {
      lead: request.lead,
      offer: offerView(request.offer, request.lead),
      integration: { id: request.integration.id, name: request.integration.name, settings: request.integration.settings },
      trigger: request.trigger,
      batch: request.batch,
      nodes: outputs,
      now: startedAt,
    };
    const secretScope = { ...scope, secrets: request.integration.secrets ?? {} };
    // every request of the run: one carrying a secret goes only to the integration's allowed hosts
    const guard = secretHostGuard(request.integration.secrets ?? {}, allowedHostsOf(request.integration));
    // every lead an Update Lead found, so the execution is linked to each (a postback's lead, a status batch's matches)
    const touched = new Set<number>();
    /** The leads this run's Update Lead nodes moved, and the stage each was left in. */
    const moved = new Map<number, Lead['stage']>();
    const { leads, postbacks } = runActions(services, ownSecrets, touched, moved);
    const steps: StepRecord[] = [];
    let response: FlowResponse | undefined;
    let flowError: NodeError | undefined;
    let nextPage: unknown;
    let nextOffset: number | undefined;

    // where the steps' Respond and Next Page put what they give, made once for the run's steps
    const sinks: Parameters<typeof runStep>[10] = {
      respond: (r) => (response = r),
      nextPage: (cursor, position) => {
        nextPage = cursor;
        nextOffset = position?.offset;
      },
    };
    // a node made again on resuming is not the one that pages
    const rerunSinks: typeof sinks = { respond: sinks.respond, nextPage: () => {} };
    // depth first; `item` is the For Each item the frame's branch runs for
    if (request.resume && !flow.nodes.has(request.resume.nodeId))
      throw new Error(`flow "${request.flow.id}" has no node "${request.resume.nodeId}"`);
    // `from`: the node whose output the input is, so the record stores it once
    // what ran, by reference, for the checkpoint; `called`: a call succeeded since the last one kept
    const ran: RanStep[] = [];
    let called = false;
    let calls = request.resume !== undefined;
    const flowRef = { id: request.flow.id, version: request.flow.version ?? 0, rerun: flow.rerun };
    const taken = (inputFrom: string | undefined, input: unknown) =>
      inputFrom === undefined ? input : inputFrom === '$trigger' ? request.trigger : outputs[inputFrom];
    if (request.resume?.recordKept) {
      const at = startedAt.toISOString();
      for (const [nodeId, output] of Object.entries(request.resume.outputs)) {
        const type = flow.nodes.get(nodeId)?.type ?? 'unknown';
        const logs = ['kept from the run before: not run again'];
        steps.push({ nodeId, type, state: 'ok', port: 'out', output, startedAt: at, durationMs: 0, attempts: 0, http: [], logs });
      }
    }
    // a resumed run first makes again what could not be kept (a fresh signature, a token), in order
    for (const again of request.resume?.rerun ?? []) {
      const node = flow.nodes.get(again.nodeId);
      const definition = node && registry.get(node.type);
      if (!node || !definition) throw new Error(`flow "${request.flow.id}" has no node "${again.nodeId}" to run again`);
      const input = taken(again.inputFrom, again.input);
      const step = await runStep(
        this.host,
        node,
        definition,
        input,
        undefined,
        request,
        { leads, postbacks },
        definition.usesSecrets ? secretScope : scope,
        redactor,
        guard,
        rerunSinks,
      );
      steps.push(step.record);
      outputs[node.id] = step.output;
      ran.push({ nodeId: node.id, input, from: again.inputFrom });
      if (step.failure) {
        const { code, message, retryable, retryAfterMs } = step.failure;
        flowError = { code, message, nodeId: node.id, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
        break;
      }
    }
    // `since`: when the node began waiting for its target (its first try), epoch ms
    type Frame = { nodeId: string; input: unknown; item?: unknown; from?: string; since?: number };
    const stack: Frame[] = [
      request.resume
        ? {
            nodeId: request.resume.nodeId,
            input: taken(request.resume.inputFrom, request.resume.input),
            item: request.resume.item,
            from: request.resume.inputFrom,
            since: request.resume.waitingSince === undefined ? undefined : Date.parse(request.resume.waitingSince),
          }
        : { nodeId: flow.trigger.id, input: request.trigger, from: '$trigger' },
    ];
    // the frame whose node failed the run, for the checkpoint a retry continues from
    let failedFrame: Frame | undefined;
    // the checkpoint kept last, before a call: where a failure of a node that made no call goes back to
    let kept: RunCheckpoint | undefined;
    let waiting: { at: Date; checkpoint: RunCheckpoint } | undefined;
    let stopped = false;
    while (stack.length > 0 && !flowError) {
      if (request.signal?.aborted) {
        flowError = interruption();
        break;
      }
      if (steps.length >= MAX_STEPS) {
        flowError = { code: 'too_many_steps', message: `the flow ran more than ${MAX_STEPS} steps`, retryable: false };
        break;
      }
      const frame = stack.pop() as Frame;
      const { nodeId, input, item, from } = frame;
      const node = flow.nodes.get(nodeId) as FlowNode;
      const definition = registry.get(node.type);
      if (!definition) {
        flowError = { code: 'unknown_node', message: `"${node.type}" is not a known node type`, nodeId, retryable: false };
        break;
      }
      // what the calls before answered is kept before this node calls out (one frame left: a
      // branch still pending would not be in the checkpoint, so the last one kept stands)
      if (called && request.progress && stack.length === 0 && (definition.category === 'talk' || definition.usesSecrets)) {
        const checkpoint = checkpointAt(flowRef, frame, ran, outputs, redactor.learnt);
        if (checkpoint) {
          await request.progress(checkpoint);
          kept = checkpoint;
          called = false;
        }
      }
      const missing = missingSecrets(flow.secretsNamed.get(node.id), request.integration.secrets);
      if (missing.length) {
        flowError = {
          code: 'missing_secret',
          message: `integration "${request.integration.id}" has no secret ${missing.map((m) => `"${m}"`).join(', ')}`,
          nodeId,
          retryable: false,
        };
        break;
      }
      const pinned = request.pins && Object.hasOwn(request.pins, node.id) && !(request.single && nodeId === request.resume?.nodeId);
      const step = pinned
        ? pinnedStep(node, input, request.pins?.[node.id])
        : await runStep(
            this.host,
            node,
            definition,
            input,
            item,
            request,
            { leads, postbacks },
            definition.usesSecrets ? secretScope : scope,
            redactor,
            guard,
            sinks,
            {
              waitedMs: frame.since === undefined ? 0 : Date.now() - frame.since,
              waitLimitMs: request.continueLater ? undefined : IN_PROCESS_WAIT_LIMIT_MS,
            },
          );
      // the input is stored once, as the output (or trigger) it is
      if (from !== undefined && input !== undefined && (from === '$trigger' ? input === request.trigger : input === outputs[from])) {
        // set to undefined, not deleted: a deleted property turns the record into a slow dictionary
        // object for everything after (redaction, serialising); JSON leaves an undefined out alike
        step.record.inputFrom = from;
        step.record.input = undefined;
      }
      steps.push(step.record);
      outputs[node.id] = step.output;
      ran.push({ nodeId: node.id, input, from });
      if (step.record.http.length > 0) {
        calls = true;
        if (!step.failure) called = true;
      }
      if (step.stopped) {
        stopped = true;
        break;
      }
      // whatever the node made of its cancelled request (a timeout exit, say) is not the target's
      // answer: no branch runs on it, so nothing moves the lead (a node that finished is followed
      // by the check at the top of the loop)
      if (request.signal?.aborted && step.failure) {
        step.record.state = 'error';
        step.record.port = undefined;
        step.record.error = { code: INTERRUPTED, message: interruption().message };
        flowError = interruption(node.id);
        break;
      }

      if (step.again && !step.failure) {
        const since = frame.since ?? Date.parse(step.record.startedAt);
        step.record.logs.push(`waiting for the target: again in ${step.again.afterMs} ms`);
        if (request.continueLater && stack.length === 0) {
          const checkpoint = checkpointAt(
            flowRef,
            frame,
            ran.filter((r) => r.nodeId !== node.id),
            outputs,
            redactor.learnt,
            new Date(since).toISOString(),
          );
          if (checkpoint) {
            waiting = { at: new Date(Date.now() + step.again.afterMs), checkpoint };
            break;
          }
        }
        // no way to continue later (a synchronous run, or nothing to continue from): a timer, not a thread
        if (!(await pause(step.again.afterMs, request.signal))) {
          flowError = interruption(node.id);
          break;
        }
        stack.push({ ...frame, since });
        continue;
      }
      // one node alone: its failure is the run's, whichever exit would have taken it
      if (request.single) {
        if (step.failure) {
          const { code, message, retryable } = step.failure;
          flowError = { code, message, nodeId: node.id, retryable };
        }
        break;
      }
      let port = step.port;
      let output = step.output;
      if (step.failure) {
        const handled = step.port !== undefined && (flow.next.get(`${node.id}\u0000${step.port}`)?.length ?? 0) > 0;
        if (!handled) {
          const onError = node.settings?.onError ?? 'stop';
          const { code, message, retryable, retryAfterMs } = step.failure;
          const error: NodeError = { code, message, nodeId: node.id, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
          if (onError === 'stop') {
            flowError = error;
            if (stack.length === 0) failedFrame = frame;
            break;
          }
          port = onError === 'error-port' ? 'error' : 'out';
          output = { error, input };
        }
      }
      // pushed in reverse so that branches run in edge order, items in their order, `after` last
      if (step.after) {
        const after = targetsOf(flow, node.id, step.after.port);
        for (let i = after.length - 1; i >= 0; i--) stack.push({ nodeId: after[i], input: step.after.output, item });
      }
      const targets = targetsOf(flow, node.id, port);
      if (step.items) {
        for (let n = step.items.length - 1; n >= 0; n--) {
          for (let i = targets.length - 1; i >= 0; i--) stack.push({ nodeId: targets[i], input: step.items[n], item: step.items[n] });
        }
      } else {
        for (let i = targets.length - 1; i >= 0; i--)
          stack.push({ nodeId: targets[i], input: output, item, from: output === step.output ? node.id : undefined });
      }
    }

    // a run waiting for its target has no verdict yet: the continued run gets it
    if (request.verdict && !waiting) {
      const exchanges = steps.flatMap((step) => step.http.map((http) => ({ nodeId: step.nodeId, http })));
      flowError = await request.verdict({ error: flowError, exchanges, moved });
    }
    const recorded = await recordRun(this.options.store, redactor, {
      request,
      touched,
      state: flowError ? 'error' : stopped ? 'stopped' : waiting ? 'waiting' : 'success',
      error: flowError,
      response,
      steps,
      startedAt,
      durationMs: performance.now() - started,
    });
    // a failed call is made again; a node failing on an answer (a Fail node, Extract missing a
    // field, a garbled body) is judging the last call's answer, so the retry goes back to that call
    const failedCalling = failedFrame !== undefined && steps.at(-1)?.nodeId === failedFrame.nodeId && (steps.at(-1)?.http.length ?? 0) > 0;
    const checkpoint = waiting
      ? waiting.checkpoint
      : recorded.error && !failedCalling
        ? kept
        : recorded.error && failedFrame && calls
          ? checkpointAt(
              flowRef,
              failedFrame,
              ran.filter((step) => step.nodeId !== failedFrame?.nodeId),
              outputs,
              redactor.learnt,
            )
          : undefined;
    return {
      execution: recorded,
      response: response && ownSecrets().value(response),
      error: recorded.error,
      nextPage,
      nextOffset,
      ...(checkpoint ? { checkpoint } : {}),
      ...(waiting ? { continueAt: waiting.at } : {}),
      moved: [...moved.keys()],
    };
  }
}
