/**
 * The job queue: deliveries, status-check work and outgoing postbacks, claimed by workers with a
 * lease they renew (several runtime processes may share one queue). Jobs are also written by the
 * lead store in the same transaction as the lead change that causes them (`LeadStore`, lead-store.ts).
 *
 * What a PostgreSQL backend must keep, that SQLite gets from having one writer:
 * - `claimJobs`: `UPDATE … WHERE id IN (SELECT … ORDER BY run_at, id LIMIT n FOR UPDATE SKIP LOCKED)
 *   RETURNING *`, so two instances never take the same job;
 * - `claimJobs` with `shares`: each lane's oldest due jobs up to its share (a `LATERAL` subquery per
 *   integration with queued jobs, or `ROW_NUMBER() OVER (PARTITION BY lane ORDER BY run_at, id)`),
 *   indexed so one lane's backlog costs the others nothing; `releaseJobs` uncounts the attempt;
 * - the claim contract of `claimJobs` (owner and lease per claimed job, `renewLeases`,
 *   `requeueExpired`) with the same `worker` and `lease_until` columns, so an instance takes back
 *   only the jobs whose lease ran out, never the ones another live instance is running;
 * - job `key` unique with several NULLs allowed (Postgres' default); `ON CONFLICT (key) DO NOTHING`.
 */
import type { Job, JobKind } from '../../core/domain/job.ts';
import type { DeliveryCounts, DeliveryState } from '../../core/domain/delivery.ts';

export interface NewJob {
  kind: JobKind;
  leadId?: number;
  integrationId?: string;
  key?: string;
  payload?: Record<string, unknown>;
  runAt?: Date;
}

/**
 * Jobs the queue must not take for now: those of `kinds` that belong to integration `integrationId`.
 * @example { integrationId: 'crm', kinds: ['lead.new', 'lead.update', 'lead.approved'] } // its postbacks still go
 */
export interface HeldJobs {
  integrationId: string;
  kinds: readonly JobKind[];
}

/**
 * Who takes the jobs of a claim and for how long: the claimed jobs are `worker`'s until
 * `now + leaseMs`, unless it renews them ({@link JobQueue.renewLeases}).
 * @example { worker: 'host-1:4242:9f3c', leaseMs: 30_000 }
 */
export interface JobClaim {
  /** Unique per running process (a restarted process gets a new one). */
  worker: string;
  leaseMs: number;
}

/**
 * The most jobs of each lane a claim may take, so that one slow lane never takes the workers another
 * lane's due jobs could use. A lane is one integration's deliveries (its jobs of every kind but
 * `postback.out`), or the outgoing postbacks of every integration together. The queue passes what
 * each lane may still start (its limit less what it runs now): 0 takes none of that lane.
 * @example { integrations: { crm: 1, slow: 0 }, deliveries: 4, postbacks: 8 } // crm one more, slow none, any other up to 4
 */
export interface ClaimShares {
  /** Per integration id: the most of its deliveries the claim takes. */
  integrations: Readonly<Record<string, number>>;
  /** The most deliveries of an integration not named in `integrations`. */
  deliveries: number;
  /** The most `postback.out` jobs, whichever integration they belong to. */
  postbacks: number;
}

/** The claim of callers that give none: one process alone on its store. */
export const DEFAULT_CLAIM: JobClaim = { worker: 'local', leaseMs: 60_000 };

