/**
 * The contract every {@link CheckpointStore} keeps: a key reads back the value last set for it,
 * each key apart from the others, and a restart keeps them.
 *
 * @example
 * defineCheckpointStoreContract('SQLite', async () => {
 *   const records = openSqliteLeadStore(file);
 *   return { store: records, close: () => records.close() };
 * });
 */
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../../../runtime/store/types.ts';
import { subjects, type Factory } from './subject.ts';

export interface CheckpointStoreSubject {
  store: CheckpointStore;
  /** Closes this subject and opens the same data again (a restart). */
  reopen(): Promise<CheckpointStoreSubject>;
  close(): Promise<void>;
}

export function defineCheckpointStoreContract(name: string, factory: Factory<CheckpointStoreSubject>): void {
  const opened = subjects(factory);

  describe(`${name}: the checkpoint store contract`, () => {
    it('an unset key reads as undefined; a set one reads back the value last set, each key apart', async () => {
      const { store } = await opened.open();
      expect(await store.getCheckpoint('range:crm')).toBeUndefined();
      await store.setCheckpoint('range:crm', '2026-12-01T10:00:00.000Z');
      await store.setCheckpoint('range:shop', '2026-12-01T09:00:00.000Z');
      await store.setCheckpoint('range:crm', '2026-12-01T10:05:00.000Z');
      expect(await store.getCheckpoint('range:crm')).toBe('2026-12-01T10:05:00.000Z');
      expect(await store.getCheckpoint('range:shop')).toBe('2026-12-01T09:00:00.000Z');
    });

    it('keeps any string as it is given', async () => {
      const { store } = await opened.open();
      const value = JSON.stringify({ cursor: 'ä€😀', n: 1 });
      await store.setCheckpoint('odd key: with spaces', value);
      expect(await store.getCheckpoint('odd key: with spaces')).toBe(value);
    });

    it('concurrent sets of one key leave one of the values, whole', async () => {
      const { store } = await opened.open();
      const values = Array.from({ length: 10 }, (_, n) => `2026-12-01T10:0${n}:00.000Z`);
      await Promise.all(values.map((value) => store.setCheckpoint('range:crm', value)));
      expect(values).toContain(await store.getCheckpoint('range:crm'));
    });

    it('keeps the checkpoints across a restart', async () => {
      const first = await opened.open();
      await first.store.setCheckpoint('range:crm', 'kept');
      const again = await opened.reopen(first);
      expect(await again.store.getCheckpoint('range:crm')).toBe('kept');
    });
  });
}
