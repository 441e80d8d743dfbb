/**
 * The cache nodes keep values in between runs — session tokens above all (Auth Token logs in once
 * and reuses the token until it expires). In memory, per runtime: a restart logs in again, which
 * every target allows. Bounded: past `maxEntries`, the entry used longest ago goes first.
 *
 * The executor hands each run a view scoped to its integration, so two integrations never see
 * each other's tokens, however their nodes name the keys.
 *
 * @example
 * const cache = new TokenCache();
 * const crm = cache.scope('fin-crm');
 * crm.set('token', 'abc', 3_600_000);
 * crm.get('token'); // 'abc' for the next hour
 */
import type { NodeCache } from '../../core/node/contract.ts';

interface Entry {
  value: unknown;
  expiresAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A view of the cache whose keys live under `scope` (an integration id). */
  scope(scope: string): NodeCache {
    const prefix = `${scope}\u0000`;
    return {
      get: (key) => this.get(prefix + key),
      set: (key, value, ttlMs) => this.set(prefix + key, value, ttlMs),
      delete: (key) => void this.entries.delete(prefix + key),
    };
  }

  get size(): number {
    return this.entries.size;
  }

  private get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // re-inserted so the map's order stays "used longest ago first"
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  private set(key: string, value: unknown, ttlMs: number): void {
    this.entries.delete(key);
    if (!(ttlMs > 0)) return;
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
