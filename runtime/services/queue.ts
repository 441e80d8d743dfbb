/**
 * The job queue's worker: takes due jobs from the durable store, runs each with its handler, a
 * bounded number at once, and puts failures back with exponential backoff. Jobs survive a restart
 * (the store holds them). Each claim is this worker's for a lease, renewed by a heartbeat while the
 * job runs; a sweep (at start and every heartbeat) puts back the jobs whose lease ran out, those of
 * a stopped or stuck process, and never one a live worker still holds.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { ClaimShares, HeldJobs, Job, JobKind, JobQueue as JobStore } from '../store/types.ts';

/** What handling a job came to; a `payload` replaces the job's (an attempt log, say). */
export type JobOutcome = (
  | { state: 'done' }
  /** `retryAfterMs`: the target asked not to be tried again sooner (see {@link retryDelay}). */
  | { state: 'retry'; error: string; retryAfterMs?: number }
  | { state: 'failed'; error: string }
  /** Not run after all (its integration's circuit breaker is open): given back to the queue, the attempt uncounted. */
  | { state: 'release' }
  /**
   * Not finished, not failed: to be continued at `at` (a flow waiting for its target to be ready):
   * back in the queue due then, the attempt uncounted, its `payload` (where it stopped) kept.
   */
  | { state: 'continue'; at: Date }
) & {
  payload?: Record<string, unknown>;
};

export interface JobHandler {
  kinds: JobKind[];
  /**
   * Runs one job. `signal` aborts when the queue stops and its grace period is over: the handler
   * cancels what it sends and returns soon; whatever it answers then (unless `done`), the job is
   * released back to the queue (the store's `releaseJobs`, runtime/store/job-queue.ts), not counted as an attempt.
   */
  handle(job: Job, signal?: AbortSignal, progress?: JobProgress): Promise<JobOutcome>;
  /**
   * The jobs of its kinds not to take for now (a paused or switched-off integration's deliveries):
   * asked before every claim, so they stay queued, untouched, and are taken once it answers otherwise.
   */
  held?(): Promise<HeldJobs[]>;
  /**
   * Set by a handler that decides itself when its jobs are out of attempts (the delivery handler,
   * by each integration's limits): the queue's {@link RetryPolicy.maxAttempts} then bounds only the
   * jobs whose handler threw.
   */
  decidesAttempts?: boolean;
  /**
   * How many jobs of each integration it may run at once (its deliveries' concurrency, 1 for an
   * integration whose breaker lets one probe through): asked before every claim, so that the claim
   * takes no more of one integration's jobs than it may still start (see {@link ClaimShares}).
   */
  limits?(): Promise<IntegrationLimits>;
}

/**
 * Writes a running job's payload now, before the handler's next step (a delivery's progress before
 * its next call to the target), so that a crash or a lost lease resumes from there; resolves with
 * whether the job was still this worker's (the store's `saveJobProgress`).
 */
export type JobProgress = (payload: Record<string, unknown>) => Promise<boolean>;

/** Per integration id the most of its jobs running at once; `otherwise` for an integration not named. */
export interface IntegrationLimits {
  integrations: Record<string, number>;
  otherwise: number;
}

export interface RetryPolicy {
  /** The ceiling of the delay before the first retry; each next one doubles, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /**
   * After this many attempts the job fails for good (and stays visible with its last error); a
   * handler that {@link JobHandler.decidesAttempts} (deliveries: per integration) is bound by it
   * only when it throws.
   */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 5_000, maxMs: 3_600_000, maxAttempts: 12 };

/** The longest a target's `Retry-After` is honoured: one that asks for a week is waited out for an hour. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * When attempt `attempts` (1-based) failed, the next try is due after this many ms: exponential
 * backoff with full jitter (anywhere from 0 to `baseMs · 2^(attempts-1)`, capped at `maxMs`), so
 * that the deliveries a target's outage failed together do not all come back at the same moment.
 * A `retryAfterMs` the target asked for (up to {@link MAX_RETRY_AFTER_MS}) is the least it waits.
 */
export function retryDelay(policy: RetryPolicy, attempts: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.baseMs * 2 ** Math.max(0, attempts - 1), policy.maxMs);
  const backoff = Math.round(Math.random() * ceiling);
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

export interface QueueLog {
  error(object: object, message: string): void;
}

/**
 * After the grace period, how long aborted handlers get to return before their jobs are released
 * anyway (a handler stuck past its signal would otherwise hold the shutdown).
 */
export const ABORT_SETTLE_MS = 2_000;

/** How {@link JobQueue.stop} treats the jobs still running. */
export interface StopOptions {
  /**
   * How long running jobs may go on; then they are aborted and released for another process.
   * Omitted: they are waited for, however long they take.
   */
  graceMs?: number;
}

