/**
 * Lead intake: check the poster's key, check the lead, find its offer and the integration the offer is routed to, store
 * it. An offer whose `routes.new` is `null` is processed by the network itself: its leads are
 * stored in `new` with no integration (`NO_INTEGRATION`) and nothing queued. Delivery is queued in the same write and happens later from the durable queue — except for
 * an integration with a `lead.register` flow, which runs while the caller waits and answers it.
 *
 * Every refusal (no key 401, a key not valid 401, a key not for the lead's offer or its `wm` 403)
 * comes before anything is stored.
 *
 * Repeats: a lead posted again by the same source with the same `Idempotency-Key` header, or the
 * same `order_id` field, is answered with the original lead (the same status code, `{ id, stage }`
 * with its current stage, or a synchronous registration's stored answer) and stores and queues
 * nothing. The lead's fields must be the same: the body hash is SHA-256 of the checked lead (every
 * field as parsed, unknown fields in `meta`, `wm` as the source forces it), keys sorted — the intake
 * key and the headers do not count. The same key with other fields is refused with 422 naming
 * `Idempotency-Key` or `order_id`.
 *
 * Duplicates: an offer with a duplicate rule (`Offer.duplicates`, core/domain/duplicates.ts)
 * compares a new lead's fields with the leads it took within the window, in the same write as the
 * insert (a repeat of the same post is looked up first and answered as above). `refuse`: 409
 * `{ error: 'duplicate', field, fields, original, message }` and nothing stored; `trash`: the lead is
 * stored in stage `trash` with reason `duplicate`, nothing queued, no flow run, answered 202
 * `{ id, stage: 'trash', reason: 'duplicate', original, fields }`.
 */
import { createHash } from 'node:crypto';
import type { ConfigStore, DuplicateCheck, DuplicateMatch, IntakeRepeat, LeadStore } from '../store/types.ts';
import type { Integration, Offer, Source } from '../../core/domain/config.ts';
import { duplicateValues, duplicateWindowStart } from '../../core/domain/duplicates.ts';
import type { Lead, LeadInput } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { FlowResponse } from '../../core/node/contract.ts';
import type { NodeError } from '../engine/executor.ts';
import { parseLeadInput } from './lead-input.ts';
import type { FlowRunner } from './runs.ts';
import { mayPostFor, type SourceService } from './sources.ts';
import { newLeadRoute } from '../../core/domain/routing.ts';
import { NO_INTEGRATION } from '../../core/domain/lead.ts';

export interface IntakeResult {
  lead: Lead;
  /** How the caller is answered. */
  status: number;
  body: unknown;
  /** True when this answers a repeat of an earlier post (nothing was stored). */
  repeat?: boolean;
}

/** The longest `Idempotency-Key` taken. */
const MAX_IDEMPOTENCY_KEY = 255;

export class IntakeService {
  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly runner: FlowRunner,
    private readonly sources: SourceService,
    private readonly onJobs: () => void,
  ) {}

  /** The enabled integration an offer's new leads go to, or undefined when the network processes them itself. */
  async route(offerId: string): Promise<Integration | undefined> {
    return (await this.routed(offerId)).integration;
  }

  private async routed(offerId: string): Promise<{ offer: Offer; integration?: Integration }> {
    const offer = await this.config.getOffer(offerId);
    if (!offer) throw new DomainError('unknown_offer', `no offer "${offerId}"`, { field: 'offer' });
    // one lookup per lead, not a copy of every integration: the kernel's rule over the one candidate
    const named = offer.routes?.new;
    const candidate =
      named === null
        ? undefined
        : named === undefined
          ? await this.config.findIntegrationForOffer(offer.id)
          : await this.config.getIntegration(named);
    const route = newLeadRoute(offer, candidate ? [candidate] : []);
    if (route.kind === 'network') return { offer };
    if (route.kind === 'unrouted') throw new DomainError('no_integration', route.reason, { field: 'offer' });
    const integration = route.integration;
    if (!integration.flows['lead.register'] && !integration.flows['lead.new']) {
      throw new DomainError('no_integration', `integration "${integration.id}" has no lead.new or lead.register flow`, { field: 'offer' });
    }
    return { offer, integration };
  }

  /**
   * Takes a lead posted with an intake key.
   * @throws DomainError `unauthorized` (no valid key), `forbidden` (not this offer or webmaster), `invalid_field`, …
   */
  async accept(raw: unknown, key: string | undefined, idempotencyKey?: string): Promise<IntakeResult> {
    return this.acceptFrom(await this.sources.authenticate(key), raw, idempotencyKey);
  }

  /**
   * "Send a test lead" (the home page's first step): a sample lead posted as source `sourceId` by
   * a signed-in person, taking the same path as a lead posted with that source's key — the
   * source's offers and webmaster apply, and it is delivered like any other.
   * @throws DomainError `not_found` (no such source), `invalid_field` naming `offer` (the source may post for none)
   */
  async acceptTestLead(sourceId: string, body: unknown): Promise<IntakeResult> {
    const source = await this.config.getSource(sourceId);
    if (!source) throw new DomainError('not_found', `no source "${sourceId}"`, { field: 'id' });
    const asked = (body as { offer?: unknown } | null)?.offer;
    const offer =
      typeof asked === 'string' && asked ? asked : source.offers === '*' ? (await this.config.listOffers())[0]?.id : source.offers[0];
    if (!offer) throw new DomainError('invalid_field', `source "${source.id}" may post for no offer yet`, { field: 'offer' });
    const wm = source.kind === 'network' ? (source.webmasters?.[0] ?? 'test-wm') : undefined;
    const lead = {
      offer,
      wm,
      name: 'Test Lead',
      phone: '+49 151 2345670',
      country: 'DE',
      subid: 'leadflow-test-click',
      comment: 'a test lead',
    };
    return this.acceptFrom(source, lead);
  }

  private async acceptFrom(source: Source, raw: unknown, idempotencyKey?: string): Promise<IntakeResult> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new DomainError('invalid_field', `must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`, { field: 'Idempotency-Key' });
    }
    const input = withWebmaster(parseLeadInput(raw), source);
    const { offer, integration } = await this.routed(input.offer);
    const register = Boolean(integration?.flows['lead.register']);
    // the job's lead id is the new lead's: the store fills it in the same write. A lead the network
    // processes itself (no lead.new integration) is stored with no integration and nothing queued
    const jobs = register || !integration ? [] : [{ kind: 'lead.new' as const, integrationId: integration.id }];
    const integrationId = integration?.id ?? NO_INTEGRATION;
    const duplicates = duplicateCheck(offer, input);
    let lead: Lead;
    if (idempotencyKey === undefined && input.order_id === undefined && !duplicates) {
      lead = await this.store.insertLead(input, integrationId, jobs, source.id);
    } else {
      const keys = { source: source.id, idempotencyKey, orderId: input.order_id, bodyHash: bodyHash(input) };
      const stored = await this.store.insertLeadOnce(input, integrationId, jobs, keys, duplicates);
      if (stored.repeat) return answerRepeat(stored.repeat, register);
      if (stored.duplicate) return answerDuplicate(stored.duplicate, stored.lead);
      lead = stored.lead;
    }
    if (register) {
      const answer = await this.register(lead);
      if (idempotencyKey !== undefined || input.order_id !== undefined)
        await this.store.recordIntakeAnswer(lead.id, answer.status, answer.body);
      return answer;
    }
    if (jobs.length) this.onJobs();
    return { lead, status: 202, body: { id: lead.id, stage: lead.stage } };
  }

  /** Runs the synchronous registration and answers with what its Respond node gave. */
  private async register(lead: Lead): Promise<IntakeResult> {
    const result = await this.runner.runForLead('lead.register', lead);
    const error: NodeError | undefined = result.error;
    if (error) {
      return {
        lead,
        status: 502,
        body: { id: lead.id, error: 'delivery_failed', message: error.message, node: error.nodeId, execution: result.execution.id },
      };
    }
    const response: FlowResponse = result.response ?? { status: 200, body: { id: lead.id } };
    return { lead, status: response.status, body: response.body };
  }
}

