/**
 * Leads after intake: reading them, and changing them under the stage rule. Every stage change
 * goes through {@link LeadService.applyUpdate}, which writes the history entry and, in the same
 * write, the one outgoing postback the change causes (keyed by the change, so it is sent once)
 * and the stage deliveries the offer's routes name (`lead.approved` flows, keyed so each is sent once).
 */
import {
  StageConflict,
  type ConfigStore,
  type Job,
  type LeadChange,
  type LeadCursor,
  type LeadQuery as StoreLeadQuery,
  type ExecutionLog,
  type JobQueue,
  type LeadStore,
  type NewJob,
} from '../store/types.ts';
import { stageIntegrations, stageJobKey } from '../../core/domain/routing.ts';
import { canMoveStage, isStage, STAGES, type Lead, type StageChange, type StageSource } from '../../core/domain/lead.ts';
import { DomainError } from '../../core/domain/errors.ts';
import type { LeadUpdate, LeadUpdateResult } from '../../core/node/contract.ts';
import type { LeadListAnswer, LeadListItem, LeadPage, LeadQuery, LeadView } from '../../core/api.ts';
import { leadSearchTerms } from '../../core/domain/lead-search.ts';
import { leadDelivery } from '../../core/domain/delivery.ts';
import { postbackUrlFor } from '../../core/domain/postback-macros.ts';
import { parseLeadInput } from './lead-input.ts';
import { offerCountries, sampleLeadFor } from '../../core/domain/sample-lead.ts';
import { REDACTED, Redactor } from '../engine/redact.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** A page of the lead list holds 50 leads unless asked for another size, and never more than 500. */
const LIST_PAGE = 50;
const LIST_MAX = 500;

/** The list's cursor as the API gives it: opaque to the caller (base64url of the last lead's time and id). */
export function writeCursor(cursor: LeadCursor): string {
  return Buffer.from(`${cursor.createdAt} ${cursor.id}`).toString('base64url');
}

/** @throws DomainError `invalid_field` (field `cursor`) for text that is not a cursor {@link writeCursor} gave. */
export function readCursor(text: string): LeadCursor {
  const [createdAt, id] = Buffer.from(text, 'base64url').toString().split(' ');
  if (!createdAt || Number.isNaN(Date.parse(createdAt)) || !/^\d+$/.test(id ?? '')) {
    throw new DomainError('invalid_field', 'is not a cursor this list gave (use the "next" of the previous page)', { field: 'cursor' });
  }
  return { createdAt, id: Number(id) };
}

/** What a stage change by hand is recorded with: the lead's stage and its details, not its personal fields. */
function stageOf(lead: Lead) {
  const { stage, status, statusCode, reason, statusComment, payout } = lead;
  return { stage, status, statusCode, reason, statusComment, payout };
}

/**
 * A job as answers show it: a delivery's checkpoint (`payload.resume`, sealed: it holds the target's
 * answers as they were) is only said to be there, never given, sealed or not.
 */
function shownJob(job: Job): Job {
  if (job.payload.resume === undefined) return job;
  return { ...job, payload: { ...job.payload, resume: REDACTED } };
}

