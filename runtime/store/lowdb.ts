/**
 * The embedded {@link ConfigStore}: offers, integrations, webmasters, flows with their versions and
 * users' drafts of them, in one readable JSON file (`config.json`), through lowdb. The file is small
 * and changes when staff edit something, so rewriting it whole on each write is fine; leads never go here.
 *
 * Every answer is a copy and every stored value is a copy of what the caller passed, so nobody can
 * change the store's state except through its methods. Writes run one at a time; lowdb writes the
 * file atomically (a temporary file renamed over the old one), so a crash leaves the old or the new
 * file, never half of one. One process owns the file: two runtimes on one `config.json` would
 * overwrite each other's changes.
 *
 * Integration secrets are sealed on their way into the file and opened on their way out
 * (secret-box.ts): the store's callers see clear values, the file never holds one. The folder is
 * made 0700 and the file written 0600.
 *
 * @example
 * const config = await openLowdbConfigStore('data');
 * const saved = await config.saveFlowVersion(flow, 'anna'); // saved.version === 1 for a new flow
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Integration, Offer, Source, Webmaster } from '../../core/domain/config.ts';
import type { FlowDoc } from '../../core/domain/flow.ts';
import { migrateFlow } from '../../core/flow/format.ts';
import type {
  ConfigChangeListener,
  ConfigStore,
  FlowDraft,
  FlowVersion,
  RoutingWrite,
  StoredFlow,
  StoredSession,
  StoredUser,
} from './types.ts';
import { ConfigChangeListeners } from './config-changes.ts';
import { loadSecretKey, type SecretKey } from './secret-box.ts';
import { secretKeyFromEnv } from '../config.ts';
import { CONFIG_FILE, SealedConfigFile, emptyConfig, type ConfigData } from './lowdb-file.ts';
import { changesBetween, frozen, replaceAt } from './lowdb-records.ts';
export { CONFIG_FILE, type ConfigData } from './lowdb-file.ts';

/** The collections that hold plain records keyed by `id`. */
type RecordCollection = 'offers' | 'integrations' | 'webmasters' | 'sources' | 'users';

export class LowdbConfigStore implements ConfigStore {
  /** The tail of the write queue: each write starts when the one before it has finished. */
  private writes: Promise<unknown> = Promise.resolve();
  private readonly changes = new ConfigChangeListeners();

  private constructor(
    private readonly db: Low<ConfigData>,
    /** Path of the JSON file. */
    readonly file: string,
  ) {}

