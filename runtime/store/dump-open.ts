/**
 * Opens the {@link StoreDump} of the store a runtime would open (index.ts `openStores`): PostgreSQL
 * at `url` when given, else the embedded files of the data folder; and the key it seals with,
 * found as a runtime finds it, except that a missing key file is never made here — a dump moved
 * into a store needs the key it was sealed with, not a new one.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedStoreDump } from './dump-embedded.ts';
import type { StoreDump } from './dump.ts';
import { PgStoreDump } from './pg/dump.ts';
import { openPgPool } from './pg/pool.ts';
import { KEY_FILE, loadSecretKey, type SecretKey } from './secret-box.ts';

/**
 * `LEADFLOW_SECRET_KEY` (`fromEnv`) or the data folder's key file; undefined when there is neither
 * (nothing is created).
 */
export async function existingSecretKey(dataDir: string, fromEnv: Buffer | undefined): Promise<SecretKey | undefined> {
  if (!fromEnv && !existsSync(path.join(dataDir, KEY_FILE))) return undefined;
  return loadSecretKey(dataDir, fromEnv);
}

/** The dump of the store at `url` (PostgreSQL) or in `dataDir` (embedded); `close()` ends what it opened. */
export async function openStoreDump(dataDir: string, key: SecretKey, database: { url?: string } = {}): Promise<StoreDump> {
  if (!database.url) {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    return new EmbeddedStoreDump(dataDir, key);
  }
  const pool = openPgPool(database.url, { max: 2 });
  try {
    const dump = await PgStoreDump.open(pool, key);
    return {
      keyId: dump.keyId,
      contents: () => dump.contents(),
      dump: () => dump.dump(),
      load: (records) => dump.load(records),
      close: () => pool.end(),
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