export class LeadService {
  constructor(
    private readonly config: ConfigStore,
    private readonly store: LeadStore,
    private readonly jobs: JobQueue,
    private readonly executions: ExecutionLog,
    private readonly onJobs: () => void = () => {},
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {}

  async get(id: number): Promise<Lead> {
    const lead = Number.isSafeInteger(id) ? await this.store.getLead(id) : undefined;
    if (!lead) throw new DomainError('not_found', `no lead ${id}`, { field: 'id' });
    return lead;
  }

  async view(id: number): Promise<LeadView> {
    const lead = await this.get(id);
    const [history, deliveries, handoffs] = await Promise.all([
      this.store.history(id),
      this.jobs.jobsOfLead(id),
      this.store.handoffsOf(id),
    ]);
    const delivery = leadDelivery(lead.stage, deliveries);
    return {
      lead,
      history,
      deliveries: deliveries.map(shownJob),
      ...(delivery ? { delivery } : {}),
      ...(handoffs.length ? { handoffs } : {}),
    };
  }

  /** A lead's page: its view and its latest 50 executions, newest first. */
  async page(id: number): Promise<LeadPage> {
    const view = await this.view(id);
    const executions = await this.executions.listExecutions({ leadId: id, limit: 50 });
    return { ...view, executions };
  }

  /**
   * A page of leads, newest first, filtered as `GET /api/leads` asks, each with its delivery
   * state, and the cursor of the next page when this one is full.
   * @throws DomainError `invalid_field` (field `cursor`) for a cursor this list did not give.
   */
  async list(query: LeadQuery): Promise<LeadListAnswer> {
    const limit = Math.min(Math.max(query.limit || LIST_PAGE, 1), LIST_MAX);
    const leads = await this.store.listLeads({
      ...(await this.selection(query)),
      after: query.cursor === undefined ? undefined : readCursor(query.cursor),
      before: query.before,
      limit,
    });
    const states = await this.jobs.deliveryStates(leads.map((lead) => lead.id));
    const items: LeadListItem[] = await Promise.all(
      leads.map(async (lead) => {
        const delivery = states[lead.id];
        if (!delivery) return lead;
        if (delivery !== 'failed') return { ...lead, delivery };
        // a failed delivery says why on the list too: its jobs are read for the failed ones only (a page at most)
        const deliveryError = leadDelivery(lead.stage, await this.jobs.jobsOfLead(lead.id))?.lastError;
        return deliveryError ? { ...lead, delivery, deliveryError } : { ...lead, delivery };
      }),
    );
    const last = leads.at(-1);
    return { leads: items, ...(last && leads.length === limit ? { next: writeCursor({ createdAt: last.created_at, id: last.id }) } : {}) };
  }

  /**
   * The store's query for the lead list's filters (paging aside): the list, its CSV export and a
   * bulk resend of the list's failed leads select the same leads this way.
   */
  async selection(query: LeadQuery): Promise<StoreLeadQuery> {
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
      search: query.q === undefined ? undefined : leadSearchTerms(query.q, await this.searchCountries()),
    };
  }

  /** The countries a national phone number in a search is read against: every offer's geo. */
  private async searchCountries(): Promise<string[]> {
    const countries = new Set<string>();
    for (const offer of await this.config.listOffers()) for (const country of offerCountries(offer)) countries.add(country);
    return [...countries];
  }

  /**
   * The lead a test run uses: a stored one, or a sample made from the fields given (id 0, stage
   * `new`, of the integration under test), stored nowhere; with no fields given, the kernel's
   * sample for the integration (`sampleLeadFor`, core/domain/sample-lead.ts).
   * @throws DomainError `not_found` (field `leadId`) when the stored lead does not exist.
   */
  async testLead(integrationId: string, choice: { leadId: number } | { sample: unknown }): Promise<Lead> {
    if ('leadId' in choice) {
      const stored = await this.store.getLead(choice.leadId);
      if (!stored) throw new DomainError('not_found', `no lead ${choice.leadId}`, { field: 'leadId' });
      return stored;
    }
    // no lead given: the kernel's sample for this integration (an offer routed to it, a phone and country that fit)
    const sample =
      choice.sample === undefined
        ? sampleLeadFor(await this.config.getIntegration(integrationId), await this.config.listOffers())
        : choice.sample;
    const now = new Date().toISOString();
    return { ...parseLeadInput(sample), id: 0, integration: integrationId, stage: 'new', created_at: now, updated_at: now };
  }

