/**
 * The in-process {@link SharedTokens}: the token cache of token-cache.ts, with one login at a time
 * per integration and key in this process (a single flight: the runs that find no token while one
 * logs in wait for it, then take its token). Right for one process (the embedded store); the
 * PostgreSQL one (store/pg/shared-tokens.ts) shares the tokens and the lock across processes.
 */
import type { SharedCache } from '../../core/node/contract.ts';
import type { SharedTokens } from '../store/coordination.ts';
import { SingleFlight } from '../store/single-flight.ts';
import { TokenCache } from './token-cache.ts';

export class InProcessTokens implements SharedTokens {
  private readonly flights = new SingleFlight();

  constructor(private readonly cache = new TokenCache()) {}

  scope(integrationId: string): SharedCache {
    const local = this.cache.scope(integrationId);
    return {
      get: async (key) => local.get(key),
      set: async (key, value, ttlMs) => local.set(key, value, ttlMs),
      delete: async (key) => local.delete(key),
      alone: (key, work) => this.flights.run(`${integrationId}\u0000${key}`, work),
    };
  }

  async close(): Promise<void> {}
}
