/**
 * Opens the runtime's storage. Callers depend on the {@link ConfigStore} and {@link LeadStore}
 * interfaces only: the embedded pair here (lowdb `config.json`, SQLite `leads.sqlite`) serves one
 * runtime instance; a PostgreSQL backend implements the same two interfaces later to serve several.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE, openLowdbConfigStore } from './lowdb.ts';
import { openSqliteLeadStore } from './sqlite.ts';
import type { AuditStore, ConfigStore, LeadStore } from './types.ts';

export type * from './types.ts';
export { CONFIG_FILE };

/** The lead store's file inside the data folder (the config store's is `CONFIG_FILE`). */
export const LEADS_FILE = 'leads.sqlite';

export interface Stores {
  config: ConfigStore;
  leads: LeadStore;
  /** The audit log; the embedded backend keeps it in the lead store's SQLite file. */
  audit: AuditStore;
}

/**
 * Opens (creating when missing) `dataDir/config.json` and `dataDir/leads.sqlite`.
 *
 * @example
 * const { config, leads } = await openStores(process.env.LEADFLOW_DATA ?? 'data');
 * // at shutdown
 * await leads.close();
 */
export async function openStores(dataDir: string): Promise<Stores> {
  await fs.mkdir(dataDir, { recursive: true });
  const config = await openLowdbConfigStore(dataDir);
  const leads = openSqliteLeadStore(path.join(dataDir, LEADS_FILE));
  return { config, leads, audit: leads };
}
