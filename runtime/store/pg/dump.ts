/**
 * The PostgreSQL {@link StoreDump}: every table read and written directly, the configuration as
 * the embedded `config.json` holds it (integration documents with their secrets sealed, as they
 * are in their rows: never opened here), the lead store's tables row by row.
 *
 * A dump reads in one `REPEATABLE READ` transaction (one snapshot, while runtimes go on writing)
 * through a cursor per table, a few thousand rows at a time. A load writes in one transaction on
 * one client, rows sent in batches through `json_populate_recordset` (one statement per thousand
 * rows, the dump's JSON values becoming the columns' types), ids as they were; then each identity
 * is moved past the ids it holds, so the next lead, job or execution gets the next number.
 */
import type pg from 'pg';
import type { Integration, Source } from '../../../core/domain/config.ts';
import type { FlowDoc, FlowDraft, StoredFlow } from '../../../core/domain/flow.ts';
import type { SecretKey } from '../secret-box.ts';
import type { StoredSession } from '../types.ts';
import {
  checkedBody,
  CONFIG_COLLECTIONS,
  DUMP_TABLES,
  DumpCounter,
  dumpHeader,
  sealedForDump,
  type ConfigCollection,
  type DumpRecord,
  type DumpTable,
  type LoadReport,
  type StoreDump,
} from '../dump.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
// not transaction.ts's, which runs the work again after a deadlock: a dump's records are read once
import { inTransaction, isoTime } from './config-sql.ts';

/** Rows a cursor fetches, and a load inserts, at a time. */
const BATCH = 1000;

/** The configuration's tables, by the collection they hold. */
const CONFIG_TABLES: Record<ConfigCollection, string> = {
  offers: 'offers',
  integrations: 'integrations',
  webmasters: 'webmasters',
  sources: 'sources',
  flows: 'flows',
  drafts: 'flow_drafts',
  users: 'users',
  sessions: 'sessions',
};

function quoted(column: string): string {
  return `"${column}"`;
}

/** What a table's rows are read with: the counters' slots summed (the embedded store has one row each). */
function selectOf(table: DumpTable): string {
  if (table.name === 'lead_stage_hours') {
    return `SELECT hour, integration_id, offer, stage, sum(count)::integer AS count FROM lead_stage_hours
            GROUP BY hour, stage, integration_id, offer ORDER BY hour, stage, integration_id, offer`;
  }
  return `SELECT ${table.columns.map(quoted).join(', ')} FROM ${table.name} ORDER BY ${table.order}`;
}

function fromPg(value: unknown, type: string | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'time') return isoTime(value as Date | string);
  return value;
}

interface FlowRow {
  id: string;
  name: string;
  event: StoredFlow['event'];
  current_version: number;
  version: number | null;
  saved_at: Date | null;
  saved_by: string | null;
  message: string | null;
  doc: FlowDoc | null;
}

/** The flows with all their versions, in the order they were first saved, as `config.json` lists them. */
async function storedFlows(client: pg.ClientBase): Promise<StoredFlow[]> {
  const { rows } = await client.query<FlowRow>(
    `SELECT f.id, f.name, f.event, f.current_version, v.version, v.saved_at, v.saved_by, v.message, v.doc
     FROM flows f LEFT JOIN flow_versions v ON v.flow_id = f.id ORDER BY f.position, v.version`,
  );
  const flows = new Map<string, StoredFlow>();
  for (const row of rows) {
    let flow = flows.get(row.id);
    if (!flow)
      flows.set(row.id, (flow = { id: row.id, name: row.name, event: row.event, currentVersion: row.current_version, versions: [] }));
    if (row.version === null) continue;
    flow.versions.push({
      version: row.version,
      savedAt: isoTime(row.saved_at!),
      savedBy: row.saved_by!,
      ...(row.message ? { message: row.message } : {}),
      flow: row.doc!,
    });
  }
  return [...flows.values()];
}

async function configRecords(client: pg.ClientBase, key: SecretKey, collection: ConfigCollection): Promise<unknown[]> {
  if (collection === 'flows') return storedFlows(client);
  if (collection === 'sessions') {
    const { rows } = await client.query<{ id_hash: string; user_id: string; created_at: Date; expires_at: Date }>(
      'SELECT id_hash, user_id, created_at, expires_at FROM sessions ORDER BY created_at, id_hash',
    );
    return rows.map((r): StoredSession => ({
      idHash: r.id_hash,
      userId: r.user_id,
      createdAt: isoTime(r.created_at),
      expiresAt: isoTime(r.expires_at),
    }));
  }
  const { rows } = await client.query<{ doc: unknown }>(`SELECT doc FROM ${CONFIG_TABLES[collection]} ORDER BY position`);
  const docs = rows.map((row) => row.doc);
  return collection === 'integrations' ? docs.map((doc) => sealedForDump(key, doc as Integration)) : docs;
}

