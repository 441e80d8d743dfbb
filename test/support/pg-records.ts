/**
 * A fresh PostgreSQL database with the record schema (leads and the job queue) migrated, and
 * {@link PgRecordStore}s on it — each `process()` its own pool and store, as another runtime
 * process would have. Everything is closed and the database dropped by `close()`.
 */
import type pg from 'pg';
import { migrate } from '../../runtime/store/pg/migrate.ts';
import { openPgPool } from '../../runtime/store/pg/pool.ts';
import { PgRecordStore } from '../../runtime/store/pg/record-store.ts';
import { RECORD_MIGRATIONS } from '../../runtime/store/pg/schema-records.ts';
import { freshDatabase } from './postgres.ts';

export interface RecordDatabase {
  url: string;
  /** A new pool on the database (closed by `close()`). */
  pool(): pg.Pool;
  /** A store on a pool of its own: what one runtime process has. */
  process(): PgRecordStore;
  close(): Promise<void>;
}

export async function recordDatabase(options: { migrate?: boolean } = {}): Promise<RecordDatabase> {
  const db = await freshDatabase();
  const pools: pg.Pool[] = [];
  const stores: PgRecordStore[] = [];
  const pool = () => {
    const p = openPgPool(db.url, { max: 4 });
    pools.push(p);
    return p;
  };
  if (options.migrate !== false) await migrate(pool(), RECORD_MIGRATIONS);
  return {
    url: db.url,
    pool,
    process() {
      const store = new PgRecordStore(pool());
      stores.push(store);
      return store;
    },
    async close() {
      for (const store of stores) await store.close();
      await Promise.all(pools.map((p) => p.end()));
      await db.drop();
    },
  };
}
