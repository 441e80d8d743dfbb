/**
 * Bulk resend as long work (`POST /api/work/resend`): the leads still `new` that a filter selects
 * (the Leads page's filters, read as the list reads them — search, integration, offer, source,
 * webmaster, creation dates — and a delivery state, `failed` unless given) are found first, so
 * the total is known (`POST /api/work/resend/count` counts them before, for the confirmation), then resent a batch per write with a pause between batches, each
 * batch reported as progress; a cancel stops it before the next batch. Leads that changed since
 * they were found (delivered, or being sent right now) are skipped with that reason. One audit
 * entry records the filter, who started it and how it ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LeadCursor, JobQueue, LeadStore } from '../store/types.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import type { WorkReport } from '../../core/domain/work.ts';
import type { ResendCount, ResendFilter } from '../../core/api.ts';
import { checkFilter, listQueryOf, type LeadSelection } from './resend.ts';
import type { AuditRecorder } from './audit.ts';
import type { LongWork } from './long-work.ts';

/** How bulk work paces itself: leads per write, and a pause between writes so intake and deliveries keep their share. */
export interface BulkPace {
  batch: number;
  pauseMs: number;
}

export const DEFAULT_BULK_PACE: BulkPace = { batch: 200, pauseMs: 0 };

/** Leads read per page while the work finds what it will resend. */
const FIND_PAGE = 500;
/** A count for the confirmation stops here ("more than …"). */
export const COUNT_MAX = 10_000;

export const SKIPPED_CHANGED = 'changed since it was found (delivered, moved on, or being sent right now)';

export class BulkResend {
  constructor(
    private readonly store: LeadStore,
    private readonly jobs: JobQueue,
    private readonly work: LongWork,
    private readonly audit: AuditRecorder,
    private readonly onJobs: () => void,
    private readonly select: LeadSelection,
    private readonly pace: BulkPace = DEFAULT_BULK_PACE,
  ) {}

  /** How many leads the filter selects now (up to {@link COUNT_MAX}). @throws DomainError naming the filter field that is wrong. */
  async count(body: unknown): Promise<ResendCount> {
    const ids = await this.find(checkFilter(body), COUNT_MAX + 1);
    return { leads: Math.min(ids.length, COUNT_MAX), more: ids.length > COUNT_MAX };
  }

  /** The ids of the leads the filter selects, in the list's order, at most `max`. */
  private async find(filter: ResendFilter, max = Infinity): Promise<number[]> {
    const selection = await this.select(listQueryOf(filter));
    const ids: number[] = [];
    for (let after: LeadCursor | undefined; ids.length < max;) {
      const page = await this.store.listLeads({ ...selection, after, limit: FIND_PAGE });
      ids.push(...page.map((lead) => lead.id));
      if (page.length < FIND_PAGE) break;
      const last = page[page.length - 1];
      after = { createdAt: last.created_at, id: last.id };
    }
    return ids.slice(0, max);
  }

  /** Checks the filter and starts the work; answers its first report. @throws DomainError naming the filter field that is wrong. */
  start(body: unknown, actor?: SessionUser): WorkReport {
    const filter = checkFilter(body);
    const delivery = filter.delivery ?? 'failed';
    const scope = [
      filter.q && `“${filter.q}”`,
      filter.integration && `integration ${filter.integration}`,
      filter.offer && `offer ${filter.offer}`,
      filter.source && `source ${filter.source}`,
      filter.webmaster && `webmaster ${filter.webmaster}`,
      (filter.createdFrom || filter.createdTo) && 'the dates chosen',
    ].filter(Boolean);
    const title = `Resend the ${delivery} leads${scope.length ? ` of ${scope.join(', ')}` : ''}`;
    return this.work.start(
      'lead.resend-bulk',
      title,
      async (progress) => {
        const ids = await this.find(filter);
        progress.setTotal(ids.length);
        let resent = 0;
        try {
          for (let at = 0; at < ids.length && !progress.cancelled; at += this.pace.batch) {
            const batch = ids.slice(at, at + this.pace.batch);
            const done = await this.jobs.resendLeadJobs(batch, new Date());
            resent += done.length;
            if (done.length > 0) {
              progress.done(done.length);
              this.onJobs();
            }
            if (done.length < batch.length) progress.skipped(SKIPPED_CHANGED, batch.length - done.length);
            if (at + this.pace.batch < ids.length) await sleep(this.pace.pauseMs);
          }
        } finally {
          await this.audit.record({
            action: 'lead.resend-bulk',
            resourceType: 'lead',
            resourceId: '*',
            actor,
            after: { filter: { ...filter, delivery }, matched: ids.length, queued: resent, cancelled: progress.cancelled },
            note: `resent ${resent} of ${ids.length} leads${progress.cancelled ? ' (cancelled)' : ''}`,
          });
        }
      },
      actor?.name,
    );
  }
}
