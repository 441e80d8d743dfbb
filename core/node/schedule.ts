/**
 * Schedules as integrators write them: an interval (`30s`, `10m`, `1h`, `1d`) or a cron expression
 * (`*\/15 * * * *`, five or six fields). Browser-safe: the editor checks them as you type.
 */
import { CronPattern } from 'croner';

export type Schedule = { every: number } | { cron: string };

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * @returns the schedule, an interval in seconds or a cron pattern.
 * @throws Error saying what is wrong.
 * @example parseSchedule('10m') // { every: 600 }
 */
export function parseSchedule(text: string): Schedule {
  const value = String(text ?? '').trim();
  const interval = /^(\d+)\s*([smhd])$/i.exec(value);
  if (interval) {
    const seconds = Number(interval[1]) * UNITS[interval[2].toLowerCase()];
    if (seconds < 1) throw new Error('an interval must be at least 1s');
    return { every: seconds };
  }
  const fields = value.split(/\s+/).filter(Boolean).length;
  if (fields !== 5 && fields !== 6) throw new Error(`"${value}" is neither an interval such as 10m nor a cron expression of 5 or 6 fields`);
  try {
    new CronPattern(value);
  } catch (error) {
    throw new Error(`"${value}" is not a cron expression: ${(error as Error).message}`, { cause: error });
  }
  return { cron: value };
}
