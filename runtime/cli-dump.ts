/**
 * `leadflow export [--to <file>]` and `leadflow import <file>`: a store moved between the embedded
 * backend and PostgreSQL (runtime/store/dump.ts has the file's format). Each reads the store the
 * environment names, as a runtime would open it: `LEADFLOW_DATABASE_URL` when set, else the files
 * in `LEADFLOW_DATA`; the key is `LEADFLOW_SECRET_KEY`, else the data folder's key file. Run them
 * with the runtimes stopped.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from './config.ts';
import { describeContents, readDumpFile, writeDumpFile, type DumpHeader } from './store/dump.ts';
import { existingSecretKey, openStoreDump } from './store/dump-open.ts';
import { CONFIG_FILE } from './store/lowdb.ts';
import { KEY_FILE } from './store/secret-box.ts';

function seconds(started: number): string {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}

/** `export`: every record of the store, to `to` (or standard output, the summary then on standard error). */
export async function exportCommand(to: string | undefined): Promise<number> {
  const config = readConfig();
  const where = config.databaseUrl ? 'the PostgreSQL database at LEADFLOW_DATABASE_URL' : `the data folder ${config.dataDir}`;
  if (
    !config.databaseUrl &&
    !existsSync(path.join(config.dataDir, CONFIG_FILE)) &&
    !existsSync(path.join(config.dataDir, 'leads.sqlite'))
  ) {
    throw new Error(`no store in ${config.dataDir}: set LEADFLOW_DATA to the runtime's data folder (or LEADFLOW_DATABASE_URL)`);
  }
  const key = await existingSecretKey(config.dataDir, config.secretKey);
  if (!key) {
    throw new Error(
      `no LEADFLOW_SECRET_KEY and no key file ${path.join(config.dataDir, KEY_FILE)}: export needs the key the store's secrets are sealed with`,
    );
  }
  const started = performance.now();
  const store = await openStoreDump(config.dataDir, key, { url: config.databaseUrl });
  try {
    let counts: Record<string, number> = {};
    const records = (async function* () {
      for await (const record of store.dump()) {
        if (record.kind === 'end') counts = record.counts;
        yield record;
      }
    })();
    await writeDumpFile(records, to ?? process.stdout);
    const summary = `exported ${describeContents(counts) || 'nothing (the store is empty)'} from ${where}${to ? ` to ${to}` : ''} in ${seconds(started)}`;
    (to ? console.log : console.error)(summary);
    return 0;
  } finally {
    await store.close();
  }
}

async function headerOf(file: string): Promise<DumpHeader | undefined> {
  for await (const record of readDumpFile(file)) return record.kind === 'header' ? record : undefined;
  return undefined;
}

/** `import`: the dump in `file` written into the store the environment names, which must be empty. */
export async function importCommand(file: string | undefined): Promise<number> {
  if (!file) throw new Error('import needs the dump file: leadflow import <file>');
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const config = readConfig();
  const where = config.databaseUrl ? 'the PostgreSQL database at LEADFLOW_DATABASE_URL' : `the data folder ${config.dataDir}`;
  const header = await headerOf(file);
  if (!header) throw new Error(`${file} is not a leadflow dump: its first line is no header`);
  const key = await existingSecretKey(config.dataDir, config.secretKey);
  if (!key) {
    throw new Error(
      `the dump's secrets are sealed with key ${header.keyId}: set LEADFLOW_SECRET_KEY to the key of the store it was exported from (its data folder's secret.key, or the LEADFLOW_SECRET_KEY it ran with)`,
    );
  }
  const started = performance.now();
  const store = await openStoreDump(config.dataDir, key, { url: config.databaseUrl });
  try {
    const report = await store.load(readDumpFile(file));
    console.log(`imported ${describeContents(report.counts) || 'nothing (the dump is empty)'} into ${where} in ${seconds(started)}`);
    return 0;
  } finally {
    await store.close();
  }
}
