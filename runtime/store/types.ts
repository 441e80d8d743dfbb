/**
 * Storage interfaces. Two stores: {@link ConfigStore} for what staff edit (offers, integrations,
 * webmasters, flows and their versions; small, a lowdb JSON file) and {@link LeadStore} for what
 * traffic writes (leads, their history, the job queue, the execution log; SQLite, whose cost per
 * write does not grow with the number of leads). Every method is async so a PostgreSQL backend
 * serving several runtime instances can implement the same interfaces.
 *
 * What such a backend must keep, that SQLite gets from having one writer:
 * - `claimJobs`: `UPDATE … WHERE id IN (SELECT … ORDER BY run_at, id LIMIT n FOR UPDATE SKIP LOCKED)
 *   RETURNING *`, so two instances never take the same job;
 * - `requeueRunning` must only take back jobs whose claim expired (an owner and a lease per claimed
 *   job), not the ones other live instances are running;
 * - `updateLead` with a `history` must write only while the lead is still in `history.from`
 *   (`WHERE stage = …`, or `SELECT … FOR UPDATE`) and throw {@link StageConflict} otherwise;
 * - job `key` unique with several NULLs allowed (Postgres' default); `ON CONFLICT (key) DO NOTHING`;
 * - times as `timestamptz` returned as ISO strings, ids and payouts as numbers, SQL NULL as an absent
 *   field; flow versions `UNIQUE (flow_id, version)` so two instances saving at once get two numbers;
 * - the config store is then shared too: lowdb's is one process's copy of `config.json`.
 */
import type { FlowEvent, Integration, Offer, Webmaster } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import type { Lead, LeadInput, Stage, StageChange } from '../../core/domain/lead.ts';

/** A flow with its saved versions; versions are immutable, numbered from 1. */
export interface StoredFlow {
  id: string;
  name: string;
  event: FlowEvent;
  currentVersion: number;
  versions: FlowVersion[];
}

export interface FlowVersion {
  version: number;
  savedAt: string;
  savedBy: string;
  flow: FlowDoc;
}

export interface ConfigStore {
  listOffers(): Promise<Offer[]>;
  getOffer(id: string): Promise<Offer | undefined>;
  putOffer(offer: Offer): Promise<void>;
  deleteOffer(id: string): Promise<boolean>;

  listIntegrations(): Promise<Integration[]>;
  getIntegration(id: string): Promise<Integration | undefined>;
  /** The enabled integration an offer's leads are routed to (the first, when several take it). */
  findIntegrationForOffer(offerId: string): Promise<Integration | undefined>;
  putIntegration(integration: Integration): Promise<void>;
  deleteIntegration(id: string): Promise<boolean>;

  listWebmasters(): Promise<Webmaster[]>;
  getWebmaster(id: string): Promise<Webmaster | undefined>;
  putWebmaster(webmaster: Webmaster): Promise<void>;
  deleteWebmaster(id: string): Promise<boolean>;

  /** Flows with all their versions. */
  listFlows(): Promise<StoredFlow[]>;
  getFlow(id: string): Promise<StoredFlow | undefined>;
  /** The flow at a version, or its current version. */
  getFlowVersion(id: string, version?: number): Promise<FlowDoc | undefined>;
  /** Saves the document as a new version (its `version` field is set here) and makes it current. */
  saveFlowVersion(flow: FlowDoc, savedBy: string): Promise<FlowDoc>;
  deleteFlow(id: string): Promise<boolean>;
}

/** A stage change to apply to a lead with its history entry, in one write. */
export interface LeadChange {
  eid?: string;
  stage?: Stage;
  status?: string;
  reason?: string;
  statusComment?: string;
  payout?: number;
  /** The lead's own fields, replaced whole (an upsell changes goods or the comment). */
  input?: LeadInput;
  /** The history entry, when the stage changes. */
  history?: StageChange;
}

export type JobKind = 'lead.new' | 'lead.update' | 'lead.approved' | 'postback.out';
export type JobState = 'queued' | 'running' | 'done' | 'failed';

