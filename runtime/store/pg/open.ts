/**
 * Opens the runtime's storage on PostgreSQL (`LEADFLOW_DATABASE_URL`): one pool, the schema
 * migrated (every module's steps, runtime/store/pg/migrations.ts, under an advisory lock so runtimes
 * starting at once apply each step once), and one object per store interface on it — the same
 * {@link Stores} the embedded backend answers — plus what several runtimes on one database share:
 * the status checks' turns, each target's rate and concurrency limits and the Auth Token logins.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { SharedTokens, TargetLimits } from '../coordination.ts';
import type { CheckLeases } from '../check-leases.ts';
import { checkpointSeal, type SecretKey } from '../secret-box.ts';
import type { Stores } from '../index.ts';
import { PgAuditStore } from './audit.ts';
import { PgCheckLeases } from './check-leases.ts';
import { PgCheckpointStore } from './checkpoints.ts';
import { PgConfigStore } from './config.ts';
import { pgCoordination } from './coordination.ts';
import { PgExecutionLog } from './execution-log.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { openPgPool } from './pool.ts';
import { PgRecordStore } from './record-store.ts';

/** What the runtimes on one database share, beside the stores (see {@link openPgStores}). */
export interface SharedWork {
  checkLeases: CheckLeases;
  targetLimits: TargetLimits;
  sharedTokens: SharedTokens;
}

export interface PgStores extends Stores {
  shared: SharedWork;
  /** Wakes `listener` when any runtime on the database queued a job (`LISTEN leadflow_jobs`). */
  onJobsQueued(listener: () => void): () => void;
  /** The schema version the database is at. */
  schemaVersion: number;
}

export interface PgStoreOptions {
  /** Connections in the pool (`LEADFLOW_DATABASE_POOL`, 10 by default). */
  poolSize?: number;
  /** Where failures in the background (a dropped listening connection, a slot renewal) are told. */
  onError?: (error: unknown) => void;
}

/** The store's id, made once by whichever runtime got there first. */
async function storeId(pool: pg.Pool): Promise<string> {
  await pool.query("INSERT INTO store_meta (key, value) VALUES ('store_id', $1) ON CONFLICT (key) DO NOTHING", [randomUUID()]);
  const { rows } = await pool.query<{ value: string }>("SELECT value FROM store_meta WHERE key = 'store_id'");
  return rows[0].value;
}

/** Migrates the database at `url` to this runtime's schema and answers its version (`npx leadflow migrate`). */
export async function migratePg(url: string): Promise<number> {
  const pool = openPgPool(url, { max: 1 });
  try {
    return await migrate(pool, MIGRATIONS);
  } finally {
    await pool.end();
  }
}

/**
 * Opens every store on the database at `url`, integration secrets sealed under `key`; a database
 * sealed under another key is refused here (`PgConfigStore.open`). `close()` stops listening and
 * ends the pool, after the runtime stopped everything that writes.
 */
export async function openPgStores(url: string, key: SecretKey, options: PgStoreOptions = {}): Promise<PgStores> {
  const pool = openPgPool(url, { max: options.poolSize });
  try {
    const schemaVersion = await migrate(pool, MIGRATIONS);
    const config = await PgConfigStore.open(pool, key, { onError: options.onError });
    const records = new PgRecordStore(pool);
    let id: Promise<string> | undefined;
    return {
      config,
      audit: new PgAuditStore(pool),
      leads: records,
      jobs: records,
      executions: new PgExecutionLog(pool),
      checkpoints: new PgCheckpointStore(pool),
      seal: checkpointSeal(key),
      shared: { checkLeases: new PgCheckLeases(pool), ...pgCoordination(pool, key, options.onError) },
      onJobsQueued: (listener) => records.onJobsQueued(listener),
      schemaVersion,
      storeId: () => (id ??= storeId(pool)),
      async close() {
        await records.close();
        await config.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
