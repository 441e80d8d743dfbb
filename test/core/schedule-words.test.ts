import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../core/node/schedule.ts';

describe('a schedule in words', () => {
  it('says an interval in its largest whole unit', () => {
    expect(describeSchedule('10m')).toBe('every 10 minutes');
    expect(describeSchedule('1h')).toBe('every hour');
    expect(describeSchedule('90m')).toBe('every 90 minutes');
    expect(describeSchedule('120m')).toBe('every 2 hours');
    expect(describeSchedule('30s')).toBe('every 30 seconds');
    expect(describeSchedule('1d')).toBe('every day');
  });

  it('names a cron pattern as one, and leaves text that is no schedule as it is', () => {
    expect(describeSchedule('*/15 * * * *')).toBe('on the cron schedule */15 * * * *');
    expect(describeSchedule('soon')).toBe('soon');
  });
});
