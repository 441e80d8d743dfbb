/**
 * Status-check leases: a check runs once per schedule tick among every process on a store. Each
 * backend runs the same cases: PostgreSQL with two pools on one database (two processes), the
 * embedded store's within one process (two holders on one instance).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessCheckLeases, type CheckLeases } from '../../runtime/store/check-leases.ts';
import { PgCheckLeases } from '../../runtime/store/pg/check-leases.ts';
import { LOG_MIGRATIONS } from '../../runtime/store/pg/schema-log.ts';
import { scheduledTick } from '../../runtime/services/check-turns.ts';
import { freshDatabase, testPool } from '../support/postgres.ts';
import { waitFor } from '../support/harness.ts';

/** Two processes' views of one store's leases. */
interface LeasePair {
  a: CheckLeases;
  b: CheckLeases;
  close(): Promise<void>;
}

const CHECK = 'status.processing/crm';
const T1 = '2026-12-01T10:00:00.000Z';
const T2 = '2026-12-01T10:01:00.000Z';
const T3 = '2026-12-01T10:02:00.000Z';
const LONG = 60_000;

function defineCheckLeasesContract(name: string, open: () => Promise<LeasePair>): void {
  describe(name, () => {
    let pair: LeasePair;
    beforeEach(async () => {
      pair = await open();
    });
    afterEach(async () => {
      await pair.close();
    });

    it('gives a tick to exactly one of the processes asking for it at once', async () => {
      const asks = Array.from({ length: 10 }, (_, i) => (i % 2 ? pair.a : pair.b).claimTick(CHECK, T1, i % 2 ? 'a' : 'b', LONG));
      expect((await Promise.all(asks)).filter(Boolean)).toHaveLength(1);
    });

    it('never gives a tick again once it was claimed, finished or not, nor an earlier one', async () => {
      expect(await pair.a.claimTick(CHECK, T2, 'a', LONG)).toBe(true);
      expect(await pair.a.finish(CHECK, 'a')).toBe(true);
      expect(await pair.b.claimTick(CHECK, T2, 'b', LONG)).toBe(false);
      expect(await pair.a.claimTick(CHECK, T2, 'a', LONG)).toBe(false);
      expect(await pair.b.claimTick(CHECK, T1, 'b', LONG)).toBe(false);
      expect(await pair.b.claimTick(CHECK, T3, 'b', LONG)).toBe(true);
    });

    it('gives no later tick while the holder runs the check, and the next one once it finished', async () => {
      expect(await pair.a.claimTick(CHECK, T1, 'a', LONG)).toBe(true);
      expect(await pair.b.claimTick(CHECK, T2, 'b', LONG)).toBe(false);
      expect(await pair.a.claimTick(CHECK, T2, 'a', LONG)).toBe(false);
      expect(await pair.a.finish(CHECK, 'a')).toBe(true);
      expect(await pair.b.claimTick(CHECK, T3, 'b', LONG)).toBe(true);
    });

    it('keeps each check to itself', async () => {
      expect(await pair.a.claimTick(CHECK, T1, 'a', LONG)).toBe(true);
      expect(await pair.b.claimTick('status.processing/net', T1, 'b', LONG)).toBe(true);
      expect(await pair.b.claimTick('status.range/crm', T1, 'b', LONG)).toBe(true);
    });

    it('hands the next tick to another process once a holder stopped renewing, and the dead one can no longer renew or finish', async () => {
      expect(await pair.a.claimTick(CHECK, T1, 'a', 300)).toBe(true);
      expect(await pair.b.claimTick(CHECK, T2, 'b', LONG)).toBe(false);
      const started = Date.now();
      await waitFor(() => pair.b.claimTick(CHECK, T2, 'b', LONG), 'the lease to run out and b to take the next tick');
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(await pair.a.renew(CHECK, 'a', LONG)).toBe(false);
      expect(await pair.a.finish(CHECK, 'a')).toBe(false);
      // the dead holder's tick is not run again
      expect(await pair.a.claimTick(CHECK, T1, 'a', LONG)).toBe(false);
      expect(await pair.b.finish(CHECK, 'b')).toBe(true);
    });

    it('keeps the check while the holder renews past its lease length', async () => {
      expect(await pair.a.claimTick(CHECK, T1, 'a', 500)).toBe(true);
      const until = Date.now() + 1200;
      while (Date.now() < until) {
        expect(await pair.a.renew(CHECK, 'a', 500)).toBe(true);
        expect(await pair.b.claimTick(CHECK, T2, 'b', LONG)).toBe(false);
        await new Promise((resolve) => setTimeout(resolve, 75));
      }
      expect(await pair.a.finish(CHECK, 'a')).toBe(true);
      expect(await pair.b.claimTick(CHECK, T2, 'b', LONG)).toBe(true);
    });

    it('refuses a tick that is not a time and a lease that is not a length, naming the field', async () => {
      await expect(pair.a.claimTick(CHECK, 'soon', 'a', LONG)).rejects.toThrow(/tick/);
      await expect(pair.a.claimTick(CHECK, T1, 'a', 0)).rejects.toThrow(/leaseMs/);
      await expect(pair.a.renew(CHECK, 'a', Number.NaN)).rejects.toThrow(/leaseMs/);
    });
  });
}

defineCheckLeasesContract('the PostgreSQL check leases, two processes on one database', async () => {
  const database = await freshDatabase();
  const pools = [testPool({ connectionString: database.url, max: 3 }), testPool({ connectionString: database.url, max: 3 })];
  // until the migration runner is merged: each step's SQL in order
  for (const step of LOG_MIGRATIONS) await pools[0].query(step.sql);
  return {
    a: new PgCheckLeases(pools[0]),
    b: new PgCheckLeases(pools[1]),
    async close() {
      await Promise.all(pools.map((p) => p.end()));
      await database.drop();
    },
  };
});

defineCheckLeasesContract('the embedded check leases, two holders in one process', async () => {
  const leases = new ProcessCheckLeases();
  return { a: leases, b: leases, close: async () => {} };
});

describe('a scheduled tick', () => {
  const cron = { previousRuns: () => [] as Date[] };

  it('is the same in every process within one interval, whatever the phase of its timer', () => {
    const every = { every: 60 };
    expect(scheduledTick(every, new Date('2026-12-01T10:00:03.004Z'), cron)).toBe('2026-12-01T10:00:00.000Z');
    expect(scheduledTick(every, new Date('2026-12-01T10:00:59.990Z'), cron)).toBe('2026-12-01T10:00:00.000Z');
    expect(scheduledTick(every, new Date('2026-12-01T10:01:00.002Z'), cron)).toBe('2026-12-01T10:01:00.000Z');
  });

  it("is the cron pattern's latest match at or before the moment its timer fired", async () => {
    const { Cron } = await import('croner');
    const every5s = new Cron('*/5 * * * * *', { paused: true, timezone: 'UTC' });
    try {
      expect(scheduledTick({ cron: '*/5 * * * * *' }, new Date('2026-12-01T10:00:05.003Z'), every5s)).toBe('2026-12-01T10:00:05.000Z');
      expect(scheduledTick({ cron: '*/5 * * * * *' }, new Date('2026-12-01T10:00:06.900Z'), every5s)).toBe('2026-12-01T10:00:05.000Z');
    } finally {
      every5s.stop();
    }
  });
});
