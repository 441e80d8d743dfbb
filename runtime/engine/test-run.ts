/**
 * What a test run changes in how a flow runs, beside the capabilities that only say what would
 * have happened (runtime/services/runs.ts): a dry run stops at the first request a node is about
 * to send, and a pinned node does not run at all — its given output feeds the nodes after it.
 */
import type { FlowNode } from '../../core/domain/flow.ts';
import type { HttpClient, HttpRequestSpec } from '../../core/node/contract.ts';
import type { StepOutcome } from './step.ts';

/**
 * Thrown out of a dry run's HTTP client when a node asks it to send: the node ends there, and the
 * step is recorded `stopped` with the request (see {@link dryClient}). Not a failure of the node.
 */
export class StoppedBeforeSending extends Error {
  readonly code = 'stopped_before_sending';
  constructor() {
    super('stopped before sending: a dry test run sends nothing to the target');
  }
}

/**
 * The HTTP client of a node in a dry run: `guard` still checks the request (a secret bound for a
 * host it may not go to is refused as in a real run), then `stop` keeps what would have been sent,
 * and nothing is sent.
 */
export function dryClient(guard: (spec: HttpRequestSpec) => void, stop: (spec: HttpRequestSpec) => void): HttpClient {
  return {
    async send(spec) {
      guard(spec);
      stop(spec);
      throw new StoppedBeforeSending();
    },
  };
}

/** The step of a pinned node: not run; its output is the pin, taken through its `out` exit. */
export function pinnedStep(node: FlowNode, input: unknown, output: unknown): StepOutcome {
  return {
    port: 'out',
    output,
    record: {
      nodeId: node.id,
      type: node.type,
      state: 'ok',
      port: 'out',
      input,
      output,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      attempts: 0,
      http: [],
      logs: ['pinned output: the node did not run, the nodes after it ran on this output'],
      pinned: true,
    },
  };
}
