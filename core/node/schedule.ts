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

const UNIT_WORDS: [number, string][] = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/**
 * A schedule in words, for people: an interval as "every 10 minutes", a cron pattern as itself
 * after "on the cron schedule" (croner has no words for patterns); a schedule that does not parse
 * as the text given.
 * @example describeSchedule('10m') // 'every 10 minutes'; describeSchedule('1h') // 'every hour'
 */
export function describeSchedule(text: string): string {
  let schedule: Schedule;
  try {
    schedule = parseSchedule(text);
  } catch {
    return text;
  }
  if ('cron' in schedule) return `on the cron schedule ${schedule.cron}`;
  const [size, word] = UNIT_WORDS.find(([unit]) => schedule.every % unit === 0) ?? [1, 'second'];
  const count = schedule.every / size;
  return count === 1 ? `every ${word}` : `every ${count} ${word}s`;
}
