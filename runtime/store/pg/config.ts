/**
 * The PostgreSQL {@link ConfigStore}: what staff edit, shared by every runtime on one database.
 * Same answers as the embedded store (lowdb.ts) — lists in the order records were first stored,
 * a replaced record keeping its place; every answer a copy — with each write one transaction on
 * one client of the caller's pool, and integration secrets sealed in their rows exactly as
 * `config.json` seals them (config-integrations.ts). Flows and drafts: config-flows.ts; the
 * schema: schema-config.ts (migrations 20–29).
 *
 * Every write also notifies the channel `leadflow_config` in its transaction, with the change as
 * JSON (`{"kind":"flow","id":"crm-send"}`); {@link PgConfigStore.onChange} listens on one
 * dedicated connection (config-listener.ts), so a flow or integration saved through one runtime
 * reaches the caches of all the others as soon as it commits.
 *
 * @example
 * const config = await PgConfigStore.open(pool, await loadSecretKey(dataDir, secretKeyFromEnv()));
 * const stop = config.onChange((change) => console.log(change.kind, change.id));
 * await config.listening(); // from now on, every runtime's writes are heard
 */
import type pg from 'pg';
import type { Integration, Offer, Source, Webmaster } from '../../../core/domain/config.ts';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import type {
  ConfigChangeKind,
  ConfigChangeListener,
  ConfigStore,
  FlowDraft,
  RoutingWrite,
  StoredFlow,
  StoredSession,
  StoredUser,
} from '../types.ts';
import type { SecretKey } from '../secret-box.ts';
import { inTransaction, isoTime, notifyChange } from './config-sql.ts';
import { ConfigListener, type ListenerOptions } from './config-listener.ts';
import * as flows from './config-flows.ts';
import * as integrations from './config-integrations.ts';

/** The tables that hold plain records as documents keyed by `id`, with the change each write reports. */
const RECORDS = { offers: 'offer', webmasters: 'webmaster', users: 'user' } as const satisfies Record<string, ConfigChangeKind>;
type RecordTable = keyof typeof RECORDS;

interface SessionRow {
  id_hash: string;
  user_id: string;
  created_at: Date | string;
  expires_at: Date | string;
}

export interface PgConfigStoreOptions extends ListenerOptions {
  /** Where the change listener connects; by default where the pool does. */
  listen?: pg.ClientConfig;
}

export class PgConfigStore implements ConfigStore {
  private readonly listener: ConfigListener;

  /**
   * @param pool the caller's pool: the store never ends it.
   * @param key what integration secrets are sealed with (secret-box.ts `loadSecretKey`); every
   *   runtime on the database needs the same one, or it refuses the secrets it cannot open.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly key: SecretKey,
    options: PgConfigStoreOptions = {},
  ) {
    this.listener = new ConfigListener(options.listen ?? pool.options, options);
  }

  /**
   * The store over a migrated database, once every stored secret opened with `key`: a database
   * sealed under another key is refused here, at start-up, as the embedded store refuses such a
   * `config.json`, instead of failing each delivery later.
   * @throws SecretKeyMismatch naming both keys' ids.
   */
  static async open(pool: pg.Pool, key: SecretKey, options: PgConfigStoreOptions = {}): Promise<PgConfigStore> {
    const store = new PgConfigStore(pool, key, options);
    await store.listIntegrations();
    return store;
  }

  /**
   * See {@link ConfigStore.onChange}: every runtime's writes on this database, this one's too. The
   * first listener opens the store's listening connection and the last one to stop closes it.
   */
  onChange(listener: ConfigChangeListener): () => void {
    return this.listener.add(listener);
  }

  /** Resolves once the store listens (see {@link onChange}): a change committed from then on is heard. */
  listening(): Promise<void> {
    return this.listener.listening();
  }

  /** Stops listening (the listening connection ends); the pool stays the caller's to end. */
  async close(): Promise<void> {
    this.listener.close();
  }

