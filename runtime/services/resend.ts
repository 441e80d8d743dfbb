/**
 * Resending leads whose delivery failed (or that wait in the queue): a lead still `new` gets its
 * `lead.new` job back in the queue as if new — attempts reset, due now, its age counted afresh —
 * one lead (`POST /api/leads/:id/resend`) or every lead a filter selects (`POST /api/leads/resend`),
 * each recorded in the audit log with who did it. A lead past `new` is never resent: the target
 * has given its verdict, and sending it again could make a second order.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LeadCursor, LeadQuery as StoreLeadQuery, JobQueue, LeadStore } from '../store/types.ts';
import { DomainError } from '../../core/domain/errors.ts';
import { leadDelivery, type LeadDelivery } from '../../core/domain/delivery.ts';
import type { LeadQuery, ResendAnswer, ResendFilter, ResendManyAnswer } from '../../core/api.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** Leads resent per write in a bulk resend; the event loop is let go between batches. */
export const RESEND_BATCH = 500;

/** The delivery states a bulk resend may select: those of leads still `new`. */
const RESENDABLE = ['failed', 'retrying', 'queued'] as const;
const FILTER_FIELDS = ['integration', 'offer', 'delivery', 'createdFrom', 'createdTo', 'q', 'stage', 'source', 'webmaster'];

/**
 * The store's query for a lead list's filters (LeadService.selection): with it a resend selects
 * the same leads the Leads page lists. Without a search, the filters map as they are.
 */
export type LeadSelection = (query: LeadQuery) => Promise<StoreLeadQuery>;

const plainSelection: LeadSelection = async (query) => {
  if (query.q !== undefined) throw new DomainError('invalid_field', 'a search is not read here', { field: 'q' });
  return {
    stage: query.stage,
    integrationId: query.integration,
    withHandoffs: query.integration !== undefined,
    offer: query.offer,
    source: query.source,
    webmaster: query.webmaster,
    delivery: query.delivery,
    createdFrom: query.from,
    createdTo: query.to,
  };
};

/** A resend filter as the lead list's query: the leads still `new` whose delivery is `failed` unless it says otherwise. */
export function listQueryOf(filter: ResendFilter): LeadQuery {
  const query: LeadQuery = {
    q: filter.q,
    stage: 'new',
    delivery: filter.delivery ?? 'failed',
    integration: filter.integration,
    offer: filter.offer,
    source: filter.source,
    webmaster: filter.webmaster,
    from: filter.createdFrom,
    to: filter.createdTo,
  };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as LeadQuery;
}

export class ResendService {
  constructor(
    private readonly store: LeadStore,
    private readonly jobs: JobQueue,
    private readonly onJobs: () => void = () => {},
    private readonly audit: AuditRecorder = NO_AUDIT,
    private readonly select: LeadSelection = plainSelection,
  ) {}

  /**
   * Puts one lead's `lead.new` job back in the queue; `action` names the audit entry
   * (`POST /api/leads/:id/deliver`, the older name of the same thing, keeps its own).
   * @throws DomainError `not_found` (field `id`); `conflict` (field `stage`) for a lead past `new`,
   * (field `delivery`) while its delivery is running.
   */
  async resend(id: number, action: 'lead.resend' | 'lead.deliver' = 'lead.resend', actor?: SessionUser): Promise<ResendAnswer> {
    const lead = Number.isSafeInteger(id) ? await this.store.getLead(id) : undefined;
    if (!lead) throw new DomainError('not_found', `no lead ${id}`, { field: 'id' });
    if (lead.stage !== 'new') {
      throw new DomainError(
        'conflict',
        `lead ${id} is in stage ${lead.stage}, not new: the target has already answered for it, and sending it again could make a second order`,
        { field: 'stage', details: { lead: id, stage: lead.stage } },
      );
    }
    const jobs = await this.jobs.jobsOfLead(id);
    const before = leadDelivery(lead.stage, jobs);
    if (jobs.findLast((j) => j.kind === 'lead.new')?.state === 'running') {
      throw new DomainError('conflict', `lead ${id} is being delivered right now; wait for the attempt to end`, { field: 'delivery' });
    }
    if (before) {
      const [resent] = await this.jobs.resendLeadJobs([id], new Date());
      // between the read and the write, the delivery was claimed or the lead moved on
      if (resent === undefined) throw new DomainError('conflict', `lead ${id} changed meanwhile; look at it again`, { field: 'delivery' });
    } else {
      // a lead that never had a delivery job (written before the queue had one): it gets its first
      await this.jobs.enqueue([{ kind: 'lead.new', leadId: id, integrationId: lead.integration }]);
    }
    this.onJobs();
    const delivery = leadDelivery(lead.stage, await this.jobs.jobsOfLead(id)) as LeadDelivery;
    await this.audit.record({
      action,
      resourceType: 'lead',
      resourceId: String(id),
      before: before && { delivery: before.state, attempts: before.attempts, lastError: before.lastError },
      after: { delivery: delivery.state, job: delivery.jobId },
      note: before ? `resent after ${before.attempts} attempts (${before.state})` : 'queued for its first delivery',
      actor,
    });
    return { id, queued: true, delivery };
  }

