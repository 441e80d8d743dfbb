/**
 * Who is told of configuration changes ({@link ConfigStore.onChange}): one list of listeners per
 * store, shared by the embedded store (its own writes, one process) and the PostgreSQL store
 * (every process's writes, through `LISTEN/NOTIFY`), so what caches configuration follows either
 * the same way.
 */
import type { ConfigChange, ConfigChangeListener } from './types.ts';

/** Everything may have changed: what a listener is told after notifications could have been missed. */
export const EVERYTHING: ConfigChange = { kind: 'all', id: '*' };

export class ConfigChangeListeners {
  private readonly listeners = new Set<ConfigChangeListener>();

  /** Adds a listener; answers the function that removes it again. */
  add(listener: ConfigChangeListener): () => void {
    // wrapped, so the same function added twice is told twice and removed once per removal
    const entry: ConfigChangeListener = (change) => listener(change);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Tells every listener; one that throws does not keep the change from the others. */
  emit(change: ConfigChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's own failure is its business: the store's write has happened either way
      }
    }
  }
}
