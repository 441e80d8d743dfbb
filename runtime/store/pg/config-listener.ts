/**
 * The PostgreSQL configuration store's ear: one dedicated connection per store that `LISTEN`s on
 * {@link CONFIG_CHANNEL} while anyone listens, and passes each notification on as a
 * {@link ConfigChange}. Not a pool client: it is held for as long as the store is followed, and the
 * pool's clients are for queries.
 *
 * A connection that drops (the server restarted, a proxy cut it, an operator ended it) is opened
 * again with backoff; once it listens again, its listeners are told `{ kind: 'all' }`, since
 * whatever was written while it was gone was not heard.
 */
import pg from 'pg';
import type { ConfigChange, ConfigChangeKind } from '../types.ts';
import { ConfigChangeListeners, EVERYTHING } from '../config-changes.ts';
import { CONFIG_CHANNEL } from './config-sql.ts';

/** How the listening connection names itself to the server (`pg_stat_activity.application_name`), for operators. */
export const LISTENER_APPLICATION_NAME = 'leadflow config listener';

const KINDS: readonly ConfigChangeKind[] = ['offer', 'integration', 'webmaster', 'source', 'flow', 'draft', 'user', 'session', 'all'];

/** The first wait before connecting again, doubled per failure up to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export interface ListenerOptions {
  /** Told why the connection was lost or could not be opened again (the store has no logger of its own). */
  onError?: (error: Error) => void;
}

export class ConfigListener {
  readonly listeners = new ConfigChangeListeners();
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  /** Set once a connection has listened: a later one reports everything as changed. */
  private listenedBefore = false;
  private closed = false;
  private heard = deferred();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly options: ListenerOptions = {},
  ) {}

  /** Adds a listener, connecting when it is the first. */
  add(listener: (change: ConfigChange) => void): () => void {
    const remove = this.listeners.add(listener);
    if (!this.client && !this.retryTimer && !this.closed) void this.connect();
    return () => {
      remove();
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  /**
   * Resolves once the connection listens (at once when it does already): a change committed after
   * that is heard. What a caller awaits before it relies on hearing another process's writes.
   */
  listening(): Promise<void> {
    return this.heard.promise;
  }

  /** Stops listening for good. */
  close(): void {
    this.closed = true;
    this.disconnect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ ...this.config, application_name: LISTENER_APPLICATION_NAME });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel !== CONFIG_CHANNEL || this.client !== client) return;
      const change = parseChange(message.payload);
      if (change) this.listeners.emit(change);
    });
    // 'error' and 'end' both mean this connection is gone; the first of them schedules the next
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the configuration listener lost its connection')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CONFIG_CHANNEL}`);
    } catch (error) {
      this.lost(client, error as Error);
      return;
    }
    if (this.client !== client) return;
    this.retryMs = FIRST_RETRY_MS;
    this.heard.resolve();
    if (this.listenedBefore) this.listeners.emit(EVERYTHING);
    this.listenedBefore = true;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.heard.settled) this.heard = deferred();
    client.removeAllListeners('notification');
    client.on('error', () => {});
    void client.end().catch(() => undefined);
    if (this.closed || this.listeners.size === 0) return;
    this.options.onError?.(error);
    // missed notifications are reported once listening again, even when this connection never listened
    this.listenedBefore = true;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.listeners.size > 0) void this.connect();
    }, wait);
    this.retryTimer.unref();
  }

  private disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    // a later listener starts afresh: nothing was promised to be heard while nobody listened
    this.listenedBefore = false;
    if (this.heard.settled) this.heard = deferred();
    if (client) {
      client.removeAllListeners('notification');
      client.on('error', () => {});
      void client.end().catch(() => undefined);
    }
  }
}

/** A notification's payload as a change; one that is not (a hand-sent NOTIFY) reads as everything. */
function parseChange(payload: string | undefined): ConfigChange | undefined {
  try {
    const value = JSON.parse(payload ?? '') as Partial<ConfigChange>;
    if (typeof value.id === 'string' && KINDS.includes(value.kind as ConfigChangeKind)) return { kind: value.kind!, id: value.id };
  } catch {
    // not JSON
  }
  return EVERYTHING;
}

function deferred(): { promise: Promise<void>; resolve(): void; settled: boolean } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  const entry = {
    promise,
    settled: false,
    resolve() {
      entry.settled = true;
      resolve();
    },
  };
  return entry;
}
