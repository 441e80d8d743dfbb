/**
 * Moving a store between backends (`npx leadflow export` / `import`): a portable dump, one JSON
 * record per line, read and written as a stream, so a store of millions of leads never sits in
 * memory at once.
 *
 * A dump reads, line by line:
 *
 *   {"kind":"header","format":"leadflow-dump","version":1,"keyId":"3f2a9c1d","exportedAt":"…","from":"embedded"}
 *   {"kind":"config","collection":"integrations","record":{…, "secrets":{"api_key":"enc:v1:3f2a9c1d:…"}}}
 *   {"kind":"row","table":"leads","row":{"id":7,"stage":"wait","data":{…},"created_at":"2026-…Z",…}}
 *   …
 *   {"kind":"end","counts":{"integrations":2,"leads":3000,…}}
 *
 * The configuration records are the embedded `config.json`'s entries as they are stored —
 * integration secrets still sealed (secret-box.ts), never opened on the way. The rows are the
 * lead store's tables (the same names and columns in SQLite and PostgreSQL, {@link DUMP_TABLES}),
 * ids as they were, so links between records (a job's lead, an execution's leads, a checkpoint
 * sealed to its job's id) and references outside (a target's order id, a delivery's idempotency
 * key, which starts with the store's id in `store_meta`) stay right. Times are ISO strings,
 * documents JSON values (a document column with no value is left out of its row, so a stored
 * JSON `null` stays apart from none). The trailing `end` record carries the counts: a truncated file is refused.
 *
 * What a runtime keeps only for the moment (the status checks' leases, the targets' rate slots, the
 * Auth Token logins it shares on PostgreSQL) is not moved: the next runtime makes it again.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Integration } from '../../core/domain/config.ts';
import { isSealed, sealSecret, type SecretKey } from './secret-box.ts';

/** The format's name and version in every header. */
export const DUMP_FORMAT = 'leadflow-dump';
export const DUMP_VERSION = 1;

/** The collections of the configuration (the embedded `config.json`'s keys), in load order. */
export const CONFIG_COLLECTIONS = ['offers', 'integrations', 'webmasters', 'sources', 'flows', 'drafts', 'users', 'sessions'] as const;
export type ConfigCollection = (typeof CONFIG_COLLECTIONS)[number];

/** How a column's value is written in a dump: as it is, a boolean, an ISO time or a JSON document. */
export type ColumnType = 'value' | 'bool' | 'time' | 'json';

export interface DumpTable {
  name: string;
  /** Every column, in the order both backends declare them; untyped ones are `value`. */
  columns: readonly string[];
  types?: Readonly<Record<string, ColumnType>>;
  /** The identity the rows' ids are taken from (moved past them on PostgreSQL). */
  identity?: string;
  /** The order rows are read in: the primary key, so a load meets a row's references before it. */
  order: string;
}

/**
 * The lead store's tables in load order (a table after those it references). The dashboard's
 * counters are moved as they are, not rebuilt: they are what the dashboard showed.
 */