/** Stores one configuration record in its table(s), as the configuration store would have. */
async function insertConfig(client: pg.ClientBase, collection: ConfigCollection, record: Record<string, unknown>): Promise<void> {
  if (collection === 'flows') {
    const flow = record as unknown as StoredFlow;
    await client.query('INSERT INTO flows (id, name, event, current_version) VALUES ($1, $2, $3, $4)', [
      flow.id,
      flow.name,
      flow.event,
      flow.currentVersion,
    ]);
    for (const v of flow.versions) {
      await client.query('INSERT INTO flow_versions (flow_id, version, saved_at, saved_by, message, doc) VALUES ($1, $2, $3, $4, $5, $6)', [
        flow.id,
        v.version,
        v.savedAt,
        v.savedBy,
        v.message || null,
        JSON.stringify(v.flow),
      ]);
    }
  } else if (collection === 'drafts') {
    const draft = record as unknown as FlowDraft;
    await client.query('INSERT INTO flow_drafts (flow_id, user_id, doc) VALUES ($1, $2, $3)', [
      draft.flowId,
      draft.userId,
      JSON.stringify(draft),
    ]);
  } else if (collection === 'sessions') {
    const s = record as unknown as StoredSession;
    await client.query('INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
      s.idHash,
      s.userId,
      s.createdAt,
      s.expiresAt,
    ]);
  } else if (collection === 'sources') {
    const source = record as unknown as Source;
    await client.query('INSERT INTO sources (id, doc, key_hashes) VALUES ($1, $2, $3)', [
      source.id,
      JSON.stringify(source),
      (source.keys ?? []).map((k) => k.hash),
    ]);
  } else {
    // an integration's document as it came: its secrets sealed, under the key checked against the dump's
    await client.query(`INSERT INTO ${CONFIG_TABLES[collection]} (id, doc) VALUES ($1, $2)`, [record.id, JSON.stringify(record)]);
  }
}

/** Inserts rows of one table in one statement; the store's id replaces one a runtime made already. */
async function insertRows(client: pg.ClientBase, table: DumpTable, rows: Record<string, unknown>[]): Promise<void> {
  const columns = table.columns.map(quoted).join(', ');
  const conflict = table.name === 'store_meta' ? ' ON CONFLICT (key) DO UPDATE SET value = excluded.value' : '';
  await client.query(
    `INSERT INTO ${table.name} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${table.name}, $1::json)${conflict}`,
    [JSON.stringify(rows)],
  );
}

export class PgStoreDump implements StoreDump {
  readonly keyId: string;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly key: SecretKey,
  ) {
    this.keyId = key.id;
  }

  /** Over the database of `pool` (migrated to this runtime's schema first), secrets sealed under `key`. The pool stays the caller's. */
  static async open(pool: pg.Pool, key: SecretKey): Promise<PgStoreDump> {
    await migrate(pool, MIGRATIONS);
    return new PgStoreDump(pool, key);
  }

  async contents(): Promise<Record<string, number>> {
    const tables = [
      ...CONFIG_COLLECTIONS.map((c) => [c, CONFIG_TABLES[c]]),
      ...DUMP_TABLES.filter((t) => t.name !== 'store_meta').map((t) => [t.name, t.name]),
    ];
    const { rows } = await this.pool.query<Record<string, number>>(
      `SELECT ${tables.map(([name, table]) => `(SELECT count(*) FROM ${table}) AS ${quoted(name)}`).join(', ')}`,
    );
    return Object.fromEntries(
      Object.entries(rows[0])
        .filter(([, count]) => Number(count) > 0)
        .map(([name, count]) => [name, Number(count)]),
    );
  }

  async *dump(): AsyncGenerator<DumpRecord> {
    const counter = new DumpCounter();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      yield dumpHeader(this.keyId, 'postgres');
      for (const collection of CONFIG_COLLECTIONS) {
        for (const record of await configRecords(client, this.key, collection)) {
          counter.add(collection);
          yield { kind: 'config', collection, record: record as Record<string, unknown> };
        }
      }
      for (const table of DUMP_TABLES) {
        await client.query(`DECLARE dump_rows NO SCROLL CURSOR FOR ${selectOf(table)}`);
        for (;;) {
          const { rows } = await client.query<Record<string, unknown>>(`FETCH ${BATCH} FROM dump_rows`);
          for (const raw of rows) {
            const row: Record<string, unknown> = {};
            for (const column of table.columns) {
              // a document column without a value is left out, as the embedded dump leaves its SQL NULL out
              // (`pg` reads SQL NULL and a JSON null alike, and the store answers both as absent)
              if (raw[column] === null && table.types?.[column] === 'json') continue;
              row[column] = fromPg(raw[column], table.types?.[column]);
            }
            counter.add(table.name);
            yield { kind: 'row', table: table.name, row };
          }
          if (rows.length < BATCH) break;
        }
        await client.query('CLOSE dump_rows');
      }
      await client.query('COMMIT');
      yield { kind: 'end', counts: counter.counts };
    } finally {
      // a dump left early (the reader stopped) ends its read transaction here
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  load(records: AsyncIterable<DumpRecord>): Promise<LoadReport> {
    const body = checkedBody(records, { keyId: this.keyId, keySource: this.key.source, contents: () => this.contents() });
    return inTransaction(this.pool, async (client) => {
      const counter = new DumpCounter();
      let pending: { table: DumpTable; rows: Record<string, unknown>[] } | undefined;
      const flush = async () => {
        if (pending && pending.rows.length > 0) await insertRows(client, pending.table, pending.rows);
        pending = undefined;
      };
      for await (const record of body) {
        if (record.kind === 'config') {
          await insertConfig(client, record.collection, record.record);
          counter.add(record.collection);
          continue;
        }
        if (pending?.table.name !== record.table || pending.rows.length >= BATCH) {
          await flush();
          const table = DUMP_TABLES.find((t) => t.name === record.table);
          if (!table) throw new Error(`the dump holds rows of an unknown table "${record.table}"`);
          pending = { table, rows: [] };
        }
        pending!.rows.push(record.row);
        counter.add(record.table);
      }
      await flush();
      for (const table of DUMP_TABLES) {
        if (!table.identity) continue;
        await client.query(
          `SELECT setval(pg_get_serial_sequence('${table.name}', '${table.identity}'), coalesce(max(${table.identity}), 0) + 1, false) FROM ${table.name}`,
        );
      }
      return { counts: counter.counts };
    });
  }

  /** The pool is the caller's: nothing to close here. */
  async close(): Promise<void> {}
}
