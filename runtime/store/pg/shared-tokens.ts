/**
 * {@link SharedTokens} on PostgreSQL: the values nodes keep between runs (Auth Token's session
 * token) in `node_tokens`, seen by every runtime process on the database, with one login at a
 * time per integration and key across all of them.
 *
 * At rest a value is sealed with the integration secrets' key (AES-256-GCM, bound to its
 * integration and key: store/secret-box.ts `tokenSeal`) and named by an HMAC of its key, so the
 * table holds neither a token nor a hash of the credentials it was got with. A value's expiry is
 * a column, read by the database's clock: an expired value is never answered, and expired rows are
 * swept whenever a value is kept.
 *
 * The login lock is a session advisory lock (`pg_advisory_lock` on a 64-bit hash of the
 * integration and key) on a connection of its own, opened for the login's length, rather than a
 * lease row: PostgreSQL frees it the moment the holder's connection drops, so a process killed in
 * the middle of a login blocks the others not a moment, and a login may take as long as its
 * timeout (up to 120 s) without a lease to size or renew; the waiters block inside the server (no
 * polling). Not a pool client: the login reads and writes through the pool, which logins holding
 * its clients could drain. Within a process the runs for one key queue first (a single flight), so
 * a process opens one such connection per key logging in, however many runs wait — and only when
 * no live token was found, so rarely.
 */
import pg from 'pg';
import type { SharedCache } from '../../../core/node/contract.ts';
import type { SharedTokens } from '../coordination.ts';
import type { TokenSeal } from '../secret-box.ts';
import { SingleFlight } from '../single-flight.ts';

export class PgSharedTokens implements SharedTokens {
  private readonly flights = new SingleFlight();

  constructor(
    private readonly pool: pg.Pool,
    private readonly seal: TokenSeal,
  ) {}

  scope(integrationId: string): SharedCache {
    return {
      get: (key) => this.get(integrationId, key),
      set: (key, value, ttlMs) => this.set(integrationId, key, value, ttlMs),
      delete: async (key) => {
        await this.pool.query('DELETE FROM node_tokens WHERE integration_id = $1 AND name = $2', [
          integrationId,
          this.seal.name(integrationId, key),
        ]);
      },
      alone: (key, work) => this.flights.run(`${integrationId}\u0000${key}`, () => this.locked(integrationId, key, work)),
    };
  }

  async close(): Promise<void> {}

  private async get(integrationId: string, key: string): Promise<unknown> {
    const { rows } = await this.pool.query<{ value: string }>(
      'SELECT value FROM node_tokens WHERE integration_id = $1 AND name = $2 AND expires_at > now()',
      [integrationId, this.seal.name(integrationId, key)],
    );
    return rows.length > 0 ? this.seal.open(rows[0].value, integrationId, key) : undefined;
  }

  private async set(integrationId: string, key: string, value: unknown, ttlMs: number): Promise<void> {
    const name = this.seal.name(integrationId, key);
    if (!(ttlMs > 0)) {
      await this.pool.query('DELETE FROM node_tokens WHERE integration_id = $1 AND name = $2', [integrationId, name]);
      return;
    }
    await this.pool.query(
      `INSERT INTO node_tokens (integration_id, name, value, expires_at)
       VALUES ($1, $2, $3, now() + $4::double precision * interval '1 millisecond')
       ON CONFLICT (integration_id, name) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      [integrationId, name, this.seal.seal(value, integrationId, key), Math.round(ttlMs)],
    );
    await this.pool.query('DELETE FROM node_tokens WHERE expires_at <= now()');
  }

  private async locked<T>(integrationId: string, key: string, work: () => Promise<T>): Promise<T> {
    // its own connection, not one of the pool's: the work reads and writes through the pool, which
    // logins holding pool clients while they wait could drain to a deadlock
    const client = new pg.Client(this.pool.options);
    client.on('error', () => {
      // the connection dropped while the login ran (the lock went with it): the unlock below fails, and that is all
    });
    await client.connect();
    const lock = `leadflow:token:${this.seal.name(integrationId, key)}`;
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lock]);
      return await work();
    } finally {
      // ending the session frees the lock whether or not the unlock got through
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lock]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