export const DUMP_TABLES: readonly DumpTable[] = [
  { name: 'store_meta', columns: ['key', 'value'], order: 'key' },
  {
    name: 'leads',
    columns: ['id', 'integration_id', 'offer', 'wm', 'source', 'stage', 'eid', 'status', 'status_code', 'reason', 'status_comment'].concat([
      'payout',
      'data',
      'phone_e164',
      'email_lc',
      'created_at',
      'updated_at',
    ]),
    types: { data: 'json', created_at: 'time', updated_at: 'time' },
    identity: 'id',
    order: 'id',
  },
  {
    name: 'lead_history',
    columns: ['id', 'lead_id', 'at', 'from_stage', 'stage', 'source', 'status', 'reason', 'comment', 'payout'],
    types: { at: 'time' },
    identity: 'id',
    order: 'id',
  },
  {
    name: 'intake_keys',
    columns: ['source', 'kind', 'value', 'body_hash', 'lead_id', 'status', 'answer'],
    types: { answer: 'json' },
    order: 'source, kind, value',
  },
  {
    name: 'duplicate_keys',
    columns: ['offer', 'field', 'value', 'created_at', 'lead_id'],
    types: { created_at: 'time' },
    order: 'lead_id, offer, field, value',
  },
  {
    name: 'lead_handoffs',
    columns: ['lead_id', 'integration_id', 'eid', 'created_at'],
    types: { created_at: 'time' },
    order: 'lead_id, integration_id',
  },
  { name: 'lead_stage_hours', columns: ['hour', 'integration_id', 'offer', 'stage', 'count'], order: 'hour, stage, integration_id, offer' },
  { name: 'lead_first_status', columns: ['lead_id', 'integration_id', 'at', 'seconds'], types: { at: 'time' }, order: 'lead_id' },
  {
    name: 'jobs',
    columns: ['id', 'kind', 'lead_id', 'integration_id', 'key', 'payload', 'state', 'attempts', 'run_at', 'last_error', 'worker'].concat([
      'lease_until',
      'created_at',
      'updated_at',
    ]),
    types: { payload: 'json', run_at: 'time', lease_until: 'time', created_at: 'time', updated_at: 'time' },
    identity: 'id',
    order: 'id',
  },
  {
    name: 'executions',
    columns: [
      'id',
      'flow_id',
      'flow_version',
      'integration_id',
      'event',
      'lead_id',
      'state',
      'test',
      'error',
      'response',
      'trigger',
    ].concat(['steps', 'started_at', 'duration_ms']),
    types: { test: 'bool', error: 'json', response: 'json', trigger: 'json', steps: 'json', started_at: 'time' },
    identity: 'id',
    order: 'id',
  },
  { name: 'execution_leads', columns: ['execution_id', 'lead_id'], order: 'execution_id, lead_id' },
  {
    name: 'audit',
    columns: ['id', 'at', 'actor_id', 'actor_name', 'actor_role', 'action', 'resource_type', 'resource_id', 'before', 'after', 'note'],
    types: { at: 'time', before: 'json', after: 'json' },
    identity: 'id',
    order: 'id',
  },
  { name: 'checkpoints', columns: ['key', 'value', 'updated_at'], types: { updated_at: 'time' }, order: 'key' },
];

export interface DumpHeader {
  kind: 'header';
  format: typeof DUMP_FORMAT;
  version: number;
  /** The id of the key the secrets are sealed with (secret-box.ts): the target must use the same key. */
  keyId: string;
  exportedAt: string;
  /** The backend it was read from: `embedded` or `postgres`. */
  from: string;
}

/** One line of a dump. */
export type DumpRecord =
  | DumpHeader
  | { kind: 'config'; collection: ConfigCollection; record: Record<string, unknown> }
  | { kind: 'row'; table: string; row: Record<string, unknown> }
  | { kind: 'end'; counts: Record<string, number> };

/** What a load wrote: records per collection or table. */
export interface LoadReport {
  counts: Record<string, number>;
}

/**
 * A backend's own reading and writing of everything it holds, from and into its own tables
 * (dump-embedded.ts for lowdb + SQLite, pg/dump.ts for PostgreSQL).
 */
export interface StoreDump {
  /** The id of the key this store's secrets are sealed with. */
  readonly keyId: string;
  /** What the store holds: records per collection or table, only those with any. */
  contents(): Promise<Record<string, number>>;
  /** Every record, header first and `end` last, from one consistent read. */
  dump(): AsyncIterable<DumpRecord>;
  /**
   * Writes a dump into this store, in one transaction: all of it or nothing. Refuses a store that
   * holds anything ({@link DumpRefused} naming what), a dump sealed under another key than this
   * store's, and a dump that is not whole (no `end`, or counts that do not match).
   */
  load(records: AsyncIterable<DumpRecord>): Promise<LoadReport>;
  close(): Promise<void>;
}

/** A load refused before anything was written: the target holds records, or the key differs. */
export class DumpRefused extends Error {}

/** The header a backend's dump starts with. */
export function dumpHeader(keyId: string, from: string): DumpHeader {
  return { kind: 'header', format: DUMP_FORMAT, version: DUMP_VERSION, keyId, exportedAt: new Date().toISOString(), from };
}

/**
 * The integration as the dump carries it: every secret sealed under `key`. A value sealed under
 * another key means the store was not opened with its own key: refused, naming both. A value in
 * clear (a file from before sealing) is sealed now, so the dump never holds one.
 */