  /**
   * Resends every lead still `new` that the filter selects (its delivery `failed` unless it says
   * otherwise), newest first, {@link RESEND_BATCH} leads per write, yielding to the event loop
   * between batches so intake and deliveries go on meanwhile. Leads whose delivery is running are
   * left out. One audit entry records the filter and the count.
   * @throws DomainError `invalid_field` naming the filter field that is wrong.
   */
  async resendMany(body: unknown, actor?: SessionUser): Promise<ResendManyAnswer> {
    const filter = checkFilter(body);
    const delivery = filter.delivery ?? 'failed';
    const now = new Date();
    const selection = await this.select(listQueryOf(filter));
    let after: LeadCursor | undefined;
    let matched = 0;
    let queued = 0;
    for (;;) {
      const leads = await this.store.listLeads({ ...selection, after, limit: RESEND_BATCH });
      if (leads.length === 0) break;
      matched += leads.length;
      queued += (
        await this.jobs.resendLeadJobs(
          leads.map((lead) => lead.id),
          now,
        )
      ).length;
      const last = leads[leads.length - 1];
      after = { createdAt: last.created_at, id: last.id };
      if (leads.length < RESEND_BATCH) break;
      await nextTurn();
    }
    if (queued > 0) this.onJobs();
    await this.audit.record({
      action: 'lead.resend-bulk',
      resourceType: 'lead',
      resourceId: '*',
      after: { filter: { ...filter, delivery }, matched, queued },
      note: `resent ${queued} of ${matched} leads`,
      actor,
    });
    return { matched, queued };
  }
}

/** Reads a bulk resend's filter. @throws DomainError `invalid_field` naming the filter field that is wrong. */
export function checkFilter(body: unknown): ResendFilter {
  const given = body ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new DomainError('invalid_field', 'the filter must be a JSON object', { field: '(filter)' });
  }
  const raw = given as Record<string, unknown>;
  for (const field of Object.keys(raw)) {
    if (!FILTER_FIELDS.includes(field)) {
      throw new DomainError('invalid_field', `is not a filter (filters: ${FILTER_FIELDS.join(', ')})`, { field });
    }
  }
  const filter: ResendFilter = {};
  for (const field of ['integration', 'offer', 'source', 'webmaster', 'q'] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new DomainError('invalid_field', 'must be a non-empty text', { field });
    if (value.length > 200) throw new DomainError('invalid_field', 'is longer than 200 characters', { field });
    filter[field] = value;
  }
  if (raw.stage !== undefined) {
    if (raw.stage !== 'new')
      throw new DomainError('invalid_field', 'must be new: a lead past new has its verdict and is never resent', { field: 'stage' });
    filter.stage = 'new';
  }
  if (raw.delivery !== undefined) {
    if (!(RESENDABLE as readonly unknown[]).includes(raw.delivery)) {
      throw new DomainError('invalid_field', `must be one of ${RESENDABLE.join(', ')} (a delivered lead is never resent)`, {
        field: 'delivery',
      });
    }
    filter.delivery = raw.delivery as ResendFilter['delivery'];
  }
  for (const field of ['createdFrom', 'createdTo'] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    const at = typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(at)) throw new DomainError('invalid_field', 'must be a date and time (ISO 8601)', { field });
    filter[field] = new Date(at).toISOString();
  }
  return filter;
}
