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
 * - `claimJobs` with `shares`: each lane's oldest due jobs up to its share (a `LATERAL` subquery per
 *   integration with queued jobs, or `ROW_NUMBER() OVER (PARTITION BY lane ORDER BY run_at, id)`),
 *   indexed so one lane's backlog costs the others nothing; `releaseJobs` uncounts the attempt;
 * - the claim contract of `claimJobs` (owner and lease per claimed job, `renewLeases`,
 *   `requeueExpired`) with the same `worker` and `lease_until` columns, so an instance takes back
 *   only the jobs whose lease ran out, never the ones another live instance is running;
 * - `updateLead` with a `history` must write only while the lead is still in `history.from`
 *   (`WHERE stage = …`, or `SELECT … FOR UPDATE`) and throw {@link StageConflict} otherwise;
 * - job `key` unique with several NULLs allowed (Postgres' default); `ON CONFLICT (key) DO NOTHING`;
 * - times as `timestamptz` returned as ISO strings, ids and payouts as numbers, SQL NULL as an absent
 *   field; flow versions `UNIQUE (flow_id, version)` so two instances saving at once get two numbers;
 * - the config store is then shared too: lowdb's is one process's copy of `config.json`.
 */
import type { Integration, Offer, Source, Webmaster } from '../../core/domain/config.ts';
import type { FlowDoc, FlowDraft, FlowVersion, StoredFlow } from '../../core/domain/flow.ts';
import type { Job, JobKind, JobState } from '../../core/domain/job.ts';
import type { Execution, ExecutionState } from '../../core/domain/execution.ts';
import type { Role } from '../../core/domain/user.ts';
import type { LeadHandoff } from '../../core/domain/routing.ts';

// The records the store keeps are domain shapes of the kernel (the API answers them too).
export type { FlowDraft, FlowVersion, StoredFlow, Job, JobKind, JobState, Execution, ExecutionState };
export type { HttpRecord, StepRecord } from '../../core/domain/execution.ts';
export { expandStepInputs } from '../../core/domain/execution.ts';
import type { Lead, LeadInput, Stage, StageChange } from '../../core/domain/lead.ts';
import type { DeliveryCounts, DeliveryState } from '../../core/domain/delivery.ts';
export type { DeliveryCounts };
import type { AuditEntry, AuditQuery } from '../../core/domain/audit.ts';
import type { LeadSearchTerms } from '../../core/domain/lead-search.ts';
import type { DuplicateAction, DuplicateValue } from '../../core/domain/duplicates.ts';
export type { AuditEntry, AuditQuery };

/** See {@link ConfigStore.putRouting}. */
export interface RoutingWrite {
  /** Offers stored whole. */
  offers?: Offer[];
  /** The id of an offer to delete. */
  deleteOffer?: string;
  integration?: { record: Integration; secretChanges?: Record<string, string | null> };
  /** Integration id → its `offers` list from now on; an id not stored is skipped. */
  integrationOffers?: Record<string, string[]>;
}

export interface ConfigStore {
  listOffers(): Promise<Offer[]>;
  getOffer(id: string): Promise<Offer | undefined>;
  putOffer(offer: Offer): Promise<void>;
  deleteOffer(id: string): Promise<boolean>;

  listIntegrations(): Promise<Integration[]>;
  getIntegration(id: string): Promise<Integration | undefined>;
  /**
   * The enabled integration an offer's leads are routed to (the first, when several take it). Read
   * on every lead, so a backend may hand out its record frozen instead of a copy: callers never write to it.
   */
  findIntegrationForOffer(offerId: string): Promise<Integration | undefined>;
  /**
   * Stores the integration whole. With `secretChanges`, its secrets are the stored record's as
   * they are when the write happens with these changes applied (`null` removes one), not
   * `integration.secrets`: a write built from a copy read earlier (an edit in the editor) never
   * takes back a secret the runtime renewed meanwhile ({@link setIntegrationSecret}).
   */
  putIntegration(integration: Integration, secretChanges?: Record<string, string | null>): Promise<void>;
  /**
   * Sets one secret of a stored integration, in one write that reads and changes the stored record
   * (no other write can slip between), durably: resolved once the value is on disk. Answers false
   * when there is no such integration. What a node renews at the target (runtime/services/kept-secrets.ts).
   */
  setIntegrationSecret(id: string, name: string, value: string): Promise<boolean>;
  deleteIntegration(id: string): Promise<boolean>;
  /**
   * A change of routing in one write (no other write slips between, a crash keeps all or none):
   * an offer stored whole or deleted, one integration stored as {@link putIntegration} stores it,
   * and other integrations' `offers` lists replaced (the rest of each as stored). What moving an
   * offer's new leads to another integration, or deleting a routed offer, writes.
   */
  putRouting(write: RoutingWrite): Promise<void>;

  listWebmasters(): Promise<Webmaster[]>;
  getWebmaster(id: string): Promise<Webmaster | undefined>;
  putWebmaster(webmaster: Webmaster): Promise<void>;
  deleteWebmaster(id: string): Promise<boolean>;

  listSources(): Promise<Source[]>;
  getSource(id: string): Promise<Source | undefined>;
  /**
   * The source holding a key with this SHA-256 (hex), expired or not: the caller checks `expires_at`.
   * Read on every lead, so a backend may hand out its record frozen instead of a copy: callers never write to it.
   */
  findSourceByKeyHash(hash: string): Promise<Source | undefined>;
  putSource(source: Source): Promise<void>;
  deleteSource(id: string): Promise<boolean>;

  /** Flows with all their versions. */
  listFlows(): Promise<StoredFlow[]>;
  getFlow(id: string): Promise<StoredFlow | undefined>;
  /** The flow at a version, or its current version. */
  getFlowVersion(id: string, version?: number): Promise<FlowDoc | undefined>;
  /**
   * Saves the document as a new version (its `version` field is set here) and makes it current.
   * With `options.message`, the version carries it; with `options.dropDraftOf` (a user id), that
   * user's draft of the flow is removed in the same write, so a publish never leaves the draft
   * it published behind.
   */
  saveFlowVersion(flow: FlowDoc, savedBy: string, options?: { message?: string; dropDraftOf?: string }): Promise<FlowDoc>;
  /** Removes the flow with its versions and every user's draft of it; answers whether the flow existed. */
  deleteFlow(id: string): Promise<boolean>;

  /** One user's draft of a flow (see {@link FlowDraft}), or undefined when they have none. */
  getFlowDraft(flowId: string, userId: string): Promise<FlowDraft | undefined>;
  /**
   * Drafts matching every field given: one user's (`userId`), one flow's (`flowId`), or all.
   * @example await config.listFlowDrafts({ userId: 'u-1' }) // what the flows list shows that user
   */
  listFlowDrafts(match: { userId?: string; flowId?: string }): Promise<FlowDraft[]>;
  /** Stores the draft whole, replacing that user's earlier draft of the flow; one per flow per user. */
  putFlowDraft(draft: FlowDraft): Promise<void>;
  /** Removes one user's draft of a flow, or, without `userId`, every user's; answers whether there was one. */
  deleteFlowDraft(flowId: string, userId?: string): Promise<boolean>;

  /** People who log in. Names are unique; the services keep them so. */
  listUsers(): Promise<StoredUser[]>;
  getUser(id: string): Promise<StoredUser | undefined>;
  putUser(user: StoredUser): Promise<void>;

  /** Logged-in sessions, by the hash of their cookie's id. */
  getSession(idHash: string): Promise<StoredSession | undefined>;
  putSession(session: StoredSession): Promise<void>;
  /** Ends one session; answers whether it existed. */
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of a user (disabled, password reset), and every expired one. */
  deleteSessions(match: { userId?: string; expiredBefore?: string }): Promise<number>;
}

/**
 * An account. `passwordHash` is `scrypt$N$r$p$salt$hash` (base64url parts), never answered by the API.
 */
export interface StoredUser {
  id: string;
  name: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  createdAt: string;
}

/**
 * A logged-in session. The cookie holds a random id; only its SHA-256 is stored, so a leaked
 * `config.json` does not hand out sessions.
 */
export interface StoredSession {
  idHash: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
}

/** A stage change to apply to a lead with its history entry, in one write. */
export interface LeadChange {
  eid?: string;
  stage?: Stage;
  status?: string;
  statusCode?: string;
  reason?: string;
  statusComment?: string;
  payout?: number;
  /** The lead's own fields, replaced whole (an upsell changes goods or the comment). */
  input?: LeadInput;
  /** The history entry, when the stage changes. */
  history?: StageChange;
  /** Integrations the lead is handed to by this change (its stage deliveries to others than its own): recorded once each. */
  handoffs?: string[];
  /** The lead's external id at an integration it was handed to (its own integration's id is `eid`). */
  handoffEid?: { integrationId: string; eid: string };
}

/** The caller's keys of a new lead, each unique within its source (see the intake's repeat rule). */
export interface IntakeKeys {
  source: string;
  /** The `Idempotency-Key` header. */
  idempotencyKey?: string;
  /** The lead's `order_id` field. */
  orderId?: string;
  /** The hash of the lead's fields a repeat is compared by. */
  bodyHash: string;
}

/** What a repeat found: the original lead, the key it matched on, and whether the fields were the same. */
export interface IntakeRepeat {
  lead: Lead;
  field: 'Idempotency-Key' | 'order_id';
  sameBody: boolean;
  /** A synchronous registration's answer to the original, once it has one. */
  answer?: { status: number; body: unknown };
}

/**
 * An offer's duplicate check for a new lead (see `DuplicateRule` in core/domain/duplicates.ts):
 * the lead's normalised values, the window, and what a match does.
 * @example { offer: 'tea', values: [{ field: 'phone', value: '+491512345678' }], since: new Date(…), action: 'refuse' }
 */
export interface DuplicateCheck {
  offer: string;
  /** The lead's values for the rule's fields, as `duplicateValues` gives them. */
  values: DuplicateValue[];
  /** Only leads created at or after this time are originals. */
  since: Date;
  action: DuplicateAction;
}

/** What a duplicate check found: the original (the oldest lead in the window matching any field) and the fields it matched on. */
export interface DuplicateMatch {
  original: Lead;
  fields: string[];
}

/** What {@link LeadStore.insertLeadOnce} did: stored a lead, found a repeat, or found a duplicate (and stored it as trash, or nothing). */
export type InsertOnceResult =
  | { lead: Lead; repeat?: undefined; duplicate?: undefined }
  | { lead?: undefined; repeat: IntakeRepeat; duplicate?: undefined }
  | { lead?: Lead; repeat?: undefined; duplicate: DuplicateMatch };

/**
 * Which executions {@link LeadStore.pruneExecutions} removes: those started before a time, or those
 * of one integration past its newest `keepNewest`.
 */
export type ExecutionPrune = { startedBefore: Date } | { integrationId: string; keepNewest: number };

export interface NewJob {
  kind: JobKind;
  leadId?: number;
  integrationId?: string;
  key?: string;
  payload?: Record<string, unknown>;
  runAt?: Date;
}

export type NewExecution = Omit<Execution, 'id'>;

export interface LeadQuery {
  stage?: Stage;
  /**
   * Leads of this integration: those it took as new (`leads.integration_id`) and those handed to
   * it at a stage (`lead_handoffs`, a fulfilment CRM's), newest first either way.
   */
  integrationId?: string;
  offer?: string;
  /** Leads whose delivery is in this state, by the kernel's `deliveryState` rule. */
  delivery?: DeliveryState;
  /** Leads created at or after this time (ISO). */
  createdFrom?: string;
  /** Leads created before this time (ISO). */
  createdTo?: string;
  /** Leads with an id below this one (paging backwards from the newest). */
  before?: number;
  limit?: number;
  /** With `integrationId`: also the leads handed to that integration at a stage (`lead_handoffs`). */
  withHandoffs?: boolean;
  /** Leads posted through this source (its id). */
  source?: string;
  /** Leads of this webmaster (`wm`). */
  webmaster?: string;
  /**
   * Leads matching any of a search's terms (the kernel's `leadSearchTerms`): our id, a phone in
   * E.164, an email, or an external id (its own integration's or one it was handed to).
   */
  search?: LeadSearchTerms;
  /** The keyset cursor: only leads after this one in the list's order. */
  after?: LeadCursor;
}

/**
 * Where a page of leads ended: its last lead's creation time and id. The list is ordered by
 * `(created_at DESC, id DESC)` and the next page starts strictly after the cursor, so paging is an
 * index range at any depth (never an OFFSET). A PostgreSQL backend: the same order, with
 * `(created_at, id) < ($1, $2)` over indexes `(filter column, created_at, id)`.
 */
export interface LeadCursor {
  createdAt: string;
  id: number;
}

/**
 * The integration log's filters ({@link LeadStore.listExecutions}), newest first by id; each
 * served by an index (`lead` through `execution_leads`; `event`, `state` and the date range by
 * indexes on `(integration_id, …)`).
 */
export interface ExecutionListQuery {
  /** Executions linked to this lead (`execution_leads`): its own runs and every run that touched it. */
  leadId?: number;
  flowId?: string;
  integrationId?: string;
  event?: string;
  /** Executions in one of these states (the errors-only view: `['error']`). */
  states?: readonly ExecutionState[];
  /** Started at or after this time (ISO). */
  startedFrom?: string;
  /** Started before this time (ISO). */
  startedTo?: string;
  limit?: number;
  before?: number;
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

/**
 * Jobs the queue must not take for now: those of `kinds` that belong to integration `integrationId`.
 * @example { integrationId: 'crm', kinds: ['lead.new', 'lead.update', 'lead.approved'] } // its postbacks still go
 */
export interface HeldJobs {
  integrationId: string;
  kinds: readonly JobKind[];
}

/**
 * Who takes the jobs of a claim and for how long: the claimed jobs are `worker`'s until
 * `now + leaseMs`, unless it renews them ({@link LeadStore.renewLeases}).
 * @example { worker: 'host-1:4242:9f3c', leaseMs: 30_000 }
 */
export interface JobClaim {
  /** Unique per running process (a restarted process gets a new one). */
  worker: string;
  leaseMs: number;
}

/**
 * The most jobs of each lane a claim may take, so that one slow lane never takes the workers another
 * lane's due jobs could use. A lane is one integration's deliveries (its jobs of every kind but
 * `postback.out`), or the outgoing postbacks of every integration together. The queue passes what
 * each lane may still start (its limit less what it runs now): 0 takes none of that lane.
 * @example { integrations: { crm: 1, slow: 0 }, deliveries: 4, postbacks: 8 } // crm one more, slow none, any other up to 4
 */
export interface ClaimShares {
  /** Per integration id: the most of its deliveries the claim takes. */
  integrations: Readonly<Record<string, number>>;
  /** The most deliveries of an integration not named in `integrations`. */
  deliveries: number;
  /** The most `postback.out` jobs, whichever integration they belong to. */
  postbacks: number;
}

/** The claim of callers that give none: one process alone on its store. */
export const DEFAULT_CLAIM: JobClaim = { worker: 'local', leaseMs: 60_000 };

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

/** The hours (keys of the kernel's `hourKey`, both ends included) and integration the dashboard asks about. */
export interface DashboardCountsQuery {
  fromHour: string;
  toHour: string;
  integrationId?: string;
}

/** What {@link LeadStore.dashboardCounts} answers. */
export interface DashboardCounts {
  /** Leads created in each hour by the stage they are in now; hours and stages with none left out. */
  hours: { hour: string; stage: Stage; count: number }[];
  /** Jobs queued and running now. */
  queue: { queued: number; running: number };
  /**
   * Per integration, the seconds from intake to first status of the newest leads (at most the
   * kernel's `FIRST_STATUS_SAMPLE`) whose first status came at or after the range's first hour.
   */
  firstStatus: Record<string, number[]>;
}

export interface LeadStore {
  /**
   * Stores a new lead in stage `new` and, in the same write, the jobs given (its delivery).
   * `source` is the id of the source whose key posted it.
   */
  insertLead(input: LeadInput, integrationId: string, jobs: NewJob[], source?: string): Promise<Lead>;
  /**
   * {@link LeadStore.insertLead} unless a lead of the same source already holds one of `keys`
   * (Idempotency-Key looked up first, then order id): then nothing is written and the original is
   * answered as `repeat`. The lookup and the insert are one transaction and the keys are unique
   * in the store, so concurrent repeats make one lead.
   */
  /**
   * With `duplicates` (the offer's duplicate check), after the repeat lookup and in the same
   * transaction: when an earlier lead of the offer created since `duplicates.since` holds one of
   * the values (same field, same normalised value), the answer is `duplicate` naming the oldest
   * such lead and every field it matched. `refuse` writes nothing; `trash` stores the lead in stage
   * `trash` with reason `duplicate` and a history entry, without its jobs (its intake keys are
   * kept, so a retry of the same post is a repeat of it). A lead stored otherwise records its
   * values as an original for later leads; a duplicate's values are not recorded. Values are
   * looked up through an index on (offer, field, value, created_at), so the check costs the same
   * at a million leads; concurrent duplicates make one lead. A PostgreSQL backend serialises the
   * check per offer and value (`pg_advisory_xact_lock` on their hash, or SERIALIZABLE) so two
   * instances cannot both take the first.
   *
   * `keys` without an Idempotency-Key or order id looks up no repeat.
   */
  insertLeadOnce(
    input: LeadInput,
    integrationId: string,
    jobs: NewJob[],
    keys: IntakeKeys,
    duplicates?: DuplicateCheck,
  ): Promise<InsertOnceResult>;
  /** Keeps a synchronous registration's answer beside the lead's intake keys, for its repeats. */
  recordIntakeAnswer(leadId: number, status: number, body: unknown): Promise<void>;
  getLead(id: number): Promise<Lead | undefined>;
  /**
   * The lead the integration knows by `eid`: one of its own leads (`eid`), or else one handed to it
   * at a stage whose external id there is `eid` (see {@link LeadStore.handoffsOf}). Ties: the newest lead.
   */
  findLeadByEid(integrationId: string, eid: string): Promise<Lead | undefined>;
  /** The integrations a lead was handed to beyond its own, oldest first, with its external id at each. */
  handoffsOf(leadId: number): Promise<LeadHandoff[]>;
  /**
   * Leads newest first (`created_at DESC, id DESC`), filtered by every field of the query given,
   * at most `limit` (default 50, at most 500). Each filter and each combination of them is served
   * by an index, so a page costs the same at a million leads; the next page is asked for with
   * `after` set to the last lead's {@link LeadCursor}.
   */
  listLeads(query: LeadQuery): Promise<Lead[]>;
  /**
   * Applies a change and, in the same write, its history entry and the jobs it causes. Fields
   * left undefined keep their value.
   * @throws StageConflict when `change.history.from` is not the lead's stage any more.
   */
  updateLead(id: number, change: LeadChange, jobs: NewJob[]): Promise<Lead>;
  history(leadId: number): Promise<StageChange[]>;

  enqueue(jobs: NewJob[]): Promise<void>;
  /**
   * Takes up to `limit` due jobs of the kinds given and marks them running. Jobs matching an entry
   * of `held` (its kind, of its integration: a paused or switched-off integration's deliveries)
   * are left queued as they are, their attempts not counted, and the others are taken past them.
   *
   * The claim contract, which every backend keeps:
   * - each job taken records its owner (`claim.worker`) and its lease (`lease_until = now +
   *   claim.leaseMs`, `now` as given, so a test can move time); {@link DEFAULT_CLAIM} when omitted;
   * - a running job is nobody else's while its lease lasts: no claim takes it, whoever asks (two
   *   instances at once included: PostgreSQL claims with `FOR UPDATE SKIP LOCKED`);
   * - the owner keeps it by renewing the lease ({@link renewLeases}) while it still runs the job;
   * - a job whose lease ran out (`lease_until <= now`) goes back to the queue only through
   *   {@link requeueExpired}, and is claimed again like any queued job, its attempt counted again;
   * - `completeJob` and `failJob` release the claim: owner and lease cleared.
   *
   * With `shares`, no lane takes more than its share ({@link ClaimShares}): the due jobs are ranked
   * within their lane (`ROW_NUMBER() OVER (PARTITION BY lane ORDER BY run_at, id)`), those ranked
   * past the lane's share are skipped, and the rest are taken oldest first up to `limit`, so the
   * jobs of one lane queued first never hide another lane's. Without `shares`, any lane takes any number.
   */
  claimJobs(kinds: JobKind[], limit: number, now: Date, held?: readonly HeldJobs[], claim?: JobClaim, shares?: ClaimShares): Promise<Job[]>;
  /**
   * Extends to `until` the leases of those of `ids` that are still running and still `worker`'s
   * (the queue's heartbeat); a job someone else took back meanwhile is left alone. Resolves with
   * how many it renewed.
   */
  renewLeases(worker: string, ids: readonly number[], until: Date): Promise<number>;
  /**
   * The sweep: puts back in the queue every running job whose lease ended by `now` (or that has no
   * lease: left by a runtime older than leases), clearing owner and lease. Resolves with how many.
   */
  requeueExpired(now: Date): Promise<number>;
  /**
   * Gives back jobs `worker` took but will not finish (its process is shutting down and aborted
   * them, or its integration's circuit breaker opened between the claim and the run): each of `ids` still running and still `worker`'s goes back to `queued`, due at once (its
   * `run_at` kept, or `now` if that is later), its aborted attempt not counted (`attempts` down by
   * one), owner and lease cleared, `last_error` untouched — so another process takes it at once,
   * without waiting out the lease. A job someone else took back meanwhile is left alone.
   * Resolves with how many it released.
   * @example await store.releaseJobs(queue.worker, [41, 42], new Date())
   */
  releaseJobs(worker: string, ids: readonly number[], now?: Date): Promise<number>;
  /** Marks a job done; a `payload` given replaces the job's (a postback keeps its attempt log there). */
  completeJob(id: number, payload?: Record<string, unknown>): Promise<void>;
  /** Records a failed attempt: back to `queued` at `retryAt`, or `failed` for good when it is undefined. */
  failJob(id: number, error: string, retryAt: Date | undefined, payload?: Record<string, unknown>): Promise<void>;
  /**
   * Replaces a running job's payload while it runs — a delivery's progress, written before its
   * flow's next call to the target (see `DeliveryProgress` in runtime/services/delivery-progress.ts) —
   * only while the job is still `worker`'s: a worker whose lease ran out writes nothing. Resolves
   * with whether it wrote. The write is durable when it resolves, like every other.
   */
  saveJobProgress(worker: string, id: number, payload: Record<string, unknown>): Promise<boolean>;
  /**
   * Puts a running job of `worker`'s back in the queue to continue at `runAt` (a flow waiting for
   * its target: a scheduled continuation, not a failure): `queued`, due at `runAt`, its attempt not
   * counted, `last_error` untouched, owner and lease cleared, `payload` (when given) replacing the
   * job's. Resolves with whether the job was still `worker`'s.
   */
  deferJob(worker: string, id: number, runAt: Date, payload?: Record<string, unknown>): Promise<boolean>;
  /** Where a recurring piece of work stopped (a date-range check's last window end). */
  getCheckpoint(key: string): Promise<string | undefined>;
  setCheckpoint(key: string, value: string): Promise<void>;
  /**
   * Streams a status check's leads batch by batch, memory bounded by `limit`: the integration's own
   * leads and those handed to it at a stage, in id order; a handed lead comes with `eid` set to its
   * external id at that integration (unset until it gave one), as that integration knows it.
   */
  leadBatch(query: LeadBatchQuery): Promise<Lead[]>;
  /**
   * Puts every `running` job back in the queue, live leases included: only for an operator who
   * knows no process is running any (the queue itself uses {@link requeueExpired}).
   */
  requeueRunning(): Promise<number>;
  jobsOfLead(leadId: number): Promise<Job[]>;
  /**
   * An integration's failed deliveries and retries waiting (its `lead.*` jobs), by an indexed
   * count (a PostgreSQL backend: an index on `(integration_id, state, kind, attempts)`).
   */
  deliveryCounts(integrationId: string): Promise<DeliveryCounts>;
  /** How many leads created at or after `createdFrom` (ISO) are in each stage; stages with none are left out. */
  stageCounts(createdFrom: string): Promise<Partial<Record<Stage, number>>>;
  /** The delivery state (the kernel's `deliveryState`) of each of the leads given that has one, in one query. */
  deliveryStates(leadIds: readonly number[]): Promise<Record<number, DeliveryState>>;
  /**
   * Resends leads: for each of `leadIds` still `new` whose latest `lead.new` job is not running,
   * that job is queued again as if new — attempts 0, error cleared, due and created at `now` (so
   * the integration's age limit counts from the resend). In one write; answers the ids resent.
   */
  resendLeadJobs(leadIds: readonly number[], now: Date): Promise<number[]>;
  /**
   * The dashboard's numbers over an hour range (see {@link DashboardCounts}), from counters the
   * store keeps in the same write as each lead's insert and stage change — a few rows per hour
   * whatever the number of leads (a PostgreSQL backend keeps the same two tables).
   */
  dashboardCounts(query: DashboardCountsQuery): Promise<DashboardCounts>;
  /**
   * Calls `listener` after each committed write that stored a lead, changed one, or changed its
   * delivery (a failed attempt, a resend); once per write, not per lead: a caller debounces. Answers the function that stops it.
   */
  onLeadsChanged(listener: () => void): () => void;

  /**
   * Stores an execution and, in the same transaction, its links to the leads it touched
   * (`execution_leads (execution_id, lead_id)`, indexed both ways): its own lead (`leadId`) and
   * each of `leadIds` (a postback's lead, every lead a status check's batch matched). Resolves with its id.
   */
  insertExecution(execution: NewExecution): Promise<number>;
  /** An execution, with `leadIds` (every lead linked to it) when it has any. */
  getExecution(id: number): Promise<Execution | undefined>;
  /** Newest first, each with its `leadIds`; `limit` defaults to 50, at most 500. */
  listExecutions(query: ExecutionListQuery): Promise<Execution[]>;

  /**
   * Removes up to `limit` executions that `prune` selects, oldest first, in one short write, and
   * resolves with how many it removed (fewer than `limit`: nothing more to remove now). The
   * caller calls again for the next batch, so no single write holds the store long.
   *
   * Never removes an execution of a lead still in stage `new`: that lead is not delivered yet,
   * and retrying it from its failed node reads the execution. Test runs count like any other.
   */
  pruneExecutions(prune: ExecutionPrune, limit: number): Promise<number>;

  /**
   * A random id made once, when the store was created, and never again: a wiped and recreated
   * store gets a new one. Delivery keys start with it, so two stores never send the same key.
   */
  storeId(): Promise<string>;

  close(): Promise<void>;
}

/** An audit entry to append: the store gives it its id. */
export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * The audit log's storage: append-only, read newest first. Entries arrive with their secrets
 * already replaced (runtime/services/audit.ts); the store keeps what it is given and never
 * updates or deletes an entry.
 *
 * A PostgreSQL backend: one `audit` table with a `bigserial` id (so "newest first" is id order
 * across instances), `at timestamptz` returned as an ISO string, `before`/`after` as `jsonb`, an
 * absent actor or note as NULL read back as an absent field, and indexes on
 * `(resource_type, resource_id, id)` and `(actor_id, id)`.
 */
export interface AuditStore {
  /** Appends one entry; resolves with its id once it is stored. */
  appendAudit(entry: NewAuditEntry): Promise<number>;
  /**
   * Entries newest first, filtered by every field of the query given. `actor: 'system'` selects
   * the entries without an actor; `limit` defaults to 50 and is at most 500.
   */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
}
