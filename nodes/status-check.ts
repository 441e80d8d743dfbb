import { defineNode } from '../core/node/contract.ts';
import { param } from '../core/node/params.ts';
import { formatPhpDate } from '../core/template/php.ts';

/**
 * Status Check: starts a flow on a schedule to ask the target for the statuses of our leads.
 * The flow's event says which check it is:
 * - `status.processing`: this integration's leads in `wait` or `hold`, in batches;
 * - `status.approved`: its approved leads of the last `days` days (a CRM may still return them);
 * - `status.range`: everything the target changed in a window `from`–`to`, page by page.
 *
 * Its output, also the template root `batch`:
 * - processing and approved: `{ ids: number[], eids: string[], leads: [{ id, eid, stage, status }] }`,
 *   e.g. `{{batch.eids | join:","}}`;
 * - range: `{ from, to, page, offset, cursor }`, `from`/`to` written in `format` and `timeZone`,
 *   `page` from 1, `offset` from 0 (Next Page's offset paging), `cursor` what Next Page gave.
 *
 * A range check with `lookbackDays` also asks, every time, about the last that many days (up to
 * 90): for a target that filters its list by registration date, so a deposit made days after
 * sign-up still shows. Version 2 added it; flows saved at version 1 keep 0 (no lookback).
 *
 * Ports: no input; `out` → the batch.
 */
/** How far back a date-range check may look. */
export const MAX_LOOKBACK_DAYS = 90;

export const statusCheck = defineNode({
  type: 'status-check',
  version: 2,
  title: 'Status Check',
  category: 'trigger',
  description: 'Starts the flow on a schedule with a batch of our leads (or a time window) to ask the target about.',
  inputs: [],
  outputs: ['out'],
  events: ['status.processing', 'status.approved', 'status.range'],
  params: {
    schedule: param.text({
      label: 'How often',
      help: 'An interval such as 30s, 10m or 1h, or a cron expression such as */15 * * * *.',
      default: '10m',
      required: true,
      format: 'schedule',
    }),
    batchSize: param.number({
      label: 'Leads per request',
      help: 'How many leads one request asks about (processing and approved checks). Most targets take 50 to 500.',
      default: 100,
      min: 1,
      max: 5000,
    }),
    days: param.number({
      label: 'Approved leads of the last … days',
      help: 'The approved check looks at leads created this many days ago or later.',
      default: 30,
      min: 1,
      max: 365,
    }),
    windowMinutes: param.number({
      label: 'Window (minutes)',
      help: 'The date-range check asks for changes from the end of the last window to now, at most this long.',
      default: 60,
      min: 1,
      max: 44640,
    }),
    overlapMinutes: param.number({
      label: 'Overlap (minutes)',
      help: 'Each window starts this much before the last one ended, so a change recorded late is not missed.',
      default: 10,
      min: 0,
      max: 1440,
    }),
    lookbackDays: param.number({
      label: 'Look back (days)',
      help: 'Date-range check: every check asks again about this many days before now, for a target that filters by registration date (a deposit days after sign-up). 0: only what changed since the last check.',
      default: 3,
      min: 0,
      max: MAX_LOOKBACK_DAYS,
    }),
    format: param.select(['epoch', 'Y-m-d H:i:s', 'iso'], {
      label: 'Date format',
      help: 'How {{batch.from}} and {{batch.to}} are written: seconds since 1970, Y-m-d H:i:s, or ISO 8601.',
      default: 'Y-m-d H:i:s',
    }),
    timeZone: param.text({
      label: 'Time zone',
      help: "The target's time zone for the window, e.g. Europe/Moscow.",
      default: 'UTC',
    }),
  },
  trigger: {
    schedule: (params) => ({
      schedule: params.schedule,
      batchSize: params.batchSize,
      days: params.days,
      window: {
        minutes: params.windowMinutes,
        overlapMinutes: params.overlapMinutes,
        lookbackDays: Math.max(0, Math.min(MAX_LOOKBACK_DAYS, params.lookbackDays)),
        stamp: (date) => stamp(date, params.format, params.timeZone),
      },
    }),
  },
  // before version 2 there was no lookback: a saved flow keeps asking only about changes
  migrate: (params, fromVersion) => (fromVersion < 2 ? { lookbackDays: 0, ...params } : params),
  execute: ({ input }) => ({ output: input }),
});

/** A window's end as the target wants it: Unix seconds, or a date text in its time zone. */
function stamp(date: Date, format: 'epoch' | 'Y-m-d H:i:s' | 'iso', timeZone: string): string | number {
  if (format === 'epoch') return Math.floor(date.getTime() / 1000);
  return formatPhpDate(date, format === 'iso' ? 'c' : 'Y-m-d H:i:s', timeZone);
}
