/**
 * The operations dashboard's rules and answer: the approval rate, the ranges the chart covers and
 * their hourly buckets, and what "time to first status" means. The runtime computes the numbers
 * (`GET /api/dashboard`), the editor draws them; both read the rules here.
 */
import { STAGES, type Stage } from './lead.ts';

/** The ranges the dashboard covers, each in hourly buckets: 24, 168 or 720 of them. */
export const DASHBOARD_RANGES = ['24h', '7d', '30d'] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];

const RANGE_HOURS: Record<DashboardRange, number> = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 };

export function isDashboardRange(value: unknown): value is DashboardRange {
  return typeof value === 'string' && (DASHBOARD_RANGES as readonly string[]).includes(value);
}

/**
 * An hour's key as the counters store it: the first 13 characters of an ISO time, in UTC.
 * @example hourKey('2026-12-01T16:42:05.123Z') // '2026-12-01T16'
 */
export function hourKey(iso: string): string {
  return iso.slice(0, 13);
}

/**
 * The hourly buckets of a range ending with the hour `now` falls in, oldest first, as hour keys
 * ({@link hourKey}). The current hour counts as a whole bucket, so `24h` is the last 23 full hours
 * and this one.
 * @example rangeHours('24h', new Date('2026-12-01T16:42:00Z')) // ['2026-11-30T17', …, '2026-12-01T16'] (24 keys)
 */
export function rangeHours(range: DashboardRange, now: Date): string[] {
  const count = RANGE_HOURS[range];
  const last = Math.floor(now.getTime() / 3_600_000);
  const hours: string[] = [];
  for (let hour = last - count + 1; hour <= last; hour++) hours.push(hourKey(new Date(hour * 3_600_000).toISOString()));
  return hours;
}

/**
 * The approval rate of leads by their stage: approved over those the target has decided on —
 * `approve / (approve + cancel + trash)`. Leads still `new`, `wait` or `hold` are not decided and
 * do not count; with none decided the rate is `null` (not 0: nothing was refused either).
 * @example approvalRate({ approve: 30, cancel: 60, trash: 10 }) // 0.3
 */
export function approvalRate(stages: Partial<Record<Stage, number>>): number | null {
  const approve = stages.approve ?? 0;
  const decided = approve + (stages.cancel ?? 0) + (stages.trash ?? 0);
  return decided === 0 ? null : approve / decided;
}

/**
 * Whether a stage change is a lead's *first status*: the first move to a stage other than `new`
 * and `wait` — the target's first verdict on it (`hold`, `approve`, `cancel` or `trash`), by a
 * delivery, a status check, a postback or a hand. A lead trashed at intake as a duplicate never
 * reached the target and has no first status. *Time to first status* is the time from the lead's
 * intake (`created_at`) to that move; the dashboard shows its median per integration over the
 * newest {@link FIRST_STATUS_SAMPLE} leads whose first status came in the range.
 */
export function isFirstStatusMove(from: Stage, to: Stage): boolean {
  return (from === 'new' || from === 'wait') && to !== 'new' && to !== 'wait';
}

/** How many of the newest first statuses the median of time to first status is taken over. */
export const FIRST_STATUS_SAMPLE = 1000;

/** Leads per stage, every stage present. */
export type StageCounts = Record<Stage, number>;

export function emptyStageCounts(): StageCounts {
  return Object.fromEntries(STAGES.map((stage) => [stage, 0])) as StageCounts;
}

/** One integration's time to first status (see {@link isFirstStatusMove}). */
export interface FirstStatusTime {
  integration: string;
  /** Median seconds from intake to first status; `null` with no lead in the range. */
  medianSeconds: number | null;
  /** The leads the median was taken over (at most {@link FIRST_STATUS_SAMPLE}). */
  leads: number;
}

/** A status check's last run, as the dashboard lists it. */
export interface DashboardCheck {
  integration: string;
  event: string;
  /** When it runs next, if scheduled. */
  next?: string;
  running: boolean;
  last?: { startedAt: string; durationMs: number; runs: number; leads: number; error?: string };
}

/**
 * `GET /api/dashboard?integration=&range=24h|7d|30d`, also each event of `GET /api/dashboard/stream`.
 * Stage counts and the chart count leads *created* in the range by the stage they are in now,
 * from hourly counters kept in the same write as each lead's insert and stage change.
 * @example { range: '24h', stages: { new: 3, wait: 10, hold: 0, approve: 5, cancel: 4, trash: 1 }, total: 23, approvalRate: 0.5, … }
 */
export interface DashboardSummary {
  /** When it was computed. */
  at: string;
  range: DashboardRange;
  /** The integration it is limited to; absent: all of them. */
  integration?: string;
  stages: StageCounts;
  total: number;
  /** {@link approvalRate} of `stages`. */
  approvalRate: number | null;
  /**
   * Deliveries given up (resendable) and waiting for a retry, now; with `latest`, the newest lead
   * whose delivery failed and why (the target's refusal, no verdict, out of attempts).
   */
  delivery: { failed: number; retrying: number; latest?: { lead: number; integration: string; error: string } };
  /** Jobs (deliveries and postbacks) waiting in the queue and being run, now. */
  queue: { queued: number; running: number };
  /** Integrations whose circuit breaker is open or probing (deliveries held). */
  breakersOpen: string[];
  /** Integrations paused by hand (their deliveries wait). */
  paused: string[];
  checks: DashboardCheck[];
  /** Leads per hour by stage: `hours` are ISO times of each hour's start, each stage has one count per hour. */
  chart: { hours: string[]; stages: Record<Stage, number[]> };
  firstStatus: FirstStatusTime[];
}