/** How long a claim lasts without a heartbeat: a stopped process's jobs come back after this. */
export const DEFAULT_LEASE_MS = 30_000;

/**
 * A worker id unique to this process and this queue: a restarted process is a new worker, so the
 * leases its predecessor held are waited out rather than assumed dead.
 */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface QueueOptions {
  concurrency: number;
  pollMs: number;
  retry: RetryPolicy;
  log: QueueLog;
  /** Defaults to {@link newWorkerId}. */
  worker?: string;
  /** Defaults to {@link DEFAULT_LEASE_MS}; the heartbeat renews every third of it. */
  leaseMs?: number;
  /**
   * The most outgoing postbacks running at once, all trackers together, so slow trackers never
   * take the workers deliveries need. Defaults to a quarter of `concurrency` (at least 1).
   */
  postbackShare?: number;
}

/** The lane a job counts in (see {@link ClaimShares}): its integration's deliveries, or every postback. */
const POSTBACKS = ' postbacks';
const laneOf = (job: Job): string => (job.kind === 'postback.out' ? POSTBACKS : (job.integrationId ?? ''));

export class JobQueue {
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  /** The claim under way, which {@link stop} waits for. */
  private pumped: Promise<void> = Promise.resolve();
  private again = false;
  private readonly active = new Set<Promise<void>>();
  private readonly kinds: JobKind[];
  private readonly byKind = new Map<JobKind, JobHandler>();
  /** The ids of the jobs this worker is running, whose leases the heartbeat renews. */
  private readonly inHand = new Set<number>();
  /** How many jobs of each lane this worker is running. */
  private readonly byLane = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** Aborts the running handlers once {@link stop}'s grace period is over. */
  private readonly abort = new AbortController();
  /** The jobs given back by {@link stop}: whatever their handler answers later is not recorded. */
  private readonly released = new Set<number>();
  private releasedJobs = 0;
  readonly worker: string;
  readonly leaseMs: number;

  constructor(
    private readonly store: JobStore,
    handlers: JobHandler[],
    private readonly options: QueueOptions,
  ) {
    for (const handler of handlers) for (const kind of handler.kinds) this.byKind.set(kind, handler);
    this.kinds = [...this.byKind.keys()];
    this.worker = options.worker ?? newWorkerId();
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // every running handler's steps listen on this one signal (one listener each, removed when the
    // step ends): as many as the jobs running at once, so not a leak past Node's default warning of 10
    setMaxListeners(Math.max(10, 2 * options.concurrency), this.abort.signal);
  }

  /**
   * Puts back the jobs whose lease expired, then takes due jobs. A restart's predecessor held its
   * jobs under another worker id: they are taken again once their lease runs out, not at once,
   * since a worker id cannot prove its process is gone and a job run twice sends a lead twice.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.store.requeueExpired(new Date());
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.wake();
  }

  /**
   * Takes no more jobs and waits for the jobs in hand, their leases still renewed: all of them, or,
   * with `graceMs`, that long; then aborts the rest (their handlers' signal) and releases them to
   * the queue, due at once and their attempt not counted, so another process (or this one
   * restarted) takes them without waiting out a lease ({@link releasedCount} says how many).
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // a claim in flight is jobs in hand too: left unawaited, they would stay running under a live
    // lease after the store closed, and a restart would wait the lease out
    await this.pumped;
    if (options.graceMs === undefined) await Promise.all(this.active);
    else if (!(await settledWithin(this.active, options.graceMs))) {
      this.abort.abort();
      await settledWithin(this.active, ABORT_SETTLE_MS);
      // handlers still stuck past their signal: given back all the same; the process is ending
      const stuck = [...this.inHand].filter((id) => !this.released.has(id));
      for (const id of stuck) this.released.add(id);
      await this.release(stuck);
    }
    clearInterval(this.heartbeatTimer);
  }

  /** How many jobs {@link stop} gave back to the queue. */
  get releasedCount(): number {
    return this.releasedJobs;
  }

