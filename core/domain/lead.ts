/**
 * The lead and its stage: the words every layer shares. Plain types and pure functions only, so the
 * editor can import this module too.
 */
import type { FlowEvent } from './config.ts';

/** Our status of a lead. See DESIGN.md, "Vocabulary". */
export type Stage = 'new' | 'wait' | 'hold' | 'approve' | 'cancel' | 'trash';

export const STAGES: readonly Stage[] = ['new', 'wait', 'hold', 'approve', 'cancel', 'trash'];

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/** Where a stage change came from, kept in the lead's history. */
export type StageSource = 'api' | 'postback' | 'manual' | 'delivery' | 'status-check';

/** Where the stage changes of an event's flow come from: its postback, its status check, or else its delivery. */
export function stageSourceOf(event: FlowEvent): StageSource {
  if (event === 'postback.in') return 'postback';
  if (event.startsWith('status.')) return 'status-check';
  return 'delivery';
}

/** One product of an order. */
export interface LeadGoods {
  product: string;
  count: number;
  price?: number;
}

/**
 * The fields a lead arrives with. Everything but `offer` is optional at this level; the intake
 * validates what it requires.
 */
export interface LeadInput {
  offer: string;
  wm?: string;
  flow?: string;
  name?: string;
  /** The phone as sent, kept as it is. */
  phone?: string;
  /**
   * The phone in E.164 (`+4915123456780`), read against `country` when the phone has no `+`;
   * set by the intake, never taken from what a lead sends. Unset when the phone could not be read
   * (a national number and no country) or there is no phone.
   */
  phoneE164?: string;
  email?: string;
  country?: string;
  ip?: string;
  ua?: string;
  city?: string;
  region?: string;
  street?: string;
  zip?: string;
  address?: string;
  comment?: string;
  subid?: string;
  sub1?: string;
  sub2?: string;
  sub3?: string;
  sub4?: string;
  sub5?: string;
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_content?: string;
  utm_term?: string;
  /**
   * The caller's own id of the order. Unique within the source that posts it: a second lead of
   * the source with the same `order_id` is a repeat of the first (see the intake).
   */
  order_id?: string;
  meta?: Record<string, unknown>;
  goods?: LeadGoods[];
}

/**
 * The `integration` of a lead no integration got as new: its offer's leads are processed by the
 * network itself (`Offer.routes.new: null`, core/domain/routing.ts).
 */
export const NO_INTEGRATION = '';

/** A stored lead: the input plus what we know of its life. `id` is our id (`oid`). */
export interface Lead extends LeadInput {
  id: number;
  /** The integration that got it as new; {@link NO_INTEGRATION} when none did. */
  integration: string;
  /** The id of the source whose key posted it (unset for leads stored before intake keys). */
  source?: string;
  stage: Stage;
  /** The lead's id in the target. */
  eid?: string;
  /** The target's raw status text (Map Status keeps it beside the stage). */
  status?: string;
  /** The target's raw status code, when it sends one beside the text (AlterCPA's numeric status). */
  statusCode?: string;
  reason?: string;
  /** Comment of the target's operator (not the buyer's comment, which is `comment`). */
  statusComment?: string;
  payout?: number;
  created_at: string;
  updated_at: string;
  /**
   * The idempotency key of this run's send, in a lead event's flow scope only (never stored with
   * the lead): `{{lead.delivery_key}}`. See {@link deliveryKey}.
   */
  delivery_key?: string;
}

/**
 * The idempotency key a lead event's sends carry, for a target to drop a repeat by: the same for
 * every attempt, retry and restart of one lead's event, different for another lead, another
 * event (`lead.new`, `lead.update`, `lead.approved`) or another store (`storeId` is made at random
 * once per store, so a wiped data folder never sends an earlier folder's keys again).
 *
 * `handedTo` is the integration of a stage delivery to another integration than the lead's own
 * (core/domain/routing.ts): the key then names it, so two CRMs a lead is handed to never share one.
 * `stage` is the stage a stage delivery (`lead.approved`) is for, when it is not `approve`: one
 * integration routed at two stages of an offer (hold, then approve) gets a key for each, while a
 * delivery at `approve` keeps the key it always had.
 * @example deliveryKey('9f3c2a1b7d4e5f60', 42, 'lead.new') // '9f3c2a1b7d4e5f60-42-lead.new'
 * @example deliveryKey('9f3c2a1b7d4e5f60', 42, 'lead.approved', 'fulfil') // '9f3c2a1b7d4e5f60-42-lead.approved-fulfil'
 * @example deliveryKey('9f3c2a1b7d4e5f60', 42, 'lead.approved', 'fulfil', 'hold') // '9f3c2a1b7d4e5f60-42-lead.approved-fulfil-hold'
 */
export function deliveryKey(storeId: string, leadId: number, event: string, handedTo?: string, stage?: string): string {
  const key = handedTo ? `${storeId}-${leadId}-${event}-${handedTo}` : `${storeId}-${leadId}-${event}`;
  return stage !== undefined && stage !== 'approve' && event === 'lead.approved' ? `${key}-${stage}` : key;
}

/** One stage change in a lead's history. */
export interface StageChange {
  at: string;
  from: Stage;
  stage: Stage;
  source: StageSource;
  status?: string;
  reason?: string;
  comment?: string;
  payout?: number;
}

/** The stages a `delivery` result may move a lead to, and only from `new`. */
const DELIVERY_STAGES: readonly Stage[] = ['wait', 'cancel'];

/**
 * The stage rule, in one place: stages move forward only (`new` → `wait` → `hold` → `approve`),
 * `cancel` and `trash` end a lead, except that an approved lead may still be returned
 * (`approve` → `cancel`/`trash`). Repeating the current stage is no change.
 *
 * The source narrows it: a `delivery` result (the target's answer to sending the lead) may only
 * take a lead out of `new`, to `wait` or `cancel`. Everything past that — `hold`, `approve`, a
 * return — is for the status sources (postback, status check, manual, api), so a re-sent lead
 * whose target answers "duplicate" never cancels a lead that was approved meanwhile. Without a
 * source the move is judged as a status source's.
 *
 * @returns true when a lead in `from` may move to `to`.
 * @example canMoveStage('approve', 'wait') // false: a late wait never undoes approve
 * @example canMoveStage('approve', 'cancel', 'delivery') // false: only a status source returns a lead
 */
export function canMoveStage(from: Stage, to: Stage, source?: StageSource): boolean {
  if (from === to) return false;
  if (source === 'delivery') return from === 'new' && DELIVERY_STAGES.includes(to);
  if (from === 'cancel' || from === 'trash') return false;
  if (from === 'approve') return to === 'cancel' || to === 'trash';
  const order: Stage[] = ['new', 'wait', 'hold', 'approve'];
  if (to === 'cancel' || to === 'trash') return true;
  return order.indexOf(to) > order.indexOf(from);
}
