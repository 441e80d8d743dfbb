/**
 * The PostgreSQL tables of what runtime processes coordinate (store/coordination.ts): migration
 * versions 30–39, applied in order by the migration runner with the other modules' steps.
 *
 * All three are UNLOGGED: what they hold is worth seconds (a rate window, a slot's lease, a token
 * a login gets again), and a write that skips the WAL commits without waiting for a disk flush —
 * one rate slot took 9 ms with the flush here, a fraction of a millisecond without. What that
 * costs: after a crash of the database server (not of a runtime) or a fail-over to a replica they
 * are empty, so each integration's rate window starts afresh and the next delivery logs in again.
 */

/** One step of the schema: applied once, in `version` order. */
export interface CoordinationMigration {
  version: number;
  name: string;
  sql: string;
}

export const COORDINATION_MIGRATIONS: CoordinationMigration[] = [
  {
    version: 30,
    name: 'target rate slots',
    // per integration, the epoch ms of the last `limit` requests let through, oldest first: the
    // next one goes `interval` after the one `limit` places back (p-throttle's strict window)
    sql: `CREATE UNLOGGED TABLE target_rate_slots (
  integration_id text PRIMARY KEY,
  slots double precision[] NOT NULL
)`,
  },
  {
    version: 31,
    name: 'target concurrency slots',
    // slots 1..limit of each integration; a slot is free when it has no holder or its lease ended
    sql: `CREATE UNLOGGED TABLE target_slots (
  integration_id text NOT NULL,
  slot integer NOT NULL,
  holder text,
  lease_until timestamptz,
  PRIMARY KEY (integration_id, slot)
)`,
  },
  {
    version: 32,
    name: 'node tokens',
    // name: an HMAC of the node's key; value: sealed (store/secret-box.ts, TokenSeal)
    sql: `CREATE UNLOGGED TABLE node_tokens (
  integration_id text NOT NULL,
  name text NOT NULL,
  value text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (integration_id, name)
);
CREATE INDEX node_tokens_expires_at ON node_tokens (expires_at)`,
  },
];