  private async release(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      this.releasedJobs += await this.store.releaseJobs(this.worker, ids, new Date());
    } catch (error) {
      // left running under this worker's lease: the sweep of the next process takes them back
      this.options.log.error({ err: error, jobs: ids }, 'job queue: releasing the aborted jobs failed');
    }
  }

  /** Renews the leases of the jobs still running here, then sweeps the expired ones back. */
  async heartbeat(now = new Date()): Promise<void> {
    try {
      await this.store.renewLeases(this.worker, [...this.inHand], new Date(now.getTime() + this.leaseMs));
      if (!this.stopped && (await this.store.requeueExpired(now)) > 0) this.wake();
    } catch (error) {
      this.options.log.error({ err: error }, 'job queue: renewing leases failed');
    }
  }

  /** Looks for due jobs now (called when jobs are enqueued). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumped = this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    clearTimeout(this.timer);
    try {
      do {
        this.again = false;
        const free = this.options.concurrency - this.running;
        if (free <= 0) break;
        const held = await this.held();
        const shares = await this.shares();
        const jobs = await this.store.claimJobs(this.kinds, free, new Date(), held, { worker: this.worker, leaseMs: this.leaseMs }, shares);
        for (const job of jobs) this.launch(job);
        if (jobs.length === free) this.again = true;
      } while (this.again && !this.stopped);
    } catch (error) {
      this.options.log.error({ err: error }, 'job queue: claiming jobs failed');
    } finally {
      this.pumping = false;
      if (!this.stopped) this.timer = setTimeout(() => this.wake(), this.options.pollMs);
    }
  }

  private async held(): Promise<HeldJobs[]> {
    const handlers = new Set(this.byKind.values());
    const held = await Promise.all([...handlers].map((handler) => handler.held?.() ?? []));
    return held.flat();
  }

  /** What each lane may still start: its limit less what it runs now. */
  private async shares(): Promise<ClaimShares> {
    const handlers = new Set(this.byKind.values());
    const limits = await Promise.all([...handlers].map((handler) => handler.limits?.()));
    const integrations: Record<string, number> = {};
    let deliveries = this.options.concurrency;
    for (const limit of limits) {
      if (!limit) continue;
      deliveries = limit.otherwise;
      Object.assign(integrations, limit.integrations);
    }
    let postbacks = this.options.postbackShare ?? Math.max(1, Math.floor(this.options.concurrency / 4));
    for (const [lane, running] of this.byLane) {
      if (lane === POSTBACKS) postbacks = Math.max(0, postbacks - running);
      else integrations[lane] = Math.max(0, (integrations[lane] ?? deliveries) - running);
    }
    return { integrations, deliveries, postbacks };
  }

  private launch(job: Job): void {
    this.running++;
    this.inHand.add(job.id);
    const lane = laneOf(job);
    this.byLane.set(lane, (this.byLane.get(lane) ?? 0) + 1);
    const task = this.process(job).finally(() => {
      const left = (this.byLane.get(lane) ?? 1) - 1;
      if (left > 0) this.byLane.set(lane, left);
      else this.byLane.delete(lane);
      this.inHand.delete(job.id);
      this.running--;
      this.active.delete(task);
      this.wake();
    });
    this.active.add(task);
  }

  private async process(job: Job): Promise<void> {
    const handler = this.byKind.get(job.kind);
    let outcome: JobOutcome;
    let threw = false;
    try {
      const progress: JobProgress = (payload) => this.store.saveJobProgress(this.worker, job.id, payload);
      outcome = handler ? await handler.handle(job, this.abort.signal, progress) : { state: 'failed', error: `no handler for ${job.kind}` };
    } catch (error) {
      // a handler that throws is a bug of ours or a store failure: keep the job and try later
      threw = true;
      outcome = { state: 'retry', error: error instanceof Error ? error.message : String(error) };
      if (!this.abort.signal.aborted) this.options.log.error({ err: error, job: job.id }, 'job handler failed');
    }
    if (this.released.has(job.id)) return;
    // aborted by the shutdown: not the target's verdict, so not an attempt; the job goes back as it was
    if (this.abort.signal.aborted && outcome.state !== 'done' && outcome.state !== 'continue') {
      this.released.add(job.id);
      await this.release([job.id]);
      return;
    }
    try {
      if (outcome.state === 'release') await this.store.releaseJobs(this.worker, [job.id]);
      else if (outcome.state === 'continue') await this.store.deferJob(this.worker, job.id, outcome.at, outcome.payload);
      else if (outcome.state === 'done') await this.store.completeJob(job.id, outcome.payload);
      else if (outcome.state === 'failed' || ((threw || !handler?.decidesAttempts) && job.attempts >= this.options.retry.maxAttempts))
        await this.store.failJob(job.id, outcome.error, undefined, outcome.payload);
      else
        await this.store.failJob(
          job.id,
          outcome.error,
          new Date(Date.now() + retryDelay(this.options.retry, job.attempts, outcome.state === 'retry' ? outcome.retryAfterMs : undefined)),
          outcome.payload,
        );
    } catch (error) {
      this.options.log.error({ err: error, job: job.id }, 'job queue: recording the outcome failed');
    }
  }
}

/** Whether every task settled within `ms`. */
async function settledWithin(tasks: Set<Promise<void>>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.all(tasks).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