/**
 * A unit of durable work: a lead to deliver, an outgoing postback to send. `key`, when set, is
 * unique: enqueueing the same key twice keeps one job (an outgoing postback is sent once per change).
 */
export interface Job {
  id: number;
  kind: JobKind;
  leadId?: number;
  integrationId?: string;
  key?: string;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  /** When it may run (next retry), ISO time. */
  runAt: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewJob {
  kind: JobKind;
  leadId?: number;
  integrationId?: string;
  key?: string;
  payload?: Record<string, unknown>;
  runAt?: Date;
}

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
  /** Nodes the flow did not reach have no step. */
  state: 'ok' | 'error';
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

export type ExecutionState = 'success' | 'error';

/** A run of one flow version for one event: the integration log integrators debug with. */
export interface Execution {
  id: number;
  flowId: string;
  flowVersion: number;
  integrationId: string;
  event: FlowEvent;
  leadId?: number;
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

export type NewExecution = Omit<Execution, 'id'>;

export interface LeadQuery {
  stage?: Stage;
  integrationId?: string;
  offer?: string;
  /** Leads with an id below this one (paging backwards from the newest). */
  before?: number;
  limit?: number;
}

/**
 * Thrown by {@link LeadStore.updateLead} when a change's `history.from` is no longer the lead's
 * stage: another write moved it since the caller read it.
 */
export class StageConflict extends Error {
  constructor(
    readonly leadId: number,
    readonly expected: string,
  ) {
    super(`lead ${leadId} is no longer in stage ${expected}`);
    this.name = 'StageConflict';
  }
}

/** A status check's batch: leads of one integration in one stage, in id order after a cursor. */
export interface LeadBatchQuery {
  integrationId: string;
  stage: Stage;
  /** The last id of the previous batch. */
  afterId?: number;
  /** Only leads created since then (the approved check's "last N days"). */
  createdSince?: Date;
  limit: number;
}

export interface LeadStore {
  /** Stores a new lead in stage `new` and, in the same write, the jobs given (its delivery). */
  insertLead(input: LeadInput, integrationId: string, jobs: NewJob[]): Promise<Lead>;
  getLead(id: number): Promise<Lead | undefined>;
  findLeadByEid(integrationId: string, eid: string): Promise<Lead | undefined>;
  listLeads(query: LeadQuery): Promise<Lead[]>;
  /**
   * Applies a change and, in the same write, its history entry and the jobs it causes. Fields
   * left undefined keep their value.
   * @throws StageConflict when `change.history.from` is not the lead's stage any more.
   */
  updateLead(id: number, change: LeadChange, jobs: NewJob[]): Promise<Lead>;
  history(leadId: number): Promise<StageChange[]>;

  enqueue(jobs: NewJob[]): Promise<void>;
  /** Takes up to `limit` due jobs of the kinds given and marks them running. */
  claimJobs(kinds: JobKind[], limit: number, now: Date): Promise<Job[]>;
  /** Marks a job done; a `payload` given replaces the job's (a postback keeps its attempt log there). */
  completeJob(id: number, payload?: Record<string, unknown>): Promise<void>;
  /** Records a failed attempt: back to `queued` at `retryAt`, or `failed` for good when it is undefined. */
  failJob(id: number, error: string, retryAt: Date | undefined, payload?: Record<string, unknown>): Promise<void>;
  /** Where a recurring piece of work stopped (a date-range check's last window end). */
  getCheckpoint(key: string): Promise<string | undefined>;
  setCheckpoint(key: string, value: string): Promise<void>;
  /** Streams a status check's leads batch by batch, memory bounded by `limit`. */
  leadBatch(query: LeadBatchQuery): Promise<Lead[]>;
  /** Puts jobs left `running` by a stopped process back in the queue. */
  requeueRunning(): Promise<number>;
  jobsOfLead(leadId: number): Promise<Job[]>;

  insertExecution(execution: NewExecution): Promise<number>;
  getExecution(id: number): Promise<Execution | undefined>;
  /** Newest first. */
  listExecutions(query: { leadId?: number; flowId?: string; integrationId?: string; limit?: number; before?: number }): Promise<Execution[]>;

  close(): Promise<void>;
}