  /** Use {@link openLowdbConfigStore}. */
  static async open(dir: string, key?: SecretKey): Promise<LowdbConfigStore> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.chmod(dir, 0o700);
    const file = path.join(dir, CONFIG_FILE);
    const existed = await fs.access(file).then(
      () => true,
      () => false,
    );
    const adapter = new SealedConfigFile(file, key ?? (await loadSecretKey(dir, secretKeyFromEnv())));
    // Not JSONFilePreset: under NODE_ENV=test (which Vitest sets) it silently swaps in an in-memory
    // adapter, so nothing would reach the file.
    const db = new Low<ConfigData>(adapter, emptyConfig());
    // A file with invalid JSON makes this throw: better than starting empty and overwriting it. So
    // does a secret sealed under another key: better than sending garbage as credentials.
    await db.read();
    // A file written before a collection existed gets it empty.
    db.data = { ...emptyConfig(), ...db.data };
    const store = new LowdbConfigStore(db, file);
    // a new file, or one with secrets in clear from before sealing: written (sealed, 0600) now
    if (!existed || adapter.sawPlainSecret) await db.write();
    else await fs.chmod(file, 0o600);
    return store;
  }

  /** See {@link ConfigStore.onChange}: one process owns the file, so these are its own writes, told once written. */
  onChange(listener: ConfigChangeListener): () => void {
    return this.changes.add(listener);
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
    return this.list('integrations');
  }
  getIntegration(id: string): Promise<Integration | undefined> {
    return this.get('integrations', id);
  }
  async findIntegrationForOffer(offerId: string): Promise<Integration | undefined> {
    const integration = this.db.data.integrations.find((i) => i.enabled && i.offers.includes(offerId));
    return integration && frozen(integration);
  }
  putIntegration(integration: Integration, secretChanges?: Record<string, string | null>): Promise<void> {
    if (!secretChanges) return this.put('integrations', integration);
    return this.change((data) => {
      const index = data.integrations.findIndex((i) => i.id === integration.id);
      const secrets = { ...(index < 0 ? integration.secrets : data.integrations[index].secrets) };
      for (const [name, value] of Object.entries(secretChanges)) {
        if (value === null) delete secrets[name];
        else secrets[name] = value;
      }
      const next = structuredClone({ ...integration, secrets });
      return { data: { ...data, integrations: replaceAt(data.integrations, index, next) }, result: undefined };
    });
  }
  setIntegrationSecret(id: string, name: string, value: string): Promise<boolean> {
    return this.change((data) => {
      const index = data.integrations.findIndex((i) => i.id === id);
      if (index < 0) return { data, result: false };
      const current = data.integrations[index];
      const next = { ...current, secrets: { ...current.secrets, [name]: value } };
      return { data: { ...data, integrations: replaceAt(data.integrations, index, next) }, result: true };
    });
  }

  deleteIntegration(id: string): Promise<boolean> {
    return this.remove('integrations', id);
  }

  putRouting(write: RoutingWrite): Promise<void> {
    return this.change((data) => {
      let offers = data.offers;
      if (write.deleteOffer !== undefined) offers = offers.filter((o) => o.id !== write.deleteOffer);
      for (const offer of write.offers ?? []) {
        const index = offers.findIndex((o) => o.id === offer.id);
        offers = replaceAt(offers, index, structuredClone(offer));
      }
      let integrations = data.integrations.map((i) =>
        write.integrationOffers && Object.hasOwn(write.integrationOffers, i.id) ? { ...i, offers: [...write.integrationOffers[i.id]] } : i,
      );
      if (write.integration) {
        const { record, secretChanges } = write.integration;
        const index = integrations.findIndex((i) => i.id === record.id);
        const secrets = { ...(index < 0 || !secretChanges ? record.secrets : integrations[index].secrets) };
        for (const [name, value] of Object.entries(secretChanges ?? {})) {
          if (value === null) delete secrets[name];
          else secrets[name] = value;
        }
        integrations = replaceAt(integrations, index, structuredClone({ ...record, secrets }));
      }
      return { data: { ...data, offers, integrations }, result: undefined };
    });
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

  listSources(): Promise<Source[]> {
    return this.list('sources');
  }
  getSource(id: string): Promise<Source | undefined> {
    return this.get('sources', id);
  }
  /**
   * A scan of every source's keys: there are a few dozen. The hashes compared are of keys an
   * attacker does not know, so how soon a comparison stops tells nothing of a key.
   */
  async findSourceByKeyHash(hash: string): Promise<Source | undefined> {
    const source = this.db.data.sources.find((s) => s.keys.some((k) => k.hash === hash));
    return source && frozen(source);
  }
  putSource(source: Source): Promise<void> {
    return this.put('sources', source);
  }
  deleteSource(id: string): Promise<boolean> {
    return this.remove('sources', id);
  }

  async listFlows(): Promise<StoredFlow[]> {
    return structuredClone(this.db.data.flows);
  }

  async getFlow(id: string): Promise<StoredFlow | undefined> {
    const found = this.db.data.flows.find((f) => f.id === id);
    if (!found) return undefined;
    const flow = structuredClone(found);
    return { ...flow, versions: flow.versions.map((v) => ({ ...v, flow: currentFormat(v.flow) })) };
  }

  async getFlowVersion(id: string, version?: number): Promise<FlowDoc | undefined> {
    const flow = this.db.data.flows.find((f) => f.id === id);
    if (!flow) return undefined;
    const wanted = version ?? flow.currentVersion;
    const saved = flow.versions.find((v) => v.version === wanted);
    return saved && currentFormat(structuredClone(saved.flow));
  }

  /**
   * Appends the document as version `currentVersion + 1` (1 for a new flow) and makes it current;
   * the `version` the caller's document carries is ignored. Earlier versions are never touched.
   */
  saveFlowVersion(flow: FlowDoc, savedBy: string, options: { message?: string; dropDraftOf?: string } = {}): Promise<FlowDoc> {
    return this.change((data) => {
      const index = data.flows.findIndex((f) => f.id === flow.id);
      const previous = index >= 0 ? data.flows[index] : undefined;
      const version = (previous?.currentVersion ?? 0) + 1;
      const doc: FlowDoc = { ...structuredClone(flow), version };
      const saved: FlowVersion = {
        version,
        savedAt: new Date().toISOString(),
        savedBy,
        ...(options.message ? { message: options.message } : {}),
        flow: doc,
      };
      const stored: StoredFlow = {
        id: flow.id,
        name: flow.name,
        event: flow.event,
        currentVersion: version,
        versions: [...(previous?.versions ?? []), saved],
      };
      const drafts =
        options.dropDraftOf === undefined
          ? data.drafts
          : data.drafts.filter((d) => !(d.flowId === flow.id && d.userId === options.dropDraftOf));
      return { data: { ...data, flows: replaceAt(data.flows, index, stored), drafts }, result: structuredClone(doc) };
    });
  }

  deleteFlow(id: string): Promise<boolean> {
    return this.change((data) => {
      const flows = data.flows.filter((f) => f.id !== id);
      if (flows.length === data.flows.length) return { data, result: false };
      return { data: { ...data, flows, drafts: data.drafts.filter((d) => d.flowId !== id) }, result: true };
    });
  }

  async getFlowDraft(flowId: string, userId: string): Promise<FlowDraft | undefined> {
    const found = this.db.data.drafts.find((d) => d.flowId === flowId && d.userId === userId);
    return found && structuredClone(found);
  }

  async listFlowDrafts(match: { userId?: string; flowId?: string }): Promise<FlowDraft[]> {
    const drafts = this.db.data.drafts.filter(
      (d) => (match.userId === undefined || d.userId === match.userId) && (match.flowId === undefined || d.flowId === match.flowId),
    );
    return structuredClone(drafts);
  }

  putFlowDraft(draft: FlowDraft): Promise<void> {
    return this.change((data) => {
      const index = data.drafts.findIndex((d) => d.flowId === draft.flowId && d.userId === draft.userId);
      return { data: { ...data, drafts: replaceAt(data.drafts, index, structuredClone(draft)) }, result: undefined };
    });
  }

  deleteFlowDraft(flowId: string, userId?: string): Promise<boolean> {
    return this.change((data) => {
      const drafts = data.drafts.filter((d) => !(d.flowId === flowId && (userId === undefined || d.userId === userId)));
      return drafts.length === data.drafts.length ? { data, result: false } : { data: { ...data, drafts }, result: true };
    });
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
    const found = this.db.data.sessions.find((s) => s.idHash === idHash);
    return found && structuredClone(found);
  }
  putSession(session: StoredSession): Promise<void> {
    return this.change((data) => {
      const index = data.sessions.findIndex((s) => s.idHash === session.idHash);
      return { data: { ...data, sessions: replaceAt(data.sessions, index, structuredClone(session)) }, result: undefined };
    });
  }
  deleteSession(idHash: string): Promise<boolean> {
    return this.change((data) => {
      const sessions = data.sessions.filter((s) => s.idHash !== idHash);
      return sessions.length === data.sessions.length ? { data, result: false } : { data: { ...data, sessions }, result: true };
    });
  }
  deleteSessions(match: { userId?: string; expiredBefore?: string }): Promise<number> {
    return this.change((data) => {
      const ends = (s: StoredSession) =>
        (match.userId !== undefined && s.userId === match.userId) ||
        (match.expiredBefore !== undefined && s.expiresAt < match.expiredBefore);
      const sessions = data.sessions.filter((s) => !ends(s));
      const ended = data.sessions.length - sessions.length;
      return ended === 0 ? { data, result: 0 } : { data: { ...data, sessions }, result: ended };
    });
  }

  /**
   * A collection: the offers and integrations every lead and delivery reads (its offer, its
   * integration, the integrations a stage change is routed to) as the stored records themselves,
   * frozen ({@link frozen}) in an array of the caller's own; the rest as copies.
   */
  private async list<K extends RecordCollection>(collection: K): Promise<ConfigData[K]> {
    const items = this.db.data[collection];
    if (collection === 'integrations' || collection === 'offers') return (items as object[]).map(frozen) as ConfigData[K];
    return structuredClone(items);
  }

  private async get<K extends RecordCollection>(collection: K, id: string): Promise<ConfigData[K][number] | undefined> {
    const item = (this.db.data[collection] as Array<{ id: string }>).find((i) => i.id === id);
    if (!item) return undefined;
    if (collection === 'integrations' || collection === 'offers') return frozen(item) as ConfigData[K][number];
    return structuredClone(item) as ConfigData[K][number];
  }

  /** Replaces the record with the same id in place (keeping the list's order) or appends it. */
  private put<K extends RecordCollection>(collection: K, item: ConfigData[K][number]): Promise<void> {
    return this.change((data) => {
      const items = data[collection] as Array<{ id: string }>;
      const index = items.findIndex((i) => i.id === item.id);
      return { data: { ...data, [collection]: replaceAt(items, index, structuredClone(item)) }, result: undefined };
    });
  }

  private remove(collection: RecordCollection, id: string): Promise<boolean> {
    return this.change((data) => {
      const items = data[collection] as Array<{ id: string }>;
      const kept = items.filter((i) => i.id !== id);
      return kept.length === items.length ? { data, result: false } : { data: { ...data, [collection]: kept }, result: true };
    });
  }

  /**
   * Runs `apply` on the current state after every earlier write has finished, then writes the new
   * state it returns. `apply` builds new objects instead of mutating, so a failed write can put the
   * previous state back and memory never holds what the file does not.
   */
  private change<T>(apply: (data: ConfigData) => { data: ConfigData; result: T }): Promise<T> {
    const run = this.writes.then(async () => {
      const previous = this.db.data;
      const { data, result } = apply(previous);
      if (data === previous) return result;
      this.db.data = data;
      try {
        await this.db.write();
      } catch (error) {
        this.db.data = previous;
        throw error;
      }
      for (const change of changesBetween(previous, data)) this.changes.emit(change);
      return result;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

/**
 * A saved document read in the current flow format. Its nodes' params are brought up to
 * their types' versions by the flow service, which knows the node types; a format newer than this
 * code reads is left as saved, for the flow service to refuse.
 */
function currentFormat(doc: FlowDoc): FlowDoc {
  const migrated = migrateFlow(doc, { get: () => undefined });
  return migrated.ok ? (migrated.doc as FlowDoc) : doc;
}

/**
 * Opens `config.json` in `dir`, creating the folder and an empty file when missing. Secrets are
 * sealed under `key`; by default `LEADFLOW_SECRET_KEY`, else the folder's key file.
 */
export function openLowdbConfigStore(dir: string, key?: SecretKey): Promise<LowdbConfigStore> {
  return LowdbConfigStore.open(dir, key);
}