  listOffers(): Promise<Offer[]> {
    return this.list('offers');
  }
  getOffer(id: string): Promise<Offer | undefined> {
    return this.get('offers', id);
  }
  putOffer(offer: Offer): Promise<void> {
    return this.put('offers', offer);
  }
  deleteOffer(id: string): Promise<boolean> {
    return this.remove('offers', id);
  }

  /** Integrations with their secrets in clear: masking them is the API layer's job. */
  listIntegrations(): Promise<Integration[]> {
    return integrations.listIntegrations(this.pool, this.key);
  }
  getIntegration(id: string): Promise<Integration | undefined> {
    return integrations.getIntegration(this.pool, this.key, id);
  }
  findIntegrationForOffer(offerId: string): Promise<Integration | undefined> {
    return integrations.findIntegrationForOffer(this.pool, this.key, offerId);
  }
  putIntegration(integration: Integration, secretChanges?: Record<string, string | null>): Promise<void> {
    return integrations.putIntegration(this.pool, this.key, integration, secretChanges);
  }
  setIntegrationSecret(id: string, name: string, value: string): Promise<boolean> {
    return integrations.setIntegrationSecret(this.pool, this.key, id, name, value);
  }
  deleteIntegration(id: string): Promise<boolean> {
    return integrations.deleteIntegration(this.pool, id);
  }
  putRouting(write: RoutingWrite): Promise<void> {
    return integrations.putRouting(this.pool, this.key, write);
  }

  listWebmasters(): Promise<Webmaster[]> {
    return this.list('webmasters');
  }
  getWebmaster(id: string): Promise<Webmaster | undefined> {
    return this.get('webmasters', id);
  }
  putWebmaster(webmaster: Webmaster): Promise<void> {
    return this.put('webmasters', webmaster);
  }
  deleteWebmaster(id: string): Promise<boolean> {
    return this.remove('webmasters', id);
  }

