/**
 * What a contract suite is given: a factory that opens a fresh, empty store of the backend under
 * test for each test. Every suite's subject has the same shape — the interface under test as
 * `store`, beside it what the suite needs to set up or observe through other interfaces of the
 * same backend (the lead store's invariants are about the jobs its writes make, so it gets the
 * backend's `jobs`), and:
 * - `reopen`: closes this subject and opens the same data again, as a restart does;
 *   answers the new subject, which the suite closes instead;
 * - `close()`: closes what the factory opened and removes its data (a temporary folder, a database).
 *
 * The suite closes exactly the last subject it got (the factory's, or the one `reopen` answered).
 */
import { afterEach } from 'vitest';

export interface Subject<Store> {
  store: Store;
  close(): Promise<void>;
}

export type Factory<S> = () => Promise<S>;

/** One test's subject, opened by `open()` and closed after the test, following `reopen`s. */
export function subjects<S extends { close(): Promise<void> }>(factory: Factory<S>) {
  let current: S | undefined;
  afterEach(async () => {
    const last = current;
    current = undefined;
    await last?.close();
  });
  return {
    async open(): Promise<S> {
      current = await factory();
      return current;
    },
    /** Reopens the current subject (its `reopen`) and follows it. */
    async reopen(subject: S & { reopen?(): Promise<S> }): Promise<S> {
      if (!subject.reopen) throw new Error('this backend cannot reopen');
      current = undefined;
      current = await subject.reopen();
      return current;
    },
  };
}
