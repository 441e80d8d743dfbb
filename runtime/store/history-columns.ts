/**
 * A lead's history entry as the columns of its `lead_history` row: the same names in both backends
 * (SQLite's sqlite-rows.ts, PostgreSQL's pg/rows.ts read them back), SQL NULL for what it lacks.
 */
import type { Stage, StageChange, StageSource } from '../../core/domain/lead.ts';

/** A `lead_history` row's columns but `lead_id` (the caller's) and `id`. */
export interface HistoryColumns {
  at: string;
  from_stage: Stage;
  stage: Stage;
  source: StageSource;
  status: string | null;
  reason: string | null;
  comment: string | null;
  payout: number | null;
}

export function historyColumns(h: StageChange): HistoryColumns {
  return {
    at: h.at,
    from_stage: h.from,
    stage: h.stage,
    source: h.source,
    status: h.status ?? null,
    reason: h.reason ?? null,
    comment: h.comment ?? null,
    payout: h.payout ?? null,
  };
}
