/**
 * The bench's commit figures (bench/commits.ts): what two readings of the store's counters say about
 * the commits and the WAL's syncs between them, the tail of the syncs included.
 */
import { describe, expect, it } from 'vitest';
import { commitFigures, commitNote, type CommitReading } from '../../bench/commits.ts';
import { CommitCounter } from '../../runtime/store/commit-stats.ts';

const reading = (counter: CommitCounter): CommitReading => ({ ...counter.read(), synchronous: 1 });

describe('commit figures', () => {
  it('give the syncs of the measurement alone: their mean, p99 and longest, as bucket bounds', () => {
    const counter = new CommitCounter();
    // before the measurement: one very slow sync, which must not count
    counter.count(1, 0.2);
    counter.synced(5000);
    const before = reading(counter);
    for (let i = 0; i < 99; i++) {
      counter.count(2, 0.5);
      counter.synced(2);
    }
    counter.count(2, 0.5);
    counter.synced(200);
    const figures = commitFigures(before, reading(counter), 200, 10);
    expect(figures).toMatchObject({ commits: 100, leadsPerCommit: 2, writesPerCommit: 2, commitsPerSecond: 10 });
    expect(figures.syncMeanMs).toBeCloseTo((99 * 2 + 200) / 100, 2);
    // bucket bounds are at most 19 % above the duration
    expect(figures.syncP99Ms).toBeGreaterThanOrEqual(2);
    expect(figures.syncP99Ms).toBeLessThan(2 * 1.19);
    expect(figures.syncMaxMs).toBeGreaterThanOrEqual(200);
    expect(figures.syncMaxMs).toBeLessThan(200 * 1.19);
    expect(commitNote(figures)).toContain(`longest ≤ ${figures.syncMaxMs} ms`);
  });

  it('say NaN, not zero, for syncs when there were none', () => {
    const counter = new CommitCounter();
    const before = reading(counter);
    const figures = commitFigures(before, reading(counter), 0, 1);
    expect(figures.syncMeanMs).toBeNaN();
    expect(figures.syncP99Ms).toBeNaN();
    expect(figures.syncMaxMs).toBeNaN();
  });
});
