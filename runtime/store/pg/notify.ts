/**
 * Wake-ups between runtime processes on one database, by `LISTEN/NOTIFY`. A write that queues a
 * job notifies {@link JOBS_CHANNEL}; a write that stores or changes a lead (or its delivery)
 * notifies {@link LEADS_CHANNEL} with the writing store's id as payload.
 *
 * The notifications are sent after the write commits, not inside its transaction: PostgreSQL
 * serialises the commits of every transaction that issued NOTIFY (one lock on the notification
 * queue, held through the commit's fsync), which made each lead insert wait for the one before —
 * 150 leads/s with 32 at once, here. {@link PgNotifier} gathers a turn of the event loop's writes
 * into one notification per channel, sent in a transaction of its own with `synchronous_commit`
 * off (a wake-up is not data: one lost in a crash costs a poll interval). So a listener in another
 * process hears "something changed since", perhaps for several writes at once, just after they
 * are committed.
 */
import type pg from 'pg';

/** Notified by every write that makes a job queued (a new job, a retry, a release, a requeue, a resend). */
export const JOBS_CHANNEL = 'leadflow_jobs';
/** Notified by every write that stores a lead, changes one, or changes its delivery. */
export const LEADS_CHANNEL = 'leadflow_leads';

/**
 * Sends the notifications of one store's writes once they are committed: each channel at most once
 * per turn of the event loop, on a pooled client, in one round trip. Best effort: a failure to
 * notify is dropped (the queue also polls), never the write's failure.
 */
export class PgNotifier {
  private pending = new Set<string>();
  private scheduled = false;
  /** The notifications sent and not yet answered. */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    /** The payload of every notification: the sending store's id (hex). */
    private readonly origin: string,
  ) {
    if (!/^[0-9a-f]*$/.test(origin)) throw new Error(`origin must be hex, not "${origin}"`);
  }

  /** Notifies `channels` soon, with this store's id. */
  notify(...channels: string[]): void {
    for (const channel of channels) this.pending.add(channel);
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.send());
  }

  /** Sends what is pending now and resolves once everything sent so far was answered (before a store closes). */
  async flush(): Promise<void> {
    this.send();
    await Promise.all(this.sending);
  }

  private send(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const channels = [...this.pending];
    this.pending = new Set();
    // one simple-protocol round trip; the channels are our constants and the origin is hex
    const sql = `BEGIN; SET LOCAL synchronous_commit TO OFF; ${channels.map((c) => `NOTIFY ${c}, '${this.origin}';`).join(' ')} COMMIT`;
    const sent: Promise<void> = this.pool.query(sql).then(
      () => undefined,
      () => undefined,
    );
    this.sending.add(sent);
    void sent.then(() => this.sending.delete(sent));
  }
}

/** How long a listener waits before it connects again after losing its connection. */
const RECONNECT_MS = 500;

type Listener = (payload: string) => void;

/**
 * One dedicated client of the pool (checked out for as long as anyone listens) that LISTENs on
 * the channels and calls each channel's listeners. Started by the first listener, released when
 * the last one stops or at {@link PgListener.close}. A lost connection is opened again after
 * {@link RECONNECT_MS}; as notifications sent meanwhile are lost, every listener is then called
 * once (a wake-up too many is harmless, one too few is not).
 */
export class PgListener {
  private readonly listeners = new Map<string, Set<Listener>>();
  private client: pg.PoolClient | undefined;
  /** The channels {@link client} LISTENs on. */
  private channels = new Set<string>();
  /** The last step of bringing the client in line with the listeners; each step waits for the one before. */
  private chain: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Calls `listener` with each notification on `channel`; answers the function that stops it. */
  on(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    this.listening().catch(() => this.reconnectLater());
    return () => {
      set.delete(listener);
      if (this.count() === 0) this.stop();
    };
  }

  /** Resolves once the client LISTENs on every channel that has a listener (rejects when it cannot connect). */
  listening(): Promise<void> {
    const step = this.chain.catch(() => undefined).then(() => this.sync());
    this.chain = step;
    return step;
  }

  /** Stops listening for good; the client is closed. */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private count(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  private async sync(): Promise<void> {
    if (this.closed || this.count() === 0) return this.stop();
    if (!this.client) {
      const client = await this.pool.connect();
      client.on('error', () => this.lost(client));
      client.on('notification', (message) => {
        for (const listener of this.listeners.get(message.channel) ?? []) listener(message.payload ?? '');
      });
      this.client = client;
      this.channels = new Set();
    }
    for (const channel of this.listeners.keys()) {
      if (this.channels.has(channel)) continue;
      await this.client.query(`LISTEN ${channel}`);
      this.channels.add(channel);
    }
    if (this.closed || this.count() === 0) this.stop();
  }

  private lost(client: pg.PoolClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(true);
    this.reconnectLater();
  }

  /** Connects again after {@link RECONNECT_MS}, then calls every listener once: what was notified meanwhile is lost. */
  private reconnectLater(): void {
    if (this.closed || this.count() === 0 || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.listening().then(
        () => {
          for (const set of this.listeners.values()) for (const listener of set) listener('');
        },
        () => this.reconnectLater(),
      );
    }, RECONNECT_MS);
    this.retry.unref();
  }

  private stop(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const client = this.client;
    this.client = undefined;
    this.channels = new Set();
    // a connection that LISTENs is not handed to another caller of the pool: closed instead
    client?.release(true);
  }
}
