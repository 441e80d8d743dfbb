/**
 * The embedded store's {@link StoreDump}: `config.json` read and written as the file it is (its
 * integration secrets sealed, never opened here) and the tables of `leads.sqlite` read and
 * written directly, row by row, in one SQLite transaction (a consistent read; a load all or
 * nothing). Run it with the runtime stopped: the data folder has one owner, and what a runtime
 * writes after an export began is not in it.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { Integration } from '../../core/domain/config.ts';
import { CONFIG_FILE, type ConfigData } from './lowdb.ts';
import { writePrivateFile, type SecretKey } from './secret-box.ts';
import { openSqliteLeadStore } from './sqlite.ts';
import { ALL_EXECUTION_LEADS } from './sqlite-execution-leads.ts';
import {
  checkedBody,
  CONFIG_COLLECTIONS,
  DUMP_TABLES,
  DumpCounter,
  dumpHeader,
  type DumpRecord,
  type DumpTable,
  type LoadReport,
  sealedForDump,
  type StoreDump,
} from './dump.ts';

/** The lead store's file name in the data folder (index.ts `LEADS_FILE`; not imported, as index.ts opens this module's callers). */
const LEADS_FILE = 'leads.sqlite';

/** What a table's rows are read from: the table, or for `execution_leads` the links with each run's own lead in them. */
const readFrom = (table: string): string => (table === 'execution_leads' ? ALL_EXECUTION_LEADS : table);

/** A SQLite value as the dump writes it (see {@link DumpTable.types}). */
function fromSqlite(value: unknown, type: string | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'bool') return value === 1;
  if (type === 'json') return JSON.parse(value as string) as unknown;
  return value;
}

function toSqlite(value: unknown, type: string | undefined): unknown {
  if (value === undefined) return null;
  if (type === 'json') return JSON.stringify(value);
  if (value === null) return null;
  if (type === 'bool') return value ? 1 : 0;
  return value;
}

function quoted(column: string): string {
  return `"${column}"`;
}

export class EmbeddedStoreDump implements StoreDump {
  readonly keyId: string;
  private readonly configFile: string;
  private readonly leadsFile: string;
  private records?: ReturnType<typeof openSqliteLeadStore>;

  /** Over the data folder `dataDir`, whose secrets are sealed under `key`. */
  constructor(
    dataDir: string,
    private readonly key: SecretKey,
  ) {
    this.keyId = key.id;
    this.configFile = path.join(dataDir, CONFIG_FILE);
    this.leadsFile = path.join(dataDir, LEADS_FILE);
  }

  /** The SQLite file, opened (created or migrated to this runtime's schema) on first use. */
  private db(): SqliteDatabase {
    this.records ??= openSqliteLeadStore(this.leadsFile);
    return this.records.db;
  }

  private hasLeadsFile(): boolean {
    return existsSync(this.leadsFile) && statSync(this.leadsFile).size > 0;
  }

  private readConfig(): Partial<ConfigData> {
    if (!existsSync(this.configFile)) return {};
    return JSON.parse(readFileSync(this.configFile, 'utf8')) as Partial<ConfigData>;
  }

  async contents(): Promise<Record<string, number>> {
    const held: Record<string, number> = {};
    const config = this.readConfig();
    for (const collection of CONFIG_COLLECTIONS) {
      const count = config[collection]?.length ?? 0;
      if (count > 0) held[collection] = count;
    }
    if (!this.hasLeadsFile()) return held;
    for (const table of DUMP_TABLES) {
      // the store's id is made with the file: not something it holds
      if (table.name === 'store_meta') continue;
      const count = this.db()
        .prepare(`SELECT count(*) FROM ${readFrom(table.name)}`)
        .pluck()
        .get() as number;
      if (count > 0) held[table.name] = count;
    }
    return held;
  }

  async *dump(): AsyncGenerator<DumpRecord> {
    const counter = new DumpCounter();
    yield dumpHeader(this.keyId, 'embedded');
    const config = this.readConfig();
    for (const collection of CONFIG_COLLECTIONS) {
      for (const entry of config[collection] ?? []) {
        const record = collection === 'integrations' ? sealedForDump(this.key, entry as Integration) : entry;
        counter.add(collection);
        yield { kind: 'config', collection, record: record as unknown as Record<string, unknown> };
      }
    }
    if (this.hasLeadsFile()) {
      const db = this.db();
      // one read transaction: every table from the same moment
      db.exec('BEGIN');
      try {
        for (const table of DUMP_TABLES) {
          const select = db.prepare(`SELECT ${table.columns.map(quoted).join(', ')} FROM ${readFrom(table.name)} ORDER BY ${table.order}`);
          for (const raw of select.iterate() as IterableIterator<Record<string, unknown>>) {
            const row: Record<string, unknown> = {};
            for (const column of table.columns) {
              // a document column's SQL NULL is left out, so a JSON null stored in it stays a null
              if (raw[column] === null && table.types?.[column] === 'json') continue;
              row[column] = fromSqlite(raw[column], table.types?.[column]);
            }
            counter.add(table.name);
            yield { kind: 'row', table: table.name, row };
          }
        }
      } finally {
        if (db.inTransaction) db.exec('COMMIT');
      }
    }
    yield { kind: 'end', counts: counter.counts };
  }

  async load(records: AsyncIterable<DumpRecord>): Promise<LoadReport> {
    const body = checkedBody(records, { keyId: this.keyId, keySource: this.key.source, contents: () => this.contents() });
    const config: ConfigData = {
      offers: [],
      integrations: [],
      webmasters: [],
      sources: [],
      flows: [],
      drafts: [],
      users: [],
      sessions: [],
    };
    const counter = new DumpCounter();
    const inserts = new Map<string, { table: DumpTable; statement: Statement }>();
    let db: SqliteDatabase | undefined;
    let wroteConfig = false;
    try {
      for await (const record of body) {
        if (record.kind === 'config') {
          (config[record.collection] as unknown[]).push(record.record);
          counter.add(record.collection);
          continue;
        }
        if (!db) {
          db = this.db();
          db.exec('BEGIN IMMEDIATE');
        }
        let insert = inserts.get(record.table);
        if (!insert) {
          const table = DUMP_TABLES.find((t) => t.name === record.table);
          if (!table) throw new Error(`the dump holds rows of an unknown table "${record.table}"`);
          // the store's id replaces the one the new file was made with: delivery keys start with it
          const verb = table.name === 'store_meta' ? 'INSERT OR REPLACE' : 'INSERT';
          const sql = `${verb} INTO ${table.name} (${table.columns.map(quoted).join(', ')}) VALUES (${table.columns.map(() => '?').join(', ')})`;
          insert = { table, statement: db.prepare(sql) };
          inserts.set(record.table, insert);
        }
        const { table, statement } = insert;
        statement.run(table.columns.map((column) => toSqlite(record.row[column], table.types?.[column])));
        counter.add(table.name);
      }
      // the whole dump read and its rows in: the configuration written, then the rows committed
      await writePrivateFile(this.configFile, JSON.stringify(config, null, 2));
      wroteConfig = true;
      if (db?.inTransaction) db.exec('COMMIT');
      return { counts: counter.counts };
    } catch (error) {
      if (db?.inTransaction) db.exec('ROLLBACK');
      if (wroteConfig) rmSync(this.configFile, { force: true });
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.records?.close();
    this.records = undefined;
  }
}
