/**
 * One step of a run: a node executed with its rendered params and its context, under its deadline
 * and the run's abort signal, retried as its `settings.retry` says, and recorded (input, output,
 * duration, HTTP exchanges, log lines). The executor (executor.ts) decides what follows.
 */
import type { Dispatcher } from 'undici';
import { RETRY_ON, type FlowNode } from '../../core/domain/flow.ts';
import type { CodeRunner } from '../../core/node/code-sandbox.ts';
import type {
  FlowResponse,
  HttpRequestSpec,
  NodeContext,
  NodeDefinition,
  NodeFailure,
  NodeResult,
  OfferView,
  SecretKeeper,
} from '../../core/node/contract.ts';
import type { HttpRecord, StepRecord } from '../store/types.ts';
import { DISABLED_LOG, isDisabled, passThroughPort } from '../../core/flow/disabled.ts';
import { hasher } from './hash.ts';
import { createHttpClient, SecretHostRefused } from './http.ts';
import { outboundRefusalOf } from './outbound-policy.ts';
import { renderParams } from './params.ts';
import { ownedBy, sharedCodeRunner } from './code-sandbox-pool.ts';
import type { Redactor } from './redact.ts';
import type { TokenCache } from './token-cache.ts';
import type { SharedTokens, TargetLimits } from '../store/coordination.ts';
import type { RunRequest, RunServices } from './executor.ts';
import { dryClient } from './test-run.ts';

/**
 * A node runs at most this long unless its settings say otherwise, so nothing hangs a flow; above
 * HTTP Request's own longest timeout, so that one ends as the node's `timeout` exit.
 */
export const DEFAULT_NODE_TIMEOUT_MS = 130_000;

/**
 * The error code of a run its {@link RunRequest.signal} aborted: the runtime stopped before the
 * flow finished. Not the flow's failure, and not the target's: the delivery goes back to the queue.
 */
export const INTERRUPTED = 'interrupted';

/**
 * What the executor lends each step: the HTTP pool, the per-integration rate limits, the sandbox,
 * the token cache, the tokens shared across processes, and where a node keeps what a target renews
 * (see `ExecutorOptions.secrets`).
 */
export interface StepHost {
  agent: Dispatcher;
  limits: TargetLimits;
  code?: CodeRunner;
  cache: TokenCache;
  tokens: SharedTokens;
  secrets?: (integrationId: string) => SecretKeeper;
}

/**
 * A cookie the target set is a session credential like a token: its value is masked in every
 * record from then on (the answer that set it, and any later request that sends it back).
 */
function learnCookies(record: HttpRecord, redactor: Redactor): void {
  const set = record.response?.headers?.['set-cookie'];
  if (!set) return;
  // one header line may carry several cookies, joined by ", " before the next `name=`
  for (const cookie of set.split(/,\s*(?=[^;=\s]+=)/)) {
    const value = /^[^=;]+=([^;]*)/.exec(cookie.trim())?.[1]?.trim();
    // short values are flags (`consent=true`), not credentials: masking them would blank the record
    if (value && value.length >= 8) redactor.learn(value);
  }
}

/** What a step came to: its record, the port it took, its output, and what it asks of the run. */
export interface StepOutcome {
  record: StepRecord;
  port?: string;
  output: unknown;
  failure?: NodeFailure;
  items?: unknown[];
  after?: NodeResult['after'];
  again?: NodeResult['again'];
  /** A dry run stopped the node before its request left (the record holds the request). */
  stopped?: true;
}

/** Waits `ms` on a timer; false when `signal` aborted it first. */
export function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      resolve(ready);
    };
    const stop = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** What a step's context is made from; the parts only some nodes use are made from it on first read. */
interface StepParts {
  host: StepHost;
  request: RunRequest;
  controller: AbortController;
  redactor: Redactor;
  guard: (spec: HttpRequestSpec) => void;
  /** Where the step's HTTP exchanges are recorded. */
  http: HttpRecord[];
  /** In a dry run: keeps the request the node was about to send when it was stopped. */
  stop: (spec: HttpRequestSpec) => void;
}

/**
 * A node's context. What only some nodes use — the abort signal, the HTTP client, the sandbox, the
 * token caches, the secret keeper — is made on first read: most nodes of a flow (Set Fields, Map,
 * Update Lead, Respond) use none of them, and an AbortSignal (an EventTarget) or an HTTP client
 * with its closures costs more to make than the rest of a step's bookkeeping. Getters on the
 * class's prototype, not in a literal: a getter written in an object literal gives every context
 * a hidden class of its own.
 */
