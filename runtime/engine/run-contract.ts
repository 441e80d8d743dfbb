/**
 * The executor's contract (executor.ts): what one run is about, what the services layer lends it,
 * what the executor is made with, and what a run comes to.
 */
import type { Dispatcher } from 'undici';
import type { FlowEvent, Integration, Offer } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead } from '../../core/domain/lead.ts';
import type { RunExchange } from '../../core/domain/delivery.ts';
import type { CodeRunner } from '../../core/node/code-sandbox.ts';
import type { FlowResponse, LeadActions, PostbackActions, SecretKeeper } from '../../core/node/contract.ts';
import type { Execution, ExecutionLog } from '../store/types.ts';
import type { SharedTokens, TargetLimits } from '../store/coordination.ts';
import type { NodeRegistry } from './registry.ts';
import type { RunCheckpoint, RunResume } from './checkpoint.ts';

/** What one run is about. */
export interface RunRequest {
  flow: FlowDoc;
  event: FlowEvent;
  /** The integration with its secrets: they are handed only to nodes that declare they use them. */
  integration: Integration;
  lead?: Lead;
  offer?: Offer;
  /** What started the flow: the lead for lead events, `{ query, body }` for a postback. */
  trigger: unknown;
  /** A test run from the editor or the CLI. */
  test?: boolean;
  /**
   * A dry test run: the first node about to send a request (HTTP Request, Auth Token's login) is
   * stopped before it leaves — its step recorded `stopped` with the request — and the run ends
   * there, recorded `stopped` (runtime/engine/test-run.ts).
   */
  dry?: boolean;
  /** A test run's pinned outputs, by node id: such a node does not run; its pin is its output (`out` exit). */
  pins?: Record<string, unknown>;
  /** With {@link RunRequest.resume}: only the node it starts at runs (a test of one node on its input). */
  single?: boolean;
  /** A status check's batch, the template root `batch`. */
  batch?: unknown;
  /**
   * Start at this node with this input instead of at the trigger, the outputs of the nodes that ran
   * before it given (`{{nodes.x}}`): a retry from the node that failed, with what it had then, or a
   * delivery continued from its checkpoint (see runtime/engine/checkpoint.ts).
   */
  resume?: RunResume;
  /**
   * Keeps the run's checkpoint durably (a delivery: in its job): called before a node that talks to
   * a target (HTTP Request, Auth Token) runs, once a call of an earlier node succeeded, and awaited,
   * so that what those calls answered is kept before the next call goes out.
   */
  progress?: (checkpoint: RunCheckpoint) => Promise<void>;
  /**
   * A node not ready yet ({@link NodeResult.again}) ends the run, recorded `waiting`, with
   * {@link RunResult.continueAt} and the checkpoint to continue from at that node (a queued
   * delivery: its job continues then, holding no worker meanwhile). Unset: the run waits on a timer,
   * up to {@link IN_PROCESS_WAIT_LIMIT_MS} (a synchronous registration, a test run).
   */
  continueLater?: boolean;
  /**
   * Judges the run once its nodes are done, before it is recorded: answers the error the execution
   * is recorded with (its own, or one the run's outcome calls for: a `lead.new` run that left the
   * lead `new`, see core/domain/delivery.ts `leadNewVerdict`). Unset: the run's own error stands.
   */
  verdict?: (run: {
    error?: NodeError;
    exchanges: RunExchange[];
    moved: ReadonlyMap<number, Lead['stage']>;
  }) => Promise<NodeError | undefined>;
  /**
   * Aborts the run (the runtime shutting down): the node running is cancelled — its HTTP requests
   * too — no further node runs, and the run ends with the error {@link INTERRUPTED}, retryable.
   */
  signal?: AbortSignal;
}

/** Capabilities the services layer gives a run; they know the lead the run is about. */
export interface RunServices {
  leads: LeadActions;
  postbacks: PostbackActions;
}

export interface ExecutorOptions {
  registry: NodeRegistry;
  agent: Dispatcher;
  /** Where executions are recorded; without it (the CLI), nothing is stored. */
  store?: Pick<ExecutionLog, 'insertExecution'>;
  /** The code sandbox Code nodes run in; by default the process's shared one. */
  code?: CodeRunner;
  /**
   * Where nodes store what a target renews (Auth Token's rotated refresh token), per integration;
   * without it (the CLI) such values live in the token cache only.
   */
  secrets?: (integrationId: string) => SecretKeeper;
  /** Each target's rate limit (and concurrency, for the delivery handler); in this process only unless given (store/coordination.ts). */
  limits?: TargetLimits;
  /** The tokens nodes log in for, one login at a time per key; in this process only unless given (store/coordination.ts). */
  tokens?: SharedTokens;
}

/** A node error, in the shape executions record. */
export interface NodeError {
  code: string;
  message: string;
  nodeId?: string;
  retryable: boolean;
  /** From the node's failure: the delivery is not tried again sooner (a 429's `Retry-After`). */
  retryAfterMs?: number;
}

/** The outcome of a run, with the recorded execution. */
export interface RunResult {
  execution: Execution;
  response?: FlowResponse;
  error?: NodeError;
  /** Set by Next Page: the status check runs the flow again for this page. */
  nextPage?: unknown;
  /** Set by Next Page when it pages by offset: the next page's `{{batch.offset}}`. */
  nextOffset?: number;
  /**
   * A run that failed after a call succeeded (or that was itself resumed): where a retry continues,
   * at the node that failed, so the calls before it are not made again (runtime/engine/checkpoint.ts).
   */
  checkpoint?: RunCheckpoint;
  /** With {@link RunRequest.continueLater}: the run waits for its target; continue it from `checkpoint` then. */
  continueAt?: Date;
  /** The leads whose stage this run's Update Lead nodes changed (a status check counts its batch's moves from it). */
  moved: number[];
}