/** The job queue: claims with worker id, lease and heartbeat; release; expiry sweep; deliveries' state. */
export interface JobQueue {
  /** Queues jobs in one write; a job whose `key` is already stored is skipped, whatever its state (a keyed job runs once). */
  enqueue(jobs: NewJob[]): Promise<void>;
  /**
   * Takes up to `limit` due jobs of the kinds given and marks them running. Jobs matching an entry
   * of `held` (its kind, of its integration: a paused or switched-off integration's deliveries)
   * are left queued as they are, their attempts not counted, and the others are taken past them.
   *
   * The claim contract, which every backend keeps:
   * - each job taken records its owner (`claim.worker`) and its lease (`lease_until = now +
   *   claim.leaseMs`, `now` as given, so a test can move time); {@link DEFAULT_CLAIM} when omitted;
   * - a running job is nobody else's while its lease lasts: no claim takes it, whoever asks (two
   *   instances at once included: PostgreSQL claims with `FOR UPDATE SKIP LOCKED`);
   * - the owner keeps it by renewing the lease ({@link renewLeases}) while it still runs the job;
   * - a job whose lease ran out (`lease_until <= now`) goes back to the queue only through
   *   {@link requeueExpired}, and is claimed again like any queued job, its attempt counted again;
   * - `completeJob` and `failJob` release the claim: owner and lease cleared.
   *
   * With `shares`, no lane takes more than its share ({@link ClaimShares}): the due jobs are ranked
   * within their lane (`ROW_NUMBER() OVER (PARTITION BY lane ORDER BY run_at, id)`), those ranked
   * past the lane's share are skipped, and the rest are taken oldest first up to `limit`, so the
   * jobs of one lane queued first never hide another lane's. Without `shares`, any lane takes any number.
   */
  claimJobs(kinds: JobKind[], limit: number, now: Date, held?: readonly HeldJobs[], claim?: JobClaim, shares?: ClaimShares): Promise<Job[]>;
  /**
   * Extends to `until` the leases of those of `ids` that are still running and still `worker`'s
   * (the queue's heartbeat); a job someone else took back meanwhile is left alone. Resolves with
   * how many it renewed.
   */
  renewLeases(worker: string, ids: readonly number[], until: Date): Promise<number>;
  /**
   * The sweep: puts back in the queue every running job whose lease ended by `now` (or that has no
   * lease: left by a runtime older than leases), clearing owner and lease. Resolves with how many.
   */
  requeueExpired(now: Date): Promise<number>;
  /**
   * Gives back jobs `worker` took but will not finish (its process is shutting down and aborted
   * them, or its integration's circuit breaker opened between the claim and the run): each of `ids` still running and still `worker`'s goes back to `queued`, due at once (its
   * `run_at` kept, or `now` if that is later), its aborted attempt not counted (`attempts` down by
   * one), owner and lease cleared, `last_error` untouched — so another process takes it at once,
   * without waiting out the lease. A job someone else took back meanwhile is left alone.
   * Resolves with how many it released.
   * @example await store.releaseJobs(queue.worker, [41, 42], new Date())
   */
  releaseJobs(worker: string, ids: readonly number[], now?: Date): Promise<number>;
  /** Marks a job done; a `payload` given replaces the job's (a postback keeps its attempt log there). */
  completeJob(id: number, payload?: Record<string, unknown>): Promise<void>;
  /** Records a failed attempt: back to `queued` at `retryAt`, or `failed` for good when it is undefined. */
  failJob(id: number, error: string, retryAt: Date | undefined, payload?: Record<string, unknown>): Promise<void>;
  /**
   * Replaces a running job's payload while it runs — a delivery's progress, written before its
   * flow's next call to the target (see `DeliveryProgress` in runtime/services/delivery-progress.ts) —
   * only while the job is still `worker`'s: a worker whose lease ran out writes nothing. Resolves
   * with whether it wrote. The write is durable when it resolves, like every other.
   */
  saveJobProgress(worker: string, id: number, payload: Record<string, unknown>): Promise<boolean>;
  /**
   * Puts a running job of `worker`'s back in the queue to continue at `runAt` (a flow waiting for
   * its target: a scheduled continuation, not a failure): `queued`, due at `runAt`, its attempt not
   * counted, `last_error` untouched, owner and lease cleared, `payload` (when given) replacing the
   * job's. Resolves with whether the job was still `worker`'s.
   */
  deferJob(worker: string, id: number, runAt: Date, payload?: Record<string, unknown>): Promise<boolean>;
  /**
   * Puts every `running` job back in the queue, live leases included: only for an operator who
   * knows no process is running any (the queue itself uses {@link requeueExpired}).
   */
  requeueRunning(): Promise<number>;
  /** Every job of a lead, in id order (oldest first). */
  jobsOfLead(leadId: number): Promise<Job[]>;
  /**
   * An integration's failed deliveries and retries waiting (its `lead.*` jobs), by an indexed
   * count (a PostgreSQL backend: an index on `(integration_id, state, kind, attempts)`).
   */
  deliveryCounts(integrationId: string): Promise<DeliveryCounts>;
  /** The delivery state (the kernel's `deliveryState`) of each of the leads given that has one, in one query. */
  deliveryStates(leadIds: readonly number[]): Promise<Record<number, DeliveryState>>;
  /**
   * Resends leads: for each of `leadIds` still `new` whose latest `lead.new` job is not running,
   * that job is queued again as if new — attempts 0, error cleared, due and created at `now` (so
   * the integration's age limit counts from the resend). In one write; answers the ids resent.
   */
  resendLeadJobs(leadIds: readonly number[], now: Date): Promise<number[]>;
}
