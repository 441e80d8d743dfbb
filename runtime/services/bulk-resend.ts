/**
 * Bulk resend as long work (`POST /api/work/resend`): the leads still `new` that a filter selects
 * (integration, offer, delivery state — `failed` unless given — and creation dates) are found
 * first, so the total is known, then resent a batch per write with a pause between batches, each
 * batch reported as progress; a cancel stops it before the next batch. Leads that changed since
 * they were found (delivered, or being sent right now) are skipped with that reason. One audit
 * entry records the filter, who started it and how it ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LeadStore } from '../store/types.ts';
import type { SessionUser } from '../../core/domain/user.ts';
import type { WorkReport } from '../../core/domain/work.ts';
import { checkFilter } from './resend.ts';
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

export const SKIPPED_CHANGED = 'changed since it was found (delivered, moved on, or being sent right now)';

export class BulkResend {
  constructor(
    private readonly store: LeadStore,
    private readonly work: LongWork,
    private readonly audit: AuditRecorder,
    private readonly onJobs: () => void,
    private readonly pace: BulkPace = DEFAULT_BULK_PACE,
  ) {}

  /** Checks the filter and starts the work; answers its first report. @throws DomainError naming the filter field that is wrong. */
  start(body: unknown, actor?: SessionUser): WorkReport {
    const filter = checkFilter(body);
    const delivery = filter.delivery ?? 'failed';
    const scope = [filter.integration && `integration ${filter.integration}`, filter.offer && `offer ${filter.offer}`].filter(Boolean);
    const title = `Resend the ${delivery} leads${scope.length ? ` of ${scope.join(', ')}` : ''}`;
    return this.work.start(
      'lead.resend-bulk',
      title,
      async (progress) => {
        const ids: number[] = [];
        for (let before: number | undefined; ;) {
          const page = await this.store.listLeads({
            stage: 'new',
            integrationId: filter.integration,
            offer: filter.offer,
            delivery,
            createdFrom: filter.createdFrom,
            createdTo: filter.createdTo,
            before,
            limit: FIND_PAGE,
          });
          ids.push(...page.map((lead) => lead.id));
          if (page.length < FIND_PAGE) break;
          before = page[page.length - 1].id;
        }
        progress.setTotal(ids.length);
        let resent = 0;
        try {
          for (let at = 0; at < ids.length && !progress.cancelled; at += this.pace.batch) {
            const batch = ids.slice(at, at + this.pace.batch);
            const done = await this.store.resendLeadJobs(batch, new Date());
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
