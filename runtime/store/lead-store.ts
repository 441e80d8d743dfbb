/**
 * The lead store: leads with their history (stage changes, handoffs, intake keys, duplicate
 * values) and the counters kept beside them. A lead's writes carry the jobs they cause
 * ({@link NewJob}, job-queue.ts) in the same transaction, so a backend implements this
 * interface and `JobQueue` over one database.
 *
 * What a PostgreSQL backend must keep, that SQLite gets from having one writer: `updateLead` with a
 * `history` writes only while the lead is still in `history.from` (`WHERE stage = …`, or
 * `SELECT … FOR UPDATE`) and throws {@link StageConflict} otherwise; a keyed job it causes is
 * inserted `ON CONFLICT (key) DO NOTHING`, so a change replayed sends its postback once.
 */
import type { Lead, LeadInput, Stage, StageChange } from '../../core/domain/lead.ts';
import type { LeadHandoff } from '../../core/domain/routing.ts';
import type { LeadSearchTerms } from '../../core/domain/lead-search.ts';
import type { DeliveryState } from '../../core/domain/delivery.ts';
import type { DuplicateAction, DuplicateValue } from '../../core/domain/duplicates.ts';
import type { NewJob } from './job-queue.ts';

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

/** Leads with their history: what traffic writes (the intake, deliveries, status checks, postbacks). */
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
  /** One lead, or undefined when there is none with this id. */
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
  /** A lead's stage changes, oldest first. */
  history(leadId: number): Promise<StageChange[]>;
  /**
   * Streams a status check's leads batch by batch, memory bounded by `limit`: the integration's own
   * leads and those handed to it at a stage, in id order; a handed lead comes with `eid` set to its
   * external id at that integration (unset until it gave one), as that integration knows it.
   */
  leadBatch(query: LeadBatchQuery): Promise<Lead[]>;
  /** How many leads created at or after `createdFrom` (ISO) are in each stage; stages with none are left out. */
  stageCounts(createdFrom: string): Promise<Partial<Record<Stage, number>>>;
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
}
