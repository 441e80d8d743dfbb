/**
 * Long work — a bulk resend, a status check run by hand — as the operator follows it: started, it
 * gets an id; while it runs it reports progress (done, failed, skipped with reasons, out of a
 * total when known) to whoever listens (`GET /api/work/:id/stream`, server-sent events) or asks
 * (`GET /api/work/:id`); it can be cancelled between steps; once over, its summary is kept for
 * {@link WORK_KEPT_MS} so a page opened late still shows how it ended. Kept in this process's
 * memory: work does not outlive the runtime, and neither does its report.
 *
 * @example
 * const work = longWork.start('lead.resend-bulk', 'Resend failed leads of crm', async (progress) => {
 *   for (const lead of leads) {
 *     if (progress.cancelled) break;
 *     progress.done(1);
 *   }
 * });
 */
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../core/domain/errors.ts';
import type { WorkReport } from '../../core/domain/work.ts';

export type { WorkReport };

/** How long a finished work's summary stays readable. */
export const WORK_KEPT_MS = 60 * 60_000;

/** What the work's own code reports through. */
export interface WorkProgress {
  /** True once someone asked to cancel: the work stops at its next step. */
  readonly cancelled: boolean;
  setTotal(total: number): void;
  /** `count` items done; `outcomes` splits them by what they came to (a status check's `{ moved, unchanged }`). */
  done(count?: number, outcomes?: Record<string, number>): void;
  failed(reason: string, count?: number): void;
  skipped(reason: string, count?: number): void;
}

type Listener = (report: WorkReport) => void;

interface Entry {
  report: WorkReport;
  cancelled: boolean;
  listeners: Set<Listener>;
}

function copyOf(report: WorkReport): WorkReport {
  return { ...report, skipped: { ...report.skipped }, ...(report.outcomes ? { outcomes: { ...report.outcomes } } : {}) };
}

export class LongWork {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly keptMs = WORK_KEPT_MS) {}

  /**
   * Starts `run` at once (it goes on after this returns) and answers its report. A throw from
   * `run` ends the work as `failed` with the error's message; its counts so far are kept.
   */
  start(kind: string, title: string, run: (progress: WorkProgress) => Promise<void>, by?: string): WorkReport {
    this.forgetOld();
    const report: WorkReport = {
      id: randomUUID(),
      kind,
      title,
      state: 'running',
      done: 0,
      failed: 0,
      skipped: {},
      startedAt: new Date().toISOString(),
    };
    if (by) report.by = by;
    const entry: Entry = { report, cancelled: false, listeners: new Set() };
    this.entries.set(report.id, entry);
    const changed = () => this.tell(entry);
    const progress: WorkProgress = {
      get cancelled() {
        return entry.cancelled;
      },
      setTotal(total) {
        report.total = total;
        changed();
      },
      done(count = 1, outcomes) {
        report.done += count;
        for (const [what, n] of Object.entries(outcomes ?? {})) {
          report.outcomes ??= {};
          report.outcomes[what] = (report.outcomes[what] ?? 0) + n;
        }
        changed();
      },
      failed(reason, count = 1) {
        report.failed += count;
        report.error = reason;
        changed();
      },
      skipped(reason, count = 1) {
        report.skipped[reason] = (report.skipped[reason] ?? 0) + count;
        changed();
      },
    };
    void Promise.resolve()
      .then(() => run(progress))
      .then(
        () => this.end(entry, entry.cancelled ? 'cancelled' : 'done'),
        (error: unknown) => this.end(entry, 'failed', error instanceof Error ? error.message : String(error)),
      );
    return { ...report };
  }

  /** The work's report now. @throws DomainError `not_found` (field `id`) for an unknown or forgotten work. */
  get(id: string): WorkReport {
    return copyOf(this.entry(id).report);
  }

  /** Asks the work to stop at its next step; answers its report (a finished work is left as it ended). */
  cancel(id: string): WorkReport {
    const entry = this.entry(id);
    if (entry.report.state === 'running') entry.cancelled = true;
    return copyOf(entry.report);
  }

  /** Calls `listener` with the report on each change and once at the end; answers the function that stops it. */
  listen(id: string, listener: Listener): () => void {
    const entry = this.entry(id);
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }

  private entry(id: string): Entry {
    const entry = this.entries.get(id);
    if (!entry)
      throw new DomainError('not_found', `no work ${id} (a finished work is kept for ${WORK_KEPT_MS / 60_000} minutes)`, { field: 'id' });
    return entry;
  }

  private end(entry: Entry, state: WorkReport['state'], error?: string): void {
    entry.report.state = state;
    entry.report.endedAt = new Date().toISOString();
    if (error) entry.report.error = error;
    this.tell(entry);
    entry.listeners.clear();
  }

  private tell(entry: Entry): void {
    const copy = copyOf(entry.report);
    for (const listener of entry.listeners) listener(copy);
  }

  private forgetOld(): void {
    const before = Date.now() - this.keptMs;
    for (const [id, entry] of this.entries) {
      if (entry.report.endedAt && Date.parse(entry.report.endedAt) < before) this.entries.delete(id);
    }
  }
}