/** The offer's duplicate check for this lead, or undefined when it has no rule (or the lead none of its fields). */
function duplicateCheck(offer: Offer, input: LeadInput): DuplicateCheck | undefined {
  const rule = offer.duplicates;
  if (!rule) return undefined;
  const values = duplicateValues(rule.fields, input);
  if (values.length === 0) return undefined;
  return { offer: offer.id, values, since: duplicateWindowStart(rule, new Date()), action: rule.action };
}

/** A duplicate's answer: refused (409, nothing stored) or stored as trash (202); both name the original. */
function answerDuplicate(duplicate: DuplicateMatch, trashed: Lead | undefined): IntakeResult {
  const { original, fields } = duplicate;
  if (trashed) {
    return {
      lead: trashed,
      status: 202,
      body: { id: trashed.id, stage: trashed.stage, reason: 'duplicate', original: original.id, fields },
    };
  }
  return {
    lead: original,
    status: 409,
    body: {
      error: 'duplicate',
      field: fields[0],
      fields,
      original: original.id,
      message: `${fields.join(', ')}: the offer already has lead ${original.id} with the same ${fields.length > 1 ? 'values' : 'value'}`,
    },
  };
}

/** SHA-256 of the checked lead with its keys sorted at every level: what "the same body" means. */
function bodyHash(input: LeadInput): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, canonical(record[k])]),
    );
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest('hex');
}

/**
 * The answer to a repeat: the original's, or a 422 naming the key when the fields differ. A
 * repeat of a registration still running (no stored answer yet) gets the lead's id and stage.
 */
function answerRepeat(repeat: IntakeRepeat, register: boolean): IntakeResult {
  const { lead, field } = repeat;
  if (!repeat.sameBody) {
    return {
      lead,
      status: 422,
      repeat: true,
      body: {
        error: 'idempotency_mismatch',
        field,
        message: `${field}: was already used by this source for lead ${lead.id} with other fields`,
        id: lead.id,
      },
    };
  }
  if (repeat.answer) return { lead, status: repeat.answer.status, body: repeat.answer.body, repeat: true };
  return { lead, status: register ? 200 : 202, body: { id: lead.id, stage: lead.stage }, repeat: true };
}

/**
 * The lead as its source may post it: for an offer the source's keys cover, and with the source's
 * webmaster as `wm` when it is a webmaster source (whatever the body said, so nobody posts as
 * someone else); a network source's `wm` must be one of its `webmasters` when it lists them.
 * @throws DomainError `forbidden` naming `offer` or `wm`.
 */
function withWebmaster(input: LeadInput, source: Source): LeadInput {
  if (!mayPostFor(source, input.offer)) {
    throw new DomainError('forbidden', `the intake key of source "${source.id}" is not for offer "${input.offer}"`, { field: 'offer' });
  }
  if (source.kind === 'webmaster') return { ...input, wm: source.webmaster };
  if (source.webmasters?.length && !(input.wm !== undefined && source.webmasters.includes(input.wm))) {
    throw new DomainError('forbidden', `source "${source.id}" may not post leads for this webmaster`, { field: 'wm' });
  }
  return input;
}