  async listSources(): Promise<Source[]> {
    const { rows } = await this.pool.query<{ doc: Source }>('SELECT doc FROM sources ORDER BY position');
    return rows.map((row) => row.doc);
  }
  async getSource(id: string): Promise<Source | undefined> {
    const { rows } = await this.pool.query<{ doc: Source }>('SELECT doc FROM sources WHERE id = $1', [id]);
    return rows[0]?.doc;
  }
  /** Through the index on the sources' key hashes, whatever their number. */
  async findSourceByKeyHash(hash: string): Promise<Source | undefined> {
    const { rows } = await this.pool.query<{ doc: Source }>(
      'SELECT doc FROM sources WHERE key_hashes @> ARRAY[$1::text] ORDER BY position LIMIT 1',
      [hash],
    );
    return rows[0]?.doc;
  }
  putSource(source: Source): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO sources (id, doc, key_hashes) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, key_hashes = excluded.key_hashes`,
        [source.id, JSON.stringify(source), source.keys.map((k) => k.hash)],
      );
      await notifyChange(client, { kind: 'source', id: source.id });
    });
  }
  deleteSource(id: string): Promise<boolean> {
    return this.removeFrom('sources', 'source', id);
  }

  listFlows(): Promise<StoredFlow[]> {
    return flows.listFlows(this.pool);
  }
  getFlow(id: string): Promise<StoredFlow | undefined> {
    return flows.getFlow(this.pool, id);
  }
  getFlowVersion(id: string, version?: number): Promise<FlowDoc | undefined> {
    return flows.getFlowVersion(this.pool, id, version);
  }
  /** See config-flows.ts for what two runtimes saving one flow at once get: two consecutive versions. */
  saveFlowVersion(flow: FlowDoc, savedBy: string, options?: { message?: string; dropDraftOf?: string }): Promise<FlowDoc> {
    return flows.saveFlowVersion(this.pool, flow, savedBy, options);
  }
  deleteFlow(id: string): Promise<boolean> {
    return flows.deleteFlow(this.pool, id);
  }

  getFlowDraft(flowId: string, userId: string): Promise<FlowDraft | undefined> {
    return flows.getFlowDraft(this.pool, flowId, userId);
  }
  listFlowDrafts(match: { userId?: string; flowId?: string }): Promise<FlowDraft[]> {
    return flows.listFlowDrafts(this.pool, match);
  }
  putFlowDraft(draft: FlowDraft): Promise<void> {
    return flows.putFlowDraft(this.pool, draft);
  }
  deleteFlowDraft(flowId: string, userId?: string): Promise<boolean> {
    return flows.deleteFlowDraft(this.pool, flowId, userId);
  }

  listUsers(): Promise<StoredUser[]> {
    return this.list('users');
  }
  getUser(id: string): Promise<StoredUser | undefined> {
    return this.get('users', id);
  }
  putUser(user: StoredUser): Promise<void> {
    return this.put('users', user);
  }

  async getSession(idHash: string): Promise<StoredSession | undefined> {
    const { rows } = await this.pool.query<SessionRow>('SELECT id_hash, user_id, created_at, expires_at FROM sessions WHERE id_hash = $1', [
      idHash,
    ]);
    return rows[0] && sessionOf(rows[0]);
  }
  putSession(session: StoredSession): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at, expires_at = excluded.expires_at`,
        [session.idHash, session.userId, session.createdAt, session.expiresAt],
      );
      // the user's id, not the session's hash: nothing outside the table learns which sessions exist
      await notifyChange(client, { kind: 'session', id: session.userId });
    });
  }
  deleteSession(idHash: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ user_id: string }>('DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id', [idHash]);
      if (!rows[0]) return false;
      await notifyChange(client, { kind: 'session', id: rows[0].user_id });
      return true;
    });
  }
  /** Ends the sessions of `userId` and those that expired before `expiredBefore` (either, both or, with neither, none). */
  deleteSessions(match: { userId?: string; expiredBefore?: string }): Promise<number> {
    if (match.userId === undefined && match.expiredBefore === undefined) return Promise.resolve(0);
    return inTransaction(this.pool, async (client) => {
      const deleted = await client.query(
        'DELETE FROM sessions WHERE ($1::text IS NOT NULL AND user_id = $1) OR ($2::timestamptz IS NOT NULL AND expires_at < $2)',
        [match.userId ?? null, match.expiredBefore ?? null],
      );
      const ended = deleted.rowCount ?? 0;
      if (ended) await notifyChange(client, { kind: 'session', id: match.expiredBefore === undefined ? match.userId! : '*' });
      return ended;
    });
  }

  private async list<T extends RecordTable>(table: T): Promise<RecordOf<T>[]> {
    const { rows } = await this.pool.query<{ doc: RecordOf<T> }>(`SELECT doc FROM ${table} ORDER BY position`);
    return rows.map((row) => row.doc);
  }

  private async get<T extends RecordTable>(table: T, id: string): Promise<RecordOf<T> | undefined> {
    const { rows } = await this.pool.query<{ doc: RecordOf<T> }>(`SELECT doc FROM ${table} WHERE id = $1`, [id]);
    return rows[0]?.doc;
  }

  /** Replaces the record with the same id in place (keeping its place in lists) or adds it. */
  private put<T extends RecordTable>(table: T, record: RecordOf<T>): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`INSERT INTO ${table} (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, [
        record.id,
        JSON.stringify(record),
      ]);
      await notifyChange(client, { kind: RECORDS[table], id: record.id });
    });
  }

  private remove(table: RecordTable, id: string): Promise<boolean> {
    return this.removeFrom(table, RECORDS[table], id);
  }

  private removeFrom(table: RecordTable | 'sources', kind: ConfigChangeKind, id: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const deleted = await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      if (!deleted.rowCount) return false;
      await notifyChange(client, { kind, id });
      return true;
    });
  }
}

type RecordOf<T extends RecordTable> = { offers: Offer; webmasters: Webmaster; users: StoredUser }[T];

function sessionOf(row: SessionRow): StoredSession {
  return { idHash: row.id_hash, userId: row.user_id, createdAt: isoTime(row.created_at), expiresAt: isoTime(row.expires_at) };
}