  /**
   * Changes a lead's own fields (an upsell: more goods, a new comment or address) and, when its
   * integration has a `lead.update` flow and the lead was delivered, queues that update for the
   * target. The offer cannot change; the result is checked like a new lead.
   */
  async amend(id: number, body: unknown): Promise<{ lead: Lead; queued: boolean }> {
    const lead = await this.get(id);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new DomainError('invalid_field', 'the change must be a JSON object of lead fields', { field: '(lead)' });
    }
    const change = body as Record<string, unknown>;
    if (change.offer !== undefined && String(change.offer) !== lead.offer) {
      throw new DomainError('invalid_field', 'cannot change; send a new lead for another offer', { field: 'offer' });
    }
    const {
      id: _id,
      integration: _i,
      stage: _s,
      eid: _e,
      status: _st,
      statusCode: _sc,
      reason: _r,
      statusComment: _c,
      payout: _p,
      created_at: _ca,
      updated_at: _ua,
      ...current
    } = lead;
    const input = parseLeadInput({ ...current, ...change, offer: lead.offer });
    const integration = await this.config.getIntegration(lead.integration);
    const queue = Boolean(integration?.flows['lead.update']) && lead.stage !== 'new';
    const updated = await this.store.updateLead(lead.id, { input }, queue ? [{ kind: 'lead.update' }] : []);
    if (queue) this.onJobs();
    return { lead: updated, queued: queue };
  }

  /**
   * A stage set by hand (staff correcting a lead): under the same rule as every other change, with
   * `manual` as its source in the history.
   * @throws DomainError `conflict` when the rule refuses the move.
   */
  async setStageByHand(id: number, body: unknown, actor?: SessionUser): Promise<LeadUpdateResult> {
    const lead = await this.get(id);
    const change = (body ?? {}) as { stage?: unknown; status?: unknown; reason?: unknown; comment?: unknown; payout?: unknown };
    if (!isStage(change.stage)) throw new DomainError('invalid_field', `must be one of ${STAGES.join(', ')}`, { field: 'stage' });
    const text = (value: unknown, field: string): string | undefined => {
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string' && typeof value !== 'number') throw new DomainError('invalid_field', 'must be text', { field });
      return String(value);
    };
    const payout = change.payout === undefined || change.payout === '' ? undefined : Number(change.payout);
    if (payout !== undefined && !Number.isFinite(payout)) throw new DomainError('invalid_field', 'must be a number', { field: 'payout' });
    if (!canMoveStage(lead.stage, change.stage, 'manual')) {
      throw new DomainError('conflict', `a lead in ${lead.stage} cannot move to ${change.stage}`, { field: 'stage' });
    }
    const result = await this.applyUpdate(
      lead,
      {
        stage: change.stage,
        status: text(change.status, 'status'),
        reason: text(change.reason, 'reason'),
        comment: text(change.comment, 'comment'),
        payout,
      },
      'manual',
    );
    await this.audit.record({
      action: 'lead.stage',
      resourceType: 'lead',
      resourceId: String(lead.id),
      before: stageOf(lead),
      after: stageOf(result.lead),
      note: result.stageChanged ? undefined : 'the stage did not change',
      actor,
    });
    return result;
  }

  /**
   * Finds the lead a change is about: by our id or the target's, always within the integration —
   * its own leads, and those handed to it at a stage.
   */
  async find(change: Pick<LeadUpdate, 'oid' | 'eid'>, integrationId: string, fallback?: Lead): Promise<Lead | undefined> {
    if (change.oid !== undefined && change.oid !== '') {
      const id = Number(change.oid);
      const lead = Number.isSafeInteger(id) ? await this.store.getLead(id) : undefined;
      if (!lead) return undefined;
      if (lead.integration === integrationId) return lead;
      // a lead handed on at a stage (a fulfilment CRM) is that integration's to report on too
      return (await this.store.handoffsOf(lead.id)).some((h) => h.integration === integrationId) ? lead : undefined;
    }
    if (change.eid !== undefined && change.eid !== '') return this.store.findLeadByEid(integrationId, String(change.eid));
    return fallback;
  }

  /**
   * Applies a change to a lead under the stage rule for its source. A stage the rule refuses (a
   * late `wait` after `approve`, a `delivery` result for a lead past `new`) or the stage the lead
   * already has changes nothing and fires nothing (no postback); an
   * external id is stored when the lead has none yet — the lead's own `eid` when `integrationId` (the
   * integration whose run reports it) is the lead's, else its handoff's. When another write moved the lead between
   * our read and our write, the change is decided again on the fresh lead.
   */
  async applyUpdate(lead: Lead, change: LeadUpdate, source: StageSource, integrationId = lead.integration): Promise<LeadUpdateResult> {
    change = await this.withoutSecrets(integrationId, change);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.decideAndWrite(lead, change, source, integrationId);
      } catch (error) {
        if (!(error instanceof StageConflict) || attempt >= 5) throw error;
        lead = await this.get(lead.id);
      }
    }
  }

  /**
   * The change with the integration's secrets masked in what it writes to the lead: a target that
   * echoes the key in its error must not put it in the lead's reason, nor in the webmaster's postback.
   */
  private async withoutSecrets(integrationId: string, change: LeadUpdate): Promise<LeadUpdate> {
    const integration = integrationId ? await this.config.getIntegration(integrationId) : undefined;
    const redactor = new Redactor(Object.values(integration?.secrets ?? {}));
    if (redactor.empty) return change;
    const mask = (value: string | undefined) => (value === undefined ? undefined : redactor.text(value));
    return {
      ...change,
      status: mask(change.status),
      statusCode: mask(change.statusCode),
      reason: mask(change.reason),
      comment: mask(change.comment),
      setEid: mask(change.setEid),
    };
  }

  private async decideAndWrite(lead: Lead, change: LeadUpdate, source: StageSource, integrationId: string): Promise<LeadUpdateResult> {
    const write: LeadChange = {};
    if (change.setEid && integrationId === lead.integration) {
      if (change.setEid !== lead.eid) write.eid = change.setEid;
    } else if (change.setEid) {
      // the id at a CRM the lead was handed to: the first target's stays in `eid`
      const known = (await this.store.handoffsOf(lead.id)).find((h) => h.integration === integrationId)?.eid;
      if (change.setEid !== known) write.handoffEid = { integrationId, eid: change.setEid };
    }
    // judged by where the change comes from (the run's event), not by what the flow labels it
    const moves = change.stage !== undefined && canMoveStage(lead.stage, change.stage, source);
    const jobs: NewJob[] = [];
    if (moves && change.stage) {
      const at = new Date().toISOString();
      write.stage = change.stage;
      write.status = change.status;
      write.statusCode = change.statusCode;
      write.reason = change.reason;
      write.statusComment = change.comment;
      write.payout = change.payout;
      write.history = {
        at,
        from: lead.stage,
        stage: change.stage,
        source: change.source ?? source,
        status: change.status,
        reason: change.reason,
        comment: change.comment,
        payout: change.payout,
      };
      const { jobs: caused, handoffs } = await this.jobsForChange(lead, write.history);
      jobs.push(...caused);
      if (handoffs.length) write.handoffs = handoffs;
    } else if (change.stage === undefined) {
      // no stage given: the details alone may change (a comment from the operator)
      if (change.status !== undefined) write.status = change.status;
      if (change.statusCode !== undefined) write.statusCode = change.statusCode;
      if (change.reason !== undefined) write.reason = change.reason;
      if (change.comment !== undefined) write.statusComment = change.comment;
      if (change.payout !== undefined) write.payout = change.payout;
    }
    if (Object.keys(write).length === 0) return { lead, stageChanged: false };
    const updated = await this.store.updateLead(lead.id, write, jobs);
    if (jobs.length) this.onJobs();
    return { lead: updated, stageChanged: Boolean(write.history) };
  }

  /**
   * The jobs a stage change causes: the webmaster's postback, and a stage delivery to each
   * integration the offer routes the stage to (core/domain/routing.ts), keyed per lead,
   * integration and stage so a repeated status never sends it twice; `handoffs` are those of them
   * that are not the lead's own integration.
   */
  private async jobsForChange(lead: Lead, change: StageChange): Promise<{ jobs: NewJob[]; handoffs: string[] }> {
    const jobs: NewJob[] = [];
    const webmaster = lead.wm ? await this.config.getWebmaster(lead.wm) : undefined;
    const url = postbackUrlFor(webmaster, lead);
    if (url) {
      jobs.push({
        kind: 'postback.out',
        leadId: lead.id,
        integrationId: lead.integration,
        // one postback per change: the stage rule never repeats a transition for a lead
        key: `postback:${lead.id}:${change.from}>${change.stage}`,
        payload: { url, method: 'GET', stage: change.stage, status: change.status, payout: change.payout },
      });
    }
    const offer = await this.config.getOffer(lead.offer);
    const handoffs: string[] = [];
    for (const integration of stageIntegrations(offer, lead, change.stage, await this.config.listIntegrations())) {
      jobs.push({
        kind: 'lead.approved',
        leadId: lead.id,
        integrationId: integration.id,
        key: stageJobKey(lead.id, integration.id, change.stage),
        payload: { stage: change.stage },
      });
      if (integration.id !== lead.integration) handoffs.push(integration.id);
    }
    return { jobs, handoffs };
  }
}