export function sealedForDump(key: SecretKey, integration: Integration): Integration {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(integration.secrets ?? {})) {
    if (!isSealed(value)) secrets[name] = sealSecret(key, value, integration.id, name);
    else if (!value.startsWith(`enc:v1:${key.id}:`)) {
      throw new Error(
        `the secret "${name}" of integration "${integration.id}" is sealed with key ${value.split(':')[2]}, not the key in use (${key.source}, ${key.id}): export with the store's own key`,
      );
    } else secrets[name] = value;
  }
  return { ...integration, secrets };
}

/** "3,000 leads, 2 integrations": what a store holds, for messages (its id left out: every store has one). */
export function describeContents(contents: Record<string, number>): string {
  return Object.entries(contents)
    .filter(([name]) => name !== 'store_meta')
    .map(([name, count]) => `${count.toLocaleString('en-US')} ${name}`)
    .join(', ');
}

/**
 * The body of a dump (its config and row records), once its header was checked against the
 * target: its format, and its key against `keyId`; the target empty. Throws when the end record is
 * missing or its counts differ from the records read, so the caller's transaction rolls back.
 */
export async function* checkedBody(
  records: AsyncIterable<DumpRecord>,
  target: { keyId: string; keySource: string; contents(): Promise<Record<string, number>> },
): AsyncGenerator<Exclude<DumpRecord, DumpHeader | { kind: 'end' }>> {
  const seen: Record<string, number> = {};
  let header: DumpHeader | undefined;
  for await (const record of records) {
    if (!header) {
      if (record.kind !== 'header' || record.format !== DUMP_FORMAT)
        throw new DumpRefused('not a leadflow dump: its first line is no header');
      if (record.version !== DUMP_VERSION) throw new DumpRefused(`the dump's format version ${record.version} is not ${DUMP_VERSION}`);
      if (record.keyId !== target.keyId) {
        throw new DumpRefused(
          `the dump's secrets are sealed with key ${record.keyId}, but the target's key (${target.keySource}) is ${target.keyId}: ` +
            'set LEADFLOW_SECRET_KEY to the key of the store it was exported from (its data folder’s secret.key, or the LEADFLOW_SECRET_KEY it ran with)',
        );
      }
      const held = await target.contents();
      if (Object.keys(held).length > 0) throw new DumpRefused(`the target store is not empty: it holds ${describeContents(held)}`);
      header = record;
      continue;
    }
    if (record.kind === 'end') {
      for (const name of new Set([...Object.keys(record.counts), ...Object.keys(seen)])) {
        if ((record.counts[name] ?? 0) !== (seen[name] ?? 0)) {
          throw new Error(`the dump is damaged: its end says ${record.counts[name] ?? 0} ${name}, but it holds ${seen[name] ?? 0}`);
        }
      }
      return;
    }
    if (record.kind === 'header') throw new Error('the dump is damaged: a second header');
    const name = record.kind === 'config' ? record.collection : record.table;
    seen[name] = (seen[name] ?? 0) + 1;
    yield record;
  }
  throw new Error(header ? 'the dump is cut short: it has no end record' : 'the dump is empty');
}

/** Counts the records of a dump on their way (for its `end` record). */
export class DumpCounter {
  readonly counts: Record<string, number> = {};
  add(name: string): void {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
  }
}

/** Writes a dump to `file` (mode 0600: it holds leads' personal data), one record a line, waiting when the disk is behind. */
export async function writeDumpFile(records: AsyncIterable<DumpRecord>, file: string | NodeJS.WritableStream): Promise<number> {
  const out = typeof file === 'string' ? createWriteStream(file, { mode: 0o600 }) : file;
  let lines = 0;
  for await (const record of records) {
    if (!out.write(JSON.stringify(record) + '\n')) await once(out, 'drain');
    lines++;
  }
  if (typeof file === 'string') {
    const stream = out as ReturnType<typeof createWriteStream>;
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return lines;
}

/** Reads a dump file record by record; a line that is no JSON is named by its number. */
export async function* readDumpFile(file: string): AsyncGenerator<DumpRecord> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as DumpRecord;
    } catch {
      throw new Error(`${file}: line ${n} is not JSON`);
    }
  }
}