class StepContext implements NodeContext {
  readonly #parts: StepParts;
  #http: NodeContext['http'] | undefined;
  #code: NodeContext['code'] | undefined;
  #cache: NodeContext['cache'] | undefined;
  #shared: NodeContext['shared'] | undefined;
  #secrets: NodeContext['secrets'] | null | undefined;

  constructor(
    parts: StepParts,
    readonly node: NodeContext['node'],
    readonly params: NodeContext['params'],
    readonly input: unknown,
    readonly offer: OfferView | undefined,
    readonly integration: NodeContext['integration'],
    readonly leads: NodeContext['leads'],
    readonly postbacks: NodeContext['postbacks'],
    readonly respond: NodeContext['respond'],
    readonly nextPage: NodeContext['nextPage'],
    readonly log: NodeContext['log'],
    readonly waitedMs: number,
    readonly waitLimitMs: number | undefined,
  ) {
    this.#parts = parts;
  }

  get event(): NodeContext['event'] {
    return this.#parts.request.event;
  }
  get lead(): NodeContext['lead'] {
    return this.#parts.request.lead;
  }
  get trigger(): unknown {
    return this.#parts.request.trigger;
  }
  get hash(): NodeContext['hash'] {
    return hasher;
  }
  get signal(): AbortSignal {
    return this.#parts.controller.signal;
  }
  get http(): NodeContext['http'] {
    if (this.#http) return this.#http;
    const { host, request, controller, redactor, guard, http, stop } = this.#parts;
    return (this.#http = request.dry
      ? dryClient(guard, stop)
      : createHttpClient(
          host.agent,
          (r) => {
            http.push(r);
            learnCookies(r, redactor);
          },
          () => controller.signal,
          () => host.limits.waitForRate(request.integration.id, request.integration.rateLimit),
          guard,
        ));
  }
  get code(): NodeContext['code'] {
    const { host, request } = this.#parts;
    return (this.#code ??= ownedBy(host.code ?? sharedCodeRunner(), request.integration.id));
  }
  get cache(): NodeContext['cache'] {
    const { host, request } = this.#parts;
    return (this.#cache ??= host.cache.scope(request.integration.id));
  }
  get shared(): NodeContext['shared'] {
    const { host, request } = this.#parts;
    return (this.#shared ??= host.tokens.scope(request.integration.id));
  }
  get secrets(): NodeContext['secrets'] {
    if (this.#secrets === undefined) {
      const { host, request } = this.#parts;
      this.#secrets = host.secrets?.(request.integration.id) ?? null;
    }
    return this.#secrets ?? undefined;
  }
  addSecret(value: string): void {
    this.#parts.redactor.learn(value);
  }
}

/** Whether a node's `execute` answered a promise (or another thenable) rather than its result. */
function isThenable(value: unknown): value is PromiseLike<NodeResult> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

class StepTimeout extends Error {}
class RunInterrupted extends Error {}

/**
 * Failures that no attempt can change: the request was refused before anything was sent (its
 * target breaks the outbound policy, or it carries a secret to a host it may not go to). The node
 * fails at once whatever its `settings.retry` says, and the run is not retried either.
 */
const REFUSALS = new Set(['outbound_refused', 'secret_not_allowed']);

function asFailure(error: unknown): NodeFailure {
  if (error instanceof StepTimeout) return { code: 'node_timeout', message: error.message, retryable: true };
  if (error instanceof RunInterrupted) return { code: INTERRUPTED, message: 'interrupted by shutdown', retryable: true };
  if (error instanceof SecretHostRefused) return { code: error.code, message: error.message, retryable: false };
  const refused = outboundRefusalOf(error);
  if (refused) return { code: refused.code, message: refused.message, retryable: false };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'node_error', message, retryable: false };
}

/** A disabled node's step: nothing runs, its input goes on through its main exit (core/flow/disabled.ts). */
function skipDisabled(node: FlowNode, definition: NodeDefinition, input: unknown, startedAt: Date): StepOutcome {
  const port = passThroughPort(definition);
  return {
    port,
    output: input,
    record: {
      nodeId: node.id,
      type: node.type,
      state: 'ok',
      port,
      input,
      output: input,
      startedAt: startedAt.toISOString(),
      durationMs: 0,
      attempts: 0,
      http: [],
      logs: [DISABLED_LOG],
    },
  };
}

export async function runStep(
  host: StepHost,
  node: FlowNode,
  definition: NodeDefinition,
  input: unknown,
  item: unknown,
  request: RunRequest,
  services: RunServices,
  scope: Record<string, unknown>,
  redactor: Redactor,
  guard: (spec: HttpRequestSpec) => void,
  sinks: { respond: (response: FlowResponse) => void; nextPage: NodeContext['nextPage'] },
  wait: { waitedMs: number; waitLimitMs?: number } = { waitedMs: 0 },
): Promise<StepOutcome> {
  const startedAt = new Date();
  if (isDisabled(node)) return skipDisabled(node, definition, input, startedAt);
  const started = performance.now();
  const http: HttpRecord[] = [];
  const logs: string[] = [];
  const retry = node.settings?.retry;
  const attemptsAllowed = retry?.attempts ?? 1;
  const timeoutMs = node.settings?.timeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
  let attempts = 0;
  let result: NodeResult | undefined;
  let failure: NodeFailure | undefined;
  /** In a dry run: the request the node was about to send when it was stopped. */
  let wouldSend: HttpRequestSpec | undefined;

  while (attempts < attemptsAllowed) {
    attempts++;
    result = undefined;
    // the node's deadline and the run's abort reach its requests through this controller; its
    // signal is made only when asked for (see `contextOf`)
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let stopRun: (() => void) | undefined;
    try {
      // a node that never holds a secret (Code) gets its input masked like the record
      const given = definition.secretsMasked && !redactor.empty ? redactor.value(input) : input;
      const params = renderParams(definition, node.params, { ...scope, input: given, item });
      const parts: StepParts = { host, request, controller, redactor, guard, http, stop: (spec) => (wouldSend = spec) };
      const context = new StepContext(
        parts,
        { id: node.id, type: node.type },
        params,
        given,
        scope.offer as OfferView | undefined,
        scope.integration as NodeContext['integration'],
        services.leads,
        services.postbacks,
        sinks.respond,
        sinks.nextPage,
        (message) => logs.push(String(message)),
        wait.waitedMs,
        wait.waitLimitMs,
      );
      const returned = definition.execute(context);
      // a node that answered at once (Set Fields, Extract, Respond: most of a flow) ran to its end
      // within this call, so no deadline or abort can come first: it needs no timer and no promise
      if (!isThenable(returned) && !request.signal?.aborted) result = returned;
      else {
        // the node's outcome, or its deadline's or the run's abort, whichever comes first (one
        // promise settled by all three: cheaper than racing a second one)
        result = await new Promise<NodeResult>((resolve, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(new StepTimeout(`${definition.title} did not finish within ${timeoutMs} ms`));
          }, timeoutMs);
          // the run aborted: the node's requests are cancelled, and a node that ignores its signal
          // (a Code node's script) is not waited for
          if (request.signal) {
            stopRun = () => {
              controller.abort();
              reject(new RunInterrupted());
            };
            if (request.signal.aborted) stopRun();
            else request.signal.addEventListener('abort', stopRun, { once: true });
          }
          Promise.resolve(returned).then(resolve, reject);
        });
      }
      failure = result.failure;
    } catch (error) {
      failure = asFailure(error);
    } finally {
      clearTimeout(timer);
      if (stopRun) request.signal?.removeEventListener('abort', stopRun);
    }
    if (wouldSend) break;
    if (!failure || attempts >= attemptsAllowed || REFUSALS.has(failure.code) || request.signal?.aborted) break;
    const on = retry?.on ?? RETRY_ON;
    const kind =
      failure.code === 'timeout' || failure.code === 'node_timeout'
        ? 'timeout'
        : failure.code === 'network_error' || failure.code === 'http_error'
          ? failure.code
          : 'error';
    if (!on.includes(kind)) break;
    logs.push(`attempt ${attempts} failed (${failure.code}: ${failure.message}); retrying`);
    await new Promise((resolve) => setTimeout(resolve, (retry?.backoffMs ?? 0) * 2 ** (attempts - 1)));
  }

  if (wouldSend) {
    // whatever the node made of the stop is not an answer: the step ends at its request
    const { method, url, headers, body } = wouldSend;
    return {
      output: undefined,
      stopped: true,
      record: {
        nodeId: node.id,
        type: node.type,
        state: 'stopped',
        input,
        startedAt: startedAt.toISOString(),
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        attempts,
        http,
        logs: [...logs, 'stopped before sending: a dry test run sends nothing to the target'],
        request: { method, url, headers: headers ?? {}, ...(body !== undefined ? { body } : {}) },
      },
    };
  }
  const output = result ? result.output : undefined;
  // a failure without a port ends the branch: the failure decides (HTTP Request's 5xx, say)
  const port = result && !(result.failure && result.port === undefined) ? (result.port ?? 'out') : undefined;
  return {
    port,
    output,
    failure,
    items: failure ? undefined : result?.items,
    after: failure ? undefined : result?.after,
    again: failure ? undefined : result?.again,
    record: {
      nodeId: node.id,
      type: node.type,
      state: failure ? 'error' : 'ok',
      port,
      input,
      output,
      error: failure ? { code: failure.code, message: failure.message } : undefined,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      attempts,
      http,
      logs,
    },
  };
}
