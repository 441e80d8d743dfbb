/**
 * Executions: every run of a flow, node by node, with the HTTP exchanges it made (secrets
 * redacted) — the integration log integrators debug with.
 */
import type { FlowEvent } from './config.ts';

/** An HTTP exchange a node made, as the execution log keeps it (secrets redacted). */
export interface HttpRecord {
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  response?: { status: number; headers: Record<string, string>; body: string };
  outcome: 'answer' | 'network_error' | 'timeout';
  error?: string;
  durationMs: number;
}

/** One node's run in an execution. */
export interface StepRecord {
  nodeId: string;
  type: string;
  /**
   * Nodes the flow did not reach have no step. `stopped`: a dry test run stopped at this node
   * before its request left — nothing was sent; {@link StepRecord.request} is what it would have sent.
   */
  state: 'ok' | 'error' | 'stopped';
  port?: string;
  input?: unknown;
  /**
   * Storage detail: the step's input was the output of this earlier step (`$trigger`: the trigger),
   * so only that one is stored. Readers get `input` filled in ({@link expandStepInputs}).
   */
  inputFrom?: string;
  output?: unknown;
  error?: { code: string; message: string };
  startedAt: string;
  durationMs: number;
  attempts: number;
  http: HttpRecord[];
  logs: string[];
  /** With state `stopped`: the request the node would have sent (secrets masked), not sent. */
  request?: HttpRecord['request'];
  /** The node did not run: a test run gave its output (a pin), which the nodes after it ran on. */
  pinned?: true;
}

/**
 * Fills in the `input` of steps recorded with `inputFrom` — the output of the latest step of that
 * node before it, or the trigger — by reference, in place.
 */
export function expandStepInputs<T extends Pick<Execution, 'steps' | 'trigger'>>(execution: T): T {
  const latest = new Map<string, unknown>();
  for (const step of execution.steps) {
    if (step.inputFrom !== undefined && step.input === undefined) {
      step.input = step.inputFrom === '$trigger' ? execution.trigger : latest.get(step.inputFrom);
      delete step.inputFrom;
    }
    latest.set(step.nodeId, step.output);
  }
  return execution;
}

/**
 * `stopped`: a dry test run that reached a node about to send a request to the target and stopped
 * there, sending nothing — neither a success nor a failure (see `TestRunRequest.send`).
 *
 * `waiting`: a delivery's run that stopped at a node waiting for its target ("repeat until"): no
 * failure and no verdict yet; its job continues at that node later, recorded as another execution.
 */
export type ExecutionState = 'success' | 'error' | 'waiting' | 'stopped';

/** A run of one flow version for one event: the integration log integrators debug with. */
export interface Execution {
  id: number;
  flowId: string;
  flowVersion: number;
  integrationId: string;
  event: FlowEvent;
  leadId?: number;
  /**
   * Every lead the run touched (its own `leadId` included), set when it touched one beyond its own:
   * the lead a postback moved, each lead of a status check's batch it matched. The store links the
   * execution to each, and to `leadId` (`execution_leads`).
   */
  leadIds?: number[];
  state: ExecutionState;
  /** Set by a test run from the editor: not part of a lead's life. */
  test: boolean;
  error?: { code: string; message: string; nodeId?: string; retryable: boolean };
  response?: { status: number; body: unknown };
  trigger?: unknown;
  steps: StepRecord[];
  startedAt: string;
  durationMs: number;
}
