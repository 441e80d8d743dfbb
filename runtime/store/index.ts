/**
 * Opens the runtime's storage. Callers depend on the narrow interfaces of types.ts only, one per
 * concern ({@link Stores}): the embedded backends here (lowdb `config.json`; SQLite `leads.sqlite`,
 * one object for leads, jobs, executions, checkpoints and the audit log) serve one runtime
 * instance; a PostgreSQL backend implements the same interfaces to serve several.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE, openLowdbConfigStore } from './lowdb.ts';
import { checkpointSeal, KEY_FILE, loadSecretKey, type CheckpointSeal } from './secret-box.ts';
import { secretKeyFromEnv } from '../config.ts';
import { openSqliteLeadStore } from './sqlite.ts';
import { openPgStores, type PgStoreOptions, type PgStores } from './pg/open.ts';
import type { AuditStore, CheckpointStore, ConfigStore, ExecutionLog, JobQueue, LeadStore, StoreLifecycle } from './types.ts';

export type * from './types.ts';
export { CONFIG_FILE, KEY_FILE };
export type { CheckpointSeal, PgStores };

/** Where the records live: PostgreSQL at `url` when given, else the embedded files. */
export interface DatabaseChoice extends PgStoreOptions {
  url?: string;
}

/** The lead store's file inside the data folder (the config store's is `CONFIG_FILE`). */
export const LEADS_FILE = 'leads.sqlite';

/**
 * The runtime's storage, one field per concern, each typed by its narrow interface (a backend may
 * answer one object for several: the embedded SQLite store is `leads`, `jobs`, `executions`,
 * `checkpoints` and `audit` at once). `storeId()` and `close()` are the records' (see {@link StoreLifecycle}).
 */
export interface Stores extends StoreLifecycle {
  config: ConfigStore;
  /** The audit log; the embedded backend keeps it in the lead store's SQLite file. */
  audit: AuditStore;
  leads: LeadStore;
  jobs: JobQueue;
  executions: ExecutionLog;
  /** Where status checks' date ranges stopped. */
  checkpoints: CheckpointStore;
  /** Seals a delivery's checkpoint in its job under the integration secrets' key (secret-box.ts). */
  seal: CheckpointSeal;
}

/**
 * Opens (creating when missing) `dataDir/config.json` and `dataDir/leads.sqlite` — or, given a
 * database URL (`LEADFLOW_DATABASE_URL`), every store on PostgreSQL (pg/open.ts), the data folder
 * then holding only the key file (every runtime on one database needs the same key: give each
 * `LEADFLOW_SECRET_KEY`). The folder is
 * made 0700 and its files 0600 (SQLite gives its `-wal` and `-shm` files the database's mode).
 * Integration secrets are sealed under `secretKey` (`LEADFLOW_SECRET_KEY` by default), else under
 * the folder's key file; a store sealed under another key is refused here, at start-up.
 *
 * @example
 * const stores = await openStores(process.env.LEADFLOW_DATA ?? 'data');
 * const lead = await stores.leads.getLead(1);
 * // at shutdown
 * await stores.close();
 */
export async function openStores(
  dataDir: string,
  secretKey: Buffer | undefined = secretKeyFromEnv(),
  database: DatabaseChoice = {},
): Promise<Stores | PgStores> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(dataDir, 0o700);
  const key = await loadSecretKey(dataDir, secretKey);
  if (database.url) return openPgStores(database.url, key, database);
  const config = await openLowdbConfigStore(dataDir, key);
  const leadsFile = path.join(dataDir, LEADS_FILE);
  // created empty (a valid empty database) with mode 0600 before SQLite opens it, so its journal
  // files get 0600 too
  await fs.writeFile(leadsFile, '', { mode: 0o600, flag: 'a' });
  for (const file of [leadsFile, `${leadsFile}-wal`, `${leadsFile}-shm`]) await fs.chmod(file, 0o600).catch(() => undefined);
  const records = openSqliteLeadStore(leadsFile);
  return {
    config,
    audit: records,
    leads: records,
    jobs: records,
    executions: records,
    checkpoints: records,
    seal: checkpointSeal(key),
    storeId: () => records.storeId(),
    close: () => records.close(),
  };
}
